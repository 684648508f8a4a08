"""Callbacks that report and persist a run: the log line + metrics CSV, sample grids, checkpoints, the GIF."""
import logging
import os
import time


from ..files import checkpoint, csvlog, plotting, rundir
from .progressbar import TimeLeft, format_seconds
from ..training.callbacks import Callback

log = logging.getLogger(__name__)

METRIC_COLUMNS = ("epoch", "iteration", "step", "samples_per_s", "d_loss", "g_loss", "accuracy", "elapsed_s")


class TrainingLog(Callback):
    """Every ``interval`` iterations (and on the first): the tutorial's log line, and a CSV row.

    samples/s is averaged over the iterations since the previous line (the
    tutorial timed only the last batch). D/G loss are the current batch's means;
    accuracy is the running value over the epoch, as the tutorial's metric.
    Reading these values is the only place the loop waits for the device.
    Given ``epochs`` and ``iterations_per_epoch``, the line also says
    ``iter i/N`` and the time left for the epoch and the run.
    """

    def __init__(self, csv_path, interval=10, start_step=0, epochs=None, iterations_per_epoch=None):
        self.csv_path = csv_path
        self.interval = interval
        self.step = start_step
        self._samples = 0
        self.time_left = TimeLeft(epochs, iterations_per_epoch) if epochs and iterations_per_epoch else None

    def on_train_begin(self, trainer, start_epoch):
        _truncate_rows_after(self.csv_path, self.step)
        self._start = time.time()

    def on_epoch_begin(self, trainer, epoch):
        self._tic, self._samples = time.time(), 0
        if self.time_left:
            self.time_left.epoch_started(epoch)

    def on_epoch_end(self, trainer, epoch):
        if self.time_left:
            self.time_left.epoch_done()

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        self.step += 1
        self._samples += batch_size
        if iteration % self.interval:
            if self.time_left:
                self.time_left.iteration_done()
            return
        d, g = float(d_loss.asscalar()), float(g_loss.asscalar())
        _, acc = trainer.metric.get()
        if self.time_left:  # after the wait for the device, so the time is the iteration's, not its queueing
            self.time_left.iteration_done()
        now = time.time()
        speed = self._samples / max(now - self._tic, 1e-9)
        self._tic, self._samples = now, 0
        if self.time_left:
            log.info("epoch %d iter %d/%d: %.1f samples/s, D loss %.4f, G loss %.4f, binary acc %.4f, "
                     "left: epoch %s, run %s", epoch, iteration, self.time_left.per_epoch, speed, d, g, acc,
                     format_seconds(self.time_left.epoch_left()), format_seconds(self.time_left.run_left()))
        else:
            log.info("epoch %d iter %d: %.1f samples/s, D loss %.4f, G loss %.4f, binary acc %.4f",
                     epoch, iteration, speed, d, g, acc)
        self._write_row([epoch, iteration, self.step, round(speed, 2), d, g, acc, round(now - self._start, 2)])

    def _write_row(self, row):
        csvlog.append_row(self.csv_path, METRIC_COLUMNS, row)


def _truncate_rows_after(csv_path, step):
    """On resume, drop rows logged after the checkpoint (they will be logged again)."""
    csvlog.keep_rows(csv_path, METRIC_COLUMNS, lambda r: _as_int(r[2]) <= step)


def _as_int(text):
    try:
        return int(float(text))
    except ValueError:
        return 1 << 62


class SampleGrids(Callback):
    """After every epoch, G's images for one fixed noise batch: ``samples/epoch_NNN.png``."""

    def __init__(self, out_dir, fixed_noise):
        self.dir = os.path.join(out_dir, rundir.SAMPLES)
        self.fixed_noise = fixed_noise

    def on_epoch_end(self, trainer, epoch):
        path = os.path.join(self.dir, rundir.sample_grid_name(epoch + 1))
        plotting.save_image_grid(trainer.generate(self.fixed_noise), path)
        log.info("wrote %s", path)


class Checkpointer(Callback):
    """After every epoch: a complete, atomically swapped checkpoint (see :mod:`gluon_gan.files.checkpoint`)."""

    def __init__(self, out_dir, run_state, training_log):
        self.out_dir = out_dir
        self.run_state = run_state
        self.training_log = training_log

    def on_epoch_end(self, trainer, epoch):
        state = dict(self.run_state, epoch=epoch + 1, step=self.training_log.step)
        state["family_state"] = trainer.family.state()
        checkpoint.save_checkpoint(self.out_dir, trainer.networks(), trainer.trainers(), state)
        log.info("epoch %d done; checkpoint written to %s", epoch + 1, self.out_dir)


class CurvesPlot(Callback):
    """At the end: ``training_curves.png`` from ``metrics.csv``."""

    def __init__(self, csv_path, png_path):
        self.csv_path, self.png_path = csv_path, png_path

    def on_train_end(self, trainer):
        if os.path.exists(self.csv_path):
            plotting.plot_training_curves(self.csv_path, self.png_path)
            log.info("wrote %s", self.png_path)


class SamplesAnimation(Callback):
    """At the end: ``training_progress.gif``, the per-epoch grids (all of them, resumed runs included) in order."""

    def __init__(self, out_dir):
        self.samples_dir = os.path.join(out_dir, rundir.SAMPLES)
        self.gif_path = os.path.join(out_dir, rundir.PROGRESS_GIF)

    def on_train_end(self, trainer):
        grids = sample_grids(self.samples_dir)
        if grids:
            plotting.save_gif([p for _, p in grids], self.gif_path, labels=["epoch %d" % e for e, _ in grids])
            log.info("wrote %s (%d epochs)", self.gif_path, len(grids))


class FamilyFigures(Callback):
    """At the end: the family's explanatory figures (StyleGAN's mixing, noise, truncation) in ``figures/``.

    Families without figures write nothing; the report shows whatever is there.
    """

    def __init__(self, out_dir, seed=0):
        self.prefix = os.path.join(out_dir, rundir.FIGURES, "final")
        self.seed = seed

    def on_train_end(self, trainer):
        paths = trainer.family.figures(trainer.netG, self.prefix, seed=self.seed, ctx=trainer.ctx[0])
        if paths:
            log.info("wrote %s", ", ".join(paths))


def sample_grids(samples_dir):
    """``[(epoch, path)]`` of the ``epoch_NNN.png`` grids in ``samples_dir``, by epoch."""
    if not os.path.isdir(samples_dir):
        return []
    found = []
    for name in os.listdir(samples_dir):
        stem, ext = os.path.splitext(name)
        if ext == ".png" and stem.startswith("epoch_") and stem[6:].isdigit():
            found.append((int(stem[6:]), os.path.join(samples_dir, name)))
    return sorted(found)
