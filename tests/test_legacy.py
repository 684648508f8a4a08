"""Files written by the tutorial's legacy ``save_params`` load into our networks, through every loader."""
import os
import subprocess
import sys
import warnings

import mxnet as mx
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from gluon_gan.files import checkpoint, legacy
from gluon_gan.errors import GluonGanError
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.experiment import generator_shape_from_params, load_generator
from tutorial_reference import tutorial_discriminator, tutorial_generator


def _trained_like(net, shape, seed):
    """Initialise ``net`` and give every parameter (running statistics too) distinct non-default values."""
    net.initialize(mx.init.Normal(0.02))
    net(mx.nd.zeros(shape))
    rs = np.random.RandomState(seed)
    for name, p in sorted(net.collect_params().items()):
        values = rs.uniform(0.5, 1.5, p.shape) if name.endswith("running_var") else rs.normal(0, 0.05, p.shape)
        p.set_data(mx.nd.array(values.astype(np.float32)))
    return net


@pytest.fixture(scope="module")
def tutorial_files(tmp_path_factory):
    """The tutorial's own networks saved the tutorial's way: ``save_params`` (prefix stripped, names by block)."""
    folder = tmp_path_factory.mktemp("tutorial")
    netG = _trained_like(tutorial_generator(ngf=8), (1, 100, 1, 1), seed=1)
    netD = _trained_like(tutorial_discriminator(ndf=8), (1, 3, 64, 64), seed=2)
    g_path, d_path = str(folder / "netG.params"), str(folder / "netD.params")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        netG.save_params(g_path)
        netD.save_params(d_path)
    return netG, netD, g_path, d_path


def _rename(src, dst, rename):
    mx.nd.save(dst, {rename(k): v for k, v in mx.nd.load(src).items()})
    return dst


def test_the_files_really_are_legacy(tutorial_files):
    _, _, g_path, d_path = tutorial_files
    names = set(mx.nd.load(g_path))
    assert "batchnorm0_running_mean" in names and "conv4_weight" in names and not any("." in n for n in names)
    assert legacy.is_legacy(names) and not legacy.is_legacy(["0.weight"])


def test_tutorial_generator_file_draws_the_tutorials_faces(tutorial_files):
    netG, _, g_path, _ = tutorial_files
    assert generator_shape_from_params(g_path) == (100, 8, 3, 64)
    ours = load_generator(g_path)
    z = mx.nd.array(np.random.RandomState(0).normal(size=(4, 100, 1, 1)).astype(np.float32))
    np.testing.assert_allclose(ours(z).asnumpy(), netG(z).asnumpy(), rtol=1e-5, atol=1e-6)
    stored = mx.nd.load(g_path)
    np.testing.assert_array_equal(ours.net[9].weight.data().asnumpy(), stored["conv3_weight"].asnumpy())
    np.testing.assert_array_equal(ours.net[4].running_mean.data().asnumpy(),
                                  stored["batchnorm1_running_mean"].asnumpy())


def test_tutorial_discriminator_file_scores_like_the_tutorial(tutorial_files):
    _, netD, _, d_path = tutorial_files
    ours = checkpoint.load_parameters(Discriminator(ndf=8), d_path)
    x = mx.nd.array(np.random.RandomState(1).uniform(-1, 1, (3, 3, 64, 64)).astype(np.float32))
    np.testing.assert_allclose(ours(x).asnumpy().ravel(), netD(x).asnumpy().ravel(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rename", [
    lambda k: "hybridsequential0_" + k,                         # prefix not stripped
    lambda k: "sequential3_" + k.replace("conv", "conv2dtranspose"),  # older MXNet's alias for the layer
    lambda k: k,                                                # bare names, as save_params wrote them
    lambda k: "g_" + k.replace("conv", "conv1").replace("batchnorm", "batchnorm1"),  # counters from 10, not 0
], ids=["hybridsequential-prefix", "conv2dtranspose-alias", "bare", "offset-counters"])
def test_other_block_prefixes_and_aliases_load_the_same_weights(tutorial_files, tmp_path, rename):
    netG, _, g_path, _ = tutorial_files
    path = _rename(g_path, str(tmp_path / "g.params"), rename)
    assert legacy.is_legacy(mx.nd.load(path))
    ours = load_generator(path)
    z = mx.nd.array(np.random.RandomState(2).normal(size=(2, 100, 1, 1)).astype(np.float32))
    np.testing.assert_allclose(ours(z).asnumpy(), netG(z).asnumpy(), rtol=1e-5, atol=1e-6)


