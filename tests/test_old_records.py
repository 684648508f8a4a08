"""Runs recorded before an option existed rebuild the network they trained (the families' ``record_defaults``).

Each test makes a small old-format run directory: a generator built as the
code before the option was (the option's old value), its ``Generator.params``,
and a ``config.json`` whose options lack the new fields, as such runs wrote it.
Loading must rebuild the old architecture and draw exactly the same images.
"""
import json
import math
import os

import mxnet as mx
import numpy as np
import pytest

from gluon_gan import experiment, families
from gluon_gan.experiment import load_generator
from gluon_gan.experiment.config import run_record
from gluon_gan.files import checkpoint
from gluon_gan.training.sampling import latent

NEW_FIELDS = {
    "stylegan": {"blur": False, "width_rule": "halved", "discriminator": "dcgan", "mbstd_group": 4},
    "progan": {"input_bias": "position", "input_gain": math.sqrt(2.0), "pool_order": "conv-act-pool"},
    "msggan": {"input_bias": "position", "input_gain": math.sqrt(2.0)},
}
SMALL = {
    "stylegan": dict(image_size=16, nz=6, w_dim=5, mapping_layers=2, fmap_base=64, fmap_max=8, r1_gamma=0.0),
    "progan": dict(image_size=16, nz=6, widths="8,6,4"),
    "msggan": dict(image_size=16, nz=6, widths="8,6,4"),
}


def write_old_run(run_dir, model):
    """An old run: its generator (old architecture, weights moved off their init) and a record without the new
    fields; returns the family it was built with."""
    options = dict(SMALL[model], **NEW_FIELDS[model])
    config = experiment.resolve(experiment.TrainConfig(model=model, dataset="folder", data_dir="unused",
                                                       out=str(run_dir), model_options=options))
    family = families.create_family(model, (1, 16, 16), config.model_options)
    g = family.initialize(family.build_generator(), mx.cpu())
    rs = np.random.RandomState(7)
    for p in g.collect_params().values():
        if p.grad_req != "null" or p.name.endswith("w_avg"):
            p.set_data(p.data() + mx.nd.array(0.2 * rs.normal(size=p.shape)))
    os.makedirs(str(run_dir), exist_ok=True)
    g.save_parameters(os.path.join(str(run_dir), family.g_file))
    record = run_record(config, family)
    for name in NEW_FIELDS[model]:
        del record["model_options"][name]
        del record["family"]["options"][name]
    with open(os.path.join(str(run_dir), "config.json"), "w") as f:
        json.dump(record, f)
    return family, g


@pytest.mark.parametrize("model", sorted(NEW_FIELDS))
def test_an_old_run_loads_its_own_architecture_and_draws_the_same_images(tmp_path, model):
    family, g = write_old_run(tmp_path / "run", model)
    gen = load_generator(str(tmp_path / "run" / family.g_file))
    for name, old_value in NEW_FIELDS[model].items():
        assert getattr(gen.family.options, name) == old_value
    z = latent(4, family.latent_shape, seed=3)
    expected = family.images(g(*family.sampling_inputs(mx.nd.array(z)))).asnumpy()
    np.testing.assert_allclose(gen(mx.nd.array(z)).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    # the record read back as settings (--resume, --config, evaluate.py) keeps the old architecture too
    with open(str(tmp_path / "run" / "config.json")) as f:
        config = experiment.config_from_record(json.load(f))
    assert {k: config.model_options[k] for k in NEW_FIELDS[model]} == NEW_FIELDS[model]
    # while a new run of the same settings gets the authors' architecture, which these weights do not fit
    new = families.create_family(model, (1, 16, 16), SMALL[model])
    with pytest.raises(Exception):  # MXNet's shape-mismatch error
        new.build_generator().load_parameters(str(tmp_path / "run" / family.g_file))



def test_an_old_stylegan_run_resumes_with_its_own_architecture(tmp_path):
    """--resume reads the checkpoint's record: an old run continues with its DCGAN D, old widths and no blur."""
    from conftest import write_images
    folder, out = str(tmp_path / "data"), str(tmp_path / "run")
    write_images(folder, 8, size=(16, 16), seed=2)
    common = dict(model="stylegan", dataset="folder", data_dir=folder, cache_dir=str(tmp_path / "cache"), out=out,
                  batch_size=4, seed=3, log_interval=1)
    old = dict(SMALL["stylegan"], ndf=4, **NEW_FIELDS["stylegan"])
    experiment.train(experiment.TrainConfig(epochs=1, model_options=old, **common))
    state_path = os.path.join(checkpoint.find_checkpoint(out), checkpoint.STATE_JSON)
    for path, records in ((os.path.join(out, "config.json"), lambda r: [r]), (state_path, lambda s: [s["config"]])):
        with open(path) as f:
            data = json.load(f)
        for record in records(data):
            for name in NEW_FIELDS["stylegan"]:  # written before these options existed
                del record["model_options"][name]
                del record["family"]["options"][name]
        with open(path, "w") as f:
            json.dump(data, f)
    result = experiment.train(experiment.TrainConfig(epochs=2, resume=True, model_options=dict(SMALL["stylegan"]),
                                                     **common))
    assert result["epoch"] == 2
    with open(os.path.join(out, "config.json")) as f:
        options = json.load(f)["model_options"]
    assert {k: options[k] for k in NEW_FIELDS["stylegan"]} == NEW_FIELDS["stylegan"]  # now written out
