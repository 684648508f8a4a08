"""Callbacks that watch the balance of the two networks: stop a diverged run, report skipped D updates.

A NaN or infinite loss poisons the weights for good; saving them would replace
the last good checkpoint with garbage. :class:`DivergenceGuard` therefore
checks the losses whenever the log reads them anyway (no extra device wait),
and before every epoch's outputs are written it checks the last losses *and*
every weight. It must come before ``SampleGrids`` and ``Checkpointer`` in the
callback list, so a diverged epoch writes nothing.
"""
import logging
import math

import mxnet as mx

from ..files import checkpoint
from ..errors import GluonGanError
from .callbacks import Callback

log = logging.getLogger(__name__)


class DivergenceGuard(Callback):
    """Raise a one-line :class:`GluonGanError` as soon as a loss or a weight is not finite."""

    def __init__(self, out_dir, interval=10):
        self.out_dir = out_dir
        self.interval = interval
        self._last = None

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        self._last = (epoch, iteration, d_loss, g_loss)
        if iteration % self.interval == 0:
            self._check_losses()

    def on_epoch_end(self, trainer, epoch):
        if self._last is not None:
            self._check_losses()
        bad = [name for name, net in (("generator", trainer.netG), ("discriminator", trainer.netD))
               if not _weights_finite(net)]
        if bad:
            epoch_, iteration, _, _ = self._last
            self._stop("the %s's weights are no longer finite after epoch %d iteration %d"
                       % (" and ".join(bad), epoch_, iteration))

    def _check_losses(self):
        epoch, iteration, d_loss, g_loss = self._last
        d, g = float(d_loss.asscalar()), float(g_loss.asscalar())
        if not (math.isfinite(d) and math.isfinite(g)):
            self._stop("D loss %s, G loss %s at epoch %d iteration %d" % (d, g, epoch, iteration))

    def _stop(self, what):
        found = checkpoint.find_checkpoint(self.out_dir)
        kept = ("the last good checkpoint (epoch %d) in %s is kept"
                % (checkpoint.read_state(found)["epoch"], self.out_dir)) if found else "no checkpoint was written"
        raise GluonGanError("training diverged: %s; stopped, %s. Try a lower learning rate (--lr, --lr-d), "
                            "another --loss or --spectral-norm" % (what, kept))


def _weights_finite(net):
    """One device wait: the sum of all parameters is finite iff every one of them is (barring overflow)."""
    sums = [arr.sum().as_in_context(mx.cpu()) for p in net.collect_params().values() for arr in p.list_data()]
    return math.isfinite(float(mx.nd.add_n(*sums).asscalar())) if sums else True


class SkipReport(Callback):
    """After each epoch, how many D updates ``--d-skip-below`` skipped."""

    def __init__(self, threshold):
        self.threshold = threshold

    def on_epoch_begin(self, trainer, epoch):
        self._skipped_before = trainer.d_skipped

    def on_epoch_end(self, trainer, epoch):
        # trainer.iterations counts this epoch's steps (fit resets it at every epoch start)
        log.info("epoch %d: D update skipped in %d of %d iterations (D loss below %g)", epoch,
                 trainer.d_skipped - self._skipped_before, trainer.iterations, self.threshold)
