"""Process-level setup that must happen before MXNet is imported, and device parsing.

MXNet sizes its OpenMP pool when ``libmxnet`` loads; on small CPU machines its
default leaves cores idle (measured: the same loop ran ~1.7x faster with
``OMP_NUM_THREADS`` equal to the core count). ``gluon_gan`` therefore calls
:func:`configure_threads` from its ``__init__``, before anything imports mxnet.
A value the user already exported always wins.
"""
import logging
import os
import sys

from .errors import GluonGanError

log = logging.getLogger(__name__)


def usable_cores():
    """Cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


AUTO_THREADS_VAR = "GLUON_GAN_AUTO_THREADS"  # marks an OMP_NUM_THREADS that configure_threads chose


def threads_chosen_by_user():
    """Whether ``OMP_NUM_THREADS`` is the user's, not one :func:`configure_threads` set here or in a parent.

    The cluster launcher splits the cores between local workers only when the user did not choose.
    """
    value = os.environ.get("OMP_NUM_THREADS")
    return value is not None and value != os.environ.get(AUTO_THREADS_VAR)


def configure_threads():
    """Set ``OMP_NUM_THREADS`` to the usable core count unless the user chose one."""
    if "OMP_NUM_THREADS" in os.environ:
        return int(os.environ["OMP_NUM_THREADS"])
    if "mxnet" in sys.modules:
        log.warning("mxnet was imported before gluon_gan; its thread count is already fixed. "
                    "Import gluon_gan first or export OMP_NUM_THREADS.")
    n = usable_cores()
    os.environ["OMP_NUM_THREADS"] = os.environ[AUTO_THREADS_VAR] = str(n)
    return n


def parse_contexts(spec):
    """Turn ``--ctx`` text into a list of ``mx.Context``.

    ``None``/``"auto"`` means the first GPU when MXNet sees one, else the CPU.
    Accepts ``cpu``, ``gpu``, ``gpu:0``, ``gpu:0,1,2`` and ``cpu:0,cpu:1``.
    """
    import mxnet as mx

    if spec in (None, "", "auto"):
        return [mx.gpu(0)] if mx.context.num_gpus() > 0 else [mx.cpu()]
    contexts = []
    kind = None
    for part in spec.split(","):
        part = part.strip().lower()
        if ":" in part:
            kind, _, index = part.partition(":")
        elif part in ("cpu", "gpu"):
            kind, index = part, "0"
        else:
            index = part  # "gpu:0,1" continues the previous kind
        if kind not in ("cpu", "gpu") or not index.isdigit():
            raise GluonGanError("bad --ctx %r: use cpu, gpu, gpu:0 or gpu:0,1,2" % spec)
        contexts.append(mx.Context(kind, int(index)))
    gpus = [c for c in contexts if c.device_type == "gpu"]
    if gpus:
        available = mx.context.num_gpus()
        missing = [str(c) for c in gpus if c.device_id >= available]
        if missing:
            raise GluonGanError("--ctx %s asks for %s but MXNet sees %d GPU(s); install an "
                                "mxnet-cuXXX build or use --ctx cpu" % (spec, ", ".join(missing), available))
    if len(set(contexts)) != len(contexts):
        raise GluonGanError("--ctx %s names a device twice" % spec)
    return contexts


SUPPORTED_MXNET = "1.9"


def check_mxnet_version(mx):
    """One-line error unless ``mx`` is a 1.9.x build: the API (and the workarounds here) are 1.9's.

    The ``cpu`` extra pins mxnet==1.9.1, but GPU users install ``mxnet-cuXXX``
    themselves, with whatever version pip picks.
    """
    version = getattr(mx, "__version__", "unknown")
    if not str(version).startswith(SUPPORTED_MXNET + "."):
            raise GluonGanError("gluon-gan needs MXNet %s.x, but the installed mxnet is %s (%s); install mxnet==1.9.1 "
                            "or an mxnet-cuXXX 1.9 build" % (SUPPORTED_MXNET, version,
                                                              getattr(mx, "__file__", "?")))
