"""Bad input and faults as a demanding user meets them: one line (exit 2, 130 for Ctrl-C), nothing lost.

Every case ends with the last complete checkpoint loading and ``--resume`` finishing the run. Read-only and
full disks are real where the machine lets an unprivileged user namespace mount (``unshare -rm``) and are
monkeypatched writes everywhere (the same code path from the failing system call on).
"""
import errno
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import pytest

from conftest import ROOT, load_script, write_images
from gluon_gan import cli
from gluon_gan.files import checkpoint, runlock
from gluon_gan.errors import GluonGanError

TINY = ["--batch-size", "4", "--ngf", "8", "--ndf", "8", "--log-interval", "2"]


def _script(name):
    return os.path.join(ROOT, "scripts", name)


def _cli(capsys, script, *argv):
    """Run ``scripts/<script>.py`` in this process as its ``__main__`` does: ``(exit status, stderr)``."""
    code = cli.run(load_script(script).main, list(argv))
    return code, capsys.readouterr().err


def _one_line(code, err, *needles, status=2):
    assert code == status, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _run(script, *args, timeout=120):
    return subprocess.run([sys.executable, _script(script)] + list(args), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"))


@pytest.fixture(scope="module")
def run2(tmp_path_factory):
    """A 2-epoch run (so ``checkpoint.old/`` holds epoch 1) and the arguments that continue it."""
    root = tmp_path_factory.mktemp("faults")
    images = str(root / "images")
    write_images(images, 12, seed=4)
    common = ["--data-dir", images, "--cache-dir", str(root / "cache"), "--seed", "2"] + TINY
    out = str(root / "run")
    load_script("train_lfw").main(common + ["--out", out, "--epochs", "2"])
    return out, common


@pytest.fixture
def run(run2, tmp_path):
    """A private copy of the 2-epoch run: ``(out, args that resume it)``."""
    out = str(tmp_path / "run")
    shutil.copytree(run2[0], out)
    return out, run2[1] + ["--out", out, "--resume"]


def _finishes(out, args, epochs=3):
    load_script("train_lfw").main(args + ["--epochs", str(epochs)])
    found = checkpoint.find_checkpoint(out)
    assert found == os.path.join(out, "checkpoint") and checkpoint.check_checkpoint(found)["epoch"] == epochs


def _namespace_mount(setup):
    """Run shell ``setup`` in a private mount namespace, or skip where this machine does not allow one."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged mount namespaces are not allowed here")
    return ["unshare", "-rm", "sh", "-c", setup + ' && exec "$@"', "sh"]


# ---- image folders (the files themselves: tests/test_data.py) -----------------------------------

def test_skipped_image_files_are_counted_again_when_the_run_ends(tmp_path, caplog):
    images = tmp_path / "images"
    write_images(str(images), 8)
    os.symlink(str(tmp_path / "moved.png"), str(images / "gone.png"))
    jpeg = open(write_images(str(tmp_path / "src"), 1, ext=".jpg")[0], "rb").read()
    (images / "cut.jpg").write_bytes(jpeg[:len(jpeg) // 2])
    with caplog.at_level(logging.INFO):
        load_script("train_lfw").main(["--data-dir", str(images), "--out", str(tmp_path / "run"), "--epochs", "1",
                                       "--cache-dir", str(tmp_path / "c")] + TINY)
    assert "training on 8 images" in caplog.text
    last = caplog.records[-1]
    assert last.levelno == logging.WARNING and last.getMessage() == (
        "2 image file(s) were skipped, not trained on: 1 dangling symlink (%s), 1 truncated (%s)"
        % (images / "gone.png", images / "cut.jpg"))


# ---- options -------------------------------------------------------------------------------------

def test_options_that_no_run_can_use_are_one_line(tmp_path, capsys, image_folder):
    _one_line(*_cli(capsys, "train", "--model", "dcgan", "--dataset", "folder", "--data-dir", image_folder,
                    "--image-size", "48", "--out", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")),
              "--image-size 48", "power-of-two")
    assert not os.path.exists(str(tmp_path / "r" / "checkpoint"))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": "dcgan", "epochs": [1, 2]}))
    _one_line(*_cli(capsys, "train", "--config", str(config)), "--config %s" % config, "'epochs'",
              "a whole number, not [1, 2]")
    config.write_text(json.dumps({"model": "dcgan", "epoch": 3}))
    _one_line(*_cli(capsys, "train", "--config", str(config)), "no setting is called 'epoch'", "did you mean 'epochs'?")
    config.write_text(json.dumps({"model": "dcgan", "lr": "fast"}))
    _one_line(*_cli(capsys, "train", "--config", str(config)), "'lr' must be a number, not \"fast\"")
    config.write_text(json.dumps({"model": "dcgan", "model_options": {"ngf": 8.5}}))
    _one_line(*_cli(capsys, "train", "--config", str(config)), "model_options: 'ngf' must be a whole number")
    config.write_text(json.dumps({"model": "dcgan", "model_options": {"ngff": 8}}))
    _one_line(*_cli(capsys, "train", "--config", str(config)), "model_options: no setting is called 'ngff'; did you mean 'ngf'?")


def test_a_recorded_run_still_reruns_with_config(run2, tmp_path, capsys):
    """The check accepts every key a run record holds (family, image_shape, versions beside the settings)."""
    out, common = run2
    record = json.load(open(os.path.join(out, "config.json")))
    assert {"family", "image_shape", "versions"} <= set(record)
    from gluon_gan.experiment.train_options import parse_train_args
    config, _ = parse_train_args(["--config", os.path.join(out, "config.json"), "--out", str(tmp_path / "again")])
    assert config.epochs == 2 and config.model_options["ngf"] == 8


# ---- output --------------------------------------------------------------------------------------

def test_out_that_is_a_file_or_unwritable_is_one_line_before_any_work(tmp_path, capsys, image_folder, monkeypatch):
    args = ["--data-dir", image_folder, "--cache-dir", str(tmp_path / "c"), "--epochs", "1"] + TINY
    taken = tmp_path / "taken"
    taken.write_text("my notes")
    _one_line(*_cli(capsys, "train_lfw", "--out", str(taken), *args), "--out %s is a file" % taken)
    assert taken.read_text() == "my notes"

    real_open = os.open

    def read_only(path, flags, *rest, **kw):
        if str(path).startswith(str(tmp_path / "ro")) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_open(path, flags, *rest, **kw)
    monkeypatch.setattr(os, "open", read_only)
    _one_line(*_cli(capsys, "train_lfw", "--out", str(tmp_path / "ro"), *args),
              "--out %s: read-only file system" % (tmp_path / "ro"), "writable --out")


def test_generate_out_naming_a_directory_is_one_line(run2, tmp_path, capsys):
    out, _ = run2
    _one_line(*_cli(capsys, "generate", "--params", os.path.join(out, "Generator.params"), "--out", str(tmp_path)),
              "--out %s is a directory" % tmp_path, os.path.join(str(tmp_path), "faces.png"))


def test_resuming_a_run_on_a_read_only_disk_is_one_line_and_changes_nothing(run, tmp_path):
    out, args = run
    before = {name: open(os.path.join(out, "checkpoint", name), "rb").read()
              for name in os.listdir(os.path.join(out, "checkpoint"))}
    wrap = _namespace_mount("mount --bind -o ro %s %s" % (out, out))
    proc = subprocess.run(wrap + [sys.executable, _script("train_lfw.py")] + args + ["--epochs", "3"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    _one_line(proc.returncode, proc.stderr, "cannot write the run directory --out %s: read-only file system" % out,
              "--resume it there")
    assert {n: open(os.path.join(out, "checkpoint", n), "rb").read() for n in before} == before
    _finishes(out, args)  # the same disk, writable again


def test_out_on_a_real_read_only_file_system(tmp_path, image_folder):
    ro = tmp_path / "ro"
    ro.mkdir()
    wrap = _namespace_mount("mount -t tmpfs -o size=1m,ro none %s" % ro)
    proc = subprocess.run(wrap + [sys.executable, _script("train_lfw.py"), "--data-dir", image_folder, "--out",
                                  str(ro / "run"), "--cache-dir", str(tmp_path / "c"), "--epochs", "1"] + TINY,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    _one_line(proc.returncode, proc.stderr, "--out %s: read-only file system" % (ro / "run"))


# ---- checkpoints ---------------------------------------------------------------------------------

def _damage(path, how):
    if how == "truncated":
        data = open(path, "rb").read()
        open(path, "wb").write(data[:len(data) // 2])
    else:
        open(path, "w").write(how)


@pytest.mark.parametrize("name,how", [("state.json", "truncated"), ("state.json", "{}"),
                                      ("Generator.states", "truncated"), ("discriminator.params", "truncated")])
def test_a_damaged_checkpoint_resumes_from_the_previous_one_and_is_kept_aside(run, name, how, caplog):
    out, args = run
    _damage(os.path.join(out, "checkpoint", name), how)
    damaged = open(os.path.join(out, "checkpoint", name), "rb").read()
    with caplog.at_level(logging.INFO):
        _finishes(out, args)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING][0]
    assert "%s is damaged" % os.path.join(out, "checkpoint", name) in said
    assert "resuming from the previous complete checkpoint %s (epoch 1)" % os.path.join(out, "checkpoint.old") in said
    assert "kept as %s" % os.path.join(out, "checkpoint.damaged") in said
    assert "resuming %s after epoch 1" % out in caplog.text
    assert open(os.path.join(out, "checkpoint.damaged", name), "rb").read() == damaged  # kept, never deleted


@pytest.mark.parametrize("name,how", [("state.json", "{}"), ("state.json", "truncated"),
                                      ("discriminator.states", "not a pickle")])
def test_a_damaged_checkpoint_without_a_previous_one_is_one_line_naming_the_file(run, name, how, capsys, caplog):
    out, args = run
    shutil.rmtree(os.path.join(out, "checkpoint.old"))
    path = os.path.join(out, "checkpoint", name)
    _damage(path, how)
    _one_line(*_cli(capsys, "train_lfw", *args, "--epochs", "3"), "%s is damaged" % path,
              "no intact earlier checkpoint", "restore the file")
    assert open(path, "rb").read() and not os.path.exists(os.path.join(out, "checkpoint.damaged"))  # left as found
    if name == "state.json":  # the report says so too, and is still written
        code, _ = _cli(capsys, "report", out)
        assert code == 0 and "%s is damaged" % path in caplog.text  # on the console
        assert '<p class="warn">%s is damaged' % path in open(os.path.join(out, "report.html")).read()


def test_disk_full_while_a_checkpoint_is_written(run, capsys, monkeypatch):
    out, args = run
    real = mx.gluon.Trainer.save_states

    def full(self, fname):
        real(self, fname)
        with open(fname, "ab") as f:
            f.write(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), fname)
    monkeypatch.setattr(mx.gluon.Trainer, "save_states", full)
    line = _one_line(*_cli(capsys, "train_lfw", *args, "--epochs", "3"), "no space left on the disk",
                     "checkpoint of epoch 3 was not written", "temporary files are removed",
                     "last complete checkpoint %s is intact" % os.path.join(out, "checkpoint"), "--resume")
    assert line
    assert not os.path.exists(os.path.join(out, "checkpoint.tmp"))
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]
    assert checkpoint.check_checkpoint(os.path.join(out, "checkpoint"))["epoch"] == 2
    monkeypatch.undo()
    _finishes(out, args)


def test_disk_full_anywhere_else_is_one_line_too(run, capsys, monkeypatch):
    """The samples grid after an epoch: the checkpoint of the epoch before is what a rerun continues from."""
    out, args = run
    from gluon_gan.files import plotting

    def full(picture, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    monkeypatch.setattr(plotting, "save_png", full)
    _one_line(*_cli(capsys, "train_lfw", *args, "--epochs", "3"), "cannot write", "samples", "no space left",
              "--resume")
    monkeypatch.undo()
    assert checkpoint.check_checkpoint(os.path.join(out, "checkpoint"))["epoch"] == 2
    _finishes(out, args)


def test_report_on_a_damaged_config_json_says_so(run, capsys, caplog):
    out, _ = run
    open(os.path.join(out, "config.json"), "w").write('{"model": "dcg')
    code, _ = _cli(capsys, "report", out)
    path = os.path.join(out, "config.json")
    assert code == 0 and "run record %s is not valid JSON (damaged or truncated)" % path in caplog.text  # console
    page = open(os.path.join(out, "report.html")).read()
    assert '<p class="warn">run record %s is not valid JSON (damaged or truncated)' % path in page


# ---- two runs on one --out -----------------------------------------------------------------------

def test_a_second_run_on_a_training_run_stops_at_once_and_readers_may_read(tmp_path):
    images = str(tmp_path / "images")
    write_images(images, 16)
    out = str(tmp_path / "run")
    args = ["--data-dir", images, "--out", out, "--cache-dir", str(tmp_path / "cache")] + TINY
    log_path = str(tmp_path / "first.log")
    with open(log_path, "w") as log_file:  # a file, not a pipe: a full pipe would stall the run
        first = subprocess.Popen([sys.executable, _script("train_lfw.py")] + args + ["--epochs", "500"],
                                 stdout=subprocess.DEVNULL, stderr=log_file, cwd=ROOT)
    try:
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(out, "checkpoint", "state.json")) and time.time() < deadline:
            assert first.poll() is None, open(log_path).read()
            time.sleep(0.1)
        assert runlock.is_locked(out) and runlock.holder(out) == str(first.pid)
        rows = open(os.path.join(out, "metrics.csv")).read()

        for second in (args + ["--epochs", "500"], args + ["--epochs", "500", "--resume"]):
            proc = _run("train_lfw.py", *second)
            _one_line(proc.returncode, proc.stderr, "%s is in use by another training run (PID %d)" % (out, first.pid))
            assert "images" not in proc.stderr.replace(images, "")  # at once: before any data is loaded
        assert open(os.path.join(out, "metrics.csv")).read().startswith(rows)  # only the first run writes

        # readers, in this process (the lock is the first process's): allowed while it trains
        load_script("generate").main(["--params", os.path.join(out, "Generator.params"), "--num", "4",
                                      "--out", str(tmp_path / "faces.png")])
        load_script("report").main([out])
        assert "This run is training now (PID %d)" % first.pid in open(os.path.join(out, "report.html")).read()

        first.send_signal(signal.SIGINT)  # Ctrl-C
        assert first.wait(timeout=60) == 130
        err = open(log_path).read()
        assert "Traceback" not in err and "interrupted; completed epochs are checkpointed" in err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert not runlock.is_locked(out) and not os.path.exists(os.path.join(out, "checkpoint.tmp"))
    epoch = checkpoint.check_checkpoint(checkpoint.find_checkpoint(out))["epoch"]
    load_script("train_lfw").main(args + ["--resume", "--epochs", str(epoch + 1)])
    assert checkpoint.read_state(os.path.join(out, "checkpoint"))["epoch"] == epoch + 1


def test_the_lock_is_the_kernels_and_goes_with_the_process(tmp_path):
    out = str(tmp_path / "run")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.path.insert(0, %r)\n"
                               "from gluon_gan.files.runlock import RunLock\n"
                               "RunLock(%r).acquire(); print('held', flush=True); time.sleep(600)" % (ROOT, out)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(GluonGanError, match=r"in use by another training run \(PID %d\)" % holder.pid):
            runlock.RunLock(out).acquire()
    finally:
        holder.kill()
        holder.wait()
    assert runlock.holder(out) == str(holder.pid)  # the file stays behind ...
    with runlock.RunLock(out):  # ... and is no obstacle: a killed holder's lock is gone
        assert runlock.holder(out) == str(os.getpid()) and runlock.is_locked(out)
    assert not runlock.is_locked(out)
