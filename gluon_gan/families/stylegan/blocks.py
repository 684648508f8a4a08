"""StyleGAN's own building blocks as small HybridBlocks (Karras et al. 2019, sec. 2 and appendix C).

Each block does one thing the paper names: AdaIN, noise injection with learned
per-channel weights, and the learned constant input. Pixel norm and the
equalised-learning-rate Dense/Conv (with the mapping network's learning-rate
multiplier) are the ones progressive growing uses, :mod:`gluon_gan.nn.layers`.
The blocks hybridize; randomness (noise images) comes in as inputs, so a
block's output is a function of its inputs and weights only.
"""
import mxnet as mx
from mxnet.gluon import HybridBlock

from ...nn.layers import expand_maps

EPS = 1e-8  # the paper's epsilon in instance norm


def map_mean(F, x, channels, size):
    """Per-sample, per-map mean (N, C, 1, 1): the adjoint of :func:`~gluon_gan.nn.layers.expand_maps`, a grouped
    convolution with a constant kernel 1/(H*W) (MXNet's ``mean`` and global pooling both have slow CPU backwards:
    10x here)."""
    kernel = F.ones((channels, 1) + tuple(size)) / float(size[0] * size[1])
    return F.Convolution(x, kernel, kernel=tuple(size), num_filter=channels, num_group=channels, no_bias=True)


class AdaIN(HybridBlock):
    """Adaptive instance normalisation: ``scale * (x - mean) / std + bias``, per sample and feature map.

    ``x`` is (N, C, H, W) with ``size`` = (H, W); ``scale`` and ``bias`` are
    (N, C), one style per sample. Mean and (population) variance are over each
    map's H*W pixels, so every output map has exactly the style's mean ``bias``
    and standard deviation ``|scale|`` (up to the epsilon): the feature
    statistics are the style. Computed as ``x * a + k`` with
    ``a = scale / std`` and ``k = bias - mean * a``, and ``var = E[x^2] - mean^2``,
    so the only full-size work is two means, one square and one multiply-add.
    """

    def __init__(self, channels, size, **kwargs):
        super().__init__(**kwargs)
        self._channels = channels
        self._size = (size, size) if isinstance(size, int) else tuple(size)

    def hybrid_forward(self, F, x, scale, bias):
        mean = map_mean(F, x, self._channels, self._size)
        # relu: rounding must not make a (near-)constant map's variance negative
        var = F.relu(map_mean(F, F.square(x), self._channels, self._size) - F.square(mean))
        a = F.reshape(scale, (0, 0, 1, 1)) * F.rsqrt(var + EPS)
        k = F.reshape(bias, (0, 0, 1, 1)) - mean * a
        return x * expand_maps(F, a, self._channels, self._size) + expand_maps(F, k, self._channels, self._size)


class NoiseInjection(HybridBlock):
    """``x + weight[c] * noise + bias[c]``: one single-channel Gaussian image per sample, scaled per feature map.

    The weights start at zero (the paper's init), so noise only matters once
    training finds a use for it; ``noise`` is (N, 1, H, W). The scaling is a
    1x1 convolution of the noise image (weight and the layer's ``bias`` folded
    in), whose backward is far cheaper on a CPU than a broadcast's.
    """

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self._channels = channels
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(channels,), init=mx.init.Zero())

    def hybrid_forward(self, F, x, noise, bias, weight):
        return x + F.Convolution(noise, F.reshape(weight, (-1, 1, 1, 1)), bias, kernel=(1, 1),
                                 num_filter=self._channels)


class ConstantInput(HybridBlock):
    """The learned 4x4 input (ones at init), repeated for every sample of ``like``'s batch."""

    def __init__(self, channels, size=4, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.const = self.params.get("const", shape=(1, channels, size, size), init=mx.init.One())

    def hybrid_forward(self, F, like, const):
        return F.broadcast_like(const, like, lhs_axes=(0,), rhs_axes=(0,))
