"""Slerp, the interpolation strip and individual faces of generate.py, and the training GIF."""
import os

import numpy as np
import pytest
from PIL import Image

from conftest import load_script
from gluon_gan.experiment import monitor
from gluon_gan import experiment
from gluon_gan.training import sampling
from gluon_gan.files import plotting
from gluon_gan.families.dcgan import Generator
from gluon_gan.nn.init import initialize

import mxnet as mx


def test_slerp_hits_both_endpoints():
    rs = np.random.RandomState(0)
    a, b = rs.normal(size=10), rs.normal(size=10)
    np.testing.assert_allclose(sampling.slerp(a, b, 0.0), a, atol=1e-12)
    np.testing.assert_allclose(sampling.slerp(a, b, 1.0), b, atol=1e-12)


def test_slerp_keeps_unit_vectors_on_the_unit_sphere():
    rs = np.random.RandomState(1)
    a, b = rs.normal(size=16), rs.normal(size=16)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    for t in np.linspace(0, 1, 11):
        assert np.linalg.norm(sampling.slerp(a, b, t)) == pytest.approx(1.0, abs=1e-12)
    # while a straight line dips inside the sphere
    assert np.linalg.norm((a + b) / 2) < 0.99


def test_slerp_midpoint_of_orthogonal_vectors_bisects_the_angle():
    e1, e2 = np.eye(3)[0], np.eye(3)[1]
    np.testing.assert_allclose(sampling.slerp(e1, e2, 0.5), [np.sqrt(0.5), np.sqrt(0.5), 0], atol=1e-12)
    np.testing.assert_allclose(sampling.slerp(e1, e2, 1 / 3), [np.cos(np.pi / 6), np.sin(np.pi / 6), 0], atol=1e-12)


def test_slerp_of_parallel_vectors_is_linear_not_nan():
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(sampling.slerp(a, 2 * a, 0.5), 1.5 * a, atol=1e-12)


def test_interpolation_latents_are_rows_of_slerps_from_each_seeds_first_face():
    z = sampling.interpolation_latents([3, 5, 9], steps=4, latent_shape=(6, 1, 1))
    assert z.shape == (8, 6, 1, 1) and z.dtype == np.float32
    ends = [sampling.latent(1, 6, s)[0] for s in (3, 5, 9)]
    np.testing.assert_allclose(z[0], ends[0], rtol=1e-6)
    np.testing.assert_allclose(z[3], ends[1], rtol=1e-6)
    np.testing.assert_allclose(z[4], ends[1], rtol=1e-6)
    np.testing.assert_allclose(z[7], ends[2], rtol=1e-6)
    np.testing.assert_allclose(z[1].ravel(), sampling.slerp(ends[0].ravel(), ends[1].ravel(), 1 / 3), rtol=1e-5)


@pytest.fixture
def tiny_generator(tmp_path):
    mx.random.seed(0)
    netG = initialize(Generator(nz=8, ngf=8), mx.cpu())
    netG(mx.nd.zeros((1, 8, 1, 1)))
    path = str(tmp_path / "Generator.params")
    netG.save_parameters(path)
    return path


def test_generate_writes_an_interpolation_strip_and_individual_faces(tmp_path, tiny_generator):
    main = load_script("generate").main
    strip, faces = str(tmp_path / "strip.png"), str(tmp_path / "faces")
    main(["--params", tiny_generator, "--interpolate", "1", "2", "3", "--steps", "5", "--out", strip,
          "--individual", faces, "--ctx", "cpu"])
    picture = np.asarray(Image.open(strip))
    assert picture.shape[:2] == (2 * 66 + 2, 5 * 66 + 2)  # 2 rows (3 seeds) of 5 faces with 2 px borders
    names = sorted(os.listdir(faces))
    assert names == ["face_%04d.png" % i for i in range(10)]
    netG = experiment.load_generator(tiny_generator)
    expected = plotting.to_uint8_images(sampling.generate(netG, sampling.interpolation_latents([1, 2, 3], 5, 8)))
    for i in (0, 4, 9):
        np.testing.assert_array_equal(np.asarray(Image.open(os.path.join(faces, names[i])))[..., :3], expected[i])
    np.testing.assert_array_equal(picture[2:66, 2:66, :3], expected[0])  # the strip holds the same faces


def test_generate_grid_is_fixed_by_the_seed(tmp_path, tiny_generator):
    main = load_script("generate").main
    paths = [str(tmp_path / n) for n in ("a.png", "b.png", "c.png")]
    for path, seed in zip(paths, (4, 4, 5)):
        main(["--params", tiny_generator, "--num", "4", "--seed", str(seed), "--out", path, "--ctx", "cpu"])
    a, b, c = (np.asarray(Image.open(p)) for p in paths)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # the first face of --seed 4's grid is seed 4's interpolation endpoint
    main(["--params", tiny_generator, "--interpolate", "4", "5", "--steps", "2", "--out", paths[2], "--ctx", "cpu"])
    np.testing.assert_array_equal(np.asarray(Image.open(paths[2]))[2:66, 2:66], a[2:66, 2:66])


def test_generate_rejects_a_single_interpolation_seed(capsys):
    with pytest.raises(SystemExit):
        load_script("generate").parse_args(["--interpolate", "3"])
    assert "at least 2 seeds" in capsys.readouterr().err


def test_samples_animation_makes_a_gif_of_every_epoch_grid_in_order(tmp_path):
    samples = tmp_path / "samples"
    rs = np.random.RandomState(0)
    for epoch in (2, 1, 10):
        picture = rs.randint(0, 256, size=(20, 30, 3)).astype(np.uint8)
        plotting.save_png(picture, str(samples / ("epoch_%03d.png" % epoch)))
    (samples / "notes.txt").write_text("not a grid")
    assert [e for e, _ in monitor.sample_grids(str(samples))] == [1, 2, 10]
    monitor.SamplesAnimation(str(tmp_path)).on_train_end(trainer=None)
    gif = Image.open(str(tmp_path / "training_progress.gif"))
    assert gif.n_frames == 3 and gif.size == (30, 20 + 16)  # a caption strip above each grid
    assert gif.info.get("loop") == 0


def test_samples_animation_without_grids_writes_nothing(tmp_path):
    monitor.SamplesAnimation(str(tmp_path)).on_train_end(trainer=None)
    assert not os.path.exists(str(tmp_path / "training_progress.gif"))
