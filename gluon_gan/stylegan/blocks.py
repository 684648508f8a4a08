"""StyleGAN's building blocks as small HybridBlocks (Karras et al. 2019, sec. 2 and appendix C).

Each block does one thing the paper names: pixel norm of z, equalised-learning-rate
Dense/Conv, AdaIN, noise injection with learned per-channel weights, and the
learned constant input. They hybridize; randomness (noise images) comes in as
inputs, so a block's output is a function of its inputs and weights only.
"""
import math

import mxnet as mx
from mxnet.gluon import HybridBlock

LEAKY_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)  # He's gain for a (leaky) ReLU: keeps activations at unit variance
EPS = 1e-8                   # the paper's epsilon in pixel norm and instance norm


class PixelNorm(HybridBlock):
    """``z / sqrt(mean(z^2) + eps)`` over the feature axis: every latent lands on the sphere of radius sqrt(nz)."""

    def hybrid_forward(self, F, x):
        return F.broadcast_mul(x, F.rsqrt(F.mean(F.square(x), axis=1, keepdims=True) + EPS))


class EqualizedDense(HybridBlock):
    """A Dense layer with the paper's equalised learning rate.

    The stored weight is N(0, 1/lr_mul) and is multiplied at run time by
    ``gain * lr_mul / sqrt(fan_in)`` (He's constant), so Adam's scale-free steps
    change every layer at the same relative speed; ``lr_mul`` < 1 slows a
    layer down (the paper's 0.01 for the mapping network). The effective bias
    starts at ``bias_init`` (1 for AdaIN scales, so a style starts as identity).
    """

    def __init__(self, units, in_units, gain=1.0, lr_mul=1.0, bias_init=0.0, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        self._scale = gain * lr_mul / math.sqrt(in_units)
        self._lr_mul = lr_mul
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(units, in_units), init=mx.init.Normal(1.0 / lr_mul))
            self.bias = self.params.get("bias", shape=(units,), init=mx.init.Constant(bias_init / lr_mul))

    def hybrid_forward(self, F, x, weight, bias):
        return F.FullyConnected(x, weight * self._scale, bias * self._lr_mul, num_hidden=self._units, flatten=True)


class EqualizedConv2D(HybridBlock):
    """A stride-1 'same' convolution with the equalised learning rate (weight N(0, 1) times He's constant).

    ``use_bias=False`` where a bias follows anyway (a style layer adds its own after the noise).
    """

    def __init__(self, channels, in_channels, kernel=3, gain=LRELU_GAIN, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self._channels, self._kernel = channels, kernel
        self._scale = gain / math.sqrt(in_channels * kernel * kernel)
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(channels, in_channels, kernel, kernel),
                                          init=mx.init.Normal(1.0))
            self.bias = self.params.get("bias", shape=(channels,), init=mx.init.Zero()) if use_bias else None

    def hybrid_forward(self, F, x, weight, bias=None):
        kw = dict(kernel=(self._kernel,) * 2, pad=(self._kernel // 2,) * 2, num_filter=self._channels)
        if bias is None:
            return F.Convolution(x, weight * self._scale, no_bias=True, **kw)
        return F.Convolution(x, weight * self._scale, bias, **kw)


def expand_maps(F, values, channels, size):
    """(N, C, 1, 1) -> (N, C, H, W), every map filled with its value.

    Written as a grouped transposed convolution with a ones kernel: the same
    numbers as a broadcast, but its backward (the per-map sum) runs through the
    convolution kernels, several times faster on a CPU than MXNet's generic
    broadcast reduction (measured: AdaIN forward+backward 0.11 s instead of 0.39 s
    at 64x32x32x32). ``size`` is (H, W).
    """
    return F.Deconvolution(values, F.ones((channels, 1) + tuple(size)), kernel=tuple(size), stride=tuple(size),
                           num_filter=channels, num_group=channels, no_bias=True)


def upsample2x(F, x, channels):
    """Nearest-neighbour 2x upsampling, as a grouped 2x2 transposed convolution of ones (fast backward)."""
    return expand_maps(F, x, channels, (2, 2))


def map_mean(F, x, channels, size):
    """Per-sample, per-map mean (N, C, 1, 1): the adjoint of :func:`expand_maps`, a grouped convolution with a
    constant kernel 1/(H*W) (MXNet's ``mean`` and global pooling both have slow CPU backwards: 10x here)."""
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
