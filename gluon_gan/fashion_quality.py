"""A Fashion-MNIST yardstick for generated images, trained here, since Inception weights are not to be had offline.

As MNIST GAN papers do, a small CNN classifier trained on the Fashion-MNIST
training set judges the samples: the Fréchet distance between generated and
training images in its penultimate (128-d) feature space (the maths of
:mod:`gluon_gan.fid`), printed beside its floor, the same distance between the
test and training sets (what a perfect generator would score at that sample
size); the histogram of predicted classes, how many classes hold at least 5%
of the samples and KL(histogram || uniform) in nats (mode collapse); and the
mean top-class probability (how recognisable the samples are).

The classifier's weights live in the cache as ``.params``, keyed by
:data:`CLASSIFIER_VERSION` (change it whenever the network or its training
changes), trained on first use or by ``scripts/train_classifier.py``. Its
features are also the ``fashion`` extractor of :mod:`gluon_gan.features`, so
``evaluate.py --features fashion`` works on any run.
"""
import csv
import hashlib
import logging
import os
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon import nn
from tqdm import tqdm

from .files import csvlog
from . import fid
from .files.atomic import atomic_write
from .files.checkpoint import load_parameters, save_parameters
from .errors import GluonGanError
from .features import FeatureExtractor, register_features
from .data.fashion_mnist import CLASS_NAMES, load_fashion_mnist
from .data.images import default_cache_dir
from .training.callbacks import Callback
from .training.sampling import RunGenerator, draw

log = logging.getLogger(__name__)

CLASSIFIER_VERSION = "fashion-cnn-v1"
NUM_CLASSES = 10
FEATURE_DIM = 128
COVERAGE_THRESHOLD = 0.05  # a class is "covered" when it holds at least this share of the samples
IMAGE_SIZE = 28


