"""Feature extractors: the Inception path with random weights (the real ones cannot be downloaded), and stand-ins."""
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon.model_zoo import vision

from gluon_gan.evaluation import features
from gluon_gan.errors import GluonGanError


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """Randomly initialised Inception-v3 weights in the model zoo's file format."""
    mx.random.seed(1)
    net = vision.inception_v3()
    net.initialize(mx.init.Xavier())
    net(mx.nd.zeros((1, 3, 299, 299)))  # materialise deferred shapes (and BatchNorm running stats)
    path = str(tmp_path_factory.mktemp("zoo") / "inceptionv3-random.params")
    net.save_parameters(path)
    return path


def _images(n, seed=0, size=64):
    return np.random.RandomState(seed).uniform(-1, 1, size=(n, 3, size, size)).astype(np.float32)


def test_inception_gives_deterministic_2048_d_pool_features(inception_file):
    ext = features.get_extractor("inception", params=inception_file, batch_size=2)
    images = _images(3)
    a = ext(images)  # two batches: 2 + 1
    assert a.shape == (3, 2048) and a.dtype == np.float32
    assert np.isfinite(a).all() and a.std() > 0
    assert (a >= 0).all()  # average of ReLU outputs
    np.testing.assert_allclose(ext(images[::-1].copy())[::-1], a, rtol=1e-4, atol=1e-5)  # per-image, any order
    # The same numbers as the model zoo network's own feature stack on our preprocessing.
    net = vision.inception_v3()
    net.load_parameters(inception_file)
    direct = net.features(features.inception_preprocess(mx.nd.array(images[:1]))).asnumpy().reshape(1, -1)
    np.testing.assert_allclose(a[:1], direct, rtol=1e-4, atol=1e-5)
    assert ext.comparable and ext.identity().startswith("inception:")


def test_inception_preprocessing_resizes_to_299_and_normalises_like_the_model_zoo():
    grey = mx.nd.full((2, 3, 64, 64), 0.2)  # (0.2 + 1) / 2 = 0.6 in [0, 1]
    x = features.inception_preprocess(grey).asnumpy()
    assert x.shape == (2, 3, 299, 299)
    for c in range(3):
        expected = (0.6 - features.IMAGENET_MEAN[c]) / features.IMAGENET_STD[c]
        np.testing.assert_allclose(x[:, c], expected, rtol=1e-5)
    ramp = mx.nd.array(np.tile(np.linspace(-1, 1, 64, dtype=np.float32), (1, 3, 64, 1)))
    row = features.inception_preprocess(ramp).asnumpy()[0, 0, 0]
    assert (np.diff(row) >= -1e-6).all() and row[0] < row[-1]  # a bilinear upsampling keeps the ramp


def test_missing_inception_weights_give_one_line_errors_naming_the_file(tmp_path, monkeypatch):
    missing = str(tmp_path / "nope.params")
    with pytest.raises(GluonGanError) as err:
        features.get_extractor("inception", params=missing)
    assert missing in str(err.value) and "\n" not in str(err.value)

    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "mxhome"))
    with pytest.raises(GluonGanError) as err:
        features.get_extractor("inception")
    expected = os.path.join(str(tmp_path / "mxhome"), "models", "inceptionv3-ed47ec45.params")
    assert expected in str(err.value) and "--inception-params" in str(err.value) and "\n" not in str(err.value)


def test_inception_weights_are_found_in_the_model_zoo_cache(tmp_path, monkeypatch, inception_file):
    from mxnet.gluon.model_zoo import model_store
    from mxnet.gluon.utils import check_sha1
    import hashlib
    with open(inception_file, "rb") as f:
        sha1 = hashlib.sha1(f.read()).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, "inceptionv3", sha1)  # as if these were the published weights
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    os.makedirs(str(tmp_path / "models"))
    cached = str(tmp_path / "models" / ("inceptionv3-%s.params" % sha1[:8]))
    os.symlink(inception_file, cached)
    assert features.find_inception_params() == cached and check_sha1(cached, sha1)


def test_wrong_weights_file_is_a_one_line_error(tmp_path):
    other = str(tmp_path / "small.params")
    mx.nd.save(other, {"0.weight": mx.nd.zeros((2, 2))})
    with pytest.raises(GluonGanError, match="does not fit") as err:
        features.get_extractor("inception", params=other)
    assert "\n" not in str(err.value)


def test_pixel_features_are_area_averages():
    images = _images(4)
    f = features.get_extractor("pixels", size=16)(images)
    assert f.shape == (4, 768) and not features.PixelFeatures.comparable
    expected = images.reshape(4, 3, 16, 4, 16, 4).mean(axis=(3, 5)).reshape(4, -1)
    np.testing.assert_allclose(f, expected, rtol=1e-5, atol=1e-6)


def test_random_conv_features_depend_on_the_seed_alone():
    images = _images(5)
    mx.random.seed(123)  # the global RNG must not matter
    a = features.get_extractor("randconv", seed=0)(images)
    mx.random.seed(456)
    b = features.get_extractor("randconv", seed=0)(images)
    c = features.get_extractor("randconv", seed=1)(images)
    assert a.shape == (5, 256) and a.std() > 0
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, c)


def test_unknown_extractor_and_registering_a_new_one():
    with pytest.raises(GluonGanError, match="unknown feature extractor 'nope'.*inception"):
        features.get_extractor("nope")

    @features.register_features
    class Means(features.FeatureExtractor):
        name, dim = "channel_means", 3

        def forward(self, images):
            return images.mean(axis=(2, 3))

    try:
        out = features.get_extractor("channel_means", batch_size=2)(_images(3))
        np.testing.assert_allclose(out, _images(3).mean(axis=(2, 3)), rtol=1e-5)
    finally:
        del features.FEATURES["channel_means"]
