"""One training run per run directory: an OS lock held for the run's whole life.

``fcntl.flock`` on ``RUN/train.lock``: the kernel drops the lock when the
process ends, however it ends (SIGKILL included), so a killed run never leaves
a stale lock and the next ``--resume`` just takes it. The file holds the
holder's PID, so a second run can say who is in the way. The file itself is
never removed (removing a lock file races with the next run opening it).
Readers (``generate.py``, ``evaluate.py``, ``report.py``) take no lock: every
file a run publishes is complete when it appears (written, then renamed);
``report.py`` only asks :func:`is_locked` to say that a run is training now.
"""
import errno
import os
import time

from . import rundir
from ..errors import GluonGanError, disk_problem

LOCK_FILE = rundir.LOCK

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so no protection (and no false refusals)
    fcntl = None


def _writable_dir_error(path, err):
    return GluonGanError("cannot write the run directory --out %s: %s; a training run needs a writable --out "
                         "(copy the run to a writable disk and --resume it there)"
                         % (path, disk_problem(err) or err.strerror or err))


class RunLock:
    """``with RunLock(out_dir):`` creates ``out_dir`` if needed and holds its lock, or raises a one-line error."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.path = os.path.join(out_dir, LOCK_FILE)
        self._fd = None

    def acquire(self):
        if os.path.exists(self.out_dir) and not os.path.isdir(self.out_dir):
            raise GluonGanError("--out %s is a file, not a directory; choose another --out" % self.out_dir)
        try:
            os.makedirs(self.out_dir, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise _writable_dir_error(self.out_dir, err) from None
        if fcntl is not None:
            for attempt in range(5):  # a reader's is_locked() holds a shared lock for a moment: not a run
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as err:
                    if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        os.close(fd)
                        raise _writable_dir_error(self.out_dir, err) from None
                    time.sleep(0.05)
            else:
                os.close(fd)
                raise GluonGanError("%s is in use by another training run (PID %s); wait for it to end, stop it, "
                                    "or choose another --out" % (self.out_dir, holder(self.out_dir) or "unknown"))
        try:
            os.ftruncate(fd, 0)
            os.write(fd, ("%d\n" % os.getpid()).encode())
        except OSError as err:
            os.close(fd)
            raise _writable_dir_error(self.out_dir, err) from None
        self._fd = fd
        return self

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def holder(out_dir):
    """The PID written by the run that holds (or last held) ``out_dir``'s lock, as text; ``None`` if unknown."""
    try:
        with open(os.path.join(out_dir, LOCK_FILE)) as f:
            return f.read().strip() or None
    except OSError:
        return None


def is_locked(out_dir):
    """Whether a live process holds ``out_dir``'s lock (a run is training there now)."""
    path = os.path.join(out_dir, LOCK_FILE)
    if fcntl is None or not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
