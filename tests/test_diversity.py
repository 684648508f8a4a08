"""The mode-collapse signal on constructed batches, and its per-epoch log."""
import csv
import os

import mxnet as mx
import numpy as np
import pytest

from gluon_gan.evaluation import diversity


def test_identical_samples_have_zero_diversity_and_are_all_duplicates():
    one = np.random.RandomState(0).uniform(-1, 1, size=(1, 3, 8, 8))
    stats = diversity.diversity_stats(np.repeat(one, 5, axis=0))
    assert stats["pairwise"] == pytest.approx(0, abs=1e-7)
    assert stats["nn"] == pytest.approx(0, abs=1e-7)
    assert stats["duplicates"] == 1.0


def test_distances_are_per_pixel_rms_and_match_hand_computations():
    black, white, grey = (np.full((1, 3, 4, 4), v) for v in (-1.0, 1.0, 0.0))
    d = diversity.pairwise_distances(np.concatenate([black, white, grey]))
    np.testing.assert_allclose(d, [[0, 2, 1], [2, 0, 1], [1, 1, 0]], atol=1e-12)
    stats = diversity.diversity_stats(np.concatenate([black, white, grey]))
    assert stats["pairwise"] == pytest.approx((2 + 1 + 1) / 3)
    assert stats["nn"] == pytest.approx(1.0)  # every image's nearest other image is 1 away
    assert stats["duplicates"] == 0.0


def test_duplicates_counts_images_with_a_near_copy():
    rs = np.random.RandomState(1)
    distinct = rs.uniform(-1, 1, size=(4, 3, 8, 8))
    near_copy = distinct[:1] + 0.01  # RMS distance 0.01 < 0.05
    stats = diversity.diversity_stats(np.concatenate([distinct, near_copy]))
    assert stats["duplicates"] == pytest.approx(2 / 5)  # the original and its copy
    assert diversity.diversity_stats(np.concatenate([distinct, near_copy]), threshold=0.001)["duplicates"] == 0


def test_uint8_and_ndarray_inputs_use_the_training_scale():
    rs = np.random.RandomState(2)
    u8 = rs.randint(0, 256, size=(6, 3, 8, 8)).astype(np.uint8)
    as_float = u8.astype(np.float64) / 127.5 - 1
    np.testing.assert_allclose(diversity.pairwise_distances(u8), diversity.pairwise_distances(as_float), atol=1e-12)
    np.testing.assert_allclose(diversity.pairwise_distances(mx.nd.array(as_float)),
                               diversity.pairwise_distances(as_float), atol=1e-6)


def test_compare_reports_the_ratio_of_fake_to_real_spread():
    rs = np.random.RandomState(3)
    real = rs.uniform(-1, 1, size=(20, 3, 8, 8))
    collapsed = real[:1] + rs.normal(scale=0.005, size=(20, 3, 8, 8))
    out = diversity.compare(collapsed, real)
    assert out["pairwise_ratio"] < 0.05 and out["fake_duplicates"] == 1.0 and out["real_duplicates"] == 0.0
    assert diversity.compare(real, real)["pairwise_ratio"] == pytest.approx(1.0)


class _FakeTrainer:
    """Stands in for GANTrainer: ``generate`` returns ``tanh(scale · z)`` broadcast to images."""

    def __init__(self):
        self.scale = 1.0

    def generate(self, z):
        return mx.nd.tanh(self.scale * z.reshape((0, -1, 1, 1)).tile((1, 3, 1, 4)).reshape((0, 3, 4, -1)))


def test_diversity_log_writes_a_row_per_epoch_and_forgets_epochs_after_a_resume(tmp_path):
    path = str(tmp_path / "diversity.csv")
    real = np.random.RandomState(4).randint(0, 256, size=(12, 3, 4, 16)).astype(np.uint8)
    z = mx.nd.array(np.random.RandomState(5).normal(size=(10, 16, 1, 1)))
    trainer = _FakeTrainer()
    cb = diversity.DiversityLog(path, real, z, chunk=4)
    cb.on_train_begin(trainer, 0)
    cb.on_epoch_end(trainer, 0)
    trainer.scale = 0.0  # collapse: every sample is tanh(0) = 0
    cb.on_epoch_end(trainer, 1)
    rows = diversity.read_diversity(path)
    assert [r["epoch"] for r in rows] == [1, 2]
    expected = diversity.diversity_stats(np.tanh(z.asnumpy().reshape(10, -1, 1, 1).repeat(3, 1)
                                                 .repeat(4, 2).reshape(10, 3, 4, -1)))
    assert rows[0]["fake_pairwise"] == pytest.approx(expected["pairwise"], abs=1e-6)
    assert rows[0]["real_pairwise"] == pytest.approx(diversity.diversity_stats(real)["pairwise"], abs=1e-6)
    assert rows[1]["fake_pairwise"] == 0 and rows[1]["fake_duplicates"] == 1 and rows[1]["pairwise_ratio"] == 0
    with open(path) as f:
        assert next(csv.reader(f)) == list(diversity.COLUMNS)

    diversity.DiversityLog(path, real, z).on_train_begin(trainer, 1)  # resumed after epoch 1
    assert [r["epoch"] for r in diversity.read_diversity(path)] == [1]


def test_diversity_log_for_a_run_picks_fixed_reals_and_noise():
    images = np.random.RandomState(6).randint(0, 256, size=(300, 3, 4, 4)).astype(np.uint8)
    a = diversity.DiversityLog.for_run("x.csv", images, (8, 1, 1), seed=2)
    b = diversity.DiversityLog.for_run("x.csv", images, (8, 1, 1), seed=2)
    assert a.real_images.shape == (256, 3, 4, 4) and a.noise.shape == (256, 8, 1, 1)
    np.testing.assert_array_equal(a.real_images, b.real_images)
    np.testing.assert_array_equal(a.noise.asnumpy(), b.noise.asnumpy())
    assert os.path.basename(a.csv_path) == "x.csv"


def test_diversity_log_turns_itself_off_with_a_single_real_image(tmp_path):
    path = str(tmp_path / "diversity.csv")
    one = np.zeros((1, 3, 4, 4), np.uint8)
    cb = diversity.DiversityLog(path, one, mx.nd.zeros((4, 16, 1, 1)))
    cb.on_train_begin(_FakeTrainer(), 0)
    cb.on_epoch_end(_FakeTrainer(), 0)
    assert not os.path.exists(path)
