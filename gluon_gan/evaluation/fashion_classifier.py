"""The Fashion-MNIST classifier the project trains itself, since Inception weights are not to be had offline.

A small CNN trained on the Fashion-MNIST training set; its weights live in the
cache as ``.params``, keyed by :data:`CLASSIFIER_VERSION` (change it whenever
the network or its training changes), trained on first use or by
``scripts/train_classifier.py``. Its 128-d penultimate features are the
``fashion`` extractor of :mod:`gluon_gan.evaluation.features`, so ``evaluate.py
--features fashion`` works on any run; :mod:`.fashion_quality` turns its
outputs into the yardstick's numbers.
"""
import hashlib
import logging
import os
import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon import nn
from tqdm import tqdm

from ..data.fashion_mnist import load_fashion_mnist
from ..data.images import default_cache_dir
from ..errors import GluonGanError
from ..files.checkpoint import load_parameters, save_parameters
from .features import FeatureExtractor, register_features

log = logging.getLogger(__name__)

CLASSIFIER_VERSION = "fashion-cnn-v1"
NUM_CLASSES = 10
FEATURE_DIM = 128
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

def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


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
        return "%s:%s:%s" % (self.name, CLASSIFIER_VERSION, file_digest(self.params))


# ---- per-epoch log -------------------------------------------------------------------------------
