"""The mode-collapse benchmark: 2-D Gaussian mixtures, small MLP GANs, and the VEEGAN/PacGAN metrics.

Two standard mixtures (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018):
``ring``, 8 Gaussians of std 0.01 at (cos 2πk/8, sin 2πk/8), k = 0..7, and
``grid``, 25 Gaussians of std 0.05 at {-4,-2,0,2,4}². The modes are equally
likely. The metrics of a generator's samples:

- a sample is *high quality* if it lies within 3 std of its nearest mode;
- a mode is *captured* if it is the nearest mode of at least one
  high-quality sample;
- *reverse KL*: KL(p_gen || uniform) where p_gen is the histogram of the
  high-quality samples over their nearest modes (PacGAN's code counts only
  high-quality samples, and so do we). 0 means every mode gets its share.

Training uses the library's own :class:`~gluon_gan.training.GANTrainer`, so the
losses benchmarked are exactly those ``--loss`` selects for faces.
"""
import dataclasses
import math
import os
import time

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from ..training.losses import get_loss
from ..training.loop import GANTrainer

HQ_STDS = 3.0


def ring_modes(count=8, radius=1.0):
    """``count`` points evenly on a circle; ``k/count`` for k in range(count), so no mode is duplicated."""
    angles = 2 * np.pi * np.arange(count) / count
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_modes(values=(-4, -2, 0, 2, 4)):
    return np.array([(x, y) for x in values for y in values], dtype=np.float64)


MIXTURES = {"ring": (ring_modes(), 0.01), "grid": (grid_modes(), 0.05)}


def sample_mixture(modes, std, count, rng):
    """``count`` points of the equal-weight mixture of isotropic Gaussians at ``modes``."""
    which = rng.randint(len(modes), size=count)
    return modes[which] + std * rng.normal(size=(count, modes.shape[1]))


def mode_metrics(samples, modes, std, hq_stds=HQ_STDS):
    """``{"modes": captured, "hq": fraction high quality, "reverse_kl": KL(p_gen || uniform)}``.

    Reverse KL is NaN when no sample is high quality (its histogram is empty).
    """
    samples = np.asarray(samples, dtype=np.float64)
    dist = np.sqrt(((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=2))
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] < hq_stds * std
    counts = np.bincount(nearest[good], minlength=len(modes)).astype(np.float64)
    return {"modes": int((counts > 0).sum()), "hq": float(good.mean()), "reverse_kl": reverse_kl(counts)}


