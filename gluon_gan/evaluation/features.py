"""Feature extractors for FID/KID: the standard Inception-v3 pool features, and offline stand-ins.

An extractor maps images (N, 3, H, W) in [-1, 1] to feature rows (N, D). Only
``inception`` (2048-d pool features of Inception-v3) gives numbers in the same
space as published FID/KID; the others (``pixels``, ``randconv``) need no
pretrained weights and are fine for watching one model improve or comparing
runs with each other, but their values are *not comparable* to published
FID. Each class says so in ``comparable``. Register your own network with
:func:`register_features`.

The Inception weights come from ``--inception-params FILE``, or from MXNet's
model-zoo cache (``$MXNET_HOME/models/inceptionv3-<hash>.params``,
``~/.mxnet/models`` by default) when their SHA-1 matches the model store's,
or are fetched through ``model_store`` on request (``--download-inception``).
The MXNet weights are not the TensorFlow graph that published FIDs use: see
docs/evaluation.md for numbers comparable to papers.
"""
import glob
import hashlib
import os

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

from ..files.checkpoint import load_parameters
from ..errors import GluonGanError
from ..nn.zoo import IMAGENET_MEAN, IMAGENET_STD

FEATURES = {}

INCEPTION_SIZE = 299


def register_features(cls):
    """Class decorator: make a :class:`FeatureExtractor` subclass available by its ``name``."""
    FEATURES[cls.name] = cls
    return cls


def get_extractor(name, **options):
    if name not in FEATURES:
        raise GluonGanError("unknown feature extractor %r; choose one of %s" % (name, ", ".join(sorted(FEATURES))))
    return FEATURES[name](**options)


