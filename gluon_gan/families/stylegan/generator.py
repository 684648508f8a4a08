"""The style-based generator: mapping network z -> w, then a synthesis network driven by one style per layer.

Inputs of :class:`StyleGenerator` (all NDArrays on one device, batch N):

* ``z``, ``z2``  -- two latents (N, nz, 1, 1); ``z2`` only matters where ``mix`` says so;
* ``mix``        -- (N, L), 1 where layer l takes its style from ``z2``'s w, 0 where from ``z``'s
  (style mixing with crossover k is ``mix[:, l] = l >= k``);
* ``psi``        -- (N, L), the truncation per layer: ``w_l = psi * w_l + (1 - psi) * w_avg``
  (all ones: no truncation; psi = 0: the average w);
* ``noise_0 .. noise_{L-1}`` -- one (N, 1, r_l, r_l) Gaussian image per layer (absent when built with
  ``noise=False``).

Keeping every random draw outside the network makes G a plain function of its
inputs: the hybridized graph is built once (the same inputs every call) and
tests can hold the noise or the second latent fixed. Both blends are written
``a * x + (1 - a) * y`` so that a = 0 and a = 1 give ``y`` and ``x`` exactly.
"""
import math

import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from ...nn.layers import LEAKY_SLOPE, EqConv2D, EqDense, PixelNorm, upsample
from .blocks import AdaIN, ConstantInput, NoiseInjection


def check_resolution(resolution):
    """A power of two of at least 8 (the 4x4 start plus at least one upsampling), or a one-line ValueError."""
    resolution = int(resolution)
    if resolution < 8 or resolution & (resolution - 1):
        raise ValueError("the StyleGAN generator needs a power-of-two resolution of at least 8, not %r" % resolution)
    return resolution


def layer_resolutions(resolution):
    """The resolution each style layer works at: two layers per level, 4, 4, 8, 8, ..., resolution, resolution."""
    return [4 * 2 ** i for i in range(int(math.log2(check_resolution(resolution))) - 1) for _ in range(2)]


