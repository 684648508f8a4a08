"""Keeping G and D in balance: D steps per G step, skipping D, TTUR learning rates, stopping on divergence."""
import hashlib
import logging
import os

import mxnet as mx
import numpy as np
import pytest

from conftest import load_script
from gluon_gan.data import images as data
from gluon_gan import training
from gluon_gan.experiment import run as experiment_run
from gluon_gan.training.balance import DivergenceGuard
from gluon_gan.errors import GluonGanError
from gluon_gan.training.losses import BCELoss, GANLoss, get_loss
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import initialize

NZ = 8


def _pair():
    mx.random.seed(0)
    return initialize(Generator(nz=NZ, ngf=4), mx.cpu()), initialize(Discriminator(ndf=4), mx.cpu())


def _count_steps(trainer):
    counts = {"D": 0, "G": 0}
    for name, t in (("D", trainer.trainerD), ("G", trainer.trainerG)):
        def counted(batch_size, _step=t.step, _name=name):
            counts[_name] += 1
            _step(batch_size)
        t.step = counted
    return counts


def _batch(seed=0):
    return mx.nd.array(np.random.RandomState(seed).uniform(-1, 1, (2, 3, 64, 64)))


def test_d_steps_updates_g_every_kth_iteration_and_reports_its_last_loss():
    g, d = _pair()
    trainer = training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ, d_steps=3)
    counts = _count_steps(trainer)
    g_losses = []
    for i in range(7):
        _, g_loss = trainer.step(_batch(i))  # every D update gets its own real batch
        g_losses.append(g_loss)
    assert counts == {"D": 7, "G": 3}  # G after iterations 0, 3 and 6
    assert g_losses[1] is g_losses[0] and g_losses[2] is g_losses[0] and g_losses[3] is not g_losses[0]


def test_the_d_g_turn_restarts_every_epoch():
    g, d = _pair()
    trainer = training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ, d_steps=3)
    counts = _count_steps(trainer)
    images = np.random.RandomState(0).randint(0, 256, (8, 3, 64, 64)).astype(np.uint8)
    training.fit(trainer, data.ImageBatches(images, batch_size=2), epochs=2)  # 4 iterations per epoch
    assert counts == {"D": 8, "G": 4}  # iterations 0 and 3 of each epoch, so a resumed run takes the same turns


def test_default_is_one_d_step_per_g_step_and_losses_bring_their_own():
    g, d = _pair()
    assert training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ).d_steps == 1
    assert training.GANTrainer(g, d, get_loss("wgan"), [mx.cpu()], nz=NZ).d_steps == 5
    with pytest.raises(ValueError):
        training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ, d_steps=0)


class _ScriptedLoss(GANLoss):
    """D loss = the next scripted value for every sample, with D's gradient of ``real_out`` (so D can move)."""
    name = "scripted"

    def __init__(self, values):
        self.values = list(values)

    def d_loss(self, real_out, fake_out):
        r = real_out.reshape((-1,))
        return r - r.detach() + self.values.pop(0)

    def g_loss(self, fake_out):
        return -fake_out.reshape((-1,))


def _d_weights(d):
    return {k: p.data().asnumpy().copy() for k, p in d.collect_params().items() if p.grad_req != "null"}


def test_d_skip_below_skips_the_d_update_only_while_its_loss_is_low():
    g, d = _pair()
    trainer = training.GANTrainer(g, d, _ScriptedLoss([0.5, 0.05, 0.2, 0.01]), [mx.cpu()], nz=NZ, d_skip_below=0.1)
    counts = _count_steps(trainer)
    for i in range(4):
        before = _d_weights(d)
        d_loss, _ = trainer.step(_batch(i))
        changed = any(not np.array_equal(before[k], v) for k, v in _d_weights(d).items())
        assert changed == (d_loss.asscalar() >= 0.1), i
    assert counts == {"D": 2, "G": 4} and trainer.d_skipped == 2


def test_separate_learning_rates_reach_both_trainers():
    g, d = _pair()
    trainer = training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ, lr=1e-3, lr_g=4e-4, lr_d=1e-4)
    assert trainer.trainerG.learning_rate == pytest.approx(4e-4)
    assert trainer.trainerD.learning_rate == pytest.approx(1e-4)
    trainer = training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ, lr=1e-3, lr_d=1e-4)
    assert trainer.trainerG.learning_rate == pytest.approx(1e-3)  # --lr covers the net without its own