class FeatureExtractor:
    """Base class: subclasses set ``name``, ``dim``, ``comparable`` and implement :meth:`forward`."""

    name = None
    dim = None
    comparable = False  # True only where values may be set beside published FID/KID

    def __init__(self, ctx=None, batch_size=64):
        self.ctx = ctx or mx.cpu()
        self.batch_size = batch_size

    def forward(self, images):
        """NDArray (n, 3, H, W) in [-1, 1] on ``self.ctx`` -> NDArray (n, dim)."""
        raise NotImplementedError

    def __call__(self, images):
        """Features of images (NDArray or numpy, any count) as float32 numpy (N, dim), in inference mode."""
        out = []
        for i in range(0, len(images), self.batch_size):
            batch = images[i:i + self.batch_size]
            if isinstance(batch, mx.nd.NDArray):
                batch = batch.as_in_context(self.ctx)
            else:
                batch = mx.nd.array(batch, ctx=self.ctx)
            out.append(self.forward(batch.astype("float32")).asnumpy().astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def identity(self):
        """A string that changes whenever the features would (used to key cached real-image features)."""
        return self.name


def inception_preprocess(images):
    """[-1, 1] images -> the model zoo's Inception input: bilinear 299x299, [0, 1], ImageNet mean/std."""
    x = (images + 1) / 2
    if x.shape[2:] != (INCEPTION_SIZE, INCEPTION_SIZE):
        x = mx.nd.contrib.BilinearResize2D(x, height=INCEPTION_SIZE, width=INCEPTION_SIZE, align_corners=False)
    mean = mx.nd.array(IMAGENET_MEAN, ctx=x.context).reshape((1, 3, 1, 1))
    std = mx.nd.array(IMAGENET_STD, ctx=x.context).reshape((1, 3, 1, 1))
    return mx.nd.broadcast_div(mx.nd.broadcast_sub(x, mean), std)


def inception_cache_path():
    """Where MXNet's model store keeps ``inceptionv3`` (``$MXNET_HOME/models/inceptionv3-<sha1 prefix>.params``)."""
    from mxnet.gluon.model_zoo.model_store import short_hash
    return os.path.join(mx.base.data_dir(), "models", "inceptionv3-%s.params" % short_hash("inceptionv3"))


def inception_sha1():
    """The SHA-1 MXNet's model store publishes for its ``inceptionv3`` weights."""
    from mxnet.gluon.model_zoo import model_store
    return model_store._model_sha1["inceptionv3"]


def fetch_inception_params():
    """Download the model zoo's Inception-v3 weights through MXNet's ``model_store`` (it checks their SHA-1).

    Opt-in (``evaluate.py --download-inception``): the file is about 95 MB, and
    ``$MXNET_GLUON_REPO`` picks another mirror, as for any model-zoo download.
    """
    from mxnet.gluon.model_zoo import model_store
    root = os.path.dirname(inception_cache_path())
    try:
        return model_store.get_model_file("inceptionv3", root=root)
    except Exception as err:  # requests, zip and hash failures all end here; the message is what matters
        from mxnet.gluon.utils import check_sha1
        bad = inception_cache_path()
        if os.path.isfile(bad) and not check_sha1(bad, inception_sha1()):
            os.remove(bad)  # the model store leaves a download that failed its hash check in place
        raise GluonGanError("cannot download the Inception-v3 weights into %s: %s" % (
            root, (str(err).splitlines() or [type(err).__name__])[0])) from None


def find_inception_params(path=None, download=False):
    """The Inception-v3 weights file to use, or a one-line error naming where it was looked for.

    A file given by ``path`` is used as it is. Otherwise only a file of
    MXNet's model-zoo cache whose SHA-1 matches the model store's is taken
    (an interrupted copy or other weights under that name would give wrong
    FIDs silently); with ``download``, missing or bad weights are fetched.
    """
    if path:
        if not os.path.isfile(path):
            raise GluonGanError("Inception-v3 weights not found: %s (the file given to --inception-params)" % path)
        return path
    from mxnet.gluon.utils import check_sha1
    expected = inception_cache_path()
    candidates = [expected] + [p for p in sorted(glob.glob(os.path.join(os.path.dirname(expected),
                                                                        "inceptionv3-*.params"))) if p != expected]
    present = [p for p in candidates if os.path.isfile(p)]
    for candidate in present:
        if check_sha1(candidate, inception_sha1()):
            return candidate
    if download:
        return fetch_inception_params()
    if present:
        raise GluonGanError(
            "%s does not match the SHA-1 of MXNet's inceptionv3 weights (%s): incomplete or other weights; "
            "pass --download-inception to fetch them again, or --inception-params FILE to use a file as it is"
            % (present[0], inception_sha1()))
    raise GluonGanError(
        "Inception-v3 weights not found: looked for %s (MXNet's model-zoo cache): pass --download-inception to "
        "fetch them (about 95 MB, SHA-1 checked), copy that file there, or pass --inception-params FILE; or use "
        "--features pixels/randconv (not comparable to published FID)" % expected)


@register_features
class InceptionFeatures(FeatureExtractor):
    """The 2048-d global-average-pool output of ``gluon.model_zoo.vision.inception_v3``.

    These are the standard FID features in kind. The MXNet model zoo's weights
    are not the TensorFlow graph that published FID numbers were computed with,
    so the values are not those of ``pytorch-fid``/TF FID (docs/evaluation.md
    says how to get those from ``generate.py --individual`` output).
    """

    name = "inception"
    dim = 2048
    comparable = True

    def __init__(self, params=None, ctx=None, batch_size=50, download=False):
        super().__init__(ctx, batch_size)
        from mxnet.gluon.model_zoo import vision
        self.params = find_inception_params(params, download=download)
        net = vision.inception_v3(pretrained=False)
        load_parameters(net, self.params, ctx=self.ctx)
        self.net = net.features  # ends in AvgPool(8) + Dropout: the pool features (dropout is off outside training)
        self.net.hybridize(static_alloc=True)

    def forward(self, images):
        return self.net(inception_preprocess(images)).reshape((0, -1))

    def identity(self):
        st = os.stat(self.params)
        return "%s:%s:%d:%d" % (self.name, os.path.abspath(self.params), st.st_size, st.st_mtime_ns)


@register_features
class PixelFeatures(FeatureExtractor):
    """Raw pixels, area-averaged down to ``size`` x ``size`` (3·size² dims). Offline; NOT comparable to FID.

    Downsampling keeps the covariance small (768 x 768 at 16 px) and measures
    colour and layout statistics; it is blind to most texture.
    """

    name = "pixels"
    comparable = False

    def __init__(self, ctx=None, batch_size=256, size=16):
        super().__init__(ctx, batch_size)
        self.size = size
        self.dim = 3 * size * size

    def forward(self, images):
        h, w = images.shape[2:]
        if h % self.size == 0 and w % self.size == 0:
            x = mx.nd.Pooling(images, kernel=(h // self.size, w // self.size),
                              stride=(h // self.size, w // self.size), pool_type="avg")
        else:
            x = mx.nd.contrib.BilinearResize2D(images, height=self.size, width=self.size, align_corners=False)
        return x.reshape((0, -1))

    def identity(self):
        return "%s:%d" % (self.name, self.size)


@register_features
class RandomConvFeatures(FeatureExtractor):
    """A fixed, randomly initialised conv net (seeded, He-normal): 256-d. Offline; NOT comparable to FID.

    Random convolutional features are a known stand-in when no trained network
    is available: they respond to edges and textures, unlike ``pixels``, but
    weigh them arbitrarily. The weights come from ``seed`` alone, so the same
    seed gives the same features on every machine.
    """

    name = "randconv"
    dim = 256
    comparable = False
    WIDTHS = (32, 64, 128, 256)

    def __init__(self, ctx=None, batch_size=256, seed=0):
        super().__init__(ctx, batch_size)
        self.seed = seed
        net = nn.HybridSequential()
        for width in self.WIDTHS:
            net.add(nn.Conv2D(width, 4, strides=2, padding=1), nn.Activation("relu"))
        net.add(nn.GlobalAvgPool2D(), nn.Flatten())
        net.initialize(ctx=self.ctx)
        net(mx.nd.zeros((1, 3, 64, 64), ctx=self.ctx))  # materialise the deferred shapes
        rs = np.random.RandomState(seed)
        for layer in net:
            if isinstance(layer, nn.Conv2D):
                shape = layer.weight.shape
                std = np.sqrt(2.0 / np.prod(shape[1:]))
                layer.weight.set_data(mx.nd.array(rs.normal(0, std, size=shape).astype(np.float32)))
                layer.bias.set_data(mx.nd.zeros(layer.bias.shape))
        net.hybridize(static_alloc=True)
        self.net = net

    def forward(self, images):
        if images.shape[2:] != (64, 64):
            images = mx.nd.contrib.BilinearResize2D(images, height=64, width=64, align_corners=False)
        return self.net(images)

    def identity(self):
        return "%s:%d" % (self.name, self.seed)


def array_digest(array):
    """A short content hash of a numpy array (its shape, dtype and bytes)."""
    digest = hashlib.sha1(("%s %s\n" % (array.shape, array.dtype)).encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]

