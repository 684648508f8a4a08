"""StyleGAN's low-pass filter: [1, 2, 1] x [1, 2, 1] / 16 on every feature map, zero-padded, size kept.

The authors' generator filters after each upsampling convolution and their
discriminator before each downsampling one (Karras et al. 2019, appendix C:
"we replace the nearest-neighbour up/downsampling in both networks with
bilinear sampling, which we implement by low-pass filtering the activations
with a separable 2nd order binomial filter"). Written as a grouped (per-map)
convolution with a constant kernel, so it hybridizes and has no parameters:
networks with and without it hold the same weights.

The kernel is symmetric and the padding keeps the size, so the filter is its
own adjoint: the input gradient of ``blur`` is ``blur`` of the upstream
gradient. :meth:`Blur.taped_forward` gives that rule to the exact gradient
penalties (:mod:`gluon_gan.nn.penalty`).
"""
from mxnet.gluon import HybridBlock

TAPS = (1.0, 2.0, 1.0)  # the binomial filter; the 2-D kernel is its outer product, normalised to sum 1


def blur_kernel(F, channels, dtype="float32"):
    """The (channels, 1, 3, 3) grouped-convolution kernel ``outer(taps, taps) / sum``, built from operators only.

    ``2 - |i - 1|`` for i = 0, 1, 2 is [1, 2, 1]: the constant is made inside
    the graph (no parameter, nothing saved with the weights).
    """
    taps = 2.0 - F.abs(F.arange(0, 3, dtype=dtype) - 1.0)
    kernel = F.broadcast_mul(F.reshape(taps, (3, 1)), F.reshape(taps, (1, 3))) / 16.0
    return F.broadcast_mul(F.ones((channels, 1, 3, 3), dtype=dtype), F.reshape(kernel, (1, 1, 3, 3)))


def blur(F, x, channels, dtype="float32"):
    """``x`` (N, ``channels``, H, W) low-pass filtered per feature map; zero padding, same size."""
    return F.Convolution(x, blur_kernel(F, channels, dtype), kernel=(3, 3), pad=(1, 1), num_filter=channels,
                         num_group=channels, no_bias=True)


class Blur(HybridBlock):
    """The filter as a layer of ``channels`` feature maps (a step of a :class:`~mxnet.gluon.nn.HybridSequential`)."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.dtype = "float32"  # the kernel's; follows ``cast`` (a block without parameters has no other record)

    def __repr__(self):
        return "Blur(%d, [1, 2, 1] x [1, 2, 1] / 16)" % self.channels

    def cast(self, dtype):
        self.dtype = dtype
        super().cast(dtype)

    def taped_forward(self, F, x, param=None):
        """``(blur(x), backward)``: the filter is self-adjoint, so ``backward(g) = blur(g)``."""
        return blur(F, x, self.channels, self.dtype), lambda g: blur(F, g, self.channels, self.dtype)

    def hybrid_forward(self, F, x):
        return blur(F, x, self.channels, self.dtype)
