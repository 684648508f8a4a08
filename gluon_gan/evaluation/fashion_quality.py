"""The Fashion-MNIST yardstick's numbers for generated images, judged by :mod:`.fashion_classifier`.

As MNIST GAN papers do: the Fréchet distance between generated and training
images in the classifier's penultimate (128-d) feature space (the maths of
:mod:`gluon_gan.evaluation.fid`), printed beside its floor, the same distance
between the test and training sets (what a perfect generator would score at
that sample size); the histogram of predicted classes, how many classes hold at
least 5% of the samples and KL(histogram || uniform) in nats (mode collapse);
and the mean top-class probability (how recognisable the samples are).
"""
import csv
import logging
import os

import mxnet as mx
import numpy as np

from ..data.fashion_mnist import CLASS_NAMES, load_fashion_mnist
from ..files import csvlog
from ..files.atomic import atomic_write
from ..training.callbacks import Callback
from ..training.sampling import RunGenerator, draw
from . import fid
from .fashion_classifier import CLASSIFIER_VERSION, NUM_CLASSES, classifier_path, classify, file_digest, load_classifier

log = logging.getLogger(__name__)

COVERAGE_THRESHOLD = 0.05  # a class is "covered" when it holds at least this share of the samples

def class_histogram(probs):
    """Share of samples whose top class is each of the 10 classes."""
    predicted = np.asarray(probs).argmax(axis=1)
    return np.bincount(predicted, minlength=NUM_CLASSES)[:NUM_CLASSES] / float(len(predicted))


def kl_from_uniform(histogram):
    """KL(histogram || uniform) in nats: 0 for perfectly balanced classes, log(10) = 2.303 for one class."""
    p = np.asarray(histogram, np.float64)
    nonzero = p[p > 0]
    return float(np.sum(nonzero * np.log(nonzero * len(p))))


def coverage(histogram, threshold=COVERAGE_THRESHOLD):
    """How many classes hold at least ``threshold`` of the samples."""
    return int(np.sum(np.asarray(histogram) >= threshold - 1e-12))


def mean_confidence(probs):
    return float(np.asarray(probs).max(axis=1).mean())


class Reference:
    """The real data in feature space: training-set Gaussian, and the floor (test vs training Fréchet distance)."""

    def __init__(self, mean, cov, floor, num_train, num_test):
        self.mean, self.cov, self.floor = mean, cov, float(floor)
        self.num_train, self.num_test = int(num_train), int(num_test)

    @classmethod
    def compute(cls, net, train_images, test_images, ctx=None):
        train_mu, train_cov = fid.gaussian_stats(classify(net, train_images, ctx=ctx)[0])
        test_mu, test_cov = fid.gaussian_stats(classify(net, test_images, ctx=ctx)[0])
        floor = fid.frechet_distance(test_mu, test_cov, train_mu, train_cov)
        return cls(train_mu, train_cov, floor, len(train_images), len(test_images))

    def save(self, path):
        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez(f, mean=self.mean, cov=self.cov, floor=self.floor, num_train=self.num_train,
                         num_test=self.num_test)
        atomic_write(path, write)

    @classmethod
    def load(cls, path):
        with np.load(path) as z:
            return cls(z["mean"], z["cov"], z["floor"], z["num_train"], z["num_test"])


def load_reference(net, classifier_file=None, cache_dir=None, data_dir=None, ctx=None):
    """The :class:`Reference` for the cached classifier, computed once and cached beside it (keyed by its bytes)."""
    classifier_file = classifier_file or classifier_path(cache_dir)
    key = file_digest(classifier_file) if os.path.isfile(classifier_file) else None
    path = os.path.join(os.path.dirname(classifier_file), "reference-%s-%s.npz" % (CLASSIFIER_VERSION, key))
    if key and os.path.isfile(path):
        return Reference.load(path)
    train = load_fashion_mnist("train", data_dir=data_dir, cache_dir=cache_dir)[0]
    test = load_fashion_mnist("test", data_dir=data_dir, cache_dir=cache_dir)[0]
    reference = Reference.compute(net, train, test, ctx=ctx)
    if key:
        reference.save(path)
    return reference


def fashion_quality(images, net, reference=None, batch_size=500, ctx=None):
    """The yardstick for generated ``images`` ((N, C, H, W) in [-1, 1], NDArray or numpy) as a dict.

    Keys: ``fid`` (vs the training set) and ``fid_floor`` (test vs training;
    both ``None`` without a ``reference``), ``class_histogram`` (10 shares),
    ``classes_covered`` (classes with >= 5%), ``kl_uniform`` (nats),
    ``confidence`` (mean top-class probability), ``num_images``.
    """
    feats, probs = classify(net, images, batch_size=batch_size, ctx=ctx)
    hist = class_histogram(probs)
    result = {"num_images": len(feats), "class_histogram": [round(float(v), 6) for v in hist],
              "classes_covered": coverage(hist), "kl_uniform": kl_from_uniform(hist),
              "confidence": mean_confidence(probs), "fid": None, "fid_floor": None}
    if reference is not None:
        mu, cov = fid.gaussian_stats(feats)
        result["fid"] = fid.frechet_distance(mu, cov, reference.mean, reference.cov)
        result["fid_floor"] = reference.floor
    return result


