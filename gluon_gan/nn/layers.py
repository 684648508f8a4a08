"""Building blocks of progressive growing (Karras et al. 2018), StyleGAN (2019) and MSG-GAN (Karnewar & Wang 2020).

* :class:`EqConv2D` / :class:`EqDense`: the *equalised learning rate*. Weights
  are drawn from N(0, 1) and multiplied at run time by He's constant
  ``gain / sqrt(fan_in)`` (``sqrt(2 / fan_in)`` by default). The forward is
  that of a He-initialised layer, but Adam's step size (about the learning
  rate, whatever a weight's scale) now moves every layer at the same relative
  speed -- the paper's reason for it. ``lr_mul`` slows a layer down further
  (StyleGAN's mapping network: 0.01).
* :class:`PixelNorm`: each pixel's feature vector divided by its RMS (G only).
* :class:`MinibatchStdDev`: one extra feature map holding the average standard
  deviation over a group of samples, so D can see a lack of variety.
* :class:`Upsample` (nearest, 2x) and :class:`Downsample` (2x2 average pool).

Every critic-side block also has ``taped_forward(F, x, param)`` returning
``(output, backward)``, the protocol :mod:`gluon_gan.nn.penalty` uses to build
the exact input gradient of a critic as a forward graph; ``hybrid_forward``
runs the same code, so the penalty differentiates exactly what D computes.
"""
import contextlib
import math
import warnings

import mxnet as mx
import numpy as np
from mxnet.gluon import HybridBlock, nn

PIXEL_NORM_EPS = 1e-8
STDDEV_EPS = 1e-8
LEAKY_SLOPE = 0.2


class _Equalized:
    """Mixin (first in the bases, before the Gluon layer): N(0, 1) weights times ``gain / sqrt(fan_in)`` at run time.

    With a learning-rate multiplier ``lr_mul`` the stored weight is
    N(0, 1/lr_mul) and runs times ``gain * lr_mul / sqrt(fan_in)``, the stored
    bias runs times ``lr_mul``: the same forward, but Adam's scale-free steps
    move the layer ``lr_mul`` times as fast. ``bias_init`` is the effective
    bias at the start (StyleGAN's style scales start at 1).
    """

    def __init__(self, *args, gain=math.sqrt(2.0), lr_mul=1.0, bias_init=0.0, **kwargs):
        kwargs.setdefault("weight_initializer", mx.init.Normal(1.0 / lr_mul))
        kwargs.setdefault("bias_initializer", mx.init.Constant(bias_init / lr_mul) if bias_init else "zeros")
        super().__init__(*args, **kwargs)
        fan_in = int(np.prod(self.weight.shape[1:]))
        if fan_in == 0:
            raise ValueError("an equalised layer needs its input size (in_channels / in_units) to know its fan-in")
        self.fan_in = fan_in
        self.lr_mul = float(lr_mul)
        self.runtime_scale = float(gain) * self.lr_mul / math.sqrt(fan_in)

    def runtime_weight(self, F, weight):
        """The weight the layer computes with (``gluon_gan.nn.penalty`` uses it too)."""
        return weight * self.runtime_scale

    def runtime_bias(self, F, bias):
        """The bias the layer computes with (``gluon_gan.nn.penalty`` uses it too)."""
        return bias if bias is None or self.lr_mul == 1 else bias * self.lr_mul

    def hybrid_forward(self, F, x, weight, bias=None):
        return super().hybrid_forward(F, x, self.runtime_weight(F, weight), self.runtime_bias(F, bias))


class EqConv2D(_Equalized, nn.Conv2D):
    """``nn.Conv2D`` with an equalised learning rate (same arguments, plus ``gain``, ``lr_mul``, ``bias_init``;
    ``in_channels`` required)."""


class EqDense(_Equalized, nn.Dense):
    """``nn.Dense`` with an equalised learning rate (same arguments, plus ``gain``, ``lr_mul``, ``bias_init``;
    ``in_units`` required)."""


def pixel_norm(F, x, channels):
    """``x / sqrt(mean_c(x^2) + 1e-8)`` per sample and pixel, for ``x`` with ``channels`` features on axis 1.

    Written as MXNet's channel-wise L2 normalisation, ``x / sqrt(sum_c(x^2) + C*1e-8)``,
    times ``sqrt(C)``: the same function, with a fused backward about 4x faster
    on a CPU than the mean/broadcast form.
    """
    return F.L2Normalization(x, mode="channel", eps=channels * PIXEL_NORM_EPS) * math.sqrt(channels)


