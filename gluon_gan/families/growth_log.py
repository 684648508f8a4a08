"""The progressive family's callback: count images shown, move G and D on, and log resolution and alpha."""
import logging

from ..training.callbacks import Callback

log = logging.getLogger(__name__)


class GrowthCallback(Callback):
    """Counts images shown after every step, moves G and D to the new stage/alpha, and logs the growth.

    Every ``log_every``-th iteration (the run's ``--log-interval``, the same
    iterations the loss line is logged on) it logs the resolution and alpha
    the step trained at, and it logs every change of phase as it happens.
    """

    def __init__(self, family, log_every=10):
        self.family, self.log_every = family, log_every

    def on_train_begin(self, trainer, start_epoch):
        self.family.apply_phase()
        log.info("progan: starting at %s", self.family.describe())

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        before, trained_at = self.family.phase(), self.family.describe()
        self.family.advance(batch_size)
        after = self.family.phase()
        if self.log_every and iteration % self.log_every == 0:
            log.info("epoch %d iter %d: progan %s", epoch, iteration, trained_at)
        if after[0] != before[0] or (before[1] < 1) != (after[1] < 1):
            log.info("progan: now %s", self.family.describe())

    def on_epoch_end(self, trainer, epoch):
        log.info("progan: end of epoch %d: %s", epoch, self.family.describe())
