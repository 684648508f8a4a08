import logging
import os

import mxnet as mx
import numpy as np
import pytest
from PIL import Image

from gluon_gan.data import images as data
from gluon_gan.errors import GluonGanError
from conftest import write_images


def test_transform_matches_hand_computed_pixels():
    rs = np.random.RandomState(0)
    img = rs.randint(0, 256, (64, 64, 3)).astype(np.uint8)
    out = data.transform(mx.nd.array(img, dtype="uint8")).asnumpy()
    assert out.shape == (3, 64, 64) and out.dtype == np.float32
    # HWC -> CHW and x / 127.5 - 1, pixel by pixel
    for c, y, x in [(0, 0, 0), (1, 5, 7), (2, 63, 10), (0, 31, 63)]:
        assert out[c, y, x] == pytest.approx(img[y, x, c] / 127.5 - 1, abs=1e-7)
    assert data.to_unit_range(mx.nd.array([0, 255, 127], dtype="uint8")).asnumpy() == pytest.approx(
        [-1.0, 1.0, 127 / 127.5 - 1])


def test_resize_halves_constant_blocks_exactly():
    small = np.arange(64 * 64 * 3, dtype=np.int64).reshape(64, 64, 3) % 251
    big = small.repeat(2, axis=0).repeat(2, axis=1).astype(np.uint8)  # 128x128 of 2x2 blocks
    out = data.resize_to_chw(mx.nd.array(big, dtype="uint8"), 64).asnumpy()
    np.testing.assert_array_equal(out, small.transpose(2, 0, 1))


def test_grey_input_is_tiled_to_three_channels():
    grey = np.arange(64 * 64).reshape(64, 64, 1).astype(np.uint8)
    out = data.transform(mx.nd.array(grey, dtype="uint8")).asnumpy()
    assert out.shape == (3, 64, 64)
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])
    assert out[0, 2, 3] == pytest.approx(grey[2, 3, 0] / 127.5 - 1, abs=1e-6)


@pytest.mark.parametrize("mode, ext, colour, expected", [
    ("RGB", ".jpg", (200, 30, 60), (200, 30, 60)),
    ("RGB", ".bmp", (10, 20, 30), (10, 20, 30)),
    ("L", ".png", 77, (77, 77, 77)),
    ("L", ".jpg", 150, (150, 150, 150)),
    ("RGBA", ".png", (1, 2, 3, 0), (1, 2, 3)),
    ("CMYK", ".jpg", (0, 255, 255, 0), (255, 0, 0)),  # pure red in CMYK
])
def test_every_format_decodes_to_rgb(tmp_path, mode, ext, colour, expected):
    path = str(tmp_path / ("img" + ext))
    Image.new(mode, (20, 24), colour).save(path)
    img = data.decode_image(path).asnumpy()
    assert img.shape == (24, 20, 3) and img.dtype == np.uint8
    tol = 3 if ext == ".jpg" else 0
    np.testing.assert_allclose(img[10, 10], expected, atol=tol)


def test_folder_loading_skips_corrupt_files_with_one_warning(tmp_path, caplog):
    root = tmp_path / "imgs"
    write_images(str(root / "x"), 5)
    (root / "x" / "bad.jpg").write_bytes(b"definitely not a jpeg")
    (root / "x" / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("ignored: not an image")
    with caplog.at_level(logging.WARNING):
        images = data.load_image_folder(str(root), cache_dir=str(tmp_path / "cache"), progress=False)
    assert images.shape == (5, 3, 64, 64) and images.dtype == np.uint8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 2 unreadable" in warnings[0]


def test_empty_and_missing_folders_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GluonGanError, match="no images"):
        data.load_image_folder(str(tmp_path / "empty"), cache_dir=str(tmp_path / "c"))
    with pytest.raises(GluonGanError, match="not found"):
        data.load_image_folder(str(tmp_path / "nope"), cache_dir=str(tmp_path / "c"))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.jpg").write_bytes(b"xx")
    with pytest.raises(GluonGanError, match="could be decoded"):
        data.load_image_folder(str(tmp_path / "junk"), cache_dir=str(tmp_path / "c"))


def test_cache_is_reused_and_invalidated(tmp_path, monkeypatch):
    root, cache = str(tmp_path / "imgs"), str(tmp_path / "cache")
    paths = write_images(root, 4)
    first = data.load_image_folder(root, cache_dir=cache, progress=False)
    assert len(os.listdir(cache)) == 1

    def no_decoding(path):
        raise AssertionError("decoded again although cached")
    monkeypatch.setattr(data, "decode_image", no_decoding)
    np.testing.assert_array_equal(data.load_image_folder(root, cache_dir=cache), first)

    monkeypatch.undo()
    os.remove(paths[0])  # the folder changed: the old cache must not be used
    second = data.load_image_folder(root, cache_dir=cache, progress=False)
    assert len(second) == 3
    np.testing.assert_array_equal(second, first[1:])


def _images(n):
    return np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1).repeat(3, 1).repeat(2, 2).repeat(2, 3)


def test_batches_discard_the_partial_batch_instead_of_padding():
    batches = data.ImageBatches(_images(10), batch_size=4, seed=1)
    got = list(batches.epoch(0))
    assert len(batches) == len(got) == 2
    assert all(b.shape == (4, 3, 2, 2) for b in got)
    ids = np.concatenate([np.rint((b[:, 0, 0, 0].asnumpy() + 1) * 127.5) for b in got]).astype(int)
    assert len(set(ids)) == 8  # no image repeated as padding


def test_batches_can_keep_the_short_last_batch():
    batches = data.ImageBatches(_images(10), batch_size=4, seed=1, last_batch="keep")
    got = list(batches.epoch(0))
    assert [b.shape[0] for b in got] == [4, 4, 2]
    ids = np.concatenate([np.rint((b[:, 0, 0, 0].asnumpy() + 1) * 127.5) for b in got]).astype(int)
    assert sorted(ids) == list(range(10))


def test_batch_values_scaled_and_order_seeded():
    images = _images(12)
    batches = data.ImageBatches(images, 4, seed=3)
    a = np.concatenate([b.asnumpy() for b in batches.epoch(0)])
    b = np.concatenate([b.asnumpy() for b in batches.epoch(0)])
    c = np.concatenate([b.asnumpy() for b in batches.epoch(1)])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= -1 and a.max() <= 1
    assert sorted(np.rint((a[:, 0, 0, 0] + 1) * 127.5)) == list(range(12))


def test_shards_are_disjoint_and_equal_length():
    images = _images(21)
    shards = [data.ImageBatches(images, 2, seed=0, num_parts=2, part_index=i) for i in range(2)]
    assert len(shards[0]) == len(shards[1]) == 5
    seen = [set(np.rint((np.concatenate([b.asnumpy() for b in s.epoch(0)])[:, 0, 0, 0] + 1) * 127.5).astype(int))
            for s in shards]
    assert not seen[0] & seen[1]


def test_fewer_images_than_a_batch_is_a_clear_error():
    with pytest.raises(GluonGanError, match="fewer than one batch"):
        data.ImageBatches(_images(3), batch_size=4)
