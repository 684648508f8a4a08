"""``dcgan``: the tutorial's generator and discriminator, at any power-of-two size and channel count.

At 64x64 RGB (the defaults) these are exactly :class:`gluon_gan.models.Generator`
and :class:`~gluon_gan.models.Discriminator` as the tutorial builds them: the
same parameter keys, the same init, the same Adam, so checkpoints keep moving
between our networks and the tutorial's in both directions.
"""
import dataclasses

from ..models import Discriminator, Generator
from ..options import option
from . import register_family
from ..training.family import ModelFamily


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
