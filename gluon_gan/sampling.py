"""Faces from saved ``Generator.params``: rebuild the network from the file's shapes, then sample."""
import mxnet as mx
import numpy as np

from . import legacy
from .checkpoint import load_parameters, read_parameter_shapes
from .errors import GluonGanError
from .models import Generator


def generator_shape_from_params(path):
    """``(nz, ngf, nc)`` of the Generator saved in ``path``, read off its weight shapes.

    The first layer's weight is (nz, ngf*8, 4, 4) and the last (ngf, nc, 4, 4),
    so no flags are needed to load a generator trained with other widths.
    """
    shapes = read_parameter_shapes(path)
    weights = legacy.weight_names_in_order(shapes, path)  # either naming: ours or the tutorial's save_params
    if not weights or len(shapes[weights[0]]) != 4 or shapes[weights[0]][1] % 8:
        raise GluonGanError("%s does not look like a Generator's parameters (its first weight has shape %s)"
                            % (path, shapes[weights[0]] if weights else "none"))
    nz, ngf8 = shapes[weights[0]][:2]
    nc = shapes[weights[-1]][1]
    return nz, ngf8 // 8, nc


def load_generator(path, ctx=None, hybridize=True):
    """A ready-to-sample Generator with the weights in ``path``."""
    ctx = ctx or mx.cpu()
    nz, ngf, nc = generator_shape_from_params(path)
    netG = Generator(nz=nz, ngf=ngf, nc=nc)
    load_parameters(netG, path, ctx=ctx)
    if hybridize:
        netG.hybridize(static_alloc=True, static_shape=True)
    return netG


def latent(num, nz, seed=0):
    """Deterministic standard-normal latent vectors (N, nz, 1, 1) for a seed."""
    return np.random.RandomState(seed).normal(size=(num, nz, 1, 1)).astype(np.float32)


def generate(netG, z, ctx=None, batch_size=64):
    """Images (N, nc, 64, 64) in [-1, 1] as numpy, in inference mode, ``batch_size`` at a time.

    64 at a time measured fastest on a 2-core CPU (2.5 s per 1000 faces vs 3.7 s at 256: cache-sized work).
    """
    ctx = ctx or mx.cpu()
    out = []
    for i in range(0, len(z), batch_size):
        out.append(netG(mx.nd.array(z[i:i + batch_size], ctx=ctx)))
    return np.concatenate([o.asnumpy() for o in out]) if out else np.zeros((0, netG.nc, 64, 64), np.float32)


def slerp(a, b, t):
    """Spherical interpolation from ``a`` (t=0) to ``b`` (t=1) along the great circle between their directions.

    Gaussian latents concentrate near a sphere of radius sqrt(nz); a straight
    line between two of them passes through the low-norm interior G never saw
    in training, while slerp keeps the norm (exactly, for equal-norm endpoints).
    Nearly parallel vectors fall back to linear interpolation (slerp's limit).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cos = np.dot(a.ravel(), b.ravel()) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-300)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolation_latents(seeds, steps, nz):
    """Latents (len(seeds)-1 rows x ``steps``, nz, 1, 1): a slerp row between each consecutive pair of seeds.

    Seed s's endpoint is ``latent(1, nz, s)``, i.e. the first face of a grid drawn with ``--seed s``.
    """
    ends = [latent(1, nz, s)[0] for s in seeds]
    ts = np.linspace(0.0, 1.0, steps)
    rows = [[slerp(a, b, t) for t in ts] for a, b in zip(ends[:-1], ends[1:])]
    return np.array(rows, dtype=np.float32).reshape(-1, nz, 1, 1)
