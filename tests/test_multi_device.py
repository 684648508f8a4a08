"""Several devices in one process (``--ctx cpu:0,cpu:1``): the same maths as one device, except BatchNorm."""
import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon import nn

from conftest import load_script
from gluon_gan.files import checkpoint
from gluon_gan import training
from gluon_gan.training.losses import BCELoss
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import initialize

NZ, W = 100, 8
ONE, TWO = [mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]


def freeze_batchnorm(net):
    """Make every BatchNorm use its moving statistics in training too: a per-channel affine map.

    Train-mode BatchNorm mixes the samples of a batch, so splitting the batch
    over devices changes the maths by design. Frozen, it treats every sample
    alone (gamma and beta still learn), which isolates what the split must not
    change: gradient sums, normalisation and the optimiser step.
    """
    for block in net._children.values():
        if isinstance(block, nn.BatchNorm):
            block._kwargs["use_global_stats"] = True
    return net


class PlainSGDLoss(BCELoss):
    """BCE with plain SGD: Adam hides a wrongly scaled gradient (it is scale-invariant), SGD does not.

    At Normal(0.02) init G's gradients are ~1e-8, D's ~1e-3; the rates make both
    networks' updates ~1e-4, far above float32 rounding, so a wrong scale shows.
    """

    def optimizer_defaults(self, role):
        return ("sgd", {"learning_rate": 2000.0 if role == "g" else 0.5})


def _trainer(ctx, batch_stats, seed=0, loss=None, kvstore="device"):
    mx.random.seed(seed)
    netG = initialize(Generator(nz=NZ, ngf=W), ctx)
    netD = initialize(Discriminator(ndf=W, norm="batch" if batch_stats else "none"), ctx)
    if not batch_stats:
        freeze_batchnorm(netG)
    for net in (netG, netD):
        net.hybridize(static_alloc=True, static_shape=True)
    return training.GANTrainer(netG, netD, loss or BCELoss(), ctx, nz=NZ, kvstore=kvstore)


def _params(trainer, device=0):
    nets = (("G", trainer.netG), ("D", trainer.netD))
    return {tag + k: p.list_data()[device].asnumpy() for tag, net in nets
            for k, p in net._collect_params_with_prefix().items()}


def _run(trainer, batches):
    losses = []
    for i, batch in enumerate(batches):
        mx.random.seed(100 + i)  # the same noise for both runs: drawn on ctx[0], then split
        d, g = trainer.step(batch)
        losses.append((d.asscalar(), g.asscalar()))
    return losses


def _batches(count=2, n=8):
    rs = np.random.RandomState(7)
    return [mx.nd.array(rs.uniform(-1, 1, (n, 3, 64, 64))) for _ in range(count)]


@pytest.mark.parametrize("loss", [BCELoss(), PlainSGDLoss()], ids=["adam", "sgd"])
def test_two_devices_take_the_same_step_as_one_when_nothing_mixes_samples(loss):
    single, split = _trainer(ONE, batch_stats=False, loss=loss), _trainer(TWO, batch_stats=False, loss=loss)
    ref_losses, losses = _run(single, _batches()), _run(split, _batches())
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    start, ref, got = _params(_trainer(ONE, batch_stats=False)), _params(single), _params(split)
    for name in ref:  # compare the updates themselves, not weights that barely moved
        want, have = ref[name] - start[name], got[name] - start[name]
        np.testing.assert_allclose(have, want, rtol=1e-3, atol=1e-3 * np.abs(want).max() + 1e-12, err_msg=name)
        np.testing.assert_array_equal(_params(split, device=1)[name], got[name], err_msg=name)
    moved = [n for n in ref if np.abs(ref[n] - start[n]).max() > 1e-6]
    assert any(n.startswith("G") and n.endswith("gamma") for n in moved)  # frozen BN still learns gamma
    assert len(moved) == sum(1 for n in ref if "running" not in n)  # every learned weight moved
    assert split.metric.num_inst == single.metric.num_inst == 2 * 2 * 8


def test_batchnorm_normalises_each_devices_slice_and_saving_averages_its_statistics(tmp_path):
    single, split = _trainer(ONE, batch_stats=True), _trainer(TWO, batch_stats=True)
    _run(single, _batches(count=1)), _run(split, _batches(count=1))
    weight = "G0.weight"
    assert not np.allclose(_params(split)[weight], _params(single)[weight], rtol=1e-4, atol=1e-6)

    mean = split.netD._collect_params_with_prefix()["3.running_mean"]
    per_device = [m.asnumpy() for m in mean.list_data()]
    assert not np.allclose(per_device[0], per_device[1])  # each device kept its own statistics
    path = str(tmp_path / "D.params")
    split.netD.save_parameters(path)
    np.testing.assert_allclose(mx.nd.load(path)["3.running_mean"].asnumpy(),
                               (per_device[0] + per_device[1]) / 2, rtol=1e-6)


def test_train_and_resume_on_two_devices_matches_an_uninterrupted_run(tmp_path, image_folder):
    train = load_script("train_lfw").main
    common = ["--data-dir", image_folder, "--cache-dir", str(tmp_path / "cache"), "--ctx", "cpu:0,cpu:1",
              "--batch-size", "4", "--ngf", "8", "--ndf", "8", "--log-interval", "2"]
    train(common + ["--out", str(tmp_path / "straight"), "--epochs", "2"])
    train(common + ["--out", str(tmp_path / "resumed"), "--epochs", "1"])
    assert (tmp_path / "resumed" / "samples" / "epoch_001.png").is_file()
    train(common + ["--out", str(tmp_path / "resumed"), "--epochs", "2", "--resume"])
    for name in ("Generator.params", "discriminator.params"):
        a = mx.nd.load(str(tmp_path / "straight" / name))
        b = mx.nd.load(str(tmp_path / "resumed" / name))
        for k in a:
            if "running" in k:  # saved as the devices' average, so a resumed run restarts them equal
                continue
            np.testing.assert_allclose(b[k].asnumpy(), a[k].asnumpy(), rtol=1e-4, atol=1e-6, err_msg=k)
    assert checkpoint.read_state(str(tmp_path / "resumed" / "checkpoint"))["epoch"] == 2
