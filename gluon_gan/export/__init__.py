"""Take a trained generator anywhere: ONNX files and MXNet's own deployable pair, checked against MXNet.

* :mod:`.symbol` writes ``PREFIX-symbol.json`` + ``PREFIX-0000.params``
  (``HybridBlock.export``) for MXNet's serving and C++ predict API;
* :mod:`.onnx` converts that pair with MXNet's own exporter
  (``mx.onnx.export_model``, which needs the optional ``onnx`` package) into
  one ONNX file with the inputs, output, value range and family in its metadata.

Both start from the family's :meth:`~gluon_gan.training.family.ModelFamily.export_generator`,
so this package never names a family. ``docs/export.md`` has the commands.
"""
from .onnx import ONNX_INSTALL, export_onnx, read_metadata
from .run import export_run
from .symbol import export_symbol

__all__ = ["ONNX_INSTALL", "export_onnx", "export_run", "export_symbol", "read_metadata"]
