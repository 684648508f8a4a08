"""Keras' ``padding="same"`` convolutions, value for value, in Gluon.

Keras (TensorFlow) pads a "same" convolution asymmetrically: for input size
``n``, kernel ``k`` and stride ``s`` the output has ``ceil(n / s)`` pixels and
the ``total`` padding it needs is split ``total // 2`` before and the rest
after. MXNet's convolutions pad symmetrically, so a plain ``Conv2D(pad=2)``
gets the right size (28 -> 14 -> 7 for k=5, s=2) but looks one pixel further
up-left than Keras. These blocks pad explicitly instead (``F.pad``, then a
valid convolution), and the transposed one crops the surplus last row and
column, so both compute exactly what Keras computes (up to the weight layout:
Keras stores kernels as (kh, kw, in, out), MXNet as (out, in, kh, kw)).
"""
from mxnet.gluon import HybridBlock, nn

from .mxnet_fixes import OneChannelSafeConv2DTranspose
from .penalty import supported_layers, taped_sequence


def same_padding(size, kernel, stride):
    """``(before, after, output_size)`` of a Keras "same" convolution over ``size`` pixels."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class SameConv2D(HybridBlock):
    """``keras.layers.Conv2D(channels, kernel, strides=stride, padding="same")`` for ``in_size`` x ``in_size`` input."""

    def __init__(self, channels, kernel, stride, in_size, in_channels, conv_class=nn.Conv2D, **kwargs):
        super().__init__(**kwargs)
        before, after, self.out_size = same_padding(in_size, kernel, stride)
        self.pad_width = (0, 0, 0, 0, before, after, before, after)
        with self.name_scope():
            self.conv = conv_class(channels, kernel, stride, in_channels=in_channels)

    def hybrid_forward(self, F, x):
        if any(self.pad_width):
            x = F.pad(x, mode="constant", pad_width=self.pad_width, constant_value=0)
        return self.conv(x)

    def taped_forward(self, F, x, param):
        """The gradient penalty's rule (:mod:`gluon_gan.nn.penalty`): the convolution's, padding cropped off."""
        before, after = self.pad_width[4:6]
        padded = F.pad(x, mode="constant", pad_width=self.pad_width, constant_value=0) if any(self.pad_width) else x
        y, back = taped_sequence(F, supported_layers(self.conv), padded, param)
        end = -after if after else None
        return y, lambda g: F.slice(back(g), begin=(None, None, before, before), end=(None, None, end, end))


class SameConv2DTranspose(HybridBlock):
    """``keras.layers.Conv2DTranspose(channels, kernel, strides=stride, padding="same")``: size ``in_size * stride``.

    TensorFlow defines it as the adjoint of the "same" convolution from the
    larger size back to ``in_size``, which crops ``before`` pixels at the start
    of the full transposed output. MXNet's ``padding`` crops symmetrically, so
    crop ``before`` on both sides there and slice the rest off the end.
    """

    def __init__(self, channels, kernel, stride, in_size, in_channels, **kwargs):
        super().__init__(**kwargs)
        self.out_size = in_size * stride
        before, _, _ = same_padding(self.out_size, kernel, stride)
        self.mx_size = (in_size - 1) * stride + kernel - 2 * before
        if self.mx_size < self.out_size:
            raise ValueError("kernel %d, stride %d: no Keras-equal transposed convolution" % (kernel, stride))
        with self.name_scope():
            self.deconv = OneChannelSafeConv2DTranspose(channels, kernel, stride, padding=before,
                                                        in_channels=in_channels, in_size=in_size)

    def hybrid_forward(self, F, x):
        y = self.deconv(x)
        if self.mx_size != self.out_size:
            y = F.slice(y, begin=(None, None, 0, 0), end=(None, None, self.out_size, self.out_size))
        return y
