"""gluon-gan: the Gluon DCGAN tutorial (LFW faces), ported faithfully and grown into a small GAN library."""
from .errors import GluonGanError as _Err
from .runtime import configure_threads as _configure_threads

_configure_threads()  # before anything below imports mxnet

try:
    import mxnet as _mx  # noqa: F401
except ImportError as _err:  # pragma: no cover - depends on the install
    raise _Err("MXNet is not installed: pip install 'gluon-gan[cpu]' for the CPU build, "
               "or install your mxnet-cuXXX build for GPUs (%s)" % _err) from None

from .runtime import check_mxnet_version as _check_mxnet_version

_check_mxnet_version(_mx)  # GPU builds (mxnet-cuXXX) are installed without our version bound

__version__ = "0.1.0"
