"""One command, rerun after a kill -9 at any moment, finishes the run exactly as if it had never been killed."""
import csv
import logging
import os
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest

from conftest import ROOT, load_script, write_images
from gluon_gan.files import checkpoint
from gluon_gan.experiment import snapshots

EPOCHS = 2


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """8 images (2 batches of 4 per epoch), the common arguments, and an uninterrupted run to compare with."""
    root = tmp_path_factory.mktemp("restart")
    write_images(str(root / "imgs"), 8)
    common = ["--data-dir", str(root / "imgs"), "--cache-dir", str(root / "cache"), "--epochs", str(EPOCHS),
              "--batch-size", "4", "--ngf", "8", "--ndf", "8", "--log-interval", "1", "--seed", "3",
              "--keep-every", "1"]
    load_script("train_lfw").main(common + ["--out", str(root / "straight")])
    return root, common


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("moment", ["iteration:1", "states:1", "swap:2", "end"])
def test_the_same_resume_command_completes_after_a_kill_at(moment, setup, caplog):
    root, common = setup
    out = str(root / moment.replace(":", "_"))
    command = common + ["--out", out, "--resume"]  # what a scheduler reruns; --resume from the very first start
    killed = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "kill_at.py"), moment] + command,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert killed.returncode == -9, killed.stderr  # really killed there, not finished or failed
    before = checkpoint.find_checkpoint(out)
    before_epoch = checkpoint.read_state(before)["epoch"] if before else 0
    if moment in ("iteration:1", "states:1"):
        assert before is None  # nothing complete yet: the rerun has to start over
    elif moment == "swap:2":
        assert before == os.path.join(out, "checkpoint.old") and not os.path.exists(os.path.join(out, "checkpoint"))
        assert before_epoch == 1 and os.path.isdir(os.path.join(out, "checkpoint.tmp"))
    elif moment == "end":
        assert before_epoch == EPOCHS and not os.path.exists(os.path.join(out, "training_progress.gif"))

    with caplog.at_level(logging.INFO):
        load_script("train_lfw").main(command)
    if before is None:
        assert "no complete checkpoint in %s yet; starting the run from the beginning" % out in caplog.text
    else:
        assert "resuming %s after epoch %d" % (out, before_epoch) in caplog.text

    found = checkpoint.find_checkpoint(out)
    assert found == os.path.join(out, "checkpoint") and checkpoint.read_state(found)["epoch"] == EPOCHS
    assert not os.path.exists(os.path.join(out, "checkpoint.old")) and not os.path.exists(out + "/checkpoint.tmp")
    straight = str(root / "straight")
    for name in ("Generator.params", "discriminator.params"):
        a, b = mx.nd.load(os.path.join(straight, name)), mx.nd.load(os.path.join(out, name))
        for key in a:
            np.testing.assert_allclose(b[key].asnumpy(), a[key].asnumpy(), rtol=1e-5, atol=1e-7, err_msg=key)
    want, got = _rows(os.path.join(straight, "metrics.csv")), _rows(os.path.join(out, "metrics.csv"))
    assert [r["step"] for r in got] == [r["step"] for r in want] == [str(s) for s in range(1, 2 * EPOCHS + 1)]
    np.testing.assert_allclose([float(r["d_loss"]) for r in got], [float(r["d_loss"]) for r in want], rtol=1e-4)
    assert [r["epoch"] for r in _rows(os.path.join(out, "diversity.csv"))] == ["1", "2"]
    assert [e for e, _ in snapshots.list_snapshots(out)] == [1, 2]
    assert os.path.isfile(os.path.join(out, "training_progress.gif"))
