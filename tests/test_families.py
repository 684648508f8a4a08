"""One contract test over every registered model family: build, train through the common loop, checkpoint,
resume exactly, record the run, and draw pictures from Generator.params + config.json alone.

A new family is covered here by adding its tiny settings to ``TINY``; the test refuses a registered family
without them, so no family lands untested.
"""
import json
import os

import mxnet as mx
import numpy as np
import pytest

from conftest import load_script, write_images
from gluon_gan.files import checkpoint
from gluon_gan import experiment, families
from gluon_gan.training import sampling
from gluon_gan.experiment import TrainConfig
from gluon_gan.experiment import train

# Per family: its options at toy widths, and any common settings it needs to train in a few batches.
TINY = {
    "dcgan": {"options": {"nz": 8, "ngf": 4, "ndf": 4, "image_size": 16}},
    "mlp": {"options": {"nz": 4}},
    "dcgan28": {"options": {"nz": 8}},
    # 12 images a pass: 8 at 4x4, then the 8x8 fade-in, so the epoch-1 checkpoint sits mid fade-in (alpha 0.5)
    "progan": {"options": {"nz": 8, "image_size": 8, "widths": "6,4", "stable_images": 8, "fade_images": 8}},
    "msggan": {"options": {"nz": 8, "image_size": 8, "widths": "6,4"}},
    "stylegan": {"options": {"image_size": 8, "nz": 6, "w_dim": 5, "mapping_layers": 2, "fmap_base": 16,
                             "fmap_max": 4, "ndf": 4, "r1_gamma": 1.0, "r1_interval": 2}},
}


def test_every_registered_family_has_tiny_settings_here():
    assert sorted(families.FAMILIES) == sorted(TINY)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_images(str(root), 12, size=(20, 20), seed=4)
    return str(root)


def _config(name, folder, out, epochs, resume=False):
    settings = TINY[name]
    values = dict(model=name, dataset="folder", data_dir=folder, cache_dir=os.path.join(out, "..", "cache"),
                  out=out, epochs=epochs, batch_size=4, seed=7, log_interval=1, resume=resume,
                  model_options=dict(settings["options"]))
    values.update(settings.get("settings", {}))
    return TrainConfig(**values)


def _weights(path):
    return {k: v.asnumpy() for k, v in mx.nd.load(path).items()}


@pytest.mark.parametrize("name", sorted(TINY))
def test_family_trains_checkpoints_resumes_and_samples(name, folder, tmp_path):
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    train(_config(name, folder, straight, epochs=2))
    train(_config(name, folder, resumed, epochs=1))
    train(_config(name, folder, resumed, epochs=2, resume=True))

    record = json.load(open(os.path.join(straight, "config.json")))
    assert record["model"] == name and record["family"]["name"] == name
    assert record["family"]["options"] == dict(dataclass_defaults(name), **TINY[name]["options"])
    shape = tuple(record["image_shape"])
    assert record["versions"]["mxnet"] == mx.__version__
    state = checkpoint.read_state(checkpoint.find_checkpoint(straight))
    assert state["epoch"] == 2 and state["config"]["family"] == record["family"]

    family = families.get_family_class(name)
    files = [family.g_file, family.d_file] + sorted(
        n for n in os.listdir(straight) if n.endswith(".params") and n not in (family.g_file, family.d_file))
    for fname in files:  # resuming from the epoch-1 checkpoint gives the uninterrupted run's weights
        a, b = _weights(os.path.join(straight, fname)), _weights(os.path.join(resumed, fname))
        assert sorted(a) == sorted(b)
        for k in a:
            np.testing.assert_allclose(b[k], a[k], rtol=1e-5, atol=1e-6, err_msg="%s %s" % (fname, k))

    gen = experiment.load_generator(os.path.join(straight, family.g_file))  # the record says what to build
    assert gen.family.name == name and gen.image_shape == shape
    z = sampling.latent(5, gen.latent_shape, seed=1)
    images = sampling.generate(gen, z)
    assert images.shape == (5,) + shape
    assert np.isfinite(images).all() and images.min() >= -1 - 1e-6 and images.max() <= 1 + 1e-6
    assert images.std() > 0
    np.testing.assert_allclose(sampling.generate(gen, z), images)  # inference is deterministic

    out = str(tmp_path / "grid.png")
    load_script("generate").main(["--params", os.path.join(straight, family.g_file), "--num", "4", "--out", out,
                                  "--ctx", "cpu"])
    assert os.path.getsize(out) > 0
    for png in ("samples/epoch_002.png", "training_curves.png", "training_progress.gif"):
        assert os.path.isfile(os.path.join(straight, png)), png

    from gluon_gan.experiment.report import write_report
    page = open(write_report(straight), encoding="utf-8").read()
    assert "Model family <b>%s</b>" % name in page
    figures = os.path.join(straight, "figures")
    for png in (os.listdir(figures) if os.path.isdir(figures) else []):  # the family's own pictures
        assert png in page


def dataclass_defaults(name):
    import dataclasses
    return dataclasses.asdict(families.make_options(name))


def test_config_json_reruns_a_recorded_run(folder, tmp_path):
    first = str(tmp_path / "first")
    train(_config("dcgan", folder, first, epochs=1))
    from gluon_gan.experiment.train_options import parse_train_args
    config, _ = parse_train_args(["--config", os.path.join(first, "config.json"), "--out", str(tmp_path / "again")])
    assert config.model == "dcgan" and config.model_options == TINY["dcgan"]["options"]
    assert (config.batch_size, config.seed, config.data_dir) == (4, 7, folder)
    assert config.out == str(tmp_path / "again") and not config.resume
    config, _ = parse_train_args(["--config", os.path.join(first, "config.json"), "--ngf", "6"])
    assert config.model_options["ngf"] == 6 and config.model_options["nz"] == 8  # a flag beside it wins


def test_a_record_from_before_families_reads_as_dcgan():
    from gluon_gan.experiment import config_from_record, resolve
    old = {"nz": 32, "ngf": 16, "ndf": 8, "image_size": 64, "loss": "bce", "data_dir": "x", "epochs": 3}
    config = resolve(config_from_record(old))
    assert config.model == "dcgan" and config.dataset == "folder"
    assert config.model_options == {"nz": 32, "ngf": 16, "ndf": 8, "image_size": 64}


def test_unknown_family_option_is_one_line():
    from gluon_gan.errors import GluonGanError
    with pytest.raises(GluonGanError, match="model family dcgan has no option 'depth'"):
        families.make_options("dcgan", {"depth": 3})
