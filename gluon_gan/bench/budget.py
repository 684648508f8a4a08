"""Model families side by side on the same data: quality after the same epochs or wall-clock budget.

:func:`train_with_budget` runs the library's whole training
(:func:`gluon_gan.experiment.train`, grids and checkpoints included) until an
epoch count or a wall-clock budget runs out, whichever comes first, and hands
back the trainer, whose sampling network is then judged on real data. Speed
is timed apart, by :func:`gluon_gan.bench.throughput.time_families` (families
interleaved, steps and the families' own callbacks only).
"""
import logging
import time

import mxnet as mx

from .. import experiment
from ..training.callbacks import Callback, StopTraining

log = logging.getLogger(__name__)


class TimeBudget(Callback):
    """Stop training once ``seconds`` of wall-clock time have passed; remembers the trainer and what it saw."""

    def __init__(self, seconds, check_every=10):
        self.seconds, self.check_every = seconds, check_every
        self.trainer, self.images, self.iterations = None, 0, 0

    def on_train_begin(self, trainer, start_epoch):
        self.trainer, self._start = trainer, time.time()

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        self.images += batch_size
        self.iterations += 1
        if self.seconds is not None and self.iterations % self.check_every == 0:
            mx.nd.waitall()  # the engine runs ahead of Python: wait, or the clock reads queued work as done
            if time.time() - self._start >= self.seconds:
                raise StopTraining("the %.0f s budget is spent after %d iterations" % (self.seconds, self.iterations))

    def on_train_end(self, trainer):
        mx.nd.waitall()
        self.wall_seconds = time.time() - self._start


def train_with_budget(config, seconds=None):
    """Train as configured (``config.epochs`` at most) for at most ``seconds``; returns the :class:`TimeBudget`.

    Its ``trainer`` holds the networks as they were when training stopped,
    its ``images``/``iterations``/``wall_seconds`` what the run did.
    """
    budget = TimeBudget(seconds)
    experiment.train(config, callbacks=[budget])
    return budget
