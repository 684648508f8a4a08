"""Inception weights from MXNet's model store: the cache is SHA-1 checked, --download-inception fetches them."""
import hashlib
import io
import zipfile

import pytest
from mxnet.gluon.model_zoo import model_store

from gluon_gan.evaluation import features
from gluon_gan.errors import GluonGanError

WEIGHTS = b"stand-in for the inceptionv3 weights" * 100


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """MXNET_HOME in tmp_path, and a model store that publishes WEIGHTS' SHA-1 for inceptionv3."""
    sha1 = hashlib.sha1(WEIGHTS).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, "inceptionv3", sha1)
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "mxhome"))
    models = tmp_path / "mxhome" / "models"
    return models, "inceptionv3-%s" % sha1[:8]


@pytest.fixture
def repo(http_server, monkeypatch):
    """A 127.0.0.1 model repository ($MXNET_GLUON_REPO): path -> bytes in ``server.files``."""
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:%d/" % http_server.server_address[1])
    return http_server


def _zip(name, payload):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name + ".params", payload)
    return buf.getvalue()


def test_only_a_cached_file_with_the_published_sha1_is_taken(zoo):
    models, stem = zoo
    models.mkdir(parents=True)
    other = models / "inceptionv3-0badc0de.params"
    other.write_bytes(b"some other weights")
    with pytest.raises(GluonGanError) as err:
        features.find_inception_params()
    msg = str(err.value)
    assert "\n" not in msg and str(other) in msg and "SHA-1" in msg and "--download-inception" in msg
    (models / (stem + ".params")).write_bytes(WEIGHTS[:-1])  # an interrupted copy under the right name
    with pytest.raises(GluonGanError, match="does not match the SHA-1"):
        features.find_inception_params()
    good = models / "inceptionv3-copy.params"  # the right bytes under another name are fine
    good.write_bytes(WEIGHTS)
    assert features.find_inception_params() == str(good)


def test_download_inception_fetches_through_the_model_store_and_checks_sha1(zoo, repo):
    models, stem = zoo
    repo.files["/gluon/models/%s.zip" % stem] = _zip(stem, WEIGHTS)
    with pytest.raises(GluonGanError, match="not found.*--download-inception"):
        features.find_inception_params()  # opt-in: nothing is fetched without it
    assert repo.requests == []
    path = features.find_inception_params(download=True)
    assert path == str(models / (stem + ".params")) and open(path, "rb").read() == WEIGHTS
    assert features.find_inception_params() == path  # cached now, no flag needed


def test_download_with_a_wrong_hash_or_no_server_file_is_one_line(zoo, repo):
    models, stem = zoo
    repo.files["/gluon/models/%s.zip" % stem] = _zip(stem, b"tampered")
    with pytest.raises(GluonGanError) as err:
        features.find_inception_params(download=True)
    assert "\n" not in str(err.value) and "hash" in str(err.value)
    repo.files.clear()
    with pytest.raises(GluonGanError) as err:
        features.find_inception_params(download=True)
    assert "cannot download the Inception-v3 weights" in str(err.value) and "\n" not in str(err.value)
