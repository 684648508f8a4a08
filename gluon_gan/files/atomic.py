"""Files that appear whole or not at all: write to a temporary name, flush, rename into place.

A process killed at any moment leaves either the old file or the new one, never half of either; a write the
disk refuses (full, read-only) removes its temporary file and is a one-line error naming the file.
"""
import os
import tempfile

import numpy as np

from ..errors import GluonGanError, write_error


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename the result to ``path`` (same directory, so atomic).

    The file gets the permissions a plain ``open(path, "w")`` would give (``mkstemp`` makes its
    temporary file private), so weights and pictures stay readable by whoever the umask allows.
    """
    shown = path
    path = os.path.abspath(path)  # "a/../b" is fine even where "a" does not exist yet
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise GluonGanError("cannot write %s: it is a directory; name a file" % shown)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    except OSError as err:
        raise write_error(shown, err) from None
    os.close(fd)
    try:
        write(tmp)
        fsync_file(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as err:  # a full or read-only disk: one line naming the file; the old file stays
        raise write_error(shown, err) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _umask():
    """The process's umask, read without changing it where Linux tells (setting it races with other threads)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_file(path):
    """Flush ``path``'s data to the disk, so a rename after it never publishes an empty file."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def save_array(array, path):
    """``np.save`` made atomic (the decoded-image and feature caches)."""
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object: np.save would append ".npy" to a path
            np.save(f, array)
    return atomic_write(path, write)
