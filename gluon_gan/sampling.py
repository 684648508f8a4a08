"""Pictures from saved weights: rebuild any family's generator from its run record, then sample.

A run directory's ``config.json`` (the run record) names the model family, its
options and the image shape, so ``Generator.params`` plus that record is all a
user needs. A bare ``.params`` without a record is read as the tutorial's
DCGAN, its widths and size taken off the weight shapes.
"""
import os

import mxnet as mx
import numpy as np

from . import legacy
from .checkpoint import load_parameters, read_parameter_shapes
from .errors import GluonGanError


def generator_shape_from_params(path):
    """``(nz, ngf, nc, size)`` of the DCGAN Generator saved in ``path``, read off its weight shapes.

    The first layer's weight is (nz, ngf*2^k, 4, 4) and the last (ngf, nc, 4, 4);
    each weight after the first (1x1 -> 4x4) doubles the size, so no flags are
    needed to load a generator trained with other widths or sizes.
    """
    shapes = read_parameter_shapes(path)
    weights = legacy.weight_names_in_order(shapes, path)  # either naming: ours or the tutorial's save_params
    first = shapes[weights[0]] if weights else None
    stages = len(weights) - 1
    if not weights or len(first) != 4 or stages < 1 or first[1] % (1 << (stages - 1)):
        raise GluonGanError("%s does not look like a Generator's parameters (its first weight has shape %s)"
                            % (path, first if weights else "none"))
    nz, widest = first[:2]
    nc = shapes[weights[-1]][1]
    return nz, widest >> (stages - 1), nc, 1 << (stages + 2)


class RunGenerator:
    """A trained generator ready to sample: ``images = gen(z)`` for latents ``z`` of shape (N, *latent_shape).

    Wraps the family's sampling network (its EMA copy where the run kept one)
    with the family's input and output conventions, so callers never need to
    know whether G takes one latent or two, or returns one scale or several.
    """

    def __init__(self, family, netG):
        self.family, self.net = family, netG
        self.latent_shape = tuple(family.latent_shape)
        self.image_shape = tuple(family.image_shape)
        self.nz, self.nc = self.latent_shape[0], self.image_shape[0]

    def __call__(self, z, **sample_options):
        from .training import sample
        return sample(self.family, self.net, z, **sample_options)


def latent_shape_of(netG):
    """A :class:`RunGenerator`'s latent shape, or (nz, 1, 1) for a bare DCGAN ``Generator``."""
    return tuple(getattr(netG, "latent_shape", None) or (netG.nz, 1, 1))


def load_generator(path, ctx=None, hybridize=True):
    """A :class:`RunGenerator` for the weights in ``path`` (its run record beside it says what to build)."""
    from . import families
    from .experiment import read_record
    ctx = ctx or mx.cpu()
    record = read_record(os.path.dirname(os.path.abspath(path)))
    info = (record or {}).get("family")
    if info:
        family = families.create_family(info["name"], info["image_shape"],
                                        families.options_from_record(info["name"], info["options"]))
    else:  # no run record, or one from before model families: the tutorial's DCGAN, read off the weights
        nz, ngf, nc, size = generator_shape_from_params(path)
        family = families.create_family("dcgan", (nc, size, size), {"nz": nz, "ngf": ngf, "image_size": size})
    netG = family.build_generator()
    load_parameters(netG, path, ctx=ctx)
    if hybridize:
        family.hybridize(netG)
    extras = family.extra_networks(netG, ctx)
    for name, net in extras.items():
        extra_path = os.path.join(os.path.dirname(os.path.abspath(path)), name)
        if os.path.isfile(extra_path):
            load_parameters(net, extra_path, ctx=ctx)
            if hybridize:
                family.hybridize(net)
            family.extras[name] = net
    return RunGenerator(family, netG)


def latent(num, latent_shape, seed=0):
    """Deterministic standard-normal latents (N, *latent_shape) for a seed; an int ``nz`` means (nz, 1, 1)."""
    shape = (latent_shape, 1, 1) if isinstance(latent_shape, int) else tuple(latent_shape)
    return np.random.RandomState(seed).normal(size=(num,) + shape).astype(np.float32)


def generate(netG, z, ctx=None, batch_size=64, **sample_options):
    """Images (N, C, H, W) in [-1, 1] as numpy, in inference mode, ``batch_size`` at a time.

    ``netG`` is a :class:`RunGenerator` (or any callable from latents to
    images). 64 at a time measured fastest on a 2-core CPU (2.5 s per 1000
    faces vs 3.7 s at 256: cache-sized work).
    """
    ctx = ctx or mx.cpu()
    out = []
    for i in range(0, len(z), batch_size):
        out.append(netG(mx.nd.array(z[i:i + batch_size], ctx=ctx), **sample_options))
    if not out:
        return np.zeros((0,) + tuple(getattr(netG, "image_shape", (netG.nc, 64, 64))), np.float32)
    return np.concatenate([o.asnumpy() for o in out])


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


def interpolation_latents(seeds, steps, latent_shape):
    """Latents (len(seeds)-1 rows x ``steps``, *latent_shape): a slerp row between each consecutive pair of seeds.

    Seed s's endpoint is ``latent(1, latent_shape, s)``, i.e. the first face of a grid drawn with ``--seed s``.
    """
    ends = [latent(1, latent_shape, s)[0] for s in seeds]
    ts = np.linspace(0.0, 1.0, steps)
    rows = [[slerp(a, b, t) for t in ts] for a, b in zip(ends[:-1], ends[1:])]
    return np.array(rows, dtype=np.float32).reshape((-1,) + ends[0].shape)
