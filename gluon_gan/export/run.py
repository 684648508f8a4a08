"""Export a trained run's generator: the weights file and its run record in, ONNX and/or the symbol pair out."""
import os
import tempfile

import mxnet as mx

from .. import __version__
from ..errors import GluonGanError
from ..experiment.load import load_generator
from ..files import rundir
from .onnx import OUTPUT_NAME, export_onnx, require_onnx
from .symbol import export_symbol

VALUE_RANGE = (-1.0, 1.0)


def generator_file(run_or_params):
    """The weights file of a run directory (its family's ``Generator.params``) or the ``.params`` file given."""
    path = run_or_params
    if os.path.isdir(path):
        path = os.path.join(path, rundir.G_PARAMS)
    if not os.path.isfile(path):
        raise GluonGanError("no generator weights at %s (give a run directory or its Generator.params)" % path)
    return path


def describe(family, inputs, batch, weights):
    """What the ONNX file's metadata says: the family, its inputs, its output and where the weights came from."""
    c, h, w = family.image_shape
    return {
        "family": family.name,
        "model": family.record(),
        "inputs": [i.record(batch) for i in inputs],
        "outputs": [{"name": OUTPUT_NAME, "shape": [batch, c, h, w], "range": list(VALUE_RANGE),
                     "description": "pictures (N, C, H, W) in [-1, 1]; (x + 1) * 127.5 rounded gives 0..255"}],
        "value_range": list(VALUE_RANGE),
        "weights": weights,
        "versions": {"gluon_gan": __version__, "mxnet": mx.__version__},
    }


def sampled_weights_file(family, net, params_path):
    """The file the sampled network's weights came from: an extra (e.g. the EMA copy) or G's own."""
    sampled = family.sampling_generator(net)
    return next((name for name, extra in family.extras.items() if extra is sampled), os.path.basename(params_path))


def export_run(run_or_params, onnx_path=None, symbol_prefix=None, batch=None, ctx=None):
    """Write the run's generator as ONNX (``onnx_path``) and/or MXNet's pair (``symbol_prefix``); returns the paths.

    ``batch``: a fixed batch size, or ``None`` for any (the symbol pair takes any batch either way).
    """
    if not onnx_path and not symbol_prefix:
        raise GluonGanError("nothing to write: give an ONNX file and/or a symbol prefix")
    if batch is not None and batch < 1:
        raise GluonGanError("the batch size must be at least 1, not %d" % batch)
    if onnx_path:
        require_onnx()  # before loading the weights, not after
    params_path = generator_file(run_or_params)
    run_generator = load_generator(params_path, ctx=ctx, hybridize=False)
    family = run_generator.family
    graph, inputs = family.export_generator(run_generator.net)
    written = []
    with tempfile.TemporaryDirectory(prefix="gluon-gan-export-") as tmp:
        prefix = symbol_prefix or os.path.join(tmp, "generator")
        json_path, weights_path = export_symbol(graph, inputs, prefix, batch=batch or 1, ctx=ctx)
        if symbol_prefix:
            written += [json_path, weights_path]
        if onnx_path:
            metadata = describe(family, inputs, batch, sampled_weights_file(family, run_generator.net, params_path))
            written.append(export_onnx(json_path, weights_path, inputs, onnx_path, batch, metadata))
    return written
