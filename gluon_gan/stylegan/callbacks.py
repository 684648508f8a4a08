"""The training-loop hook of the ``stylegan`` family (kept apart: :mod:`gluon_gan.training` imports the families)."""
from ..training.ema import generator_updated
from ..training.callbacks import Callback


class StyleGANUpdates(Callback):
    """After every step: count the D update (lazy R1); after every G update: move the average w, then the EMA
    generator (which copies w_avg)."""

    def __init__(self, family):
        self.family = family

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        self.family.after_discriminator_step()
        if generator_updated(trainer):
            self.family.after_generator_step(trainer.netG, batch_size)
