"""Measuring instruments for the library's own loop: exact FLOP counts and throughput timers.

FLOPs are counted from the networks' layers, not estimated: a convolution costs
Cin·Cout·k²·Hout·Wout multiply-adds forward, a transposed convolution
Cin·Cout·k²·Hin·Win, and each of its two backward products (weight gradient,
input gradient) costs as much again. Elementwise layers are not counted.
"""
import contextlib
import logging
import os
import statistics
import tempfile
import time

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from .. import families
from ..data import images as data
from ..experiment.config import TrainConfig
from ..experiment.run import build_networks
from ..training.losses import get_loss
from ..families.dcgan import Discriminator, Generator
from ..nn.init import initialize
from ..experiment.monitor import TrainingLog
from ..training.loop import GANTrainer, fit


def conv_macs(net, in_hw):
    """Forward multiply-adds per image of each convolution in ``net``, in order: [(macs, is_first)]."""
    hw, out = in_hw, []
    for layer in net._children.values():
        if isinstance(layer, (nn.Conv2D, nn.Conv2DTranspose)):
            k, s, p = layer._kwargs["kernel"][0], layer._kwargs["stride"][0], layer._kwargs["pad"][0]
            cin, cout = layer.weight.shape[1 if isinstance(layer, nn.Conv2D) else 0], layer._channels
            if isinstance(layer, nn.Conv2D):
                hw = (hw + 2 * p - k) // s + 1
                out.append(cin * cout * k * k * hw * hw)
            else:
                out.append(cin * cout * k * k * hw * hw)  # each input pixel scatters a k x k x cout patch
                hw = (hw - 1) * s - 2 * p + k
    return out


def loop_flops_per_image(netG, netD, d_weight_grad_in_g_step=True):
    """FLOPs per training image of one ``GANTrainer.step`` (BCE, one D step).

    D step: G forward; D forward + weight grads + input grads (except the first
    layer's, whose input needs none) on the real and on the detached fake batch.
    G step: D forward + input grads (+ weight grads unless skipped) on the fakes,
    then G's weight grads and input grads (except the first layer's: z needs none).
    """
    g, d = conv_macs(netG, 1), conv_macs(netD, 64)
    G, D = sum(g), sum(d)
    d_step = G + 2 * (D + D + (D - d[0]))
    g_step = D + D + (D if d_weight_grad_in_g_step else 0) + G + (G - g[0])
    return 2 * (d_step + g_step)


def tutorial_flops_per_image(netG, netD):
    """The tutorial's loop as ``shared/bench/flops.py`` counts it (G forward twice, 3x per D pass)."""
    G, D = sum(conv_macs(netG, 1)), sum(conv_macs(netD, 64))
    return 2 * (3 * D + G + 3 * D + G + 3 * D + 2 * G)


def synthetic_images(n, size=64, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (n, 3, size, size)).astype(np.uint8)


@contextlib.contextmanager
def _quiet_training_log():
    """Silence the per-iteration log lines while timing, and give the caller its logging back afterwards."""
    logger = logging.getLogger("gluon_gan.experiment.monitor")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def time_training(batch_size=64, iters=10, repeats=3, ctx=None, loss="bce", hybridize=True, seed=0):
    """Median images/s of ``fit`` (the library's loop, logging included) over ``repeats`` epochs of ``iters``.

    One extra epoch first warms up (graph building, memory pools) and is not timed.
    """
    ctx = ctx or [mx.cpu()]
    mx.random.seed(seed)
    netG, netD = initialize(Generator(), ctx), initialize(Discriminator(), ctx)
    if hybridize:
        netG.hybridize(static_alloc=True, static_shape=True)
        netD.hybridize(static_alloc=True, static_shape=True)
    trainer = GANTrainer(netG, netD, get_loss(loss), ctx)
    batches = data.ImageBatches(synthetic_images(batch_size * iters), batch_size, seed=seed)
    rates = []
    with tempfile.TemporaryDirectory() as tmp, _quiet_training_log():
        for rep in range(repeats + 1):
            callbacks = [TrainingLog(os.path.join(tmp, "m.csv"), interval=10)]
            mx.nd.waitall()
            start = time.perf_counter()
            fit(trainer, batches, rep + 1, start_epoch=rep, seed=seed, callbacks=callbacks)
            mx.nd.waitall()
            if rep:  # the first epoch is the warm-up
                rates.append(batch_size * iters / (time.perf_counter() - start))
    return statistics.median(rates), rates, (netG, netD)