class FashionClassifier(nn.HybridBlock):
    """Two conv+BN+ReLU+max-pool stages (28 -> 14 -> 7), Dense(128)+ReLU (the features), Dense(10).

    Small on purpose: 0.42 M parameters, about 4 M multiply-adds per image, so
    training reaches >= 90% test accuracy in a few CPU minutes. Input: grey
    (N, 1, 28, 28) in [-1, 1] (see :func:`to_classifier_input`).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(32, 3, padding=1, in_channels=1), nn.BatchNorm(in_channels=32),
                          nn.Activation("relu"), nn.MaxPool2D(2),
                          nn.Conv2D(64, 3, padding=1, in_channels=32), nn.BatchNorm(in_channels=64),
                          nn.Activation("relu"), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dense(FEATURE_DIM, in_units=64 * 7 * 7), nn.Activation("relu"))
            self.head = nn.Dense(NUM_CLASSES, in_units=FEATURE_DIM)

    def hybrid_forward(self, F, x):
        return self.head(self.body(x))


def build_classifier(ctx=None):
    net = FashionClassifier()
    net.initialize(mx.init.Xavier(magnitude=2.24), ctx=ctx or mx.cpu())
    net.hybridize(static_alloc=True)
    return net


def to_classifier_input(images):
    """NDArray (N, C, H, W) in [-1, 1] -> (N, 1, 28, 28): channels averaged, then area (or bilinear) resize."""
    x = images.mean(axis=1, keepdims=True) if images.shape[1] != 1 else images
    h, w = x.shape[2:]
    if (h, w) == (IMAGE_SIZE, IMAGE_SIZE):
        return x
    if h % IMAGE_SIZE == 0 and w % IMAGE_SIZE == 0:
        kernel = (h // IMAGE_SIZE, w // IMAGE_SIZE)
        return mx.nd.Pooling(x, kernel=kernel, stride=kernel, pool_type="avg")
    return mx.nd.contrib.BilinearResize2D(x, height=IMAGE_SIZE, width=IMAGE_SIZE, align_corners=False)


def _batches(images, batch_size, ctx):
    """float32 [-1, 1] NDArrays from uint8 data (scaled like the GAN data) or from float images as they are."""
    for i in range(0, len(images), batch_size):
        batch = images[i:i + batch_size]
        if not isinstance(batch, mx.nd.NDArray):
            batch = mx.nd.array(batch, ctx=ctx, dtype=batch.dtype)
        batch = batch.as_in_context(ctx)
        if batch.dtype == np.uint8:
            batch = batch.astype("float32") / 127.5 - 1
        yield to_classifier_input(batch.astype("float32"))


def classify(net, images, batch_size=500, ctx=None):
    """``(features (N, 128), probabilities (N, 10))`` as float64 numpy, in inference mode."""
    ctx = ctx or mx.cpu()
    feats, probs = [], []
    for x in _batches(images, batch_size, ctx):
        f = net.body(x)
        feats.append(f.asnumpy())
        probs.append(mx.nd.softmax(net.head(f)).asnumpy())
    if not feats:
        raise GluonGanError("no images to classify")
    return np.concatenate(feats).astype(np.float64), np.concatenate(probs).astype(np.float64)


def accuracy(net, images, labels, batch_size=500, ctx=None):
    """Top-1 accuracy (``mx.metric.Accuracy``) of ``net`` on uint8 or [-1, 1] images."""
    ctx = ctx or mx.cpu()
    metric = mx.metric.Accuracy()
    for i, x in enumerate(_batches(images, batch_size, ctx)):
        metric.update([mx.nd.array(labels[i * batch_size:(i + 1) * batch_size], ctx=ctx)], [net(x)])
    return metric.get()[1]


def train_classifier(images, labels, epochs=3, batch_size=64, learning_rate=1e-3, seed=0, ctx=None,
                     progress=True):
    """Train a fresh :class:`FashionClassifier` with Adam on uint8 (N, 1, 28, 28) images; returns the net.

    The learning rate is halved each epoch after the first (a short schedule
    that settles the last epoch's accuracy).
    """
    ctx = ctx or mx.cpu()
    mx.random.seed(seed)
    rs = np.random.RandomState(seed)
    net = build_classifier(ctx)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": learning_rate})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    labels = np.asarray(labels)
    steps = len(images) // batch_size
    metric = mx.metric.Accuracy()
    for epoch in range(epochs):
        trainer.set_learning_rate(learning_rate * 0.5 ** epoch)
        order = rs.permutation(len(images))
        metric.reset()
        tic = time.time()
        with tqdm(total=steps, desc="classifier epoch %d/%d" % (epoch + 1, epochs), unit="batch",
                  disable=None if progress else True, leave=False) as bar:
            for step in range(steps):
                idx = np.sort(order[step * batch_size:(step + 1) * batch_size])
                x = next(_batches(images[idx], batch_size, ctx))
                y = mx.nd.array(labels[idx], ctx=ctx)
                with autograd.record():
                    out = net(x)
                    loss = loss_fn(out, y)
                loss.backward()
                trainer.step(batch_size)
                metric.update([y], [out])
                bar.update(1)
        log.info("classifier epoch %d/%d: training accuracy %.4f (%.0f s)", epoch + 1, epochs, metric.get()[1],
                 time.time() - tic)
    return net


def classifier_path(cache_dir=None):
    """Where the cached classifier weights live (the version string is in the name)."""
    if cache_dir is None:
        cache_dir = default_cache_dir()
    return os.path.join(cache_dir, "fashion-mnist", "classifier-%s.params" % CLASSIFIER_VERSION)


def train_and_save(path, data_dir=None, cache_dir=None, ctx=None, progress=True, **train_options):
    """Train on the Fashion-MNIST training set, save atomically to ``path``; returns (net, test accuracy)."""
    images, labels = load_fashion_mnist("train", data_dir=data_dir, cache_dir=cache_dir)
    test_images, test_labels = load_fashion_mnist("test", data_dir=data_dir, cache_dir=cache_dir)
    net = train_classifier(images, labels, ctx=ctx, progress=progress, **train_options)
    acc = accuracy(net, test_images, test_labels, ctx=ctx)
    save_parameters(net, path)
    log.info("Fashion-MNIST classifier: test accuracy %.4f, saved to %s", acc, path)
    return net, acc


def load_classifier(path=None, cache_dir=None, data_dir=None, ctx=None, train_if_missing=True, progress=True):
    """The yardstick classifier from ``path`` (default: the cache), trained and saved there first if absent."""
    path = path or classifier_path(cache_dir)
    if os.path.isfile(path):
        net = FashionClassifier()
        load_parameters(net, path, ctx=ctx or mx.cpu())
        net.hybridize(static_alloc=True)
        return net
    if not train_if_missing:
        raise GluonGanError("Fashion-MNIST classifier not found: %s; train it with scripts/train_classifier.py"
                            % path)
    log.info("no Fashion-MNIST classifier at %s: training one (a few minutes, once)", path)
    return train_and_save(path, data_dir=data_dir, cache_dir=cache_dir, ctx=ctx, progress=progress)[0]


# ---- the numbers ---------------------------------------------------------------------------------

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


def _file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


def load_reference(net, classifier_file=None, cache_dir=None, data_dir=None, ctx=None):
    """The :class:`Reference` for the cached classifier, computed once and cached beside it (keyed by its bytes)."""
    classifier_file = classifier_file or classifier_path(cache_dir)
    key = _file_digest(classifier_file) if os.path.isfile(classifier_file) else None
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

@register_features
class FashionFeatures(FeatureExtractor):
    """The Fashion-MNIST classifier's 128-d penultimate features (trained and cached on first use).

    Meaningful for Fashion-MNIST-like grey images; NOT comparable to published
    (Inception) FID. Any channel count and size is converted like the yardstick's input.
    """

    name = "fashion"
    dim = FEATURE_DIM
    comparable = False

    def __init__(self, ctx=None, batch_size=500, params=None, cache_dir=None, data_dir=None):
        super().__init__(ctx, batch_size)
        self.params = params or classifier_path(cache_dir)
        self.net = load_classifier(self.params, cache_dir=cache_dir, data_dir=data_dir, ctx=self.ctx)

    def forward(self, images):
        return self.net.body(to_classifier_input(images))

    def identity(self):
        return "%s:%s:%s" % (self.name, CLASSIFIER_VERSION, _file_digest(self.params))


# ---- per-epoch log -------------------------------------------------------------------------------

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
