"""``dcgan``: the tutorial's DCGAN generator and discriminator, then the family that trains them.

The two networks subclass ``nn.HybridSequential`` and add layers in the
tutorial's order, so ``save_parameters`` writes the same keys (``0.weight``,
``1.gamma``, ...) as the tutorial's ``nn.Sequential`` networks: checkpoints move
freely between the two. At 64x64 RGB (the defaults) the ``dcgan`` family builds
exactly the tutorial's networks, with its init and Adam; any other power-of-two
size and channel count follows the same pattern.
"""
import dataclasses

from mxnet.gluon import nn

from ..errors import GluonGanError
from ..nn import spectral
from ..nn.mxnet_fixes import OneChannelSafeConv2DTranspose
from ..options import option
from ..training.family import ModelFamily
from .registry import register_family

NZ, NGF, NDF, NC = 100, 64, 64, 3  # the tutorial's latent size, widths and channels


def _stages(size):
    """Number of stride-2 stages between 4x4 and ``size`` (4 for the tutorial's 64); a one-line error otherwise."""
    stages = int(size).bit_length() - 3
    if size < 8 or size != 1 << (stages + 2):
        raise ValueError("the DCGAN needs a power-of-two image size of at least 8, not %r" % (size,))
    return stages


class Generator(nn.HybridSequential):
    """z of shape (N, nz, 1, 1) -> image (N, nc, size, size) in [-1, 1].

    Transposed convolutions 1->4->8->16->32->64 with BatchNorm+ReLU between them
    and tanh last, because the training images are scaled to [-1, 1]. Other
    power-of-two sizes add or drop stages (widths ngf*2^k down to ngf); the
    default ``size=64`` is the tutorial's network, key for key.
    """

    def __init__(self, nz=NZ, ngf=NGF, nc=NC, size=64, **kwargs):
        super().__init__(**kwargs)
        self.nz, self.ngf, self.nc, self.size = nz, ngf, nc, size
        stages = _stages(size)
        with self.name_scope():
            prev = nz
            for i, width in enumerate([ngf * 2 ** k for k in reversed(range(stages))]):
                stride, pad = (1, 0) if i == 0 else (2, 1)
                self.add(nn.Conv2DTranspose(width, 4, stride, pad, use_bias=False, in_channels=prev))
                self.add(nn.BatchNorm(in_channels=width))
                self.add(nn.Activation("relu"))
                prev = width
            # grey: MXNet 1.9's oneDNN cannot backpropagate a one-channel Deconvolution (see mxnet_fixes.py)
            if nc == 1:
                self.add(OneChannelSafeConv2DTranspose(nc, 4, 2, 1, use_bias=False, in_channels=prev,
                                                       in_size=size // 2))
            else:
                self.add(nn.Conv2DTranspose(nc, 4, 2, 1, use_bias=False, in_channels=prev))
            self.add(nn.Activation("tanh"))


class Discriminator(spectral.PowerIterated, nn.HybridSequential):
    """image (N, nc, size, size) -> one raw logit per image, shape (N, 1, 1, 1).

    Strided convolutions 64->32->16->8->4 with LeakyReLU(0.2), BatchNorm on all
    but the first, and a final 4x4 convolution to one unit (other power-of-two
    sizes add or drop stages, widths ndf*2^k; ``size=64`` is the tutorial's). No sigmoid: the loss
    works on logits (numerically safer, and the WGAN critic needs raw scores).

    ``norm="none"`` drops BatchNorm (a WGAN-GP critic must not mix samples);
    the layer indices then differ from the tutorial's, so such checkpoints are
    not interchangeable with BatchNorm ones. ``spectral_norm=True`` makes every
    convolution an :class:`~gluon_gan.nn.spectral.SNConv2D` (extra ``<i>.u`` keys)
    and refreshes their singular vectors before each training-mode forward.
    """

    def __init__(self, ndf=NDF, nc=NC, norm="batch", spectral_norm=False, size=64, **kwargs):
        super().__init__(**kwargs)
        if norm not in ("batch", "none"):
            raise ValueError("norm must be 'batch' or 'none', not %r" % (norm,))
        self.ndf, self.nc, self.norm, self.spectral_norm, self.size = ndf, nc, norm, spectral_norm, size
        stages = _stages(size)
        conv = spectral.SNConv2D if spectral_norm else nn.Conv2D
        with self.name_scope():
            self.add(conv(ndf, 4, 2, 1, use_bias=False, in_channels=nc))
            self.add(nn.LeakyReLU(0.2))
            prev = ndf
            for width in [ndf * 2 ** k for k in range(1, stages)]:
                self.add(conv(width, 4, 2, 1, use_bias=False, in_channels=prev))
                if norm == "batch":
                    self.add(nn.BatchNorm(in_channels=width))
                self.add(nn.LeakyReLU(0.2))
                prev = width
            self.add(conv(1, 4, 1, 0, use_bias=False, in_channels=prev))


@dataclasses.dataclass
class DCGANOptions:
    nz: int = option(100, "latent size", min=1)
    ngf: int = option(64, "generator width", min=1)
    ndf: int = option(64, "discriminator width", min=1)
    image_size: int = option(64, "train at this power-of-two size (images are resized to it)", min=8)


@register_family
class DCGAN(ModelFamily):
    """Radford et al. 2016 as the Gluon tutorial writes it: transposed convs + BatchNorm + ReLU, tanh out."""

    name = "dcgan"
    Options = DCGANOptions
    summary = "the Gluon tutorial's DCGAN (64x64 by default; any power-of-two size, grey or RGB)"

    def __init__(self, image_shape, options=None, loss=None, spectral_norm=False):
        super().__init__(image_shape, options, loss, spectral_norm)
        try:
            _stages(self.image_shape[1])
        except ValueError as err:
            raise GluonGanError("--image-size %s: %s" % (self.image_shape[1], err)) from None

    @classmethod
    def train_shape(cls, options, data_shape):
        return (data_shape[0], options.image_size, options.image_size)

    def build_generator(self):
        o = self.options
        return Generator(nz=o.nz, ngf=o.ngf, nc=self.image_shape[0], size=self.image_shape[1])

    def build_discriminator(self):
        o = self.options
        norm = "none" if self.spectral_norm else getattr(self.loss, "discriminator_norm", "batch")
        return Discriminator(ndf=o.ndf, nc=self.image_shape[0], norm=norm, spectral_norm=self.spectral_norm,
                             size=self.image_shape[1])
