"""The data-set registry: resizing and channel matching to a family's shape, and the offline cartoon faces."""
import numpy as np
import pytest

from gluon_gan.data import datasets
from gluon_gan.data import images as data_images
from gluon_gan.data.cartoon_faces import cartoon_faces, draw_face
from gluon_gan.errors import GluonGanError
from gluon_gan.experiment import TrainConfig, resolve
from gluon_gan.experiment import load_images


def test_resize_keeps_a_flat_image_flat_and_matches_bilinear_on_a_ramp():
    flat = np.full((2, 1, 28, 28), 77, np.uint8)
    assert (data_images.resize_images(flat, 64, 64) == 77).all()
    ramp = np.tile(np.arange(0, 256, 64, dtype=np.uint8), (1, 1, 4, 1))  # columns 0, 64, 128, 192
    out = data_images.resize_images(ramp, 4, 8)
    # half-pixel bilinear upsampling x2: output column j samples input x = (j + 0.5) / 2 - 0.5
    expected = np.interp((np.arange(8) + 0.5) / 2 - 0.5, np.arange(4), [0, 64, 128, 192])
    np.testing.assert_array_equal(out[0, 0, 0], np.rint(expected).astype(np.uint8))


def test_channels_are_tiled_or_averaged_and_impossible_ones_refused():
    grey = np.arange(8, dtype=np.uint8).reshape(2, 1, 2, 2)
    rgb = data_images.match_channels(grey, 3)
    assert rgb.shape == (2, 3, 2, 2) and (rgb[:, 0] == rgb[:, 2]).all()
    back = data_images.match_channels(np.array([[[[10]], [[20]], [[61]]]], np.uint8), 1)
    assert back.shape == (1, 1, 1, 1) and back[0, 0, 0, 0] == 30  # (10 + 20 + 61) / 3 = 30.33
    with pytest.raises(GluonGanError, match="2-channel"):
        data_images.match_channels(np.zeros((1, 2, 2, 2), np.uint8), 3)


def test_cartoon_faces_are_deterministic_varied_and_cached(tmp_path):
    a = cartoon_faces(6, 32, seed=1, cache_dir=str(tmp_path))
    assert a.shape == (6, 3, 32, 32) and a.dtype == np.uint8
    np.testing.assert_array_equal(a[4], draw_face(1 * 1000003 + 4, 32))
    assert len({face.tobytes() for face in a}) == 6
    assert len(list(tmp_path.iterdir())) == 1
    np.testing.assert_array_equal(cartoon_faces(6, 32, seed=1, cache_dir=str(tmp_path)), a)


def test_a_family_gets_the_data_at_its_shape(tmp_path):
    config = resolve(TrainConfig(model="dcgan", dataset="cartoon-faces", num_images=5, cache_dir=str(tmp_path),
                                 model_options={"image_size": 16}))
    images, shape = load_images(config)
    assert shape == (3, 16, 16) and images.shape == (5, 3, 16, 16)
    with pytest.raises(GluonGanError, match="unknown dataset 'nope'"):
        datasets.get_dataset("nope")
    with pytest.raises(GluonGanError, match="--data-dir"):
        load_images(resolve(TrainConfig(dataset="folder")))
