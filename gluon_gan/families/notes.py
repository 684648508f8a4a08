"""``mlp`` and ``dcgan28``: the GAN notes' two Fashion-MNIST GANs (Keras), ported layer for layer.

What is Keras' and kept: Glorot-uniform kernels with zero biases, SELU (with
its true gradient, which MXNet's own lacks: :mod:`gluon_gan.nn.mxnet_fixes`),
BatchNorm(momentum 0.99, epsilon 1e-3), "same" padding computed as Keras does
(:mod:`gluon_gan.nn.keras_layers`), RMSprop(lr 1e-3, rho 0.9, eps 1e-7), batch
32, 50 epochs, BCE, and a fresh noise draw for G's step (``fresh_g_noise``).
What differs, and why, is listed in ``docs/fashion_mnist.md``; in short: D
ends in a raw logit, because our losses take logits (sigmoid followed by
binary cross-entropy equals binary cross-entropy on the logit, computed more
stably), and MXNet's RMSprop puts epsilon inside the square root.
"""
import dataclasses

import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from ..nn import spectral
from ..errors import GluonGanError
from ..nn.keras_layers import SameConv2D, SameConv2DTranspose
from ..nn.mxnet_fixes import SELU
from .registry import register_family
from ..training.family import ModelFamily

KERAS_RMSPROP = ("rmsprop", {"learning_rate": 1e-3, "gamma1": 0.9, "epsilon": 1e-7})
# the notes train on the first 55,000 training images (the other 5,000 are their validation set)
NOTES_DEFAULTS = {"batch_size": 32, "epochs": 50, "loss": "bce", "optimizer": KERAS_RMSPROP, "num_images": 55000}


def glorot_uniform():
    """Keras' default kernel initialiser: U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (biases keep their zeros)."""
    return mx.init.Xavier(rnd_type="uniform", factor_type="avg", magnitude=3)


def keras_batchnorm(channels):
    """``keras.layers.BatchNormalization()`` defaults (Gluon's are momentum 0.9, epsilon 1e-5)."""
    return nn.BatchNorm(momentum=0.99, epsilon=1e-3, in_channels=channels)


def _discriminator_layers(spectral_norm):
    """(container, Dense, Conv2D) classes for a plain or a spectrally normalised D."""
    if spectral_norm:
        return spectral.SNSequential, spectral.SNDense, spectral.SNConv2D
    return nn.HybridSequential, nn.Dense, nn.Conv2D


