"""Each of our timers in a worker process of its own, as each peer runs in its own process.

Why: timers that share one process share its heap. Measured on this
project's 2-core VM (docs/performance.md): once the DCGAN's timer had been
built in the same process, the dcgan28 step ran at 94-131 instead of 193-236
images/s (the same CPU time; the hypervisor's steal time rose from 2% to 16%
of the run), while a DCGAN held in *another* process cost it nothing. So a
benchmark that builds every workload in one process measures the ones built
later slow, and the comparison with the peers would depend on the order of
the rows.

:func:`start` builds a timer in a fresh ``spawn`` process (its own heap,
MXNet engine and OpenMP pool, the parent's environment, so an ISA cap holds
there too) and returns a handle whose :meth:`IsolatedTimer.time_once` asks
the worker for one repeat. Between requests a worker sleeps in ``recv``, so
interleaving ours and the peers repeat by repeat still times each one alone.
"""
import multiprocessing
import traceback

from ..errors import GluonGanError


class WorkerError(GluonGanError):
    """A timer's worker process failed: the message is the worker's last error line."""


def _serve(conn, factory, args, kwargs):
    """The worker: build the timer, say so, then time one repeat per request until told to close.

    A parent that stops (an error, Ctrl-C) closes the pipe: the worker then
    just ends, and leaves the one line about it to the parent.
    """
    import gluon_gan  # noqa: F401  (threading before mxnet loads, as in the parent)
    try:
        try:
            timer = factory(*args, **kwargs)
        except Exception as err:  # the parent turns this into one clear line
            conn.send(("error", _line(err)))
            return
        conn.send(("ready", None))
        while conn.recv() == "time":
            try:
                conn.send(("value", timer.time_once()))
            except Exception as err:
                conn.send(("error", _line(err)))
                return
        close = getattr(timer, "close", None)
        if close is not None:
            close()
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass


def _line(err):
    last = traceback.format_exception_only(type(err), err)[-1].strip()
    return last.splitlines()[-1] if last else type(err).__name__


class IsolatedTimer:
    """A handle on a timer living in its own process: :meth:`time_once` and :meth:`close`, like the timer's."""

    def __init__(self, name, factory, *args, **kwargs):
        self.name = name
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, factory, args, kwargs), daemon=True,
                                         name="gluon-gan timer: " + name)
        self._process.start()
        child.close()
        self._ready = False

    def wait_ready(self):
        """Block until the worker has built and warmed up its timer."""
        if not self._ready:
            self._receive("ready")
            self._ready = True
        return self

    def time_once(self):
        """One timed repeat in the worker (whatever the timer's ``time_once`` returns)."""
        self.wait_ready()
        try:
            self._conn.send("time")
        except (BrokenPipeError, OSError):
            self._ended()
        return self._receive("value")

    def close(self):
        if self._process.is_alive():
            try:
                self._conn.send("close")
            except (BrokenPipeError, OSError):
                pass
            self._process.join(timeout=60)
        if self._process.is_alive():
            self._process.kill()
        self._conn.close()

    def _receive(self, expected):
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._ended()
        if kind == "error":
            raise WorkerError("%s: %s" % (self.name, value))
        assert kind == expected, (kind, expected)
        return value

    def _ended(self):
        self._process.join(timeout=5)
        raise WorkerError("%s: the timing process ended (exit code %s)" % (self.name, self._process.exitcode))


def start(name, factory, *args, **kwargs):
    """Start building ``factory(*args, **kwargs)`` (a picklable, module-level callable) in its own process."""
    return IsolatedTimer(name, factory, *args, **kwargs)