class PixelNorm(HybridBlock):
    """Pixelwise feature normalisation: keeps G's signal magnitudes from escalating (paper, section 4.2)."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def hybrid_forward(self, F, x):
        return pixel_norm(F, x, self.channels)


def expand_maps(F, x, channels, size):
    """Nearest-neighbour upsampling of ``x`` (N, ``channels``, h, w) by ``size`` = (fh, fw): each pixel a block.

    Written as a grouped transposed convolution with a ones kernel: the same
    numbers as ``UpSampling`` or a broadcast, but its backward (the per-block
    sum) runs through the convolution kernels: forward+backward about 2x faster
    on a CPU than ``UpSampling`` for 2x blocks, and StyleGAN's AdaIN, which
    spreads (N, C, 1, 1) styles over whole maps with it, took 0.11 s instead of
    a broadcast's 0.39 s at 64x32x32x32.
    """
    size = tuple(size)
    return F.Deconvolution(x, F.ones((channels, 1) + size), kernel=size, stride=size, num_filter=channels,
                           num_group=channels, no_bias=True)


def upsample(F, x, factor=2, channels=None):
    """Nearest-neighbour upsampling by an integer ``factor`` (each pixel repeated ``factor`` x ``factor`` times).

    Given the number of ``channels`` it runs as :func:`expand_maps` (the faster
    backward); without, as ``UpSampling`` (which runs forward and backward
    about 5x faster on a CPU than two ``repeat``s).
    """
    if factor == 1:
        return x
    if channels is not None:
        return expand_maps(F, x, channels, (factor, factor))
    return F.UpSampling(x, scale=int(factor), sample_type="nearest", num_args=1)


def downsample(F, x, factor=2):
    """Average of each ``factor`` x ``factor`` block (sizes must be divisible by ``factor``)."""
    if factor == 1:
        return x
    return F.Pooling(x, kernel=(factor, factor), stride=(factor, factor), pool_type="avg")


class Upsample(HybridBlock):
    """2x nearest-neighbour upsampling, as the paper's generator grows."""

    def hybrid_forward(self, F, x):
        return upsample(F, x)


class Downsample(HybridBlock):
    """2x2 average pooling; its input gradient is the upstream gradient spread evenly (a quarter each)."""

    def taped_forward(self, F, x, param):
        return downsample(F, x), lambda g: upsample(F, g) * 0.25

    def hybrid_forward(self, F, x):
        return downsample(F, x)


def blend(F, alpha, new, old):
    """``alpha * new + (1 - alpha) * old`` with ``alpha`` of shape (1,): exactly ``old`` at 0 and ``new`` at 1.

    (The form ``old + alpha * (new - old)`` is not exact at 1 in floating point.)
    """
    a = F.reshape(alpha, (1, 1, 1, 1))
    return F.broadcast_mul(a, new) + F.broadcast_mul(1 - a, old)


class MinibatchStdDev(HybridBlock):
    """Append one feature map: the standard deviation over a group of samples, averaged over features and pixels.

    ``group_size=0`` uses the whole minibatch as one group (the paper's text);
    ``group_size=G`` splits the batch into groups of G as the authors' code
    does, sample ``n`` in group ``n % (N / G)`` (N must be divisible by G).
    The statistic couples the samples of a group, so the input gradient of
    ``sum(D(x))`` has cross-sample terms; :meth:`taped_forward` writes them out.
    """

    def __init__(self, group_size=0, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)

    def _grouped(self, F, x):
        """(N, C, H, W) -> (G, M, C, H, W)."""
        if self.group_size > 0:
            return F.reshape(x, (-4, self.group_size, -1, -2))
        return F.reshape(x, (-4, -1, 1, -2))

    def taped_forward(self, F, x, param=None):
        y = self._grouped(F, x)
        dev = F.broadcast_sub(y, F.mean(y, axis=0, keepdims=True))
        sd = F.sqrt(F.mean(F.square(dev), axis=0, keepdims=True) + STDDEV_EPS)      # (1, M, C, H, W)
        stat = F.mean(sd, axis=(2, 3, 4), keepdims=True)                              # (1, M, 1, 1, 1)
        feature = F.broadcast_like(stat, F.slice_axis(y, axis=2, begin=0, end=1))     # (G, M, 1, H, W)
        out = F.concat(x, F.reshape(feature, (-3, -2)), dim=1)

        def backward(g):
            # d stat / d y_g = (y_g - mean) / (G * C*H*W * sd); the mean's own terms cancel (they sum to zero)
            g_stat = F.sum(self._grouped(F, F.slice_axis(g, axis=1, begin=-1, end=None)), axis=(0, 2, 3, 4),
                           keepdims=True)                                             # (1, M, 1, 1, 1)
            per_feature = F.sum(F.ones_like(sd), axis=(2, 3, 4), keepdims=True)       # C*H*W
            group = F.sum(F.ones_like(dev), axis=0, keepdims=True)                    # G
            through_stat = F.broadcast_mul(F.broadcast_div(g_stat, per_feature), F.broadcast_div(dev, sd * group))
            return F.slice_like(g, x, axes=(1,)) + F.reshape(through_stat, (-3, -2))
        return out, backward

    def hybrid_forward(self, F, x):
        return self.taped_forward(F, x)[0]


def leaky():
    return nn.LeakyReLU(LEAKY_SLOPE)


def parameter_value(F, x):
    """The ``param`` function of the taped protocol: a Parameter's symbol, or its data on ``x``'s device."""
    if F is mx.sym:
        return lambda p: p.var()
    return lambda p: p.data(x.context)


@contextlib.contextmanager
def quiet_unused_parameters():
    """Silence Gluon's "Parameter ... is not used" warning while a staged network builds its graph.

    A growing network keeps every stage's weights (to save them and to grow
    into them) but uses only the current stages, so that warning is expected.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Parameter .* is not used by any computation")
        yield


def set_trainable(block, trainable):
    """Switch every parameter of ``block`` between training (``write``) and frozen (``null``).

    ``gluon.Trainer`` skips ``null`` parameters, so a stage not in use is left
    alone instead of failing the Trainer's stale-gradient check.
    """
    for param in block.collect_params().values():
        if param._differentiable:
            param.grad_req = "write" if trainable else "null"
