"""The one exception type that command-line tools turn into a one-line message.

Raise :class:`GluonGanError` for anything a user can fix (a missing file, a bad
flag, a dead URL, a full disk); let programming errors propagate with their traceback.
"""
import errno


class GluonGanError(Exception):
    """A user-facing failure; ``str(err)`` is the whole message, on one line."""


class DamagedFileError(GluonGanError):
    """A file a run wrote earlier cannot be read back (truncated, emptied, overwritten); ``path`` names it."""

    def __init__(self, path, problem):
        super().__init__("%s is damaged (%s)" % (path, problem))
        self.path, self.problem = path, problem


# errno -> what to tell a user whose disk refused a write
DISK_PROBLEMS = {"EROFS": "read-only file system", "ENOSPC": "no space left on the disk",
                 "EDQUOT": "disk quota exceeded", "EACCES": "permission denied", "EPERM": "permission denied",
                 "EISDIR": "it is a directory", "ENOTDIR": "part of the path is a file, not a directory"}


def disk_problem(err):
    """A short reason for an ``OSError`` from writing a file, or ``None`` when it is not a disk/permission problem."""
    return next((text for name, text in DISK_PROBLEMS.items() if err.errno == getattr(errno, name, None)), None)


def write_error(path, err, hint=""):
    """The one-line error for a write of ``path`` that failed with ``OSError`` ``err``."""
    reason = disk_problem(err) or err.strerror or str(err)
    return GluonGanError("cannot write %s: %s%s" % (path, reason, "; " + hint if hint else ""))
