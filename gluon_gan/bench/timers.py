"""Timers for the library's side of a side-by-side benchmark: build once, warm up once, then time one repeat per call.

Interleaving (one repeat of ours, one of each peer, again) is the only fair
comparison on a shared machine, so each timer here separates the expensive
set-up and warm-up (graph building, memory pools, oneDNN primitive caches)
from :meth:`time_once`, which times one repeat and can be called between the
peers' runs.
"""
import contextlib
import logging
import os
import statistics
import tempfile
import time

import mxnet as mx
import numpy as np

from .. import families
from ..data import images as data
from ..experiment.config import TrainConfig
from ..experiment.load import load_generator
from ..experiment.monitor import TrainingLog
from ..experiment.run import build_networks
from ..families.dcgan import Discriminator, Generator
from ..nn.init import initialize
from ..training.loop import GANTrainer, fit
from ..training.losses import get_loss


def synthetic_images(n, size=64, seed=0, channels=3):
    """``n`` random uint8 pictures (N, C, size, size): timing needs the shapes, not the faces."""
    return np.random.RandomState(seed).randint(0, 256, (n, channels, size, size)).astype(np.uint8)


@contextlib.contextmanager
def quiet_training_log():
    """Silence the per-iteration log lines while timing, and give the caller its logging back afterwards."""
    logger = logging.getLogger("gluon_gan.experiment.monitor")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class FitTimer:
    """Training images/s of ``fit`` (the library's loop, logging and the family's callbacks included).

    One untimed epoch warms up on construction; each :meth:`time_once` then
    trains one more epoch of ``batches`` and returns its images/s.
    """

    def __init__(self, trainer, batches, batch_size, family_callbacks=(), seed=0):
        self.trainer, self.batches, self.batch_size, self.seed = trainer, batches, batch_size, seed
        self.family_callbacks = list(family_callbacks)
        self._tmp = tempfile.TemporaryDirectory()
        self.epoch = 0
        self.time_once()  # the warm-up epoch

    def time_once(self):
        callbacks = [TrainingLog(os.path.join(self._tmp.name, "m.csv"), interval=10)] + self.family_callbacks
        with quiet_training_log():
            mx.nd.waitall()
            start = time.perf_counter()
            fit(self.trainer, self.batches, self.epoch + 1, start_epoch=self.epoch, seed=self.seed,
                callbacks=callbacks)
            mx.nd.waitall()
            seconds = time.perf_counter() - start
        self.epoch += 1
        return self.batch_size * self.trainer.num_workers * len(self.batches) / seconds

    def close(self):
        self._tmp.cleanup()


def dcgan_timer(batch_size=64, iters=10, ctx=None, loss="bce", hybridize=True, seed=0):
    """A :class:`FitTimer` of the tutorial's DCGAN (64x64, faithful loop) on random pictures."""
    ctx = ctx or [mx.cpu()]
    mx.random.seed(seed)
    netG, netD = initialize(Generator(), ctx), initialize(Discriminator(), ctx)
    if hybridize:
        netG.hybridize(static_alloc=True, static_shape=True)
        netD.hybridize(static_alloc=True, static_shape=True)
    trainer = GANTrainer(netG, netD, get_loss(loss), ctx)
    batches = data.ImageBatches(synthetic_images(batch_size * iters), batch_size, seed=seed)
    return FitTimer(trainer, batches, batch_size, seed=seed)


def family_timer(name, image_shape, batch_size, iters=10, options=None, loss=None, ctx=None, seed=0):
    """A :class:`FitTimer` of model family ``name`` built and trained exactly as ``train.py`` does it."""
    ctx = ctx or [mx.cpu()]
    cls = families.get_family_class(name)
    family = families.create_family(name, image_shape, options,
                                    loss=get_loss(loss or cls.defaults.get("loss", "bce")))
    netG, netD = build_networks(family, TrainConfig(seed=seed), ctx)  # seeded, hybridized, extras: as train does
    trainer = GANTrainer(netG, netD, family.loss, ctx, family=family)
    images = np.random.RandomState(seed).randint(0, 256, (batch_size * iters,) + tuple(image_shape))
    batches = family.make_batches(images.astype(np.uint8), batch_size, seed=seed)
    return FitTimer(trainer, batches, batch_size, family.callbacks(None), seed=seed)


class GenerationTimer:
    """Images/s at ``batch_size`` and batch-1 latency of a generator loaded from its ``Generator.params``.

    Loads the file the way ``generate.py`` does (:func:`gluon_gan.experiment.load_generator`:
    the family rebuilt from the weights, hybridized) and times inference-mode forward passes.
    """

    def __init__(self, params_path, batch_size=64, iters=10, ctx=None, seed=0):
        self.ctx = ctx or mx.cpu()
        self.gen = load_generator(params_path, ctx=self.ctx)
        self.batch_size, self.iters = batch_size, iters
        rs = np.random.RandomState(seed)
        self._z = mx.nd.array(rs.randn(batch_size, *self.gen.latent_shape), ctx=self.ctx)
        self._one = self._z[:1].copy()
        for _ in range(3):
            self.gen(self._z).wait_to_read()
            self.gen(self._one).wait_to_read()

    def time_once(self):
        """(images/s at the batch size, median batch-1 latency in ms)."""
        mx.nd.waitall()
        start = time.perf_counter()
        for _ in range(self.iters):
            out = self.gen(self._z)
        out.wait_to_read()
        rate = self.batch_size * self.iters / (time.perf_counter() - start)
        latencies = []
        for _ in range(self.iters):
            start = time.perf_counter()
            self.gen(self._one).wait_to_read()
            latencies.append(time.perf_counter() - start)
        return rate, 1e3 * statistics.median(latencies)
