"""A mode-collapse signal that needs no pretrained network: how different the samples are from each other.

Distances are per-pixel RMS differences between images in [-1, 1], i.e.
``||a - b|| / sqrt(3·H·W)``: 0 for identical images, 2 for black vs white,
independent of the image size. For a batch we report

- ``pairwise``: the mean distance over all pairs -- how spread out the batch is;
- ``nn``: the mean distance from each image to its nearest other image;
- ``duplicates``: the fraction of images whose nearest other image is closer
  than ``threshold`` (default 0.05, about 6 grey levels RMS) -- near-copies.

Alone these numbers mean little; beside the same statistics of real images
they do. A collapsing generator shows fake ``pairwise``/``nn`` falling well
below the real ones and ``duplicates`` rising towards 1.
:class:`DiversityLog` writes them to ``diversity.csv`` after every epoch.
"""
import csv
import logging

import numpy as np

from ..files import csvlog
from ..training.callbacks import Callback
from ..training.sampling import fixed_noise

log = logging.getLogger(__name__)

DUPLICATE_THRESHOLD = 0.05
COLUMNS = ("epoch", "fake_pairwise", "real_pairwise", "pairwise_ratio", "fake_nn", "real_nn",
           "fake_duplicates", "real_duplicates")


def _as_rows(images):
    """(N, ...) NDArray/numpy -> float64 (N, D); uint8 is mapped to [-1, 1] as in training."""
    arr = images.asnumpy() if hasattr(images, "asnumpy") else np.asarray(images)
    rows = arr.reshape(len(arr), -1).astype(np.float64)
    if arr.dtype == np.uint8:
        rows = rows / 127.5 - 1
    return rows


def pairwise_distances(images):
    """(N, N) per-pixel RMS distances between all pairs of images; zero diagonal."""
    x = _as_rows(images)
    sq = (x * x).sum(axis=1)
    d2 = sq[:, None] + sq[None, :] - 2 * (x @ x.T)
    np.fill_diagonal(d2, 0)
    return np.sqrt(np.clip(d2, 0, None) / x.shape[1])


def diversity_stats(images, threshold=DUPLICATE_THRESHOLD):
    """``{"pairwise", "nn", "duplicates"}`` for a batch of at least 2 images (see the module docstring)."""
    if len(images) < 2:
        raise ValueError("diversity needs at least 2 images, got %d" % len(images))
    d = pairwise_distances(images)
    n = len(d)
    nearest = np.where(np.eye(n, dtype=bool), np.inf, d).min(axis=1)
    return {"pairwise": float(d.sum() / (n * (n - 1))),
            "nn": float(nearest.mean()),
            "duplicates": float((nearest <= threshold).mean())}


def compare(fake, real, threshold=DUPLICATE_THRESHOLD):
    """The statistics of fakes and reals side by side, plus ``pairwise_ratio`` = fake / real pairwise."""
    f, r = diversity_stats(fake, threshold), diversity_stats(real, threshold)
    out = {"fake_" + k: v for k, v in f.items()}
    out.update({"real_" + k: v for k, v in r.items()})
    out["pairwise_ratio"] = f["pairwise"] / r["pairwise"] if r["pairwise"] > 0 else float("nan")
    return out


def read_diversity(csv_path):
    """Rows of ``diversity.csv`` as dicts of floats (``epoch`` as int); malformed lines skipped."""
    rows = []
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                parsed = {k: float(row[k]) for k in COLUMNS}
            except (KeyError, TypeError, ValueError):
                continue
            parsed["epoch"] = int(parsed["epoch"])
            rows.append(parsed)
    return rows


class DiversityLog(Callback):
    """After every epoch: diversity of G's samples for fixed noise vs a fixed set of real images.

    The real statistics are computed once at the start. The work happens only
    at epoch end (a few hundred samples), never per iteration.
    """

    def __init__(self, csv_path, real_images, noise, threshold=DUPLICATE_THRESHOLD, chunk=64):
        self.csv_path = csv_path
        self.real_images = real_images
        self.noise = noise
        self.threshold = threshold
        self.chunk = chunk

    @classmethod
    def for_run(cls, csv_path, images, latent_shape, seed=0, ctx=None, count=256):
        """The training run's log: ``count`` real images and latents fixed by ``seed`` (not the grids' noise)."""
        pick = np.sort(np.random.RandomState(seed).choice(len(images), min(count, len(images)), replace=False))
        return cls(csv_path, images[pick], fixed_noise(latent_shape, count, seed=seed + 1, ctx=ctx))

    def on_train_begin(self, trainer, start_epoch):
        csvlog.keep_epochs_up_to(self.csv_path, COLUMNS, start_epoch)
        self.real = None
        if len(self.real_images) < 2 or len(self.noise) < 2:
            log.warning("diversity log off: it needs at least 2 real images and 2 samples")
            return
        self.real = diversity_stats(self.real_images, self.threshold)

    def on_epoch_end(self, trainer, epoch):
        if self.real is None:
            return
        fake = np.concatenate([trainer.generate(self.noise[i:i + self.chunk]).asnumpy()
                               for i in range(0, len(self.noise), self.chunk)])
        f = diversity_stats(fake, self.threshold)
        ratio = f["pairwise"] / self.real["pairwise"] if self.real["pairwise"] > 0 else float("nan")
        row = [epoch + 1, f["pairwise"], self.real["pairwise"], ratio, f["nn"], self.real["nn"],
               f["duplicates"], self.real["duplicates"]]
        log.info("epoch %d diversity: pairwise %.4f (real %.4f, ratio %.2f), near-duplicates %.1f%% (real %.1f%%)",
                 epoch + 1, f["pairwise"], self.real["pairwise"], ratio, 100 * f["duplicates"],
                 100 * self.real["duplicates"])
        csvlog.append_row(self.csv_path, COLUMNS, [row[0]] + [round(v, 6) for v in row[1:]])
