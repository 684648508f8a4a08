"""Checkpoints that survive being killed at any moment, and loads that explain mismatches.

Every file is written to a temporary name and renamed into place. A training
checkpoint is several files (both networks, both trainers' states, the loop
state), so they are written together into ``checkpoint.tmp/`` and swapped in
with two renames; if the process dies between them, :func:`load_checkpoint`
falls back to ``checkpoint.old/``. The user-facing ``Generator.params`` and
``discriminator.params`` (the tutorial's names) are refreshed atomically after.
"""
import json
import os
import shutil

import mxnet as mx

from . import legacy, rundir
from .atomic import atomic_write, fsync_file
from ..errors import GluonGanError

G_PARAMS, D_PARAMS = rundir.G_PARAMS, rundir.D_PARAMS
G_STATES, D_STATES = "Generator.states", "discriminator.states"
STATE_JSON = "state.json"
CHECKPOINT_DIR = rundir.CHECKPOINT


def save_parameters(net, path):
    """``net.save_parameters`` made atomic."""
    return atomic_write(path, net.save_parameters)


def read_parameter_shapes(path):
    """``{name: shape}`` stored in a ``.params`` file (names as stored); one-line error if unreadable."""
    return {name: tuple(arr.shape) for name, arr in legacy.read_file(path).items()}


def check_compatible(net, path, arrays=None):
    """Raise a one-line error naming ``path`` and the first mismatch with ``net``'s parameters.

    ``arrays``: the file's contents already read (and legacy names mapped, see :mod:`gluon_gan.files.legacy`).
    """
    arrays = legacy.read_params(path, net) if arrays is None else arrays
    stored = {name: tuple(arr.shape) for name, arr in arrays.items()}
    expected = {name: p.shape for name, p in net._collect_params_with_prefix().items()}
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    if missing or extra:
        raise GluonGanError("%s does not fit %s: %s" % (
            path, type(net).__name__,
            ("it lacks parameter %r" % missing[0]) if missing else ("it has unexpected parameter %r" % extra[0])))
    for name in sorted(expected):
        want, got = tuple(expected[name]), stored[name]
        if len(want) != len(got) or any(w and w != g for w, g in zip(want, got)):
            raise GluonGanError("%s does not fit %s: parameter %r has shape %s in the file but %s in the network"
                                % (path, type(net).__name__, name, got, want))


def load_parameters(net, path, ctx=None):
    """``net.load_parameters`` with a shape check first, so mismatches are one clear line.

    Also takes the tutorial's legacy ``save_params`` files (names by block, not position).
    """
    return legacy.load_into(net, path, ctx=ctx, check=lambda n, arrays, p: check_compatible(n, p, arrays))


def save_checkpoint(out_dir, networks, trainers, state):
    """Write a complete checkpoint: every network, every optimiser and ``state`` (a dict).

    ``networks`` maps file names to networks (``Generator.params``,
    ``discriminator.params`` and a family's extras such as an EMA generator),
    ``trainers`` file names to ``gluon.Trainer``s. The networks' files are also
    refreshed beside the checkpoint, where users and ``generate.py`` find them.
    """
    final = os.path.join(out_dir, CHECKPOINT_DIR)
    tmp, old = final + ".tmp", final + ".old"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, net in networks.items():
        net.save_parameters(os.path.join(tmp, name))
    for name, trainer in trainers.items():
        trainer.save_states(os.path.join(tmp, name))
    with open(os.path.join(tmp, STATE_JSON), "w") as f:
        json.dump(state, f, indent=2, sort_keys=True)
    for name in os.listdir(tmp):
        fsync_file(os.path.join(tmp, name))
    if os.path.exists(final):
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    for name in networks:
        atomic_write(os.path.join(out_dir, name),
                     lambda dst, src=os.path.join(final, name): shutil.copyfile(src, dst))
    return final


def find_checkpoint(out_dir):
    """The directory of the last complete checkpoint under ``out_dir``, or ``None``."""
    for name in (CHECKPOINT_DIR, CHECKPOINT_DIR + ".old"):
        path = os.path.join(out_dir, name)
        if os.path.isfile(os.path.join(path, STATE_JSON)):
            return path
    return None


def read_state(checkpoint_dir):
    with open(os.path.join(checkpoint_dir, STATE_JSON)) as f:
        return json.load(f)


def load_checkpoint(checkpoint_dir, networks, trainers, ctx=None):
    """Restore the networks and optimiser states saved by :func:`save_checkpoint`; returns its state dict."""
    for name, net in networks.items():
        load_parameters(net, os.path.join(checkpoint_dir, name), ctx=ctx)
    for name, trainer in trainers.items():
        try:
            trainer.load_states(os.path.join(checkpoint_dir, name))
        except (mx.base.MXNetError, OSError, ValueError) as err:
            raise GluonGanError("cannot restore optimiser state from %s: %s"
                                % (os.path.join(checkpoint_dir, name), str(err).splitlines()[0])) from None
    return read_state(checkpoint_dir)
