"""What ``progan`` and ``msggan`` share: both are built from :mod:`gluon_gan.families.growing`'s blocks.

They train square power-of-two images, with one width per resolution from 4x4
up, on equalised layers that draw their own N(0, 1) weights; their critic ends
in minibatch standard deviation (whose groups must split every batch) and has
no spectral-norm variant; and they sample from an EMA copy of G.
"""
import mxnet as mx

from ..training.ema import EMASampling
from ..errors import GluonGanError
from .growing import per_stage, stage_count
from ..training.family import ModelFamily


def check_stddev_groups(group, batch_sizes, last_batch):
    """A one-line error, before training, for batches the minibatch-stddev groups cannot split."""
    if not group:
        return
    uneven = [b for b in batch_sizes if b % group]
    if uneven or last_batch == "keep":
        raise GluonGanError("--mbstd-group %d needs every batch to be a multiple of it (%s); use --mbstd-group 0"
                            % (group, "got %d" % uneven[0] if uneven else "--keep-last-batch gives a short one"))


class PyramidFamily(EMASampling, ModelFamily):
    """Base of a family whose ``Options`` have ``image_size``, ``widths``, ``mbstd_group`` and ``ema_decay``."""

    def __init__(self, image_shape, options=None, loss=None, spectral_norm=False):
        super().__init__(image_shape, options, loss, spectral_norm)
        if self.image_shape[1] != self.image_shape[2]:
            raise GluonGanError("%s trains on square images, not %dx%d" % ((self.name,) + self.image_shape[1:]))
        self.stages = stage_count(self.image_shape[1])
        self.widths = per_stage(self.options.widths, self.stages, "--widths")

    @classmethod
    def train_shape(cls, options, data_shape):
        return (data_shape[0], options.image_size, options.image_size)

    def initialize(self, net, ctx):
        """Equalised layers draw N(0, 1) weights and zero biases themselves; the default init is never used."""
        net.initialize(mx.init.Normal(1.0), ctx=ctx, force_reinit=True)
        return net

    def check_no_spectral_norm(self):
        if self.spectral_norm:
            raise GluonGanError("%s's critic uses the equalised learning rate; it has no spectral-norm variant"
                                % self.name)
