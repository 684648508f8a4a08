"""Fashion-MNIST IDX files: parsing, errors, where they are looked for, and the checksummed download."""
import gzip
import hashlib
import os

import numpy as np
import pytest

from gluon_gan.data import fashion_mnist as fm
from gluon_gan.errors import GluonGanError
from test_download import server  # noqa: F401  (the local HTTP server fixture)


def tiny_split(folder, split="train", count=6, seed=0, gz=(True, False)):
    """Write ``split``'s two IDX files (images gzipped, labels not, by default); returns (images, labels)."""
    rs = np.random.RandomState(seed)
    images = rs.randint(0, 256, (count, 28, 28)).astype(np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    os.makedirs(folder, exist_ok=True)
    for stem, array, zipped in zip(fm.SPLITS[split], (images, labels), gz):
        fm.write_idx(os.path.join(folder, stem + (".gz" if zipped else "")), array)
    return images, labels


def content_checksums(folder):
    """CONTENT_CHECKSUMS for the tiny files in ``folder``."""
    table = {}
    for split in fm.SPLITS:
        for stem in fm.SPLITS[split]:
            content = fm.read_bytes(fm._find_file(folder, stem))
            table[stem] = (hashlib.md5(content).hexdigest(), hashlib.sha256(content).hexdigest())
    return table


@pytest.mark.parametrize("dtype", [">u1", ">i1", ">i2", ">i4", ">f4", ">f8"])
@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip_is_big_endian(tmp_path, dtype, gz):
    array = (np.arange(24).reshape(2, 3, 4) - (0 if dtype == ">u1" else 5)).astype(dtype)
    path = fm.write_idx(str(tmp_path / ("a.idx" + (".gz" if gz else ""))), array)
    with open(path, "rb") as f:
        head = f.read(2)
    assert (head == b"\x1f\x8b") == gz
    got = fm.read_idx(path)
    assert got.shape == (2, 3, 4) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_idx_header_is_parsed_by_hand():
    # magic 0x00000801 (uint8, 1 dim), dimension 3 big-endian, then three bytes
    assert fm.parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x08\x09").tolist() == [7, 8, 9]
    # int32, 1 dim of 1: value 0x00000102 = 258 big-endian
    assert fm.parse_idx(b"\x00\x00\x0c\x01\x00\x00\x00\x01\x00\x00\x01\x02").tolist() == [258]


@pytest.mark.parametrize("content,words", [
    (b"", "bad magic"),
    (b"PK\x03\x04rest", "bad magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "bad magic"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated: its header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "truncated: dimensions 5 need 13 bytes, the file has 10"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "too long"),
])
def test_malformed_idx_is_a_one_line_error(tmp_path, content, words):
    path = str(tmp_path / "bad")
    with open(path, "wb") as f:
        f.write(content)
    with pytest.raises(GluonGanError) as err:
        fm.read_idx(path)
    assert words in str(err.value) and path in str(err.value) and "\n" not in str(err.value)


def test_truncated_gzip_is_a_one_line_error(tmp_path):
    path = str(tmp_path / "cut.gz")
    data = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x03\xe8" + bytes(1000))
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(GluonGanError, match="cannot read .*cut.gz.*truncated or corrupt") as err:
        fm.read_idx(path)
    assert "\n" not in str(err.value)


def test_load_from_data_dir_gz_or_not(tmp_path):
    images, labels = tiny_split(str(tmp_path), "train", count=7)
    test_images, _ = tiny_split(str(tmp_path), "test", count=3, seed=1, gz=(False, True))
    x, y = fm.load_fashion_mnist("train", data_dir=str(tmp_path), system_dir=None)
    assert x.shape == (7, 1, 28, 28) and x.dtype == np.uint8 and y.dtype == np.int32
    np.testing.assert_array_equal(x[:, 0], images)
    np.testing.assert_array_equal(y, labels)
    x, y = fm.load_fashion_mnist("test", data_dir=str(tmp_path), system_dir=None)
    np.testing.assert_array_equal(x[:, 0], test_images)
    assert len(fm.CLASS_NAMES) == 10 and fm.CLASS_NAMES[9] == "Ankle boot"


def test_data_dir_errors_name_what_is_wrong(tmp_path):
    tiny_split(str(tmp_path), "train")
    with pytest.raises(GluonGanError, match="test files not found in .*t10k-images-idx3-ubyte"):
        fm.load_fashion_mnist("test", data_dir=str(tmp_path), system_dir=None)
    with pytest.raises(GluonGanError, match="unknown Fashion-MNIST split 'val'"):
        fm.load_fashion_mnist("val", data_dir=str(tmp_path))
    fm.write_idx(str(tmp_path / "train-labels-idx1-ubyte.gz"), np.zeros(5, np.uint8))
    with pytest.raises(GluonGanError, match="holds 5 labels for the 6 images"):
        fm.load_fashion_mnist("train", data_dir=str(tmp_path))
    fm.write_idx(str(tmp_path / "train-labels-idx1-ubyte.gz"), np.full(6, 10, np.uint8))
    with pytest.raises(GluonGanError, match="labels outside 0..9"):
        fm.load_fashion_mnist("train", data_dir=str(tmp_path))
    fm.write_idx(str(tmp_path / "train-images-idx3-ubyte.gz"), np.zeros((6, 32, 32), np.uint8))
    with pytest.raises(GluonGanError, match="does not hold 28x28 uint8 images"):
        fm.load_fashion_mnist("train", data_dir=str(tmp_path))


def test_system_dir_is_used_and_its_content_checked(tmp_path, monkeypatch):
    system = str(tmp_path / "usr-share")
    images, _ = tiny_split(system, "train")
    tiny_split(system, "test", count=2)
    with pytest.raises(GluonGanError, match="is not the official Fashion-MNIST train-images-idx3-ubyte"):
        fm.load_fashion_mnist("train", system_dir=system, cache_dir=str(tmp_path / "cache"))
    monkeypatch.setattr(fm, "CONTENT_CHECKSUMS", content_checksums(system))
    x, _ = fm.load_fashion_mnist("train", system_dir=system, cache_dir=str(tmp_path / "cache"))
    np.testing.assert_array_equal(x[:, 0], images)
    assert not os.path.exists(str(tmp_path / "cache"))


def serve_tiny_files(server, folder):
    for split in fm.SPLITS:
        for stem in fm.SPLITS[split]:
            path = fm._find_file(folder, stem)
            if path is None:
                continue
            with open(path, "rb") as f:
                data = f.read()
            server.files["/fashion/" + stem + ".gz"] = data if path.endswith(".gz") else gzip.compress(data)


def test_download_into_cache_checks_content_and_then_stays_offline(server, tmp_path, monkeypatch):  # noqa: F811
    source = str(tmp_path / "source")
    images, labels = tiny_split(source, "train")
    tiny_split(source, "test", count=2)
    serve_tiny_files(server, source)
    monkeypatch.setattr(fm, "BASE_URL", server.url("/fashion/"))
    monkeypatch.setattr(fm, "CONTENT_CHECKSUMS", content_checksums(source))
    cache = str(tmp_path / "cache")
    x, y = fm.load_fashion_mnist("train", cache_dir=cache, system_dir=str(tmp_path / "absent"))
    np.testing.assert_array_equal(x[:, 0], images)
    np.testing.assert_array_equal(y, labels)
    assert sorted(os.listdir(os.path.join(cache, "fashion-mnist"))) == ["train-images-idx3-ubyte.gz",
                                                                         "train-labels-idx1-ubyte.gz"]
    requests = len(server.log)
    fm.load_fashion_mnist("train", cache_dir=cache, system_dir=None)
    assert len(server.log) == requests == 2


def test_download_with_wrong_content_is_deleted(server, tmp_path, monkeypatch):  # noqa: F811
    source = str(tmp_path / "source")
    tiny_split(source, "train")
    serve_tiny_files(server, source)
    monkeypatch.setattr(fm, "BASE_URL", server.url("/fashion/"))  # real checksums: the tiny files fail them
    cache = str(tmp_path / "cache")
    with pytest.raises(GluonGanError) as err:
        fm.load_fashion_mnist("train", cache_dir=cache, system_dir=None)
    msg = str(err.value)
    assert "is not the official Fashion-MNIST" in msg and "was deleted" in msg and "\n" not in msg
    assert os.listdir(os.path.join(cache, "fashion-mnist")) == []


def test_offline_and_absent_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(fm, "BASE_URL", "http://127.0.0.1:1/fashion/")  # nothing listens on port 1
    with pytest.raises(GluonGanError) as err:
        fm.load_fashion_mnist("test", cache_dir=str(tmp_path), system_dir=str(tmp_path / "absent"))
    msg = str(err.value)
    assert "\n" not in msg
    for words in ("apt-get install dataset-fashion-mnist", "--data-dir", "cannot download",
                  "http://127.0.0.1:1/fashion/t10k-labels-idx1-ubyte.gz", os.path.join(str(tmp_path), "fashion-mnist")):
        assert words in msg


@pytest.mark.skipif(not os.path.isdir(fm.SYSTEM_DIR), reason="Debian's dataset-fashion-mnist is not installed")
def test_real_test_split_from_debian_matches_the_official_content():
    x, y = fm.load_fashion_mnist("test", system_dir=fm.SYSTEM_DIR, cache_dir="/nonexistent")
    assert x.shape == (10000, 1, 28, 28)
    assert np.bincount(y).tolist() == [1000] * 10
    assert y[:5].tolist() == [9, 2, 1, 1, 6]  # ankle boot, pullover, trouser, trouser, shirt
