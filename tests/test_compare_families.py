"""scripts/compare_families.py end to end at toy sizes: timing, budgeted training, judging, the table."""
import json
import os

import pytest

from conftest import load_script
from gluon_gan.errors import GluonGanError

TOY = ["--dataset", "cartoon-faces", "--option", "dcgan:image_size=16", "--option", "dcgan:ngf=4",
       "--option", "dcgan:ndf=4", "--set", "dcgan:batch_size=8", "--set", "dcgan:num_images=32",
       "--num-samples", "40", "--speed-iterations", "2", "--speed-repeats", "1"]


def test_compare_trains_judges_and_records_each_family(tmp_path, capsys):
    out = str(tmp_path / "cmp")
    load_script("compare_families").main(["--models", "dcgan", "--epochs", "2", "--out", out,
                                          "--cache-dir", str(tmp_path / "c")] + TOY)
    printed = capsys.readouterr().out
    assert "| dcgan | 3x16x16 |" in printed and "training images/s" in printed
    [result] = json.load(open(os.path.join(out, "results.json")))
    assert result["epochs"] == pytest.approx(2.0) and result["images_seen"] == 64 and result["iterations"] == 8
    assert result["images_per_s"] > 0 and result["quality"]["fid"] > 0
    assert os.path.isfile(os.path.join(out, "dcgan", "final_samples.png"))
    assert os.path.isfile(os.path.join(out, "dcgan", "samples", "epoch_002.png"))  # the library's own run


def test_a_time_budget_stops_training_mid_epoch(tmp_path):
    from gluon_gan.experiment import TrainConfig
    from gluon_gan.bench.budget import train_with_budget
    config = TrainConfig(model="dcgan", dataset="cartoon-faces", num_images=160, batch_size=8, epochs=50,
                         cache_dir=str(tmp_path / "c"), out=str(tmp_path / "run"),
                         model_options={"image_size": 16, "ngf": 4, "ndf": 4})
    budget = train_with_budget(config, seconds=0.0)  # spent at the first check, after 10 of 20 iterations
    assert budget.iterations == 10 and budget.images == 80
    assert budget.trainer is not None and os.path.isfile(str(tmp_path / "run" / "training_curves.png"))
    from gluon_gan.files.checkpoint import find_checkpoint
    assert find_checkpoint(str(tmp_path / "run")) is None  # no epoch ended, so no checkpoint claims one did


def test_bad_option_syntax_and_unknown_family_are_one_line(tmp_path):
    main = load_script("compare_families").main
    with pytest.raises(GluonGanError, match="unknown model family 'nope'"):
        main(["--models", "nope", "--out", str(tmp_path)])
    with pytest.raises(GluonGanError, match="MODEL:NAME=VALUE"):
        main(["--models", "dcgan", "--option", "image_size=16", "--out", str(tmp_path)])