def feature_widths(resolution, fmap_base, fmap_max):
    """Feature maps per resolution, the paper's ``min(fmap_max, fmap_base / res)``: 4, 8, ..., resolution."""
    levels = [4 * 2 ** i for i in range(int(math.log2(resolution)) - 1)]
    return {res: max(1, min(fmap_max, fmap_base // res)) for res in levels}


class MappingNetwork(nn.HybridSequential):
    """z -> pixel norm -> ``layers`` x (equalised Dense + LeakyReLU(0.2)) -> w, at ``lr_mul`` of G's learning rate."""

    def __init__(self, nz, w_dim, layers=8, lr_mul=0.01, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.add(PixelNorm(nz))
            prev = nz
            for _ in range(layers):
                self.add(EqDense(w_dim, in_units=prev, lr_mul=lr_mul), nn.LeakyReLU(LEAKY_SLOPE))
                prev = w_dim


class StyleLayer(HybridBlock):
    """[upsample ->] [3x3 conv ->] noise -> bias -> LeakyReLU(0.2) -> AdaIN(style from w).

    The style is the learned affine map of w (two equalised Dense layers
    without activation): a scale (starting at 1) and a bias per feature map.
    """

    def __init__(self, in_channels, channels, w_dim, resolution, conv=True, upsample=False, noise=True, **kwargs):
        super().__init__(**kwargs)
        self.upsample, self.has_noise, self._in_channels = upsample, noise, in_channels
        with self.name_scope():
            self.conv = EqConv2D(channels, 3, 1, 1, in_channels=in_channels, use_bias=False) if conv else None
            self.noise = NoiseInjection(channels) if noise else None
            self.bias = self.params.get("bias", shape=(channels,), init=mx.init.Zero())
            self.style_scale = EqDense(channels, in_units=w_dim, gain=1.0, bias_init=1.0)
            self.style_bias = EqDense(channels, in_units=w_dim, gain=1.0)
            self.adain = AdaIN(channels, resolution)

    def hybrid_forward(self, F, x, w, *noise, bias):
        if self.upsample:
            x = upsample(F, x, 2, self._in_channels)  # the grouped-convolution form: its backward is faster
        if self.conv is not None:
            x = self.conv(x)
        if self.noise is not None:
            x = self.noise(x, noise[0], bias)  # adds the bias too
        else:
            x = F.broadcast_add(x, F.reshape(bias, (1, -1, 1, 1)))
        x = F.LeakyReLU(x, act_type="leaky", slope=LEAKY_SLOPE)
        return self.adain(x, self.style_scale(w), self.style_bias(w))


class StyleGenerator(HybridBlock):
    """The StyleGAN generator at ``resolution`` (a power of two >= 8) with ``nc`` output channels in [-1, 1].

    Two style layers per resolution (4x4: the learned constant, then a conv;
    above: upsample+conv, then conv), so ``num_layers`` = 2 * (log2(res) - 1)
    styles; a 1x1 "toRGB" convolution and tanh make the image. ``w_avg`` is the
    moving average of w used by the truncation trick: a non-trainable
    parameter, so ``Generator.params`` carries it.
    """

    def __init__(self, resolution=32, nc=3, nz=128, w_dim=128, mapping_layers=8, mapping_lr_mul=0.01,
                 fmap_base=1024, fmap_max=128, noise=True, **kwargs):
        super().__init__(**kwargs)
        self.resolution, self.nc, self.nz, self.w_dim = check_resolution(resolution), nc, nz, w_dim
        self.has_noise = noise
        widths = feature_widths(self.resolution, fmap_base, fmap_max)
        self.layer_resolutions = layer_resolutions(self.resolution)
        with self.name_scope():
            self.w_avg = self.params.get("w_avg", shape=(w_dim,), init=mx.init.Zero(), grad_req="null",
                                         differentiable=False)
            self.mapping = MappingNetwork(nz, w_dim, mapping_layers, mapping_lr_mul)
            self.const = ConstantInput(widths[4])
            self.layers = nn.HybridSequential()
            prev = widths[4]
            for res, width in widths.items():
                first = res == 4
                self.layers.add(StyleLayer(prev, width, w_dim, res, conv=not first, upsample=not first, noise=noise),
                                StyleLayer(width, width, w_dim, res, noise=noise))
                prev = width
            self.to_rgb = EqConv2D(nc, 1, in_channels=prev, gain=1.0)

    @property
    def num_layers(self):
        return len(self.layer_resolutions)

    def layer_styles(self, F, z, z2, mix, psi, w_avg):
        """One w per synthesis layer: z's or z2's (``mix``), pulled towards ``w_avg`` by ``psi``."""
        w1, w2 = self.mapping(z), self.mapping(z2)
        avg = F.reshape(w_avg, (1, -1))
        styles = []
        for l in range(self.num_layers):
            m = F.slice_axis(mix, axis=1, begin=l, end=l + 1)
            p = F.slice_axis(psi, axis=1, begin=l, end=l + 1)
            w = F.broadcast_mul(m, w2) + F.broadcast_mul(1 - m, w1)
            styles.append(F.broadcast_mul(p, w) + F.broadcast_mul(1 - p, avg))
        return styles

    def synthesis(self, F, z, styles, noises):
        """Every layer's feature maps, then the image (the last entry)."""
        x = self.const(z)
        features = []
        for l, layer in enumerate(self.layers):
            x = layer(x, styles[l], *noises[l:l + 1])
            features.append(x)
        features.append(F.tanh(self.to_rgb(x)))
        return features

    def hybrid_forward(self, F, z, z2, mix, psi, *noises, w_avg):
        return self.synthesis(F, z, self.layer_styles(F, z, z2, mix, psi, w_avg), noises)[-1]

    def trace(self, z, z2, mix, psi, *noises):
        """Imperative: the list of every layer's feature maps and the image (what the tests look inside)."""
        w_avg = self.w_avg.data(z.context)
        return self.synthesis(mx.nd, z, self.layer_styles(mx.nd, z, z2, mix, psi, w_avg), noises)

    def noise_shapes(self, n):
        """The shapes of the noise inputs for a batch of ``n`` (none when built without noise)."""
        return [(n, 1, res, res) for res in self.layer_resolutions] if self.has_noise else []