def test_our_positional_files_still_load_unchanged(tmp_path):
    path = str(tmp_path / "Generator.params")
    net = _trained_like(Generator(ngf=8), (1, 100, 1, 1), seed=3)
    net.save_parameters(path)
    again = load_generator(path, hybridize=False)
    for (k, a), (_, b) in zip(sorted(net._collect_params_with_prefix().items()),
                              sorted(again.net._collect_params_with_prefix().items())):
        np.testing.assert_array_equal(a.data().asnumpy(), b.data().asnumpy(), err_msg=k)


def test_files_that_fit_neither_are_one_line(tutorial_files, tmp_path):
    _, _, g_path, d_path = tutorial_files
    odd = _rename(g_path, str(tmp_path / "odd.params"), lambda k: k.replace("_weight", "_kernel"))
    with pytest.raises(GluonGanError) as err:
        load_generator(odd)
    assert "named neither by position" in str(err.value) and odd in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(GluonGanError, match="does not fit Discriminator: it has 4 batchnorm layer"):
        checkpoint.load_parameters(Discriminator(ndf=8), g_path)
    with pytest.raises(GluonGanError, match="does not look like a Generator's parameters"):
        load_generator(d_path)
    with pytest.raises(GluonGanError, match=r"parameter '0.weight' has shape \(100, 64, 4, 4\) in the file"):
        checkpoint.load_parameters(Generator(ngf=16), g_path)  # mapped, then the usual shape check
    both = str(tmp_path / "both.params")
    mx.nd.save(both, dict({"a0_" + k: v for k, v in mx.nd.load(g_path).items()},
                          **{"b0_" + k: v for k, v in mx.nd.load(d_path).items()}))
    with pytest.raises(GluonGanError, match="mixes parameters of several blocks"):
        checkpoint.load_parameters(Generator(ngf=8), both)


def test_generate_script_draws_faces_from_a_tutorial_file(tutorial_files, tmp_path):
    _, _, g_path, _ = tutorial_files
    out = str(tmp_path / "faces.png")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "generate.py"), "--params", g_path,
                           "--num", "4", "--out", out, "--ctx", "cpu"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    grid = np.asarray(Image.open(out))
    assert grid.shape[:2] == (2 * 66 + 2, 2 * 66 + 2) and grid[2:66, 2:66].std() > 0


def test_a_run_can_start_from_the_tutorials_files(tutorial_files, tmp_path):
    """--init-generator/--init-discriminator with the tutorial's save_params files: training starts from them."""
    from conftest import write_images
    from gluon_gan import training
    from gluon_gan.experiment import TrainConfig
    from gluon_gan.experiment import train
    netG, netD, g_path, d_path = tutorial_files
    write_images(str(tmp_path / "imgs"), 4)
    seen = {}

    class AtStart(training.Callback):
        def on_train_begin(self, trainer, start_epoch):
            seen["G"] = trainer.netG[9].weight.data().asnumpy().copy()
            seen["D"] = trainer.netD[6].gamma.data().asnumpy().copy()
    train(TrainConfig(out=str(tmp_path / "run"), data_dir=str(tmp_path / "imgs"), cache_dir=str(tmp_path / "c"),
                      epochs=1, batch_size=4, model_options={"ngf": 8, "ndf": 8}, init_generator=g_path,
                      init_discriminator=d_path),
          callbacks=[AtStart()])
    stored_g, stored_d = mx.nd.load(g_path), mx.nd.load(d_path)
    np.testing.assert_array_equal(seen["G"], stored_g["conv3_weight"].asnumpy())
    np.testing.assert_array_equal(seen["D"], stored_d["batchnorm1_gamma"].asnumpy())
    from conftest import load_script
    with pytest.raises(GluonGanError, match="does not fit Generator"):  # another width: one line, before training
        load_script("train_lfw").main(["--out", str(tmp_path / "run2"), "--data-dir", str(tmp_path / "imgs"),
                                       "--cache-dir", str(tmp_path / "c"), "--batch-size", "4", "--ngf", "16",
                                       "--init-generator", g_path])
    assert not os.path.exists(str(tmp_path / "run2" / "checkpoint"))
