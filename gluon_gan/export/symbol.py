"""MXNet's deployable pair for a generator graph: ``PREFIX-symbol.json`` + ``PREFIX-0000.params``.

Written by ``HybridBlock.export``, with one change: its inputs are named as the
family lists them (``z``, ``psi``, ``noise_0``, ...) instead of ``data0``,
``data1``, ..., so ``mx.gluon.SymbolBlock.imports(json, ["z", ...], params)``
reads like the model it is.
"""
import json
import os
import shutil
import tempfile

import mxnet as mx

from ..files.atomic import atomic_write
from ..nn.layers import quiet_unused_parameters

EPOCH = 0


def pair_paths(prefix):
    """``(PREFIX-symbol.json, PREFIX-0000.params)``, the names ``HybridBlock.export`` and ``SymbolBlock.imports`` use."""
    return "%s-symbol.json" % prefix, "%s-%04d.params" % (prefix, EPOCH)


def trace(graph, inputs, batch=1, ctx=None):
    """Hybridize ``graph`` and run it once on zeros of ``batch`` x each input's shape (what ``export`` needs)."""
    ctx = ctx or mx.cpu()
    graph.hybridize()
    with quiet_unused_parameters():  # a graph may use a subset of the network's weights (one stage, one scale)
        graph(*[mx.nd.zeros((batch,) + tuple(i.shape), ctx=ctx) for i in inputs])


def rename_inputs(symbol_json, names):
    """The symbol's JSON text with its inputs ``data`` / ``data0``, ``data1``, ... renamed to ``names`` in order."""
    graph = json.loads(symbol_json)
    exported = ["data"] if len(names) == 1 else ["data%d" % i for i in range(len(names))]
    mapping = dict(zip(exported, names))
    for node in graph["nodes"]:
        if node["op"] == "null" and node["name"] in mapping:
            node["name"] = mapping.pop(node["name"])
    if mapping:  # an input the graph ignores (export drops it): keep the names honest rather than guess
        raise ValueError("the traced graph does not use input(s) %s" % ", ".join(mapping.values()))
    return json.dumps(graph, indent=2)


def export_symbol(graph, inputs, prefix, batch=1, ctx=None):
    """Trace ``graph`` (a :class:`~gluon_gan.nn.exportable.PictureGraph`) and write its pair; returns the two paths.

    ``inputs`` are its :class:`~gluon_gan.nn.exportable.GraphInput` list. The
    symbol itself is batch-agnostic; ``batch`` only sizes the trace.
    """
    json_path, params_path = pair_paths(prefix)
    trace(graph, inputs, batch, ctx)
    folder = os.path.dirname(os.path.abspath(json_path))
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as tmp:
        graph.export(os.path.join(tmp, "graph"), epoch=EPOCH)
        tmp_json, tmp_params = pair_paths(os.path.join(tmp, "graph"))
        with open(tmp_json) as f:
            text = rename_inputs(f.read(), [i.name for i in inputs])
        atomic_write(json_path, lambda path: _write_text(path, text))
        atomic_write(params_path, lambda path: shutil.copyfile(tmp_params, path))
    return json_path, params_path


def _write_text(path, text):
    with open(path, "w") as f:
        f.write(text)
