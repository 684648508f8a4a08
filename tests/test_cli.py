"""The two scripts as a user runs them: end to end, resume, kill -9, LFW over HTTP, and error paths."""
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time

import mxnet as mx
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, load_script, write_images
from gluon_gan.files import checkpoint
from gluon_gan.data import download
from gluon_gan.experiment import load_generator

TINY = ["--batch-size", "4", "--ngf", "8", "--ndf", "8", "--log-interval", "2"]


def _run(script, *args, timeout=120):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script)] + list(args),
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def _assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0]


def test_train_one_epoch_then_generate_from_its_params(tmp_path, image_folder):
    out, faces = str(tmp_path / "run"), str(tmp_path / "faces.png")
    proc = _run("train_lfw.py", "--data-dir", image_folder, "--out", out, "--epochs", "1",
                "--cache-dir", str(tmp_path / "cache"), *TINY)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 0 iter 0/6:" in proc.stderr and "samples/s" in proc.stderr and "left: epoch " in proc.stderr
    assert "\r" not in proc.stderr  # no progress bar when stderr is not a terminal
    for name in ("Generator.params", "discriminator.params", "config.json", "metrics.csv",
                 "training_curves.png", os.path.join("samples", "epoch_001.png"),
                 os.path.join("checkpoint", "Generator.states"), os.path.join("checkpoint", "state.json")):
        assert os.path.isfile(os.path.join(out, name)), name
    assert checkpoint.read_state(os.path.join(out, "checkpoint"))["epoch"] == 1
    assert len(open(os.path.join(out, "metrics.csv")).read().splitlines()) == 1 + 3  # iters 0, 2, 4 of 6

    proc = _run("generate.py", "--params", os.path.join(out, "Generator.params"), "--num", "16", "--out", faces)
    assert proc.returncode == 0, proc.stderr
    grid = np.asarray(Image.open(faces))
    assert grid.shape[:2] == (4 * 66 + 2, 4 * 66 + 2)  # 4x4 faces of 64 px with 2 px borders
    assert grid[2:66, 2:66].std() > 0  # a real picture, not a blank


def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, image_folder):
    train = load_script("train_lfw").main
    common = ["--data-dir", image_folder, "--cache-dir", str(tmp_path / "cache"), "--seed", "3"] + TINY
    train(common + ["--out", str(tmp_path / "straight"), "--epochs", "2"])
    train(common + ["--out", str(tmp_path / "resumed"), "--epochs", "1"])
    train(common + ["--out", str(tmp_path / "resumed"), "--epochs", "2", "--resume"])
    a = mx.nd.load(str(tmp_path / "straight" / "Generator.params"))
    b = mx.nd.load(str(tmp_path / "resumed" / "Generator.params"))
    for k in a:
        np.testing.assert_allclose(b[k].asnumpy(), a[k].asnumpy(), rtol=1e-5, atol=1e-7)
    rows = open(str(tmp_path / "resumed" / "metrics.csv")).read().splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["1", "3", "5", "7", "9", "11"]


def test_refuses_to_overwrite_a_run_and_resume_without_a_checkpoint_starts_it(tmp_path, image_folder, caplog):
    import logging
    main = load_script("train_lfw").main
    from gluon_gan.errors import GluonGanError
    args = ["--data-dir", image_folder, "--cache-dir", str(tmp_path / "c"), "--out", str(tmp_path / "r")] + TINY
    with caplog.at_level(logging.INFO):
        main(args + ["--resume", "--epochs", "1"])
    assert "no complete checkpoint in %s yet; starting the run from the beginning" % (tmp_path / "r") in caplog.text
    assert checkpoint.read_state(checkpoint.find_checkpoint(str(tmp_path / "r")))["epoch"] == 1
    shutil.rmtree(str(tmp_path / "r"))
    main(args + ["--epochs", "1"])
    before = open(str(tmp_path / "r" / "Generator.params"), "rb").read()
    with pytest.raises(GluonGanError, match="already holds a trained run"):
        main(args + ["--epochs", "1"])
    assert open(str(tmp_path / "r" / "Generator.params"), "rb").read() == before


