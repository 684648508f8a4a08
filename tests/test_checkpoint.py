import os
import shutil

import mxnet as mx
import numpy as np
import pytest

from gluon_gan.files import atomic, checkpoint
from gluon_gan.errors import GluonGanError
from gluon_gan.training.losses import BCELoss
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import initialize
from gluon_gan.training import GANTrainer


def _trainer(ngf=8, ndf=8, steps=1):
    g, d = initialize(Generator(ngf=ngf), mx.cpu()), initialize(Discriminator(ndf=ndf), mx.cpu())
    t = GANTrainer(g, d, BCELoss(), [mx.cpu()])
    for _ in range(steps):
        t.step(mx.nd.random.uniform(-1, 1, (2, 3, 64, 64)))
    return t


def _params(net):
    return {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}


def test_checkpoint_round_trip_into_fresh_networks(tmp_path):
    t = _trainer(steps=2)
    out = str(tmp_path)
    checkpoint.save_checkpoint(out, t.networks(), t.trainers(), {"epoch": 1, "step": 2})
    assert sorted(os.listdir(out)) == ["Generator.params", "checkpoint", "discriminator.params"]
    # the tutorial's file names load with plain Gluon into fresh networks
    g = Generator(ngf=8)
    g.load_parameters(os.path.join(out, "Generator.params"))
    for k, v in _params(t.netG).items():
        np.testing.assert_array_equal(_params(g)[k], v)
    fresh = _trainer(steps=0)
    state = checkpoint.load_checkpoint(checkpoint.find_checkpoint(out), fresh.networks(), fresh.trainers())
    assert state == {"epoch": 1, "step": 2}
    for k, v in _params(t.netD).items():
        np.testing.assert_array_equal(_params(fresh.netD)[k], v)
    # optimiser state restored: the next identical step gives identical weights
    x = mx.nd.random.uniform(-1, 1, (2, 3, 64, 64))
    mx.random.seed(5)
    t.step(x)
    mx.random.seed(5)
    fresh.step(x)
    for k, v in _params(t.netG).items():
        np.testing.assert_allclose(_params(fresh.netG)[k], v, rtol=1e-6, atol=1e-8)


def test_wrong_shape_is_one_line_naming_file_and_mismatch(tmp_path):
    path = str(tmp_path / "Generator.params")
    initialize(Generator(ngf=8), mx.cpu()).save_parameters(path)
    with pytest.raises(GluonGanError) as err:
        checkpoint.load_parameters(Generator(ngf=16), path)
    msg = str(err.value)
    assert "\n" not in msg and path in msg
    assert "'0.weight' has shape (100, 64, 4, 4) in the file but (100, 128, 4, 4)" in msg
    with pytest.raises(GluonGanError, match="lacks parameter|unexpected parameter"):
        checkpoint.load_parameters(Discriminator(ndf=8), path)
    with open(path, "r+b") as f:
        f.truncate(100)
    with pytest.raises(GluonGanError, match="not a readable MXNet .params file"):
        checkpoint.load_parameters(Generator(ngf=8), path)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = str(tmp_path / "f.txt")
    atomic.atomic_write(path, lambda tmp: open(tmp, "w").write("old"))

    def broken(tmp):
        open(tmp, "w").write("half")
        raise RuntimeError("killed")
    with pytest.raises(RuntimeError):
        atomic.atomic_write(path, broken)
    assert open(path).read() == "old"
    assert os.listdir(str(tmp_path)) == ["f.txt"]


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path):
    t = _trainer()
    out = str(tmp_path)
    checkpoint.save_checkpoint(out, t.networks(), t.trainers(), {"epoch": 1, "step": 1})
    before = open(os.path.join(out, "checkpoint", "Generator.params"), "rb").read()
    t.step(mx.nd.random.uniform(-1, 1, (2, 3, 64, 64)))

    def die(path):
        raise KeyboardInterrupt
    t.trainerD.save_states = die
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(out, t.networks(), t.trainers(), {"epoch": 2, "step": 2})
    found = checkpoint.find_checkpoint(out)
    assert checkpoint.read_state(found)["epoch"] == 1
    assert open(os.path.join(found, "Generator.params"), "rb").read() == before
    fresh = _trainer(steps=0)
    checkpoint.load_checkpoint(found, fresh.networks(), fresh.trainers())


def test_killed_between_the_two_renames_falls_back_to_old(tmp_path):
    t = _trainer()
    out = str(tmp_path)
    checkpoint.save_checkpoint(out, t.networks(), t.trainers(), {"epoch": 1, "step": 1})
    shutil.move(os.path.join(out, "checkpoint"), os.path.join(out, "checkpoint.old"))
    os.makedirs(os.path.join(out, "checkpoint.tmp"))  # the half-written next one
    assert checkpoint.find_checkpoint(out) == os.path.join(out, "checkpoint.old")
    assert checkpoint.find_checkpoint(str(tmp_path / "nothing")) is None


def test_atomic_files_get_the_permissions_a_plain_write_would(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic.atomic_write(str(tmp_path / "x.bin"), lambda tmp: open(tmp, "wb").write(b"1"))
        assert os.stat(path).st_mode & 0o777 == 0o644  # not mkstemp's private 0600
    finally:
        os.umask(old)
