"""Where a run stands: time left for the epoch and the run, and a per-epoch tqdm bar on a terminal.

:class:`TimeLeft` turns wall-clock timings into the two estimates the log
line and the bar both show. The iteration rate is this epoch's so far (the
previous epoch's until two iterations are done, as the first one includes
the hybridized graph's warm-up); whole epochs are timed end to end, so the
run estimate includes what happens between epochs (grids, diversity,
checkpoints).

:class:`EpochProgressBar` draws nothing unless stderr is a terminal (tqdm's
own check, also honouring ``TQDM_DISABLE=1``). While a bar is up, console log
lines go through ``tqdm.write`` (``logging_redirect_tqdm``) so they print
above it instead of tearing it; log files are left alone.
"""
import contextlib
import logging
import sys
import time

from ..training.callbacks import Callback

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

READ_LOSSES_EVERY_S = 1.0  # reading the losses waits for the device; the bar shows them at most this often


def format_seconds(seconds):
    """``1:02:03`` / ``2:03`` (h:mm:ss or m:ss); ``?`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "%d:%02d:%02d" % (hours, minutes, secs) if hours else "%d:%02d" % (minutes, secs)


class TimeLeft:
    """Estimates of the time left, from ``epoch_started`` / ``iteration_done`` / ``epoch_done`` calls.

    ``clock`` is injectable so the arithmetic can be tested without waiting.
    """

    def __init__(self, epochs, iterations_per_epoch, clock=time.time):
        self.epochs, self.per_epoch, self.clock = epochs, iterations_per_epoch, clock
        self._epoch_times = []      # seconds of each whole epoch completed in this process
        self._last_rate = None      # seconds per iteration of the previous epoch
        self.epoch, self.done = 0, 0

    def epoch_started(self, epoch):
        self.epoch, self.done = epoch, 0
        self._epoch_start = self.clock()

    def iteration_done(self):
        self.done += 1
        self._last_iteration_at = self.clock()

    def epoch_done(self):
        """Record the whole epoch's time; the rate kept for the next epoch is its iterations' alone."""
        elapsed = self.clock() - self._epoch_start
        self._epoch_times.append(elapsed)
        if self.done:
            self._last_rate = (self._last_iteration_at - self._epoch_start) / self.done
        return elapsed

    def iteration_seconds(self):
        """Seconds per iteration: this epoch's mean once two iterations are done, else the last epoch's."""
        if self.done >= 2 or (self.done and self._last_rate is None):
            return (self.clock() - self._epoch_start) / self.done
        return self._last_rate

    def epoch_left(self):
        rate = self.iteration_seconds()
        return None if rate is None else rate * max(self.per_epoch - self.done, 0)

    def run_left(self):
        """This epoch's rest, plus the epochs after it at the mean whole-epoch time (or the iteration rate)."""
        left = self.epoch_left()
        if left is None:
            return None
        later = max(self.epochs - self.epoch - 1, 0)
        if self._epoch_times:
            per_epoch = sum(self._epoch_times) / len(self._epoch_times)
        else:
            per_epoch = self.iteration_seconds() * self.per_epoch
        return left + later * per_epoch


class EpochProgressBar(Callback):
    """A tqdm bar per epoch: ``epoch 3/10 |####  | 14/31 [00:05<00:06, 130 img/s, D 0.41, G 2.10, run left 4:10]``.

    ``file`` and ``disable`` are tqdm's (default: stderr, shown only on a
    terminal); tests pass a buffer and ``disable=False``.
    """

    def __init__(self, epochs, iterations_per_epoch, file=None, disable=None, clock=time.time):
        self.time_left = TimeLeft(epochs, iterations_per_epoch, clock)
        self.epochs, self.per_epoch = epochs, iterations_per_epoch
        self.file, self.disable, self.clock = file, disable, clock
        self.bar, self._redirect = None, None

    def on_train_begin(self, trainer, start_epoch):
        self._redirect = contextlib.ExitStack()
        if self._shown() and _has_console_log_handler():
            self._redirect.enter_context(logging_redirect_tqdm())

    def on_epoch_begin(self, trainer, epoch):
        self.time_left.epoch_started(epoch)
        self._images, self._last_read = 0, None
        self.bar = tqdm(total=self.per_epoch, desc="epoch %d/%d" % (epoch + 1, self.epochs), unit="it",
                        file=self.file, disable=self.disable, leave=False, dynamic_ncols=True,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                   "[{elapsed}<{remaining}{postfix}]")

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        self._images += batch_size
        now = self.clock()
        if self.bar.disable or not (self._last_read is None or now - self._last_read >= READ_LOSSES_EVERY_S
                                    or iteration + 1 == self.per_epoch):
            self.time_left.iteration_done()
            if not self.bar.disable:
                self.bar.update(1)
            return
        # reading the losses waits for the device; time after it, or the queued (not yet run) work looks fast
        d, g = float(d_loss.asscalar()), float(g_loss.asscalar())
        self.time_left.iteration_done()
        self._last_read = now = self.clock()
        speed = self._images / max(now - self.time_left._epoch_start, 1e-9)
        self.bar.set_postfix_str("%.1f img/s, D %.4f, G %.4f, run left %s" % (
            speed, d, g, format_seconds(self.time_left.run_left())), refresh=False)
        self.bar.update(1)

    def on_epoch_end(self, trainer, epoch):
        self.time_left.epoch_done()
        self._close_bar()

    def on_train_end(self, trainer):
        self._close_bar()
        if self._redirect is not None:
            self._redirect.close()
            self._redirect = None

    def _shown(self):
        stream = self.file if self.file is not None else sys.stderr
        if self.disable is not None:
            return not self.disable
        return hasattr(stream, "isatty") and stream.isatty()

    def _close_bar(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _has_console_log_handler():
    """Redirect logging only where it already reaches the console (never add a handler a library user lacks)."""
    return any(isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in (sys.stdout, sys.stderr)
               for h in logging.getLogger().handlers)