def format_quality(result):
    """Lines for a terminal: FD beside its floor, coverage, KL, confidence, the histogram by class name."""
    lines = []
    if result.get("fid") is not None:
        lines.append("Frechet distance (Fashion-MNIST classifier features) %.3f   (floor %.3f: test vs training set)"
                     % (result["fid"], result["fid_floor"]))
    lines.append("classes covered (>= %d%% of samples) %d/10   KL from uniform %.4f nats   mean confidence %.3f   "
                 "(%d images)" % (round(100 * COVERAGE_THRESHOLD), result["classes_covered"], result["kl_uniform"],
                                  result["confidence"], result["num_images"]))
    lines.append("predicted classes: " + ", ".join("%s %.1f%%" % (name, 100 * share)
                                                   for name, share in zip(CLASS_NAMES, result["class_histogram"])))
    return "\n".join(lines)


def evaluate_generator(gen, num=10000, seed=0, ctx=None, cache_dir=None, data_dir=None, batch_size=500):
    """The yardstick for a loaded generator (a :class:`~gluon_gan.training.sampling.RunGenerator`)."""
    ctx = ctx or mx.cpu()
    images = draw(gen, num, seed, ctx=ctx)
    net = load_classifier(cache_dir=cache_dir, data_dir=data_dir, ctx=ctx)
    reference = load_reference(net, cache_dir=cache_dir, data_dir=data_dir, ctx=ctx)
    return fashion_quality(images, net, reference, batch_size=batch_size, ctx=ctx)

QUALITY_COLUMNS = ("epoch", "fid", "fid_floor", "classes_covered", "kl_uniform", "confidence") + tuple(
    "share_%d" % c for c in range(NUM_CLASSES))


class FashionQualityLog(Callback):
    """After every epoch: the yardstick on ``count`` samples of fixed latents, one row of ``fashion_quality.csv``.

    The Fréchet distance grows as the sample shrinks, so the floor in each row
    is measured at the same size: ``count`` test images against the training
    set (computed once, at the start).
    """

    def __init__(self, csv_path, count=2000, seed=0, cache_dir=None, data_dir=None, batch_size=500):
        self.csv_path, self.count, self.seed = csv_path, int(count), seed
        self.cache_dir, self.data_dir, self.batch_size = cache_dir, data_dir, batch_size

    def on_train_begin(self, trainer, start_epoch):
        csvlog.keep_epochs_up_to(self.csv_path, QUALITY_COLUMNS, start_epoch)
        self.ctx = trainer.ctx[0]
        self.net = load_classifier(cache_dir=self.cache_dir, data_dir=self.data_dir, ctx=self.ctx)
        self.reference = load_reference(self.net, cache_dir=self.cache_dir, data_dir=self.data_dir, ctx=self.ctx)
        test = load_fashion_mnist("test", data_dir=self.data_dir, cache_dir=self.cache_dir)[0]
        pick = np.sort(np.random.RandomState(self.seed).choice(len(test), min(self.count, len(test)), replace=False))
        self.floor = fashion_quality(test[pick], self.net, self.reference, self.batch_size, self.ctx)["fid"]

    def _samples(self, trainer):
        return draw(RunGenerator(trainer.family, trainer.netG), self.count, self.seed + 1, self.ctx, self.batch_size)

    def on_epoch_end(self, trainer, epoch):
        result = fashion_quality(self._samples(trainer), self.net, self.reference, self.batch_size, self.ctx)
        result["fid_floor"] = self.floor
        log.info("epoch %d Fashion-MNIST quality (%d samples): FD %.3f (floor %.3f), %d/10 classes, KL %.4f, "
                 "confidence %.3f", epoch + 1, self.count, result["fid"], self.floor, result["classes_covered"],
                 result["kl_uniform"], result["confidence"])
        row = ([epoch + 1, round(result["fid"], 6), round(self.floor, 6), result["classes_covered"],
                round(result["kl_uniform"], 6), round(result["confidence"], 6)] + result["class_histogram"])
        csvlog.append_row(self.csv_path, QUALITY_COLUMNS, row)


def read_quality_log(csv_path):
    """The per-epoch rows of ``fashion_quality.csv`` as dicts of numbers ([] when absent)."""
    if not os.path.exists(csv_path):
        return []
    with open(csv_path, newline="") as f:
        return [{k: (int(v) if k in ("epoch", "classes_covered") else float(v)) for k, v in row.items()}
                for row in csv.DictReader(f)]
