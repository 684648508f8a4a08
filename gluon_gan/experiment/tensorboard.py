"""``--tensorboard``: the run's numbers and pictures as a TensorBoard log, under ``<out>/tensorboard``.

It mirrors what the run already writes, so the two can never disagree: the
rows that :class:`~gluon_gan.experiment.monitor.TrainingLog` appends to ``metrics.csv``
(scalars ``train/*`` at the global step), the rows of ``diversity.csv`` and
the fixed-noise grid ``samples/epoch_NNN.png`` (at the epoch). Put it after
those callbacks. It uses ``tensorboardX`` (the ``tensorboard`` extra), not
``mxboard``, which no longer imports with current protobuf.

Every start opens a new event file with ``purge_step`` at its checkpoint's
step (0 for a run started from the beginning, also after a kill before its
first checkpoint), so TensorBoard drops the points a killed run logged past
it (they are logged again), as ``metrics.csv`` does.
"""
import csv
import logging
import os
import time

import numpy as np

from ..errors import GluonGanError
from ..training.callbacks import Callback
from ..files import rundir

log = logging.getLogger(__name__)

LOG_DIR = rundir.TENSORBOARD
TRAIN_SCALARS = ("d_loss", "g_loss", "accuracy", "samples_per_s")
DIVERSITY_SCALARS = ("fake_pairwise", "real_pairwise", "pairwise_ratio", "fake_nn", "real_nn",
                     "fake_duplicates", "real_duplicates")


def require_tensorboardx():
    """The ``SummaryWriter`` class, or a one-line error saying how to install it."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError as err:
        raise GluonGanError("--tensorboard needs the tensorboardX package: pip install 'gluon-gan[tensorboard]' "
                            "(or pip install tensorboardX) (%s)" % err) from None
    return SummaryWriter


class CsvTail:
    """The rows appended to a CSV file since the last call, as dicts (the header read once)."""

    def __init__(self, path):
        self.path, self.offset, self.columns = path, 0, None

    def skip_existing(self):
        """Start after what the file holds now (rows of earlier runs are already in their event files)."""
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        self.columns = self._header()

    def new_rows(self):
        if not os.path.exists(self.path):
            return []
        if os.path.getsize(self.path) < self.offset:  # rewritten shorter: read it again from the top
            self.offset = 0
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        data = data[:data.rfind(b"\n") + 1]  # a row still being written stays for the next call
        self.offset += len(data)
        rows = list(csv.reader(data.decode().splitlines()))
        if self.columns is None and rows:
            self.columns, rows = rows[0], rows[1:]
        return [dict(zip(self.columns, row)) for row in rows if len(row) == len(self.columns)]

    def _header(self):
        if not os.path.exists(self.path):
            return None
        with open(self.path, newline="") as f:
            return next(csv.reader(f), None)


class TensorBoardLog(Callback):
    """Copies metrics.csv rows, diversity.csv rows and the epoch's sample grid into a TensorBoard event file."""

    def __init__(self, out_dir, start_step=0):
        self.SummaryWriter = require_tensorboardx()
        self.out_dir = out_dir
        self.log_dir = os.path.join(out_dir, LOG_DIR)
        self.start_step = start_step
        self.metrics = CsvTail(os.path.join(out_dir, rundir.METRICS))
        self.diversity = CsvTail(os.path.join(out_dir, rundir.DIVERSITY))
        self.writer = None

    def on_train_begin(self, trainer, start_epoch):
        # after TrainingLog and DiversityLog have dropped the rows a killed run logged past its checkpoint
        self.metrics.skip_existing()
        self.diversity.skip_existing()
        # tensorboardX names files by the second and opens them with 'wb': a suffix keeps a quick rerun's file apart
        self.writer = self.SummaryWriter(self.log_dir, purge_step=self.start_step,
                                         filename_suffix=".%d" % time.time_ns())
        log.info("TensorBoard log in %s (tensorboard --logdir %s)", self.log_dir, self.log_dir)

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        # rows appear only on logged iterations; reading the file then costs no device wait
        try:
            grown = os.path.getsize(self.metrics.path) != self.metrics.offset
        except OSError:
            return
        if grown:
            self._copy_metrics()

    def on_epoch_end(self, trainer, epoch):
        self._copy_metrics()
        for row in self.diversity.new_rows():
            for name in DIVERSITY_SCALARS:
                self._scalar("diversity/" + name, row.get(name), int(row["epoch"]))
        grid = os.path.join(self.out_dir, rundir.SAMPLES, rundir.sample_grid_name(epoch + 1))
        if os.path.exists(grid):
            from PIL import Image
            with Image.open(grid) as picture:
                pixels = np.asarray(picture.convert("RGB"))
            self.writer.add_image("samples", pixels, epoch + 1, dataformats="HWC")
        self.writer.flush()

    def on_train_end(self, trainer):
        if self.writer is not None:
            self._copy_metrics()
            self.writer.close()
            self.writer = None

    def _copy_metrics(self):
        for row in self.metrics.new_rows():
            for name in TRAIN_SCALARS:
                self._scalar("train/" + name, row.get(name), int(float(row["step"])))

    def _scalar(self, tag, text, step):
        try:
            value = float(text)
        except (TypeError, ValueError):
            return
        self.writer.add_scalar(tag, value, step)
