"""A dependency-free progress bar for long work (downloads, decoding images).

It redraws one terminal line at most ``min_interval`` seconds apart and stays
silent when the stream is not a terminal, so logs and CI output stay clean.
"""
import sys
import time


class ProgressBar:
    """``with ProgressBar(total, "decoding") as bar: bar.update(n)``."""

    def __init__(self, total, desc="", unit="", stream=None, min_interval=0.2, enabled=None):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.min_interval = min_interval
        if enabled is None:
            enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.enabled = enabled
        self.count = 0
        self._start = time.time()
        self._last_draw = 0.0

    def update(self, n=1):
        self.count += n
        now = time.time()
        if self.enabled and (now - self._last_draw >= self.min_interval
                             or (self.total and self.count >= self.total)):
            self._last_draw = now
            self._draw(now)

    def _draw(self, now):
        rate = self.count / max(now - self._start, 1e-9)
        if self.total:
            frac = min(self.count / self.total, 1.0)
            bar = "#" * int(frac * 30) + "-" * (30 - int(frac * 30))
            text = "\r%s [%s] %5.1f%% %s/%s %s/s" % (
                self.desc, bar, 100 * frac, _fmt(self.count, self.unit),
                _fmt(self.total, self.unit), _fmt(rate, self.unit))
        else:
            text = "\r%s %s" % (self.desc, _fmt(self.count, self.unit))
        self.stream.write(text)
        self.stream.flush()

    def close(self):
        if self.enabled:
            self._draw(time.time())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _fmt(n, unit):
    if unit == "B":
        return "%.1f MB" % (n / 1e6)
    return ("%.1f" % n if isinstance(n, float) else "%d" % n) + (" " + unit if unit else "")
