"""What every command-line tool shares: logging setup and one-line errors instead of tracebacks."""
import errno
import logging
import sys

from .errors import GluonGanError, disk_problem


def setup_logging(verbose=False):
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")


def run(main, argv=None):
    """Call ``main(argv)``; turn user errors into ``error: ...`` on stderr and exit status 2.

    Ctrl-C exits 130 with a hint: every completed epoch is already checkpointed. A disk that refuses a write
    (full, over quota, read-only) is a user's problem too, wherever it happens: one line, status 2.
    """
    try:
        return main(argv) or 0
    except GluonGanError as err:
        _close_progress_bars()
        print("error: %s" % err, file=sys.stderr)
        return 2
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):  # only writes fail so
            raise
        _close_progress_bars()
        print("error: cannot write %s: %s; free space or choose a writable place, then rerun (--resume continues "
              "a training run from its last complete checkpoint)" % (err.filename or "a file", disk_problem(err)),
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _close_progress_bars()
        print("interrupted; completed epochs are checkpointed (rerun with --resume to continue)",
              file=sys.stderr)
        return 130


def _close_progress_bars():
    """Clear bars an exception left on the terminal, so the message starts on a clean line."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is required, but the message matters more
        return
    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()
