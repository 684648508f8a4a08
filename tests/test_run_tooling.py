"""Run tooling: time-left arithmetic, the epoch progress bar, --keep-every snapshots, --tensorboard, the MXNet check."""
import io
import logging
import os
import re
import struct
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, load_script, write_images
from gluon_gan.files import checkpoint
from gluon_gan.data import images as data
from gluon_gan.experiment import snapshots
from gluon_gan import training
from gluon_gan.errors import GluonGanError
from gluon_gan.training.losses import BCELoss
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import initialize
from gluon_gan.experiment.progressbar import EpochProgressBar, TimeLeft, format_seconds


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_time_left_from_iteration_rate_then_whole_epochs():
    clock = FakeClock()
    t = TimeLeft(epochs=3, iterations_per_epoch=10, clock=clock)
    t.epoch_started(0)
    assert t.epoch_left() is None and t.run_left() is None  # nothing timed yet
    for _ in range(4):
        clock.now += 2.0
        t.iteration_done()
    assert t.epoch_left() == pytest.approx(6 * 2.0)            # 6 iterations left at 2 s
    assert t.run_left() == pytest.approx(12 + 2 * 10 * 2.0)    # + 2 epochs of 10 iterations at 2 s
    for _ in range(6):
        clock.now += 2.0
        t.iteration_done()
    clock.now += 5.0  # grids, diversity and the checkpoint between epochs
    assert t.epoch_done() == pytest.approx(25.0)
    t.epoch_started(1)
    clock.now += 1.0
    t.iteration_done()  # one iteration: still the last epoch's rate (the first carries warm-up)
    assert t.epoch_left() == pytest.approx(9 * 2.0)
    assert t.run_left() == pytest.approx(18 + 1 * 25.0)        # the next epoch at the measured whole-epoch time
    assert format_seconds(3725) == "1:02:05" and format_seconds(65.4) == "1:05" and format_seconds(None) == "?"


def _tiny_fit(callbacks, epochs=2, images=8):
    g, d = initialize(Generator(ngf=8), mx.cpu()), initialize(Discriminator(ndf=8), mx.cpu())
    trainer = training.GANTrainer(g, d, BCELoss(), [mx.cpu()])
    batches = data.ImageBatches(np.random.RandomState(0).randint(0, 255, (images, 3, 64, 64)).astype(np.uint8), 4)
    training.fit(trainer, batches, epochs, callbacks=callbacks)


class LogEachIteration(training.Callback):
    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        logging.getLogger("gluon_gan.test").info("LOGLINE epoch %d iteration %d", epoch, iteration)


def test_progress_bar_shows_iterations_speed_losses_and_time_left_and_logs_do_not_tear_it(capsys):
    handler = logging.StreamHandler(sys.stderr)  # a console handler, as cli.setup_logging makes
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.INFO
    try:
        _tiny_fit([EpochProgressBar(2, 2, disable=False), LogEachIteration()])
        handlers_after = list(root.handlers)
    finally:
        root.removeHandler(handler)
        root.level = old_level
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "2/2 [" in err
    assert re.search(r"\d+\.\d img/s, D \d+\.\d{4}, G \d+\.\d{4}, run left \d+:\d\d", err)
    logs = re.findall(r"(.)LOGLINE epoch (\d) iteration (\d)", err, re.S)
    assert [(e, i) for _, e, i in logs] == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]
    assert all(before in "\r\n" for before, _, _ in logs)  # each log line starts a fresh line, never after bar text
    assert handler in handlers_after  # the redirect is undone: the console handler is back in place
    assert not any(type(h).__name__ == "_TqdmLoggingHandler" for h in handlers_after)


def test_an_error_mid_epoch_is_printed_on_a_clean_line_not_after_the_bar(capsys):
    from gluon_gan import cli

    class Diverge(training.Callback):
        def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
            raise GluonGanError("the losses diverged")
    assert cli.run(lambda argv: _tiny_fit([EpochProgressBar(2, 2, disable=False), Diverge()])) == 2
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and re.search(r"(^|[\r\n])error: the losses diverged\n$", err)


def test_no_bar_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    _tiny_fit([EpochProgressBar(2, 2, file=stream)], epochs=1)
    assert stream.getvalue() == ""


def _train(args):
    load_script("train_lfw").main(args)


@pytest.fixture
def run_args(tmp_path):
    write_images(str(tmp_path / "imgs"), 8)
    return ["--data-dir", str(tmp_path / "imgs"), "--cache-dir", str(tmp_path / "cache"), "--batch-size", "4",
            "--ngf", "8", "--ndf", "8", "--log-interval", "1", "--seed", "1"]


