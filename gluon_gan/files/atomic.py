"""Files that appear whole or not at all: write to a temporary name, flush, rename into place.

A process killed at any moment leaves either the old file or the new one, never half of either.
"""
import os
import tempfile

import numpy as np


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename the result to ``path`` (same directory, so atomic).

    The file gets the permissions a plain ``open(path, "w")`` would give (``mkstemp`` makes its
    temporary file private), so weights and pictures stay readable by whoever the umask allows.
    """
    path = os.path.abspath(path)  # "a/../b" is fine even where "a" does not exist yet
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        fsync_file(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
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