def time_batches(images, batch_size=64, repeats=3):
    """Images/s of the data pipeline alone: cached uint8 -> shuffled float32 batches on the device."""
    batches = data.ImageBatches(images, batch_size)
    rates = []
    for epoch in range(repeats):
        start = time.perf_counter()
        for b in batches.epoch(epoch):
            b.wait_to_read()
        rates.append(len(batches) * batch_size / (time.perf_counter() - start))
    return statistics.median(rates)


def write_jpeg_folder(folder, count, size=250, seed=0):
    """LFW-like 250x250 JPEGs to time decoding on (smooth random fields compress like photos)."""
    from PIL import Image
    rs = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        small = rs.randint(0, 256, (16, 16, 3)).astype(np.uint8)
        Image.fromarray(small).resize((size, size), Image.BILINEAR).save(os.path.join(folder, "%05d.jpg" % i),
                                                                           quality=90)


def profile_training(batch_size=64, iters=5, ctx=None):
    """Per-operator time of a few training iterations, as ``mx.profiler``'s aggregate table."""
    import mxnet.profiler as profiler
    ctx = ctx or [mx.cpu()]
    _, _, (netG, netD) = time_training(batch_size, iters=2, repeats=1, ctx=ctx)
    trainer = GANTrainer(netG, netD, get_loss("bce"), ctx)
    x = mx.nd.array(synthetic_images(batch_size), ctx=ctx[0]).astype("float32") / 127.5 - 1
    trainer.step(x)
    mx.nd.waitall()
    with tempfile.TemporaryDirectory() as tmp:
        profiler.set_config(profile_all=True, aggregate_stats=True, filename=os.path.join(tmp, "p.json"))
        profiler.set_state("run")
        for _ in range(iters):
            trainer.step(x)
        mx.nd.waitall()
        profiler.set_state("stop")
        table = profiler.dumps(reset=True, format="table", sort_by="total", ascending=False)
    return table


def time_families(names, image_shape=(3, 32, 32), batch_size=64, iters=10, repeats=3, ctx=None, loss=None,
                  options=None, seed=0):
    """Training images/s of several model families, interleaved so each repeat sees the same machine state.

    Each family trains through ``fit`` exactly as ``train.py`` does: its own
    inputs, its loss (``loss`` or the family's default), its optimiser and its
    callbacks (e.g. StyleGAN's EMA and w-average updates); logging included.
    ``options``: ``{family: {option: value}}``; ``image_shape`` and
    ``batch_size`` may also be ``{family: value}`` (each family at its own
    training shape). Returns ``{name: (median, rates)}``; one untimed epoch per
    family first warms up (graph building, memory pools).
    """
    ctx = ctx or [mx.cpu()]
    options = options or {}
    runs = {}
    shapes = image_shape if isinstance(image_shape, dict) else {name: image_shape for name in names}
    batch_sizes = batch_size if isinstance(batch_size, dict) else {name: batch_size for name in names}
    for name in names:
        cls = families.get_family_class(name)
        family = families.create_family(name, shapes[name], options.get(name),
                                        loss=get_loss(loss or cls.defaults.get("loss", "bce")))
        netG, netD = build_networks(family, TrainConfig(seed=seed), ctx)  # seeded, hybridized, extras: as train does
        trainer = GANTrainer(netG, netD, family.loss, ctx, family=family)
        images = np.random.RandomState(seed).randint(0, 256, (batch_sizes[name] * iters,) + tuple(shapes[name]))
        runs[name] = (trainer, family.make_batches(images.astype(np.uint8), batch_sizes[name], seed=seed), family)
    rates = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp, _quiet_training_log():
        for rep in range(repeats + 1):
            for name, (trainer, batches, family) in runs.items():
                callbacks = [TrainingLog(os.path.join(tmp, name + ".csv"), interval=10)] + family.callbacks(None)
                mx.nd.waitall()
                start = time.perf_counter()
                fit(trainer, batches, rep + 1, start_epoch=rep, seed=seed, callbacks=callbacks)
                mx.nd.waitall()
                if rep:
                    rates[name].append(batch_sizes[name] * len(batches) / (time.perf_counter() - start))
    return {name: (statistics.median(r), r) for name, r in rates.items()}
