"""Data-parallel GAN training on MXNet's parameter server (``dist_sync``): what Gluon leaves to us.

``gluon.Trainer`` already sums gradients over devices and workers. A GAN on
MXNet 1.9.1 needs four more things, each measured in docs/distributed.md and
tested in tests/test_distributed.py:

* **Two Trainers, one key space.** Each ``gluon.Trainer`` numbers its
  parameters ``0, 1, 2, ...`` on the kvstore, so G's and D's trainers collide on
  the servers (apache/mxnet#13054: "The value size cannot be changed"). A second
  ``mx.kv.create("dist_sync")`` in the same process hangs, so every process
  opens ONE distributed kvstore and each Trainer gets its own window of keys
  through :class:`KeyRange`.
* **Updates happen on the workers** (``update_on_kvstore=False``): the servers
  only sum gradients. A server holds a single optimiser, so two Trainers pushing
  theirs would silently share one learning rate, and ``Trainer.save_states``
  refuses to save under ``dist`` with server-side updates. Every worker applies
  the same Adam step to the same summed gradient, so the copies stay equal.
* **Set up before the first step** (:func:`init_trainer`): Gluon's lazy
  broadcast of rank 0's weights races with the first gradient push.
* **Workers must agree** on how many steps they take, or ``dist_sync`` waits
  forever: :func:`check_agreement` compares the numbers that fix the step count
  across workers and fails all of them with one readable line instead.
"""
import os
import zlib

import mxnet as mx
import numpy as np
from mxnet.kvstore.base import KVStoreBase

from ..errors import GluonGanError

LOCAL_KVSTORES = ("device", "local")
DIST_KVSTORES = ("dist_sync", "dist_device_sync")
KVSTORES = LOCAL_KVSTORES + DIST_KVSTORES

AGREEMENT_KEY = 0  # the per-worker table of check_agreement; trainers' keys start after it
FIRST_TRAINER_KEY = 1


def is_distributed(kvstore):
    """True for a distributed kvstore, given as its name or as the object."""
    kv_type = kvstore if isinstance(kvstore, str) else getattr(kvstore, "type", "")
    return "dist" in (kv_type or "")


def rank(kvstore):
    """This worker's rank (0 when not distributed)."""
    return kvstore.rank if is_distributed(kvstore) and not isinstance(kvstore, str) else 0


def num_workers(kvstore):
    """How many workers share the gradient sum (1 when not distributed)."""
    return kvstore.num_workers if is_distributed(kvstore) and not isinstance(kvstore, str) else 1


def create_kvstore(name):
    """The kvstore for ``--kvstore name``.

    Local kinds are returned as their name: each Trainer makes its own, which is
    safe because local stores are private to the Trainer. A distributed kind is
    opened once here (this blocks until the scheduler has seen every node).
    """
    if name not in KVSTORES:
        hint = (" (dist_async is not supported: it forces updates on the servers, which hold one "
                "optimiser for both networks)" if name == "dist_async" else "")
        raise GluonGanError("unknown --kvstore %r; choose from %s%s" % (name, ", ".join(KVSTORES), hint))
    if name in LOCAL_KVSTORES:
        return name
    role = os.environ.get("DMLC_ROLE")
    missing = [v for v in ("DMLC_ROLE", "DMLC_PS_ROOT_URI", "DMLC_PS_ROOT_PORT", "DMLC_NUM_SERVER",
                           "DMLC_NUM_WORKER") if not os.environ.get(v)]
    if missing:
        raise GluonGanError("--kvstore %s needs a parameter-server cluster (%s not set); start the run "
                            "with scripts/launch.py -n WORKERS -s SERVERS -- python scripts/train_lfw.py ..."
                            % (name, ", ".join(missing)))
    if role != "worker":  # servers and schedulers never get here: importing mxnet runs them
        raise GluonGanError("DMLC_ROLE=%s: only workers train" % role)
    return mx.kv.create(name)


