"""Worker programs for tests/test_distributed.py, run by the launcher as ``python tests/dist_workers.py MODE DIR ...``.

Each writes what it saw to ``DIR/rank<R>...`` so the test can compare workers.
"""
import json
import os
import subprocess
import sys
import threading
import time

import conftest  # noqa: F401  (the repo on sys.path, gluon_gan before mxnet)
import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from gluon_gan.training import distributed

NO_KEYS_BEFORE = 100  # the trap experiments use keys far from each other


def params_of(trainer):
    nets = (("G", trainer.netG), ("D", trainer.netD))
    return {tag + k: p.data().asnumpy() for tag, net in nets for k, p in net._collect_params_with_prefix().items()}


def train(out, argv):
    """train_lfw.py itself, plus a callback that dumps each worker's weights at start and end."""
    from conftest import load_script
    from gluon_gan import experiment
    from gluon_gan.training import Callback

    class Dump(Callback):
        def on_train_begin(self, trainer, start_epoch):
            np.savez(os.path.join(out, "rank%d-start.npz" % trainer.rank), **params_of(trainer))

        def on_train_end(self, trainer):
            np.savez(os.path.join(out, "rank%d-end.npz" % trainer.rank), **params_of(trainer))

    real_train = experiment.train
    experiment.train = lambda config: real_train(config, callbacks=[Dump()])
    return load_script("train_lfw").main(argv)


class Slices:
    """Batches for ``training.fit``: this worker's slice of each global batch of ``test_multi_device``."""

    def __init__(self, rank, num_workers):
        self.rank, self.num_workers = rank, num_workers

    def __len__(self):
        return 2

    def epoch(self, epoch, ctx=None):
        import test_multi_device as T
        for batch in T._batches():
            n = batch.shape[0] // self.num_workers
            yield batch[self.rank * n:(self.rank + 1) * n]


def exact(out):
    """Two GAN steps through ``fit``, each worker on its slice of a global batch (BN-free nets, plain SGD).

    Only rank 0 reports; rank 1 leaves as soon as ``fit`` returns, without
    waiting for anything itself, as a worker without log lines does.
    """
    import test_multi_device as T
    from gluon_gan.training import fit
    kv = distributed.create_kvstore("dist_sync")
    trainer = T._trainer(T.ONE, batch_stats=False, loss=T.PlainSGDLoss(), kvstore=kv)
    fit(trainer, Slices(kv.rank, kv.num_workers), epochs=1, seed=5)
    if kv.rank == 0:
        np.savez(os.path.join(out, "rank0.npz"), **params_of(trainer))


def _dense_pair():
    a = gluon.nn.Dense(3, in_units=2)
    a.initialize(mx.init.Constant(0.5))
    b = gluon.nn.Dense(1, in_units=4)
    b.initialize(mx.init.Constant(-0.25))
    return a, b


def _sgd_step(pairs, rank):
    """One step of loss sum(net(x)) with x = rank + 1 everywhere: the summed gradient is known by hand."""
    for trainer, net in pairs:
        with autograd.record():
            y = net(mx.nd.ones((1, net.weight.shape[1])) * (rank + 1)).sum()
        y.backward()
        trainer.step(1)
    return [{"w": float(net.weight.data()[0, 0].asscalar()), "b": float(net.bias.data()[0].asscalar())}
            for _, net in pairs]


class PassThrough(distributed.KeyRange):
    """A KeyRange that lets the server-side optimiser through, to show why we do not use it."""

    def set_optimizer(self, optimizer):
        return self._kv.set_optimizer(optimizer)

    def save_optimizer_states(self, fname, dump_optimizer=False):
        return self._kv.save_optimizer_states(fname, dump_optimizer)


