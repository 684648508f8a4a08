"""evaluate(): FID/KID/diversity of a generator end to end, evaluate.py, and what a training run leaves."""
import json
import os
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest

from conftest import ROOT, load_script
from gluon_gan.evaluation import diversity, features, fid
from gluon_gan import evaluation
from gluon_gan.data.images import load_image_folder
from gluon_gan.families.dcgan import Generator
from gluon_gan.nn.init import initialize

TINY = ["--batch-size", "4", "--ngf", "8", "--ndf", "8", "--log-interval", "2"]


@pytest.fixture
def netG():
    mx.random.seed(0)
    net = initialize(Generator(nz=8, ngf=8), mx.cpu())
    net.hybridize()
    return net


def _real(n=30, seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=(n, 3, 64, 64)).astype(np.uint8)


def test_evaluate_matches_the_maths_on_the_same_images(netG, tmp_path):
    real = _real()
    ext = features.get_extractor("pixels", size=8)
    result = evaluation.evaluate(netG, real, ext, num_fake=20, num_real=25, batch_size=8, seed=3,
                                 kid_subsets=5, kid_subset_size=10, diversity_count=12, progress=False)
    # Recompute from scratch: the same latents and the same choice of real images.
    from gluon_gan.training import sampling
    fake = sampling.generate(netG, sampling.latent(20, 8, 3))
    idx = np.sort(np.random.RandomState(3).choice(30, 25, replace=False))
    real_f = ext(real[idx].astype(np.float32) / 127.5 - 1)
    fake_f = ext(fake)
    assert result["fid"] == pytest.approx(fid.fid_from_features(fake_f, real_f), rel=1e-5)
    kid = fid.kernel_inception_distance(fake_f, real_f, 5, 10, seed=3)
    assert result["kid_mean"] == pytest.approx(kid[0], rel=1e-5)
    assert result["kid_std"] == pytest.approx(kid[1], rel=1e-5)
    assert result["diversity"]["fake_pairwise"] == pytest.approx(
        diversity.diversity_stats(fake[:12])["pairwise"], rel=1e-6)
    assert result["diversity"]["real_pairwise"] == pytest.approx(
        diversity.diversity_stats(real[idx[:12]])["pairwise"], rel=1e-9)
    summary = (result["num_fake"], result["num_real"], result["feature_dim"], result["comparable"])
    assert summary == (20, 25, 192, False)


def test_evaluate_caps_real_images_and_caches_their_features(netG, tmp_path):
    real = _real(12)
    ext = features.get_extractor("pixels", size=8)
    cache = str(tmp_path / "cache")
    first = evaluation.evaluate(netG, real, ext, num_fake=10, num_real=100, batch_size=8, kid_subsets=2,
                                kid_subset_size=5, cache_dir=cache, progress=False)
    assert first["num_real"] == 12 and first["kid_subset_size"] == 5
    cached = os.listdir(cache)
    assert len(cached) == 1 and cached[0].startswith("features-")
    # A poisoned cache entry proves the second run reads it instead of recomputing.
    path = os.path.join(cache, cached[0])
    np.save(path, np.load(path) + 1.0)
    second = evaluation.evaluate(netG, real, ext, num_fake=10, num_real=100, batch_size=8, kid_subsets=2,
                                 kid_subset_size=5, cache_dir=cache, progress=False)
    assert second["fid"] != pytest.approx(first["fid"])
    other = features.get_extractor("pixels", size=4)  # other features: another cache entry
    evaluation.evaluate(netG, real, other, num_fake=10, num_real=100, batch_size=8, kid_subsets=2,
                        kid_subset_size=5, cache_dir=cache, progress=False)
    assert len(os.listdir(cache)) == 2


def _run(script, *args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script)] + list(args),
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_train_then_evaluate_and_report_from_the_run_directory(tmp_path, image_folder):
    run, cache = str(tmp_path / "run"), str(tmp_path / "cache")
    load_script("train_lfw").main(["--data-dir", image_folder, "--out", run, "--epochs", "2",
                                   "--cache-dir", cache] + TINY)
    rows = diversity.read_diversity(os.path.join(run, "diversity.csv"))
    assert [r["epoch"] for r in rows] == [1, 2]
    real = load_image_folder(image_folder, cache_dir=cache)
    assert rows[0]["real_pairwise"] == pytest.approx(diversity.diversity_stats(real)["pairwise"], abs=1e-5)
    from PIL import Image
    assert Image.open(os.path.join(run, "training_progress.gif")).n_frames == 2

    # evaluate.py takes the real images from the run's config.json
    evaluate = load_script("evaluate")
    evaluate.main(["--params", os.path.join(run, "Generator.params"), "--features", "pixels", "--num-fake", "16",
                   "--num-real", "24", "--kid-subsets", "3", "--kid-subset-size", "8", "--ctx", "cpu"])
    records = json.load(open(os.path.join(run, "evaluation.json")))
    assert len(records) == 1 and records[0]["num_real"] == 24 and records[0]["features"] == "pixels"
    assert np.isfinite(records[0]["fid"]) and records[0]["fid"] > 0

    load_script("report").main([run])
    page = open(os.path.join(run, "report.html"), encoding="utf-8").read()
    assert "samples/epoch_002.png" in page and "training_progress.gif" in page and image_folder in page


def test_evaluate_prints_fid_and_kid_and_appends_records(tmp_path, image_folder, netG, capsys):
    params = str(tmp_path / "g" / "Generator.params")
    os.makedirs(os.path.dirname(params))
    netG.save_parameters(params)
    args = ["--params", params, "--data-dir", image_folder, "--cache-dir", str(tmp_path / "c"), "--features",
            "randconv", "--num-fake", "12", "--num-real", "12", "--kid-subsets", "4", "--kid-subset-size", "6",
            "--ctx", "cpu"]
    main = load_script("evaluate").main
    main(args)
    out = capsys.readouterr().out
    assert "FID " in out and "KID " in out and "±" in out and "not comparable" in out and "diversity" in out
    main(args + ["--seed", "1"])
    records = json.load(open(str(tmp_path / "g" / "evaluation.json")))
    assert [r["seed"] for r in records] == [0, 1] and records[0]["fid"] != records[1]["fid"]
    main(args + ["--no-json"])
    assert len(json.load(open(str(tmp_path / "g" / "evaluation.json")))) == 2


def test_evaluate_without_inception_weights_is_a_one_line_error(tmp_path):
    env = dict(os.environ, MXNET_HOME=str(tmp_path / "mxnet"))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "evaluate.py"), "--params",
                           str(tmp_path / "Generator.params"), "--ctx", "cpu"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
    assert len(errors) == 1
    assert os.path.join(str(tmp_path / "mxnet"), "models", "inceptionv3-ed47ec45.params") in errors[0]


@pytest.mark.parametrize("script", ["evaluate.py", "report.py"])
def test_help(script):
    proc = _run(script, "--help")
    assert proc.returncode == 0 and "usage:" in proc.stdout
