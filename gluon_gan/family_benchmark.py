"""Model families side by side on the same data: training images/s, and quality after the same budget.

:func:`training_speed` times optimisation steps alone (after warm-up, with
the device synchronised), so the figure is the loop's, not the epoch-end
pictures'. :func:`train_with_budget` runs the library's whole training
(:func:`gluon_gan.experiment.train`, grids and checkpoints included) until an
epoch count or a wall-clock budget runs out, whichever comes first, and hands
back the trainer, whose sampling network is then judged on real data.
"""
import logging
import time

import mxnet as mx

from . import experiment
from .runtime import parse_contexts
from .training import Callback, GANTrainer, StopTraining

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


def training_speed(config, images, shape, iterations=20, warmup=3):
    """Training images/s of ``config``'s family on ``images``: ``iterations`` timed steps after ``warmup``."""
    ctx = parse_contexts(config.ctx)
    family = experiment.build_family(config, shape)
    netG, netD = experiment.build_networks(family, config, ctx)
    trainer = GANTrainer(netG, netD, family.loss, ctx, lr=config.lr, beta1=config.beta1, lr_g=config.lr_g,
                         lr_d=config.lr_d, d_steps=config.d_steps, family=family)
    batches = family.make_batches(images, config.batch_size, seed=config.seed)
    stream = _endless(batches, ctx[0])
    for _ in range(warmup):
        trainer.step(next(stream))
    mx.nd.waitall()
    tic, seen = time.time(), 0
    for _ in range(iterations):
        real = next(stream)
        trainer.step(real)
        seen += real.shape[0]
    mx.nd.waitall()
    return seen / (time.time() - tic)


def _endless(batches, ctx):
    epoch = 0
    while True:
        for real in batches.epoch(epoch, ctx=ctx):
            yield real
        epoch += 1


def train_with_budget(config, seconds=None):
    """Train as configured (``config.epochs`` at most) for at most ``seconds``; returns the :class:`TimeBudget`.

    Its ``trainer`` holds the networks as they were when training stopped,
    its ``images``/``iterations``/``wall_seconds`` what the run did.
    """
    budget = TimeBudget(seconds)
    experiment.train(config, callbacks=[budget])
    return budget