def traps(out):
    """Each known trap of two Trainers on one dist_sync kvstore, and our way around it.

    The experiments share one cluster; a barrier separates them so that no
    worker runs ahead into the next one, and those that change the servers'
    state (an optimiser on the servers, a broken key) come last.
    """
    kv = mx.kv.create("dist_sync")
    rank, seen = kv.rank, {}

    # 1. Our way: disjoint key ranges, updates on the workers; lr 0.1 for a, 0.01 for b.
    a, b = _dense_pair()
    ka, kb = distributed.trainer_kvstores(kv, [a, b], first_key=NO_KEYS_BEFORE)
    ta = gluon.Trainer(a.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=ka, update_on_kvstore=False)
    tb = gluon.Trainer(b.collect_params(), "sgd", {"learning_rate": 0.01}, kvstore=kb, update_on_kvstore=False)
    distributed.init_trainer(ta), distributed.init_trainer(tb)
    seen["ranges"] = _sgd_step([(ta, a), (tb, b)], rank)
    path = os.path.join(out, "rank%d.states" % rank)
    ta.save_states(path)
    seen["ranges_saved"] = os.path.getsize(path) > 0
    kv._barrier()

    # 2. Agreement: equal numbers pass, a per-rank number fails on every worker with one line.
    distributed.check_agreement(kv, {"epochs": 3, "batch": 4}, key=2 * NO_KEYS_BEFORE)
    try:
        distributed.check_agreement(kv, {"epochs": 3, "batches per epoch": 10 + rank}, key=2 * NO_KEYS_BEFORE + 1)
        seen["disagreement"] = None
    except Exception as err:  # noqa: BLE001 - the test checks the type by name
        seen["disagreement"] = "%s: %s" % (type(err).__name__, err)
    kv._barrier()

    # 3. Updates on the servers: one optimiser per server, so the last Trainer's wins for both.
    a, b = _dense_pair()
    ta = gluon.Trainer(a.collect_params(), "sgd", {"learning_rate": 0.1},
                       kvstore=PassThrough(kv, 3 * NO_KEYS_BEFORE, 2), update_on_kvstore=True)
    tb = gluon.Trainer(b.collect_params(), "sgd", {"learning_rate": 0.01},
                       kvstore=PassThrough(kv, 3 * NO_KEYS_BEFORE + 2, 2), update_on_kvstore=True)
    distributed.init_trainer(ta), distributed.init_trainer(tb)
    seen["server_updates"] = _sgd_step([(ta, a), (tb, b)], rank)
    try:
        ta.save_states(os.path.join(out, "never.states"))
        seen["server_save"] = "saved"
    except AssertionError as err:
        seen["server_save"] = str(err)
    kv._barrier()

    # 4. Last, as it breaks the store: two plain Trainers share keys 0, 1 (apache/mxnet#13054).
    # The worker that hits the clash raises; the other then waits on it forever, so a
    # watchdog records that and ends the process.
    def report(outcome):
        seen["collision"] = outcome
        with open(os.path.join(out, "rank%d.json" % rank), "w") as f:
            json.dump(seen, f)
        os._exit(0)  # a normal shutdown would wait on the broken store
    threading.Timer(3.0, report, ["hung"]).start()
    a, b = _dense_pair()
    ta = gluon.Trainer(a.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv, update_on_kvstore=False)
    tb = gluon.Trainer(b.collect_params(), "sgd", {"learning_rate": 0.01}, kvstore=kv, update_on_kvstore=False)
    try:
        distributed.init_trainer(ta), distributed.init_trainer(tb)
        report(_sgd_step([(ta, a), (tb, b)], rank))
    except mx.base.MXNetError as err:
        report("MXNetError: " + str(err).strip().splitlines()[-1])


def race(out):
    """Gluon's lazy kvstore set-up vs. ours: how often the first step's weights come back wrong.

    Not part of the tests (the race is intermittent); run it a few times by hand:
    ``python scripts/launch.py -n 2 -s 1 -- python tests/dist_workers.py race /tmp/race``.
    """
    kv = mx.kv.create("dist_sync")
    for name, first_key, eager in (("gluon-lazy", 1, False), ("init_trainer", 50, True)):
        a, b = _dense_pair()
        ka, kb = distributed.trainer_kvstores(kv, [a, b], first_key=first_key)
        ta = gluon.Trainer(a.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=ka, update_on_kvstore=False)
        tb = gluon.Trainer(b.collect_params(), "sgd", {"learning_rate": 0.01}, kvstore=kb, update_on_kvstore=False)
        if eager:
            distributed.init_trainer(ta), distributed.init_trainer(tb)
        got = _sgd_step([(ta, a), (tb, b)], kv.rank)
        expected = [{"w": 0.5 - 0.1 * 3, "b": -0.1 * 2}, {"w": -0.25 - 0.01 * 3, "b": -0.01 * 2}]
        wrong = [k for g, e in zip(got, expected) for k in g if abs(g[k] - e[k]) > 1e-6]
        print("rank %d %s: %s" % (kv.rank, name, "weights wrong after step 1: %s" % got if wrong else "ok"),
              flush=True)
        kv._barrier()


def fail(out):
    """Rank 1 dies after start-up; rank 0 then waits on it forever. Both leave a grandchild behind."""
    kv = mx.kv.create("dist_sync")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(os.path.join(out, "pids-rank%d" % kv.rank), "w") as f:
        f.write("%d %d\n" % (os.getpid(), child.pid))
    if kv.rank == 1:
        for _ in range(200):  # let rank 0 record its pids first, so the test can check them all
            if os.path.exists(os.path.join(out, "pids-rank0")):
                break
            time.sleep(0.05)
        os._exit(3)
    kv.init(7, mx.nd.ones((2,)))  # a barrier over all workers: never passes
    kv.pushpull(7, mx.nd.ones((2,)))
    mx.nd.waitall()


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if mode == "train":
        sys.exit(train(out, sys.argv[3:]))
    {"exact": exact, "traps": traps, "fail": fail, "race": race}[mode](out)