class KeyRange(KVStoreBase):
    """Keys ``offset .. offset+size-1`` of a shared kvstore, seen as ``0 .. size-1``.

    Give one to each ``gluon.Trainer`` so several Trainers can share the single
    distributed kvstore of a process without colliding. Everything but the keys
    is passed through to the shared store.
    """

    def __init__(self, kvstore, offset, size):
        self._kv = kvstore
        self.offset, self.size = offset, size

    def _key(self, key):
        if isinstance(key, (list, tuple)):
            return [self._key(k) for k in key]
        if not isinstance(key, (int, np.integer)) or not 0 <= key < self.size:
            raise KeyError("key %r outside this range of %d keys" % (key, self.size))
        return int(key) + self.offset

    def broadcast(self, key, value, out, priority=0):
        return self._kv.broadcast(self._key(key), value, out, priority=priority)

    def pushpull(self, key, value, out=None, priority=0):
        return self._kv.pushpull(self._key(key), value, out=out, priority=priority)

    def init(self, key, value):
        return self._kv.init(self._key(key), value)

    def push(self, key, value, priority=0):
        return self._kv.push(self._key(key), value, priority=priority)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        return self._kv.pull(self._key(key), out=out, priority=priority, ignore_sparse=ignore_sparse)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        return self._kv.row_sparse_pull(self._key(key), out=out, priority=priority, row_ids=row_ids)

    def is_capable(self, capability):
        return self._kv.is_capable(capability)

    def set_optimizer(self, optimizer):
        raise GluonGanError("a shared distributed kvstore holds one optimiser for all its users; "
                            "create the Trainer with update_on_kvstore=False")

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise GluonGanError("optimiser states live on the workers here; use Trainer.save_states")

    def load_optimizer_states(self, fname):
        raise GluonGanError("optimiser states live on the workers here; use Trainer.load_states")

    def set_gradient_compression(self, compression_params):
        return self._kv.set_gradient_compression(compression_params)

    @property
    def type(self):
        return self._kv.type

    @property
    def rank(self):
        return self._kv.rank

    @property
    def num_workers(self):
        return self._kv.num_workers

    def __repr__(self):
        return "KeyRange(%s, keys %d..%d)" % (self._kv.type, self.offset, self.offset + self.size - 1)


def trainer_kvstores(kvstore, nets, first_key=FIRST_TRAINER_KEY):
    """One kvstore argument per network's Trainer: the name again, or disjoint :class:`KeyRange`s."""
    if isinstance(kvstore, str) or kvstore is None or not is_distributed(kvstore):
        return [kvstore] * len(nets)
    ranges, offset = [], first_key
    for net in nets:
        size = len(list(net.collect_params().keys()))  # the Trainer numbers exactly these 0..size-1
        ranges.append(KeyRange(kvstore, offset, size))
        offset += size
    return ranges


def init_trainer(trainer):
    """Set up a Trainer's kvstore now; under ``dist_sync``, also wait for rank 0's weights to arrive.

    Gluon does this lazily inside the first ``step``, right before pushing the
    first gradients. Under ``dist_sync`` in MXNet 1.9.1 the broadcast's pull is
    not ordered before that push: in 7 of 18 runs some worker's weights
    came back as the summed gradient (measured; see docs/distributed.md).
    Initialising up front and waiting for the pulled weights removes the race.
    Local stores need no wait (their copies are ordered by the engine).
    """
    if not trainer._kv_initialized:
        trainer._init_kvstore()
    if trainer._params_to_init:
        trainer._init_params()
        if trainer._distributed:
            for param in trainer._params:  # the broadcast's pulls write into these
                for array in param.list_data():
                    array.wait_to_read()


def _as_number(value):
    """Integers as they are; anything else (a name, a shape) as a 23-bit hash of its text, exact in float32."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return zlib.crc32(repr(value).encode()) & 0x7FFFFF


def check_agreement(kvstore, values, key=AGREEMENT_KEY):
    """Fail on every worker, with one line, unless all workers report the same ``values``.

    ``values`` maps a description to an integer (batches per epoch, epochs, ...)
    or to a string (a family name, an image shape), compared through a hash.
    Each worker writes its numbers into its own row of a (workers x values)
    table; the servers' sum gives every worker the whole table, so all workers
    reach the same verdict (a worker that went on alone would hang).
    """
    if not is_distributed(kvstore) or isinstance(kvstore, str):
        return
    names = list(values)
    table = np.zeros((kvstore.num_workers, len(names)), dtype=np.float64)
    table[kvstore.rank] = [_as_number(values[n]) for n in names]
    if np.abs(table).max() >= 2 ** 24:  # the store sums float32; beyond this integers are not exact
        raise ValueError("check_agreement works on integers below 2**24")
    kvstore.init(key, mx.nd.zeros(table.shape))  # a key is initialised once: one check per key
    summed = mx.nd.array(table)
    kvstore.pushpull(key, summed, out=summed)
    everyone = summed.asnumpy().round().astype(np.int64)
    for column, name in enumerate(names):
        seen = everyone[:, column]
        if (seen != seen[0]).any():
            raise GluonGanError("workers disagree on %s: %s (by rank); every worker must train on the same "
                                "data with the same settings, or dist_sync waits forever"
                                % (name, ", ".join(str(v) for v in seen)))