def test_balance_flags_travel_from_the_script_to_the_trainer(tmp_path, image_folder, monkeypatch, caplog):
    seen = {}
    real_trainer = experiment_run.GANTrainer

    def spy(*args, **kwargs):
        trainer = real_trainer(*args, **kwargs)
        seen["trainer"] = trainer
        return trainer
    monkeypatch.setattr(experiment_run, "GANTrainer", spy)
    with caplog.at_level(logging.INFO, logger="gluon_gan.training.balance"):
        load_script("train_lfw").main([
            "--data-dir", image_folder, "--cache-dir", str(tmp_path / "c"), "--out", str(tmp_path / "r"),
            "--epochs", "1", "--ngf", "4", "--ndf", "4", "--batch-size", "4", "--loss", "hinge",
            "--lr-g", "0.0004", "--lr-d", "0.0001", "--d-steps", "2", "--d-skip-below=-1e9"])
    trainer = seen["trainer"]
    assert trainer.trainerG.learning_rate == pytest.approx(4e-4)
    assert trainer.trainerD.learning_rate == pytest.approx(1e-4)
    assert trainer.d_steps == 2 and trainer.d_skip_below == -1e9
    assert "D update skipped in 0 of 6 iterations" in caplog.text
    saved = experiment_run.checkpoint.read_state(str(tmp_path / "r" / "checkpoint"))["config"]
    assert (saved["lr_g"], saved["lr_d"], saved["d_steps"]) == (4e-4, 1e-4, 2)


@pytest.mark.parametrize("flag, value, message", [
    ("--d-steps", "0", "--d-steps must be at least 1"),
    ("--lr-d", "0", "--lr-d must be positive"),
    ("--lr", "-1", "--lr must be positive"),
])
def test_bad_balance_flags_are_usage_errors(flag, value, message, capsys):
    with pytest.raises(SystemExit) as exc:
        load_script("train_lfw").parse_args([flag, value])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def _digests(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, image_folder, monkeypatch):
    main = load_script("train_lfw").main
    out = str(tmp_path / "run")
    args = ["--data-dir", image_folder, "--cache-dir", str(tmp_path / "c"), "--out", out,
            "--ngf", "4", "--ndf", "4", "--batch-size", "4", "--log-interval", "4"]
    main(args + ["--epochs", "1"])
    kept = {k: v for k, v in _digests(out).items() if not k.endswith(("metrics.csv", "config.json"))}
    assert "checkpoint/Generator.params" in kept and "Generator.params" in kept

    calls = {"n": 0}
    real_d_loss = BCELoss.d_loss

    def poisoned(self, real_out, fake_out):  # blows up at the third iteration of epoch 2
        calls["n"] += 1
        value = real_d_loss(self, real_out, fake_out)
        return value * float("nan") if calls["n"] >= 3 else value
    monkeypatch.setattr(BCELoss, "d_loss", poisoned)
    with pytest.raises(GluonGanError) as err:
        main(args + ["--epochs", "2", "--resume"])
    message = str(err.value)
    assert "training diverged" in message and "nan" in message and "\n" not in message
    assert "last good checkpoint (epoch 1)" in message and out in message
    after = _digests(out)
    assert {k: after.get(k) for k in kept} == kept  # every checkpoint and parameter file byte for byte
    assert not os.path.exists(os.path.join(out, "samples", "epoch_002.png"))


def test_the_guard_checks_losses_at_log_time_and_weights_before_outputs(tmp_path):
    g, d = _pair()
    trainer = training.GANTrainer(g, d, BCELoss(), [mx.cpu()], nz=NZ)
    guard = DivergenceGuard(str(tmp_path), interval=5)
    good, bad = mx.nd.array([0.5]), mx.nd.array([float("inf")])
    guard.on_iteration(trainer, 0, 1, 2, bad, good)  # not a log iteration: no device wait, no check
    guard.on_iteration(trainer, 0, 5, 2, good, good)
    with pytest.raises(GluonGanError, match="D loss 0.5, G loss inf at epoch 0 iteration 10"):
        guard.on_iteration(trainer, 0, 10, 2, good, bad)
    guard.on_iteration(trainer, 0, 11, 2, good, good)
    guard.on_epoch_end(trainer, 0)  # finite losses and weights: nothing to say
    d[0].weight.set_data(d[0].weight.data() * float("nan"))
    with pytest.raises(GluonGanError, match="discriminator's weights are no longer finite.*no checkpoint was written"):
        guard.on_epoch_end(trainer, 0)
