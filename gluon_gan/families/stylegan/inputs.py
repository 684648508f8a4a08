"""The generator's non-latent inputs: style-mixing masks, truncation, noise images.

They are drawn outside the network (see :mod:`.generator`) on the latent's
device, with MXNet's RNG during training (reseeded per epoch by the loop, so a
resume is exact) and, for pictures, from the latent itself so the same z always
gives the same picture.
"""
import zlib

import mxnet as mx
import numpy as np


def mixing_mask(n, num_layers, probability, ctx):
    """(n, L) style-mixing mask: for a ``probability`` share of samples, layers >= a crossover k take z2's w.

    Each sample draws its own k uniformly from 1 .. L-1 (the paper's
    ``randint(1, L)``), so both sources always reach at least one layer.
    """
    crossover = mx.nd.floor(mx.nd.random.uniform(shape=(n, 1), ctx=ctx) * (num_layers - 1)) + 1
    mixed = mx.nd.random.uniform(shape=(n, 1), ctx=ctx) < probability
    return crossover_mask(crossover, num_layers) * mixed


def crossover_mask(crossover, num_layers):
    """(n, L) mask, 1 where layer index >= the sample's ``crossover`` (an (n, 1) NDArray)."""
    layers = mx.nd.arange(num_layers, ctx=crossover.context).reshape((1, -1))
    return mx.nd.broadcast_greater_equal(layers, crossover)


def truncation_psi(n, num_layers, psi=1.0, layers=0, ctx=None):
    """(n, L) truncation: ``psi`` for the first ``layers`` layers (0: all of them), 1 after them."""
    cutoff = num_layers if not layers else min(int(layers), num_layers)
    row = np.ones(num_layers, np.float32)
    row[:cutoff] = psi
    return mx.nd.array(np.tile(row, (n, 1)), ctx=ctx)


def random_noise(shapes, ctx):
    """Fresh standard-normal noise images, one per shape, from MXNet's RNG."""
    return [mx.nd.random.normal(shape=shape, ctx=ctx) for shape in shapes]


def noise_for_latents(z, resolutions):
    """Noise images seeded by each latent's bytes: the same z gets the same noise in any batch, on any device."""
    z_host = z.asnumpy().reshape((z.shape[0], -1))
    per_sample = []
    for row in z_host:
        rs = np.random.RandomState(zlib.crc32(np.ascontiguousarray(row, np.float32).tobytes()))
        per_sample.append([rs.normal(size=(1, 1, r, r)).astype(np.float32) for r in resolutions])
    return [mx.nd.array(np.concatenate([s[l] for s in per_sample]), ctx=z.context) for l in range(len(resolutions))]
