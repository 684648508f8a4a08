"""Checkpoints that survive being killed at any moment, and loads that explain mismatches.

Every file is written to a temporary name and renamed into place. A training
checkpoint is several files (both networks, both trainers' states, the loop
state), so they are written together into ``checkpoint.tmp/`` and swapped in
with two renames. The previous checkpoint stays as ``checkpoint.old/``: if the
process dies between the renames, or ``checkpoint/`` is later found damaged,
:func:`resume_point` falls back to it (and keeps the damaged one aside). A
write that fails (a full disk) removes its temporary files and leaves the last
complete checkpoint as it was. The user-facing ``Generator.params`` and
``discriminator.params`` (the tutorial's names) are refreshed atomically after.
"""
import json
import logging
import os
import pickle
import shutil

import mxnet as mx

from . import legacy, rundir
from .atomic import atomic_write, fsync_file
from ..errors import DamagedFileError, GluonGanError, write_error

log = logging.getLogger(__name__)

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
    If writing fails (a full disk, Ctrl-C), ``checkpoint.tmp/`` is removed and
    the checkpoints already there are untouched; a full disk is a one-line error.
    """
    final = os.path.join(out_dir, CHECKPOINT_DIR)
    tmp, old = final + ".tmp", final + ".old"
    try:
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
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            last = find_checkpoint(out_dir)
            raise write_error(tmp, err, "the checkpoint of epoch %s was not written and its temporary files are "
                                        "removed; %s; free space and rerun with --resume"
                              % (state.get("epoch"), "the last complete checkpoint %s is intact" % last if last
                                 else "there is no earlier checkpoint")) from None
        raise
    if os.path.exists(final):
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)  # checkpoint.old/: the previous complete checkpoint, kept as a fallback
    os.rename(tmp, final)
    for name in networks:
        atomic_write(os.path.join(out_dir, name),
                     lambda dst, src=os.path.join(final, name): shutil.copyfile(src, dst))
    return final


def find_checkpoint(out_dir):
    """The directory of the newest checkpoint under ``out_dir`` that has a ``state.json``, or ``None``.

    Cheap, for readers; a training run resumes through :func:`resume_point`, which also checks the files.
    """
    for name in (CHECKPOINT_DIR, CHECKPOINT_DIR + ".old"):
        path = os.path.join(out_dir, name)
        if os.path.isfile(os.path.join(path, STATE_JSON)):
            return path
    return None


def read_state(checkpoint_dir):
    """The checkpoint's ``state.json``; :class:`DamagedFileError` if it is not a complete one."""
    path = os.path.join(checkpoint_dir, STATE_JSON)
    try:
        with open(path) as f:
            state = json.load(f)
    except OSError as err:
        raise DamagedFileError(path, err.strerror or str(err)) from None
    except ValueError:
        raise DamagedFileError(path, "not valid JSON; truncated?") from None
    if not isinstance(state, dict) or not all(isinstance(state.get(k), int) for k in ("epoch", "step")):
        raise DamagedFileError(path, "it lacks the epoch and step numbers")
    return state


def check_checkpoint(checkpoint_dir):
    """Read back every file of a checkpoint; returns its state, or raises :class:`DamagedFileError` naming the file.

    ``.params`` files must load as arrays and ``.states`` files (``Trainer.save_states``: a pickle) must unpickle.
    """
    state = read_state(checkpoint_dir)
    for name in sorted(os.listdir(checkpoint_dir)):
        path = os.path.join(checkpoint_dir, name)
        try:
            if name.endswith(".params"):
                mx.nd.load(path)
            elif name.endswith(".states"):
                with open(path, "rb") as f:
                    pickle.load(f)
        except Exception as err:  # noqa: BLE001 - any failure to read back means the file is damaged
            raise DamagedFileError(path, "cannot be read back: %s" % (str(err).strip().splitlines() or
                                                                      [type(err).__name__])[0]) from None
    return state


def resume_point(out_dir, keep_aside=True):
    """``(checkpoint_dir, state)`` of the newest intact checkpoint in ``out_dir``; ``(None, None)`` if there is none.

    A damaged ``checkpoint/`` is renamed ``checkpoint.damaged/`` (never deleted; with ``keep_aside``) and the run
    resumes from ``checkpoint.old/``, the previous complete one, saying so. Damage with no intact fallback is a
    one-line error naming the damaged file.
    """
    final, old = os.path.join(out_dir, CHECKPOINT_DIR), os.path.join(out_dir, CHECKPOINT_DIR + ".old")
    damage = None
    if os.path.isdir(final):
        try:
            return final, check_checkpoint(final)
        except DamagedFileError as err:
            damage = err
    if os.path.isdir(old):
        try:
            state = check_checkpoint(old)
        except DamagedFileError as err:
            damage = damage or err
        else:
            if damage is not None:
                aside = _keep_aside(final) if keep_aside else final
                log.warning("%s; resuming from the previous complete checkpoint %s (epoch %d) instead; the damaged "
                            "one is kept as %s", damage, old, state["epoch"], aside)
            return old, state
    if damage is not None:
        raise GluonGanError("%s and there is no intact earlier checkpoint to resume from; restore the file (or the "
                            "run from a snapshot or backup), or start a new run with another --out" % damage)
    return None, None


def _keep_aside(path):
    """Rename a damaged checkpoint to ``checkpoint.damaged`` (``.damaged-2``, ... if taken); returns the new name."""
    target, n = path + ".damaged", 1
    while os.path.exists(target):
        n += 1
        target = "%s.damaged-%d" % (path, n)
    os.rename(path, target)
    return target


def load_checkpoint(checkpoint_dir, networks, trainers, ctx=None):
    """Restore the networks and optimiser states saved by :func:`save_checkpoint`; returns its state dict."""
    for name, net in networks.items():
        load_parameters(net, os.path.join(checkpoint_dir, name), ctx=ctx)
    for name, trainer in trainers.items():
        try:
            trainer.load_states(os.path.join(checkpoint_dir, name))
        except (mx.base.MXNetError, OSError, ValueError, pickle.UnpicklingError, EOFError) as err:
            raise GluonGanError("cannot restore optimiser state from %s: %s"
                                % (os.path.join(checkpoint_dir, name), str(err).splitlines()[0])) from None
    return read_state(checkpoint_dir)
