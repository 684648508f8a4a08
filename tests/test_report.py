"""report.py: an offline HTML page from a run directory."""
import base64
import csv
import json
import os
import re
import urllib.parse

import numpy as np
import pytest

from conftest import load_script
from gluon_gan.evaluation import diversity
from gluon_gan.files import plotting
from gluon_gan.errors import GluonGanError
from gluon_gan.experiment.report import write_report


def _fake_run(root, collapsed=False):
    """A run directory as train_lfw.py and evaluate.py leave it, with made-up numbers."""
    os.makedirs(os.path.join(root, "samples"))
    with open(os.path.join(root, "config.json"), "w") as f:
        json.dump({"batch_size": 64, "epochs": 2, "lr": 0.0002, "data_dir": "/data/<faces>", "loss": "bce"}, f)
    with open(os.path.join(root, "metrics.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch", "iteration", "step", "samples_per_s", "d_loss", "g_loss", "accuracy", "elapsed_s"])
        w.writerow([0, 0, 1, 30.0, 1.4, 0.9, 0.5, 2.0])
        w.writerow([1, 0, 7, 31.0, 0.7, 2.1, 0.8, 9.0])
    with open(os.path.join(root, "diversity.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(diversity.COLUMNS)
        w.writerow([1, 0.41, 0.52, 0.41 / 0.52, 0.30, 0.33, 0.0, 0.0])
        w.writerow([2, 0.05 if collapsed else 0.47, 0.52, (0.05 if collapsed else 0.47) / 0.52, 0.01, 0.33,
                    0.9 if collapsed else 0.0, 0.0])
    rs = np.random.RandomState(0)
    for epoch in (1, 2):
        plotting.save_png(rs.randint(0, 256, size=(10, 10, 3)).astype(np.uint8),
                          os.path.join(root, "samples", "epoch_%03d.png" % epoch))
    plotting.save_gif([os.path.join(root, "samples", "epoch_%03d.png" % e) for e in (1, 2)],
                      os.path.join(root, "training_progress.gif"))
    plotting.plot_training_curves(os.path.join(root, "metrics.csv"), os.path.join(root, "training_curves.png"))
    with open(os.path.join(root, "evaluation.json"), "w") as f:
        json.dump([{"features": "pixels", "comparable": False, "num_fake": 100, "num_real": 50, "fid": 123.456,
                    "kid_mean": 0.0123, "kid_std": 0.0011, "time": "2026-01-01 10:00:00",
                    "params": "/x/Generator.params"}], f)
    return root


def _image_sources(page):
    return re.findall(r'<img src="([^"]*)"', page)


def test_report_links_the_runs_images_relatively_and_shows_settings_and_numbers(tmp_path):
    run = _fake_run(str(tmp_path / "my run"))
    load_script("report").main([run])
    page = open(os.path.join(run, "report.html"), encoding="utf-8").read()
    for text in ("batch_size", "0.0002", "/data/&lt;faces&gt;", "bce",  # settings, escaped
                 "123.5", "pixels",                                      # the evaluation
                 "epoch 1", "epoch 2", "after epoch 2 (latest)"):        # the grids
        assert text in page, text
    assert "mode collapse" not in page
    sources = _image_sources(page)
    files = [urllib.parse.unquote(s) for s in sources if not s.startswith("data:")]
    assert set(files) >= {"samples/epoch_001.png", "samples/epoch_002.png", "training_progress.gif",
                          "training_curves.png"}
    for rel in files:
        assert os.path.isfile(os.path.join(run, rel)), rel
    assert any(s.startswith("data:image/png;base64,") for s in sources)  # the diversity plot, drawn for the page
    assert not re.search(r"(?i)https?:|ftp:|(src|href)=\"//|url\(", page)  # nothing comes from the network


def test_embedded_report_is_self_contained(tmp_path):
    run = _fake_run(str(tmp_path / "run"))
    out = str(tmp_path / "elsewhere" / "page.html")
    os.makedirs(os.path.dirname(out))
    write_report(run, embed=True, path=out)
    page = open(out, encoding="utf-8").read()
    sources = _image_sources(page)
    assert sources and all(s.startswith("data:image/") for s in sources)
    with open(os.path.join(run, "samples", "epoch_002.png"), "rb") as f:
        assert "data:image/png;base64," + base64.b64encode(f.read()).decode() in sources
    assert "data:image/gif;base64," in page
    assert not os.path.exists(os.path.join(run, "report.html"))


def test_report_warns_when_samples_collapse(tmp_path):
    run = _fake_run(str(tmp_path / "run"), collapsed=True)
    page = open(write_report(run), encoding="utf-8").read()
    assert "Possible mode collapse" in page and "90%" in page


def test_report_of_an_unfinished_run_plots_the_metrics_so_far(tmp_path):
    run = str(tmp_path / "run")
    _fake_run(run)
    os.remove(os.path.join(run, "training_curves.png"))
    page = open(write_report(run), encoding="utf-8").read()
    assert "the run has not finished" in page
    assert not os.path.exists(os.path.join(run, "training_curves.png"))  # the page draws it, the run is untouched


def test_report_errors_are_one_line(tmp_path):
    with pytest.raises(GluonGanError, match="run directory not found"):
        write_report(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GluonGanError, match="does not look like a training run"):
        write_report(str(tmp_path / "empty"))
