"""The per-run CSV logs (metrics, diversity, Fashion-MNIST quality): append a row, and forget rows on resume.

A log line may be cut short by a kill; readers skip such lines, and a resumed
run rewrites the file (atomically) keeping only the rows its checkpoint
covers, since the rest are trained, and logged, again.
"""
import csv
import os

from .atomic import atomic_write


def append_row(path, columns, row):
    """Append ``row`` to the CSV at ``path``, writing the ``columns`` header first if the file is new."""
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(columns)
        writer.writerow(row)


def keep_rows(path, columns, keep):
    """Rewrite ``path`` with its header and the complete rows (``len(columns)`` fields) for which ``keep(row)``."""
    if not os.path.exists(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    kept = rows[:1] + [r for r in rows[1:] if len(r) == len(columns) and keep(r)]
    if kept != rows:
        def write(tmp):
            with open(tmp, "w", newline="") as f:
                csv.writer(f).writerows(kept)
        atomic_write(path, write)


def keep_epochs_up_to(path, columns, epoch):
    """On resume from ``epoch``: keep the rows whose first field (the epoch) is at most ``epoch``."""
    keep_rows(path, columns, lambda r: r[0].isdigit() and int(r[0]) <= epoch)