class Reshape(HybridBlock):
    """``keras.layers.Reshape``: (N, prod(shape)) -> (N,) + shape (channels first: see docs on the order)."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.shape = tuple(shape)

    def hybrid_forward(self, F, x):
        return x.reshape((-1,) + self.shape)


def mlp_generator(nz, image_shape):
    """Dense(100, selu) -> Dense(200, selu) -> Dense(C*H*W, sigmoid) -> (C, H, W): pictures in [0, 1]."""
    net = nn.HybridSequential()
    size = int(image_shape[0] * image_shape[1] * image_shape[2])
    with net.name_scope():
        net.add(nn.Dense(100, in_units=nz), SELU(),
                nn.Dense(200, in_units=100), SELU(),
                nn.Dense(size, in_units=200), nn.Activation("sigmoid"),
                Reshape(image_shape))
    return net


def mlp_discriminator(image_shape, spectral_norm=False):
    """Flatten -> Dense(200, selu) -> Dense(100, selu) -> Dense(1): one logit per image."""
    container, dense, _ = _discriminator_layers(spectral_norm)
    net = container()
    size = int(image_shape[0] * image_shape[1] * image_shape[2])
    with net.name_scope():
        net.add(nn.Flatten(),
                dense(200, in_units=size), SELU(),
                dense(100, in_units=200), SELU(),
                dense(1, in_units=100))
    return net


def dcgan28_generator(nz, image_shape):
    """Dense(128·(H/4)·(W/4)) -> reshape -> BN -> ConvT(64, 5, 2, same, selu) -> BN -> ConvT(C, 5, 2, same, tanh)."""
    channels, height, _ = image_shape
    quarter = height // 4
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(128 * quarter * quarter, in_units=nz), Reshape((128, quarter, quarter)),
                keras_batchnorm(128),
                SameConv2DTranspose(64, 5, 2, quarter, 128), SELU(),
                keras_batchnorm(64),
                SameConv2DTranspose(channels, 5, 2, 2 * quarter, 64), nn.Activation("tanh"))
    return net


def dcgan28_discriminator(image_shape, spectral_norm=False):
    """Conv(64, 5, 2, same) + LReLU(0.2) -> Dropout(0.4) -> Conv(128, ...) + LReLU -> Dropout -> Dense(1) logit."""
    container, dense, conv = _discriminator_layers(spectral_norm)
    channels, height, _ = image_shape
    net = container()
    with net.name_scope():
        net.add(SameConv2D(64, 5, 2, height, channels, conv_class=conv), nn.LeakyReLU(0.2), nn.Dropout(0.4),
                SameConv2D(128, 5, 2, height // 2, 64, conv_class=conv), nn.LeakyReLU(0.2), nn.Dropout(0.4),
                nn.Flatten(), dense(1, in_units=128 * (height // 4) ** 2))
    return net


class NotesFamily(ModelFamily):
    """What both notes GANs share: Keras init, the notes' training settings, a flat latent, fresh G noise."""

    defaults = NOTES_DEFAULTS
    fresh_g_noise = True   # the notes' G step draws new codings instead of reusing the D step's fakes

    @classmethod
    def train_shape(cls, options, data_shape):
        """28x28 as in the notes (the data's channel count is kept: 1 for Fashion-MNIST)."""
        return (data_shape[0], 28, 28)

    @property
    def latent_shape(self):
        return (self.options.nz,)

    def initialize(self, net, ctx):
        net.initialize(glorot_uniform(), ctx=ctx, force_reinit=True)
        return net


@dataclasses.dataclass
class MLPOptions:
    nz: int = dataclasses.field(default=23, metadata={"help": "codings size (latent length)"})


@register_family
class MLP(NotesFamily):
    """The notes' simple GAN: fully connected G (sigmoid out) and D, on [0, 1] images.

    G's sigmoid output is the notes' [0, 1] picture and D is fed [0, 1]
    pictures, real and fake, exactly as in the notes: :meth:`real_inputs` maps
    the loop's [-1, 1] batches with (x + 1) / 2 (= x / 255 of the uint8 data),
    and only :meth:`images` (grids, samples, evaluation) maps G's output to
    [-1, 1] with 2y - 1, the library's picture convention.
    """

    name = "mlp"
    Options = MLPOptions
    summary = "the GAN notes' simple fully connected GAN (codings 23, 28x28, sigmoid output)"

    def build_generator(self):
        return mlp_generator(self.options.nz, self.image_shape)

    def build_discriminator(self):
        return mlp_discriminator(self.image_shape, self.spectral_norm)

    def real_inputs(self, x):
        return ((x + 1) / 2,)

    def images(self, g_out):
        return 2 * super().images(g_out) - 1


@dataclasses.dataclass
class DCGAN28Options:
    nz: int = dataclasses.field(default=100, metadata={"help": "codings size (latent length)"})


@register_family
class DCGAN28(NotesFamily):
    """The notes' small DCGAN: dense -> two Keras-"same" transposed convs (tanh), two strided convs + dropout."""

    name = "dcgan28"
    Options = DCGAN28Options
    summary = "the GAN notes' small DCGAN for 28x28 images (codings 100, tanh output)"

    def __init__(self, image_shape, options=None, loss=None, spectral_norm=False):
        super().__init__(image_shape, options, loss, spectral_norm)
        _, height, width = self.image_shape
        if height != width or height % 4:
            raise GluonGanError("dcgan28 needs square images with a size divisible by 4, not %dx%d" % (height, width))

    def build_generator(self):
        return dcgan28_generator(self.options.nz, self.image_shape)

    def build_discriminator(self):
        return dcgan28_discriminator(self.image_shape, self.spectral_norm)