def test_sigkill_mid_training_leaves_a_loadable_checkpoint_that_resumes(tmp_path):
    images = str(tmp_path / "imgs")
    write_images(images, 16)
    out = str(tmp_path / "run")
    args = [sys.executable, os.path.join(ROOT, "scripts", "train_lfw.py"), "--data-dir", images, "--out", out,
            "--cache-dir", str(tmp_path / "cache"), "--epochs", "200"] + TINY
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = os.path.join(out, "checkpoint", "state.json")
    deadline = time.time() + 90
    while not os.path.exists(state) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.7)  # somewhere in a later epoch, maybe mid-save
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    found = checkpoint.find_checkpoint(out)
    assert found is not None
    epoch = checkpoint.read_state(found)["epoch"]
    assert epoch >= 1
    load_generator(os.path.join(out, "Generator.params"))  # the user-facing copy is whole too
    done = _run("train_lfw.py", "--data-dir", images, "--out", out, "--cache-dir", str(tmp_path / "cache"),
                "--epochs", str(epoch + 1), "--resume", *TINY)
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr
    assert checkpoint.read_state(checkpoint.find_checkpoint(out))["epoch"] == epoch + 1


def _lfw_tarball(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for person in ("Ann_Smith", "Bob_Jones"):
            for path in write_images(str(tmp_path / "src" / person), 4, size=(250, 250), ext=".jpg"):
                tar.add(path, arcname="lfw-deepfunneled/%s/%s" % (person, os.path.basename(path)))
    return buf.getvalue()


def test_train_downloads_lfw_falling_back_to_the_mirror(tmp_path, http_server, monkeypatch, caplog):
    import hashlib
    import logging
    blob = _lfw_tarball(tmp_path)
    http_server.files["/mirror/lfw.tgz"] = blob
    base = "http://127.0.0.1:%d" % http_server.server_address[1]
    monkeypatch.setattr(download, "LFW_SOURCES", (
        download.Source("dead original", base + "/lfw/lfw-deepfunneled.tgz", "lfw-deepfunneled.tgz",
                        md5="68331da3eb755a505a502b5aacb3c201"),
        download.Source("mirror", base + "/mirror/lfw.tgz", "lfw-mirror.tgz",
                        sha256=hashlib.sha256(blob).hexdigest(), size=len(blob))))
    out = str(tmp_path / "run")
    with caplog.at_level(logging.INFO):
        load_script("train_lfw").main(["--out", out, "--epochs", "1", "--cache-dir", str(tmp_path / "cache")] + TINY)
    assert "using LFW variant: mirror" in caplog.text
    assert "training on 8 images" in caplog.text
    assert os.path.isfile(os.path.join(out, "Generator.params"))


def test_every_source_dead_is_one_clear_message(tmp_path, http_server, monkeypatch):
    base = "http://127.0.0.1:%d" % http_server.server_address[1]
    monkeypatch.setattr(download, "LFW_SOURCES", (
        download.Source("a", base + "/a.tgz", "a.tgz"), download.Source("b", base + "/b.tgz", "b.tgz")))
    main = load_script("train_lfw").main
    from gluon_gan.errors import GluonGanError
    with pytest.raises(GluonGanError) as err:
        main(["--out", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")])
    msg = str(err.value)
    assert "\n" not in msg and "/a.tgz" in msg and "/b.tgz" in msg and "--archive" in msg and "--data-dir" in msg


def test_archive_flag_trains_from_a_local_tgz(tmp_path):
    archive = tmp_path / "lfw-deepfunneled.tgz"
    archive.write_bytes(_lfw_tarball(tmp_path))
    out = str(tmp_path / "run")
    load_script("train_lfw").main(["--archive", str(archive), "--out", out, "--epochs", "1",
                                   "--cache-dir", str(tmp_path / "cache")] + TINY)
    assert os.path.isfile(os.path.join(out, "discriminator.params"))


@pytest.mark.parametrize("script", ["train_lfw.py", "generate.py"])
def test_help(script):
    proc = _run(script, "--help")
    assert proc.returncode == 0 and "usage:" in proc.stdout and "--out" in proc.stdout


def test_bad_input_gives_one_line_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _assert_one_line_error(_run("train_lfw.py", "--data-dir", str(empty), "--out", str(tmp_path / "r"),
                                "--cache-dir", str(tmp_path / "c")), "no images")
    _assert_one_line_error(_run("train_lfw.py", "--archive", str(tmp_path / "missing.tgz"),
                                "--out", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")),
                           "archive not found")
    _assert_one_line_error(_run("generate.py", "--params", str(tmp_path / "missing.params")),
                           "parameter file not found")
    bad = tmp_path / "Generator.params"
    bad.write_bytes(b"\x00" * 64)
    _assert_one_line_error(_run("generate.py", "--params", str(bad)), "not a readable MXNet .params file")
    _assert_one_line_error(_run("train_lfw.py", "--ctx", "gpu:3", "--data-dir", str(empty),
                                "--out", str(tmp_path / "r2")), "GPU")
    proc = _run("train_lfw.py", "--epochs", "0")
    assert proc.returncode == 2 and "--epochs must be at least 1" in proc.stderr
