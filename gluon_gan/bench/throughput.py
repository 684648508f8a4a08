"""Measuring instruments for the library's own loop: exact FLOP counts and throughput timers.

FLOPs are counted from the networks' layers, not estimated: a convolution costs
Cin·Cout·k²·Hout·Wout multiply-adds forward, a transposed convolution
Cin·Cout·k²·Hin·Win, and each of its two backward products (weight gradient,
input gradient) costs as much again. Elementwise layers are not counted.
"""
import os
import statistics
import tempfile
import time

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from ..data import images as data
from ..training.loop import GANTrainer
from ..training.losses import get_loss
from .timers import dcgan_timer, family_timer, synthetic_images  # noqa: F401  (synthetic_images: public here too)


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


def loop_flops_per_image(netG, netD, d_weight_grad_in_g_step=False):
    """FLOPs per training image of one ``GANTrainer.step`` (BCE, one D step).

    D step: G forward; D forward + weight grads + input grads (except the first
    layer's, whose input needs none) on the real and on the detached fake batch.
    G step: D forward + input grads on the fakes (D's weight grads are not
    computed there: :func:`gluon_gan.training.frozen.frozen_weights`; ``True`` counts
    them, as the tutorial's loop computes them), then G's weight grads and
    input grads (except the first layer's: z needs none).
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


def time_training(batch_size=64, iters=10, repeats=3, ctx=None, loss="bce", hybridize=True, seed=0):
    """Median images/s of ``fit`` (the library's loop, logging included) over ``repeats`` epochs of ``iters``.

    One extra epoch first warms up (graph building, memory pools) and is not timed.
    """
    timer = dcgan_timer(batch_size, iters, ctx, loss, hybridize, seed)
    rates = [timer.time_once() for _ in range(repeats)]
    timer.close()
    return statistics.median(rates), rates, (timer.trainer.netG, timer.trainer.netD)


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
    """Per-operator time of a few training iterations, as ``mx.profiler``'s aggregate table.

    MXNet's engine normally runs a hybridized graph's operators in bulk
    segments, which the profiler reports as one row per segment
    ("LeakyReLU,Convolution,BatchNorm,..."); bulking is switched off here so
    each operator gets its own row (the totals are then slightly higher).
    """
    import mxnet.profiler as profiler
    ctx = ctx or [mx.cpu()]
    bulk = os.environ.get("MXNET_EXEC_BULK_EXEC_TRAIN")
    os.environ["MXNET_EXEC_BULK_EXEC_TRAIN"] = "0"
    try:
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
    finally:
        if bulk is None:
            os.environ.pop("MXNET_EXEC_BULK_EXEC_TRAIN", None)
        else:
            os.environ["MXNET_EXEC_BULK_EXEC_TRAIN"] = bulk
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
    shapes = image_shape if isinstance(image_shape, dict) else {name: image_shape for name in names}
    batch_sizes = batch_size if isinstance(batch_size, dict) else {name: batch_size for name in names}
    timers = {name: family_timer(name, shapes[name], batch_sizes[name], iters, options.get(name), loss, ctx, seed)
              for name in names}
    rates = {name: [] for name in names}
    for _ in range(repeats):
        for name, timer in timers.items():
            rates[name].append(timer.time_once())
    for timer in timers.values():
        timer.close()
    return {name: (statistics.median(r), r) for name, r in rates.items()}
