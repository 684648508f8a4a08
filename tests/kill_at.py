"""Run scripts/train_lfw.py and SIGKILL it (a real kill -9, from itself) at one exact moment.

    python tests/kill_at.py MOMENT [train_lfw.py arguments...]

MOMENT is one of:
  iteration:N        during training, after N calls of GANTrainer.step (before the first epoch ends if N is small)
  states:E           while the checkpoint of epoch E is being written: D's optimiser state half on disk
  swap:E             between the two renames that swap in epoch E's checkpoint (only checkpoint.old exists)
  end                after the last epoch's checkpoint, while the end-of-run pictures are written
A time-based kill cannot aim at these moments; a self-inflicted SIGKILL lands exactly there.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from conftest import load_script  # noqa: E402  (also puts the repo first on sys.path)
from gluon_gan.files import checkpoint
from gluon_gan.experiment import monitor
from gluon_gan import training  # noqa: E402


def die():
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def epoch_being_saved(state_path):
    """The epoch a checkpoint under way will hold: one more than the last complete one."""
    found = checkpoint.find_checkpoint(os.path.dirname(os.path.dirname(state_path)))
    return (checkpoint.read_state(found)["epoch"] if found else 0) + 1


def arm(moment):
    kind, _, arg = moment.partition(":")
    if kind == "iteration":
        step, calls = training.GANTrainer.step, []

        def counted(self, real):
            if len(calls) == int(arg):
                die()
            calls.append(1)
            return step(self, real)
        training.GANTrainer.step = counted
    elif kind == "states":
        import mxnet as mx
        save = mx.gluon.Trainer.save_states

        def half_written(self, fname):
            save(self, fname)
            if fname.endswith(checkpoint.D_STATES) and epoch_being_saved(fname) == int(arg):
                with open(fname, "r+b") as f:
                    f.truncate(os.path.getsize(fname) // 2)
                die()
        mx.gluon.Trainer.save_states = half_written
    elif kind == "swap":
        rename = os.rename

        def swap(src, dst):
            rename(src, dst)
            if dst.endswith(checkpoint.CHECKPOINT_DIR + ".old") and checkpoint.read_state(dst)["epoch"] + 1 == int(arg):
                die()
        checkpoint.os.rename = swap  # the os module itself: this process only lives for the run
    elif kind == "end":
        monitor.plotting.save_gif = lambda *args, **kwargs: die()
    else:
        raise SystemExit("unknown moment %r" % moment)


if __name__ == "__main__":
    arm(sys.argv[1])
    load_script("train_lfw").main(sys.argv[2:])
    raise SystemExit("the run ended without reaching the moment %s" % sys.argv[1])