def test_keep_every_keeps_a_complete_copy_every_n_epochs(tmp_path, run_args):
    out = str(tmp_path / "run")

    class Capture(training.Callback):  # the weights right after each epoch, to compare the snapshots with
        weights = {}

        def on_epoch_end(self, trainer, epoch):
            Capture.weights[epoch + 1] = {k: p.data().asnumpy().copy()
                                          for k, p in trainer.netG._collect_params_with_prefix().items()}
    from gluon_gan.experiment import TrainConfig
    from gluon_gan.experiment import train
    train(TrainConfig(out=out, data_dir=run_args[1], cache_dir=run_args[3], epochs=3, batch_size=4,
                      model_options={"ngf": 8, "ndf": 8},
                      keep_every=2), callbacks=[Capture()])
    assert snapshots.list_snapshots(out) == [(2, snapshots.snapshot_path(out, 2))]
    kept = snapshots.snapshot_path(out, 2)
    assert sorted(os.listdir(kept)) == sorted(os.listdir(os.path.join(out, "checkpoint")))
    assert checkpoint.read_state(kept)["epoch"] == 2 and checkpoint.read_state(os.path.join(out, "checkpoint"))["epoch"] == 3
    stored = mx.nd.load(os.path.join(kept, "Generator.params"))
    for key, value in Capture.weights[2].items():
        np.testing.assert_array_equal(stored[key].asnumpy(), value)
    assert not np.array_equal(mx.nd.load(os.path.join(out, "Generator.params"))["0.weight"].asnumpy(),
                              stored["0.weight"].asnumpy())  # the latest is epoch 3's, as without the option

    # killed after epoch 4's checkpoint but before its snapshot: the rerun (nothing left to train) takes it
    _train(run_args + ["--out", out, "--epochs", "4", "--keep-every", "2", "--resume"])
    shutil_rmtree(snapshots.snapshot_path(out, 4))
    _train(run_args + ["--out", out, "--epochs", "4", "--keep-every", "2", "--resume"])
    assert [e for e, _ in snapshots.list_snapshots(out)] == [2, 4]
    assert (open(os.path.join(snapshots.snapshot_path(out, 4), "Generator.params"), "rb").read()
            == open(os.path.join(out, "checkpoint", "Generator.params"), "rb").read())


def shutil_rmtree(path):
    import shutil
    shutil.rmtree(path)


def test_keep_every_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exit_:
        load_script("train_lfw").parse_args(["--keep-every", "0"])
    assert exit_.value.code == 2 and "--keep-every must be at least 1" in capsys.readouterr().err


def read_events(folder):
    """Every Event in the TFRecord files of ``folder``: 8-byte length, 4-byte CRC, payload, 4-byte CRC."""
    from tensorboardX.proto import event_pb2
    events = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            blob = f.read()
        pos = 0
        while pos < len(blob):
            (length,) = struct.unpack("<Q", blob[pos:pos + 8])
            event = event_pb2.Event()
            event.ParseFromString(blob[pos + 12:pos + 12 + length])
            events.append(event)
            pos += 12 + length + 4
    return events


def test_tensorboard_log_holds_the_metrics_the_grids_and_the_diversity(tmp_path, run_args):
    pytest.importorskip("tensorboardX")
    import csv
    out = str(tmp_path / "run")
    _train(run_args + ["--out", out, "--epochs", "2", "--tensorboard"])
    events = read_events(os.path.join(out, "tensorboard"))
    scalars, images = {}, {}
    for event in events:
        for value in event.summary.value:
            if value.HasField("image"):
                images[(value.tag, event.step)] = value.image.encoded_image_string
            else:
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    with open(os.path.join(out, "metrics.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [s for s, _ in scalars["train/d_loss"]] == [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    np.testing.assert_allclose([v for _, v in scalars["train/g_loss"]], [float(r["g_loss"]) for r in rows], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars["train/samples_per_s"]],
                               [float(r["samples_per_s"]) for r in rows], rtol=1e-6)
    with open(os.path.join(out, "diversity.csv"), newline="") as f:
        div = list(csv.DictReader(f))
    assert scalars["diversity/pairwise_ratio"] == [
        (int(r["epoch"]), pytest.approx(float(r["pairwise_ratio"]), rel=1e-6)) for r in div]
    assert sorted(images) == [("samples", 1), ("samples", 2)]
    grid = np.asarray(Image.open(io.BytesIO(images[("samples", 2)])).convert("RGB"))
    np.testing.assert_array_equal(grid, np.asarray(Image.open(os.path.join(out, "samples", "epoch_002.png"))
                                                   .convert("RGB")))

    # resumed: a second event file that starts by telling TensorBoard to drop points from the checkpoint's step on
    _train(run_args + ["--out", out, "--epochs", "3", "--tensorboard", "--resume"])
    files = sorted(os.listdir(os.path.join(out, "tensorboard")))
    assert len(files) == 2
    later = [e for e in read_events(os.path.join(out, "tensorboard")) if e.HasField("session_log")]
    start = later[0].session_log.START
    assert [(e.session_log.status, e.step) for e in later] == [(start, 0), (start, 4)]
    steps = [e.step for e in read_events(os.path.join(out, "tensorboard"))
             for v in e.summary.value if v.tag == "train/d_loss"]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_tensorboard_without_tensorboardx_is_one_line_before_any_data(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails as if not installed
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GluonGanError) as err:
        _train(["--data-dir", str(empty), "--out", str(tmp_path / "r"), "--tensorboard"])
    assert "tensorboardX" in str(err.value) and "pip install" in str(err.value) and "\n" not in str(err.value)


def test_an_mxnet_other_than_1_9_is_one_line_naming_its_version(tmp_path):
    fake = tmp_path / "fake" / "mxnet"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("__version__ = '2.0.0'\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "fake"), ROOT]))
    proc = subprocess.run([sys.executable, "-c", "import gluon_gan"], capture_output=True, text=True, env=env,
                          timeout=60, cwd=str(tmp_path))
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "needs MXNet 1.9.x, but the installed mxnet is 2.0.0" in last and str(fake) in last
