"""ONNX from MXNet's deployable pair, through MXNet's own exporter (``mx.onnx.export_model``).

The exporter needs the ``onnx`` package (an optional extra: ``pip install -e
".[onnx]"``). Around it this module adds what a file for other runtimes
needs: a one-line error naming any operator that cannot be exported (and
why), a converter for the one operator our generators use that MXNet 1.9.1's
exporter lacks (``rsqrt``), the inputs and output named as the family lists
them, and the model's contract (inputs, output, value range, family) in the
file's ``metadata_props``, readable with :func:`read_metadata`.
"""
import contextlib
import io
import json
import logging
import os

import mxnet as mx
import numpy as np

from ..files.atomic import atomic_write
from ..errors import GluonGanError

ONNX_INSTALL = 'pip install -e ".[onnx]"  (or: pip install onnx==1.14.1)'
OUTPUT_NAME = "image"
METADATA_PREFIX = "gluon_gan."
# Random operators convert, but a file that draws its own noise cannot be fed MXNet's: families make them inputs.
RANDOM_OPERATORS = ("_random_", "_sample_", "random_")


def require_onnx():
    """The ``onnx`` module, or a one-line error with the command that installs it."""
    try:
        import onnx
    except ImportError:
        raise GluonGanError("ONNX export needs the onnx package: %s" % ONNX_INSTALL) from None
    return onnx


def _convert_rsqrt(node, **kwargs):
    """``rsqrt(x)`` as ONNX ``Reciprocal(Sqrt(x))`` (AdaIN's 1/std; MXNet 1.9.1's exporter has no rsqrt)."""
    from mxnet.onnx.mx2onnx._op_translations._op_translations_opset12 import get_inputs
    from onnx.helper import make_node
    name, input_nodes, _ = get_inputs(node, kwargs)
    return [make_node("Sqrt", input_nodes, [name + "_sqrt"], name=name + "_sqrt"),
            make_node("Reciprocal", [name + "_sqrt"], [name], name=name)]


EXTRA_CONVERTERS = {"rsqrt": _convert_rsqrt}


def _register_extra_converters():
    from mxnet.onnx.mx2onnx._export_onnx import MXNetGraph
    for op, func in EXTRA_CONVERTERS.items():
        MXNetGraph.register(op, opset_version=12)(func)  # 12: the exporter falls back to it from any newer opset


def check_operators(symbol_json):
    """A one-line error naming the first operator of the graph that cannot be exported, and why."""
    supported = set(mx.onnx.get_operator_support()) | set(EXTRA_CONVERTERS)
    for node in json.loads(symbol_json)["nodes"]:
        op = node["op"]
        if op == "null":
            continue
        if op.startswith(RANDOM_OPERATORS):
            raise GluonGanError("cannot export operator %s (node %s): a random operator would make the file draw "
                                "its own numbers; the family must take them as an input (export_generator)"
                                % (op, node["name"]))
        if op not in supported:
            raise GluonGanError("cannot export operator %s (node %s) to ONNX: MXNet %s's exporter has no converter "
                                "for it" % (op, node["name"], mx.__version__))


def export_onnx(symbol_file, params_file, inputs, path, batch=None, metadata=None):
    """Convert the pair to ONNX at ``path``: inputs named as ``inputs``, one output ``image``; returns ``path``.

    ``batch`` fixes the batch size; ``None`` leaves it dynamic. ``metadata``
    (JSON-able values) goes into ``metadata_props`` under ``gluon_gan.``.
    """
    onnx = require_onnx()
    with open(symbol_file) as f:
        check_operators(f.read())
    _register_extra_converters()
    sym = mx.sym.load(symbol_file)
    params = {key.split(":", 1)[1]: value for key, value in mx.nd.load(params_file).items()}
    by_name = {i.name: i for i in inputs}
    data_names = [name for name in sym.list_inputs() if name not in params]  # the exporter's order, not ours
    if sorted(data_names) != sorted(by_name):
        raise GluonGanError("%s takes inputs %s, not %s" % (symbol_file, data_names, sorted(by_name)))
    shapes = [(batch or 1,) + tuple(by_name[name].shape) for name in data_names]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".mxnet.tmp"
    try:
        # MXNet 1.9.1's exporter prints every reversed scalar op and logs its steps (with our temporary file name)
        with contextlib.redirect_stdout(io.StringIO()), _quiet_logging():
            mx.onnx.export_model(sym, params, in_shapes=shapes, in_types=[np.float32] * len(shapes),
                                 onnx_file_path=tmp, dynamic=batch is None,
                                 dynamic_input_shapes=[(None,) + s[1:] for s in shapes] if batch is None else None)
        model = onnx.load(tmp)
    except (AttributeError, NotImplementedError, ValueError, TypeError, mx.base.MXNetError) as err:
        raise GluonGanError("MXNet's ONNX exporter failed: %s" % str(err).strip().splitlines()[0]) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    _tidy(model, [i.name for i in inputs])
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = METADATA_PREFIX + key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(model)
    atomic_write(path, lambda tmp_path: onnx.save(model, tmp_path))
    return path


@contextlib.contextmanager
def _quiet_logging():
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _tidy(model, input_names):
    """Only the data inputs as graph inputs (in the family's order), the output named ``image``, a dynamic batch
    axis named ``batch``, no empty optional inputs.

    MXNet's exporter lists every weight as a graph input too (old ONNX
    style: a runtime would let callers override them) and writes Resize's
    unused ``roi`` as an empty tensor, which ``onnx.reference`` 1.14 cannot
    read; an absent optional input means the same.
    """
    graph = model.graph
    by_name = {i.name: i for i in graph.input}
    keep = [_copy(by_name[name]) for name in input_names]
    del graph.input[:]
    graph.input.extend(keep)
    empty = {t.name for t in graph.initializer if len(t.dims) == 1 and t.dims[0] == 0}
    for node in graph.node:
        if node.op_type == "Resize" and len(node.input) > 1 and node.input[1] in empty:
            node.input[1] = ""
    used = {name for node in graph.node for name in node.input}
    kept = [_copy(t) for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if len(graph.output) != 1:
        raise GluonGanError("an exported generator has one output, this graph has %d" % len(graph.output))
    old = graph.output[0].name
    for node in graph.node:
        node.output[:] = [OUTPUT_NAME if name == old else name for name in node.output]
        node.input[:] = [OUTPUT_NAME if name == old else name for name in node.input]
    graph.output[0].name = OUTPUT_NAME
    for value in list(graph.input) + list(graph.output):
        batch = value.type.tensor_type.shape.dim[0]
        if not batch.dim_value:
            batch.dim_param = "batch"


def _copy(message):
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def read_metadata(model):
    """``{key: value}`` of the ``gluon_gan.`` metadata of an ONNX model (JSON values decoded)."""
    out = {}
    for entry in model.metadata_props:
        if entry.key.startswith(METADATA_PREFIX):
            try:
                out[entry.key[len(METADATA_PREFIX):]] = json.loads(entry.value)
            except ValueError:
                out[entry.key[len(METADATA_PREFIX):]] = entry.value
    return out