def reverse_kl(counts):
    """KL(p || uniform) for the histogram ``counts``: sum p log(p K) over the non-empty bins."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts[counts > 0] / total
    return float((p * np.log(p * len(counts))).sum())


def mean_and_stderr(values):
    """Mean and standard error of the mean (sample std / sqrt(n); 0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return float(values.mean()), 0.0
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def mlp(out_units, width, depth, activation):
    """``depth`` hidden Dense layers of ``width`` units, then a linear output layer."""
    net = nn.HybridSequential()
    with net.name_scope():
        for _ in range(depth):
            net.add(nn.Dense(width))
            net.add(nn.LeakyReLU(0.2) if activation == "leaky" else nn.Activation(activation))
        net.add(nn.Dense(out_units))
    return net


class _NoMetric:
    """The benchmark never logs accuracy; skipping its update saves a dozen operators per step."""

    def update(self, labels, preds):
        pass


@dataclasses.dataclass
class ToyConfig:
    """One benchmark run. ``iterations`` counts D updates (G updates = iterations / d_steps)."""
    loss: str = "hinge"
    mixture: str = "grid"
    seed: int = 0
    iterations: int = 10000
    batch_size: int = 256
    nz: int = 2
    width: int = 64
    depth: int = 3
    lr: float = 1e-3          # None: the loss's own default (see losses.py)
    lr_d: float = None        # D's own rate (TTUR); None: lr
    beta1: float = None       # None: 0.5 for Adam (wgan-gp's own 0)
    d_steps: int = None       # None: the loss's own (5 for wgan and wgan-gp)
    decay: float = 0.1        # both learning rates fall linearly to this fraction by the end (sharper modes)
    samples: int = 2500


def train_toy(config, ctx=None):
    """Train one MLP GAN on ``config.mixture``; returns (metrics dict, generated samples, seconds)."""
    ctx = ctx or mx.cpu()
    modes, std = MIXTURES[config.mixture]
    mx.random.seed(config.seed)
    rng = np.random.RandomState(config.seed)
    netG = mlp(2, config.width, config.depth, "relu")
    netD = mlp(1, config.width, config.depth, "leaky")
    for net in (netG, netD):
        net.initialize(mx.init.Xavier(), ctx=ctx)
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = GANTrainer(netG, netD, get_loss(config.loss), [ctx], nz=config.nz, lr=config.lr, lr_d=config.lr_d,
                         beta1=config.beta1, kvstore=None, d_steps=config.d_steps)
    trainer.metric = _NoMetric()
    base = [(t, t.learning_rate) for t in (trainer.trainerG, trainer.trainerD)]
    chunk = 500
    tic = time.time()
    for i in range(config.iterations):
        if i % chunk == 0:  # the real batches of the next iterations in one transfer
            n = min(chunk, config.iterations - i)
            real = mx.nd.array(sample_mixture(modes, std, n * config.batch_size, rng)
                               .reshape(n, config.batch_size, 2), ctx=ctx)
        if i % 100 == 0:
            for t, lr in base:
                t.set_learning_rate(lr * (1 - (1 - config.decay) * i / config.iterations))
        trainer.step(real[i % chunk])
    z = mx.nd.array(rng.normal(size=(config.samples, config.nz, 1, 1)), ctx=ctx)
    samples = trainer.generate(z).asnumpy()
    seconds = time.time() - tic
    return mode_metrics(samples, modes, std), samples, seconds


# Plain GAN and PacGAN4 on the same mixtures and metrics: PacGAN (Lin et al. 2018), Table 1.
PUBLISHED = [
    ("GAN (PacGAN paper, Table 1)", {"ring": (6.3, 98.2, 0.45), "grid": (17.3, 94.8, 0.70)}),
    ("PacGAN4 (PacGAN paper, Table 1)", {"ring": (7.8, 95.9, 0.07), "grid": (24.8, 93.6, 0.04)}),
]


def run_one(config):
    """One benchmark run as a plain dict (picklable, for worker processes)."""
    metrics, _, seconds = train_toy(config)
    return dict(metrics, loss=config.loss, mixture=config.mixture, seed=config.seed, seconds=seconds)


def run_all(configs, jobs=1, progress=None):
    """Run ``configs`` in ``jobs`` worker processes (1: in this process); ``progress(result)`` after each."""
    results = []
    if jobs <= 1:
        for config in configs:
            results.append(run_one(config))
            if progress:
                progress(results[-1])
        return results
    import multiprocessing
    # Each worker runs one single-threaded MXNet: tiny networks gain nothing from OpenMP threads, and
    # workers that each take every core only fight. Spawned children read the variable at import.
    saved = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        pool = multiprocessing.get_context("spawn").Pool(jobs)
    finally:
        if saved is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = saved
    with pool:
        for result in pool.imap_unordered(run_one, configs):
            results.append(result)
            if progress:
                progress(result)
    return results


def summarize(results):
    """``{(loss, mixture): {"modes"|"hq"|"reverse_kl": (mean, stderr), "runs": n, "seconds": total}}``."""
    groups = {}
    for r in results:
        groups.setdefault((r["loss"], r["mixture"]), []).append(r)
    summary = {}
    for key, runs in groups.items():
        summary[key] = {name: mean_and_stderr([r[name] for r in runs]) for name in ("modes", "hq", "reverse_kl")}
        summary[key]["runs"] = len(runs)
        summary[key]["seconds"] = sum(r["seconds"] for r in runs)
    return summary
