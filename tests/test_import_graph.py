"""The layout stays true: no import cycle, every package imports only its own layer and those below, and the
training loop loads no model family (docs/architecture.md)."""
import ast
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PACKAGE = os.path.join(ROOT, "gluon_gan")

# Bottom to top; a module may import its own layer and the layers below it. Packages in one layer (families
# and evaluation, bench and style_transfer) do not import each other.
LAYERS = [
    {"gluon_gan", "errors", "runtime", "options", "cli"},
    {"files", "nn"},
    {"data"},
    {"training"},
    {"families", "evaluation"},
    {"experiment"},
    {"bench", "style_transfer", "export"},
]


def module_name(path):
    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def all_modules():
    found = {}
    for dirpath, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                found[module_name(os.path.join(dirpath, f))] = os.path.join(dirpath, f)
    return found


class ModuleLevelImports(ast.NodeVisitor):
    """The package's own modules a module imports when it is loaded (imports inside functions are not run then)."""

    def __init__(self, module, is_package, modules):
        self.package = module if is_package else module.rsplit(".", 1)[0]
        self.modules, self.targets = modules, set()

    def visit_FunctionDef(self, node):
        pass

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] == "gluon_gan":
                self.targets.add(alias.name)

    def visit_ImportFrom(self, node):
        if node.level:
            base = self.package.split(".")[:len(self.package.split(".")) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] != "gluon_gan":
            return
        for alias in node.names:  # "from . import sub" loads sub; "from . import name" runs the package's __init__
            sub = source + "." + alias.name
            self.targets.add(sub if sub in self.modules else source)


def import_graph():
    modules = all_modules()
    graph = {}
    for name, path in modules.items():
        visitor = ModuleLevelImports(name, path.endswith("__init__.py"), modules)
        with open(path) as f:
            visitor.visit(ast.parse(f.read(), path))
        graph[name] = sorted(t for t in visitor.targets if t in modules and t != name)
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules, or None (depth-first search with colours)."""
    colour, stack = {}, []

    def visit(node):
        colour[node] = "grey"
        stack.append(node)
        for nxt in graph.get(node, ()):
            if colour.get(nxt) == "grey":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in colour:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        colour[node] = "black"
        return None

    for node in sorted(graph):
        if node not in colour:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def layer_of(module):
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "gluon_gan"
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index, top
    raise AssertionError("%s is in no layer: add its package to LAYERS and docs/architecture.md" % module)


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["gluon_gan.training.loop"]  # the graph really was read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_every_module_imports_only_its_own_layer_and_those_below():
    wrong = []
    for module, targets in import_graph().items():
        (mine, package) = layer_of(module)
        for target in targets:
            theirs, other = layer_of(target)
            if theirs > mine or (theirs == mine and other != package and mine > 0):
                wrong.append("%s imports %s" % (module, target))
    assert not wrong, wrong


def test_a_layer_violation_is_caught():
    assert layer_of("gluon_gan.training.loop") > layer_of("gluon_gan.data.images")
    assert layer_of("gluon_gan.families.dcgan")[0] == layer_of("gluon_gan.evaluation.fid")[0]


@pytest.mark.parametrize("module, forbidden", [
    ("gluon_gan.training", "gluon_gan.families"),    # the loop knows the family contract, not the families
    ("gluon_gan.training", "gluon_gan.experiment"),
    ("gluon_gan.data", "gluon_gan.training"),
    ("gluon_gan.evaluation", "gluon_gan.families"),
])
def test_importing_a_layer_loads_nothing_above_it(module, forbidden):
    code = "import sys, %s; print(sorted(m for m in sys.modules if m.startswith(%r)))" % (module, forbidden)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
