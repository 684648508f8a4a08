"""``--keep-every N``: a copy of the checkpoint every N epochs, so the best epoch can be picked, not only the last.

``checkpoint/`` always holds the latest epoch and is replaced after every
epoch; ``snapshots/epoch_NNN/`` is a complete copy of it (both networks, both
optimisers, ``state.json``) taken right after epoch NNN's checkpoint, so
``generate.py --params snapshots/epoch_NNN/Generator.params`` draws that
epoch's faces and the folder can be copied back to ``checkpoint/`` to resume
from it. Copies are made under a temporary name and renamed, like checkpoints.
"""
import logging
import os
import shutil

from ..files import checkpoint, rundir
from ..files.atomic import fsync_file
from ..training.callbacks import Callback

log = logging.getLogger(__name__)

SNAPSHOT_DIR = rundir.SNAPSHOTS


def snapshot_path(out_dir, epoch):
    return os.path.join(out_dir, SNAPSHOT_DIR, "epoch_%03d" % epoch)


def take_snapshot(out_dir, epoch, source=None):
    """Copy a checkpoint of epoch ``epoch`` (default: ``out_dir``'s latest) to ``snapshots/epoch_NNN``."""
    final = snapshot_path(out_dir, epoch)
    tmp = os.path.join(os.path.dirname(final), "." + os.path.basename(final) + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source or os.path.join(out_dir, checkpoint.CHECKPOINT_DIR), tmp)
    for name in os.listdir(tmp):
        fsync_file(os.path.join(tmp, name))
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    return final


class Snapshots(Callback):
    """After every ``every``-th epoch's checkpoint: keep a copy of it (put it after the Checkpointer)."""

    def __init__(self, out_dir, every):
        self.out_dir, self.every = out_dir, int(every)

    def on_train_begin(self, trainer, start_epoch):
        # a run killed between a checkpoint and its snapshot resumes after that epoch: take the missing copy now
        found = checkpoint.find_checkpoint(self.out_dir)
        if (start_epoch and start_epoch % self.every == 0 and found is not None
                and not os.path.isdir(snapshot_path(self.out_dir, start_epoch))
                and checkpoint.read_state(found).get("epoch") == start_epoch):
            self._take(start_epoch, found)

    def on_epoch_end(self, trainer, epoch):
        if (epoch + 1) % self.every == 0:
            self._take(epoch + 1)

    def _take(self, epoch, source=None):
        log.info("kept a snapshot of epoch %d in %s", epoch, take_snapshot(self.out_dir, epoch, source))


def list_snapshots(out_dir):
    """``[(epoch, folder)]`` of the complete snapshots under ``out_dir``, by epoch."""
    root = os.path.join(out_dir, SNAPSHOT_DIR)
    if not os.path.isdir(root):
        return []
    found = []
    for name in os.listdir(root):
        if name.startswith("epoch_") and name[6:].isdigit() and os.path.isfile(
                os.path.join(root, name, checkpoint.STATE_JSON)):
            found.append((int(name[6:]), os.path.join(root, name)))
    return sorted(found)
