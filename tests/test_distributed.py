"""dist_sync on a parameter-server cluster: the launcher, the GAN-specific traps, and real 2-worker runs.

The cluster tests start 1 scheduler, 1 server and 2 workers on 127.0.0.1 through
the launcher; every one has a timeout, so a hang fails the test instead of CI.
"""
import json
import os
import shlex
import signal
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import pytest

import test_multi_device as multi
from conftest import ROOT, load_script, write_images
from gluon_gan.files import checkpoint
from gluon_gan.training import distributed, launcher
from gluon_gan.errors import GluonGanError
from gluon_gan.training.losses import BCELoss
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import initialize
from gluon_gan.training import GANTrainer, fit

WORKERS = os.path.join(ROOT, "tests", "dist_workers.py")
CLUSTER_TIMEOUT = 60  # seconds; a healthy run of any cluster test here takes under 15
PY = [sys.executable, "-S", "-c"]  # bare interpreters for launcher tests that need no mxnet


class FakeDistStore(mx.kvstore.KVStoreBase):
    """Records what a Trainer asks of a distributed store; broadcast copies, nothing is summed."""

    type, rank, num_workers = "dist_sync", 1, 2

    def __init__(self):
        self.calls = []

    def broadcast(self, key, value, out, priority=0):
        self.calls.append(("broadcast", key))
        for o in (out if isinstance(out, list) else [out]):
            if o is not value:
                value.copyto(o)

    def pushpull(self, key, value, out=None, priority=0):
        self.calls.append(("pushpull", key))

    def is_capable(self, capability):
        return True

    def set_optimizer(self, optimizer):
        self.calls.append(("set_optimizer", None))


def _alive(pid):
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _wait_dead(pids, within=5.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


# --- the pieces, without a cluster -------------------------------------------------------------

def test_key_range_shifts_every_key_and_refuses_server_side_optimisers():
    store = FakeDistStore()
    window = distributed.KeyRange(store, offset=10, size=3)
    window.broadcast(2, mx.nd.ones(1), [mx.nd.zeros(1)])
    window.pushpull([0, 1], [mx.nd.ones(1)] * 2)
    assert store.calls == [("broadcast", 12), ("pushpull", [10, 11])]
    assert (window.type, window.rank, window.num_workers) == ("dist_sync", 1, 2)
    with pytest.raises(KeyError):
        window.pushpull(3, mx.nd.ones(1))  # would trespass on the next Trainer's keys
    with pytest.raises(GluonGanError, match="update_on_kvstore=False"):
        window.set_optimizer(mx.optimizer.SGD())


def test_each_network_gets_its_own_keys_on_a_shared_dist_store():
    netG, netD = Generator(ngf=8), Discriminator(ndf=8)
    kvD, kvG = distributed.trainer_kvstores(FakeDistStore(), [netD, netG])
    nD, nG = len(list(netD.collect_params().keys())), len(list(netG.collect_params().keys()))
    assert (kvD.offset, kvD.size, kvG.offset, kvG.size) == (1, nD, 1 + nD, nG)  # key 0: check_agreement
    assert distributed.trainer_kvstores("device", [netD, netG]) == ["device", "device"]


def test_gan_trainer_on_a_dist_store_uses_the_global_batch_and_its_slice_of_the_noise():
    store = FakeDistStore()  # this process is rank 1 of 2
    mx.random.seed(0)
    netG, netD = initialize(Generator(ngf=8), mx.cpu()), initialize(Discriminator(ndf=8), mx.cpu())
    trainer = GANTrainer(netG, netD, BCELoss(), [mx.cpu()], kvstore=store)
    assert (trainer.rank, trainer.num_workers) == (1, 2)
    assert trainer.trainerD._kvstore_params["update_on_kvstore"] is False

    mx.random.seed(3)
    mine = trainer.worker_noise(4).asnumpy()
    mx.random.seed(3)
    np.testing.assert_array_equal(mine, trainer.noise(8).asnumpy()[4:])  # rank 1 takes the second half

    sizes = []
    trainer.trainerD.step = trainer.trainerG.step = sizes.append  # record, do not update
    trainer.step(mx.nd.random.uniform(-1, 1, (4, 3, 64, 64)))
    assert sizes == [8, 8]  # the gradients are summed over 2 workers x 4 images
    assert ("set_optimizer", None) not in store.calls
    broadcast_keys = sorted(k for op, k in store.calls if op == "broadcast")
    assert broadcast_keys == list(range(1, 1 + len(broadcast_keys)))  # D's then G's keys, no overlap


def test_kvstore_names_are_checked_and_dist_needs_a_launched_cluster(monkeypatch):
    assert distributed.create_kvstore("device") == "device"
    with pytest.raises(GluonGanError, match="dist_async is not supported"):
        distributed.create_kvstore("dist_async")
    for name in ("DMLC_ROLE", "DMLC_PS_ROOT_URI", "DMLC_PS_ROOT_PORT", "DMLC_NUM_SERVER", "DMLC_NUM_WORKER"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(GluonGanError, match="scripts/launch.py"):
        distributed.create_kvstore("dist_sync")
    distributed.check_agreement("device", {"anything": 1})  # nothing to agree on alone


def test_plan_puts_a_local_cluster_on_loopback():
    roles = launcher.plan(["python", "train.py", "--kvstore", "dist_sync"], num_workers=2, num_servers=1)
    assert [r.name for r in roles] == ["scheduler", "server-0", "worker-0", "worker-1"]
    port = int(roles[0].env["DMLC_PS_ROOT_PORT"])
    assert 0 < port < 65536
    for r in roles:
        assert r.host == "127.0.0.1"
        assert r.env == {"DMLC_ROLE": r.role, "DMLC_PS_ROOT_URI": "127.0.0.1", "DMLC_PS_ROOT_PORT": str(port),
                         "DMLC_NUM_SERVER": "1", "DMLC_NUM_WORKER": "2", "DMLC_NODE_HOST": "127.0.0.1"}
    assert roles[0].command == roles[1].command == [sys.executable, "-c", "import mxnet"]
    assert roles[3].command == ["python", "train.py", "--kvstore", "dist_sync"]
    with pytest.raises(GluonGanError, match="at least one worker"):
        launcher.plan(["x"], num_workers=0, num_servers=1)


def test_local_workers_share_the_cores_unless_the_user_chose_threads(monkeypatch):
    from gluon_gan.runtime import AUTO_THREADS_VAR, usable_cores
    roles = launcher.plan(["python", "train.py"], num_workers=2, num_servers=1)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv(AUTO_THREADS_VAR, "7")  # what importing gluon_gan in a parent leaves behind
    threads = {r.name: launcher._local_env(r, 2)["OMP_NUM_THREADS"] for r in roles}
    assert threads == {"scheduler": "1", "server-0": "1", "worker-0": str(max(1, usable_cores() // 2)),
                       "worker-1": str(max(1, usable_cores() // 2))}
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's own choice wins everywhere
    assert {launcher._local_env(r, 2)["OMP_NUM_THREADS"] for r in roles} == {"3"}
    assert launcher._local_env(roles[2], 2)["DMLC_ROLE"] == "worker"


def test_ssh_command_lines_quote_everything_and_deal_roles_round_robin(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/opt/my lib")
    hosts = ["alice@node1", "node2"]
    roles = launcher.plan(["python", "train.py", "--out", "runs/it's here"], 3, 2, hosts=hosts,
                          python="/venv/bin/python", interface="eth0")
    assert [(r.name, r.host) for r in roles] == [
        ("scheduler", "alice@node1"), ("server-0", "alice@node1"), ("server-1", "node2"),
        ("worker-0", "alice@node1"), ("worker-1", "node2"), ("worker-2", "alice@node1")]
    argv = launcher.ssh_command(roles[4], "/shared/my run", forward_env=["PYTHONPATH", "NOT_SET_ANYWHERE"])
    assert argv[:5] == ["ssh", "-o", "BatchMode=yes", "-tt", "node2"] and len(argv) == 6
    remote = shlex.split(argv[5])  # what the remote shell will see
    assert remote[:5] == ["cd", "/shared/my run", "&&", "exec", "env"]
    env = dict(a.split("=", 1) for a in remote[5:-4])
    assert env == {"DMLC_ROLE": "worker", "DMLC_PS_ROOT_URI": "node1", "DMLC_PS_ROOT_PORT": "9091",
                   "DMLC_NUM_SERVER": "2", "DMLC_NUM_WORKER": "3", "DMLC_INTERFACE": "eth0",
                   "PYTHONPATH": "/opt/my lib"}
    assert remote[-4:] == ["python", "train.py", "--out", "runs/it's here"]
    scheduler = shlex.split(launcher.ssh_command(roles[0], "/w")[-1])
    assert scheduler[-3:] == ["/venv/bin/python", "-c", "import mxnet"] and "DMLC_ROLE=scheduler" in scheduler


def test_hostfile_lines_comments_and_errors(tmp_path):
    good = tmp_path / "hosts"
    good.write_text("# cluster\nnode1\n\n  bob@node2   # second\n")
    assert launcher.read_hostfile(str(good)) == ["node1", "bob@node2"]
    for text, needle in (("node1 node2\n", "line 1"), ("# nobody\n", "lists no hosts")):
        bad = tmp_path / "bad"
        bad.write_text(text)
        with pytest.raises(GluonGanError, match=needle):
            launcher.read_hostfile(str(bad))
    with pytest.raises(GluonGanError, match="cannot read host file"):
        launcher.read_hostfile(str(tmp_path / "missing"))


def test_launch_script_dry_run_and_usage(tmp_path, capsys):
    main = load_script("launch").main
    hosts = tmp_path / "hosts"
    hosts.write_text("node1\nnode2\n")
    assert main(["-n", "2", "-s", "1", "-H", str(hosts), "--port", "9000", "--dry-run", "--",
                 "python", "scripts/train_lfw.py", "--kvstore", "dist_sync"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [l.split(":")[0] for l in lines] == ["scheduler", "server-0", "worker-0", "worker-1"]
    assert lines[3].startswith("worker-1: ssh -o BatchMode=yes -tt node2 ")
    assert "DMLC_PS_ROOT_PORT=9000" in lines[3] and "scripts/train_lfw.py --kvstore dist_sync" in lines[3]
    with pytest.raises(SystemExit) as exit_info:
        main(["-n", "2"])  # no command after --
    assert exit_info.value.code == 2
    assert "give the worker command after --" in capsys.readouterr().err


def _fake_roles(scheduler, server, *workers):
    """Roles whose programs are tiny Python snippets: the launcher's bookkeeping without MXNet."""
    roles = [launcher.Role("scheduler", 0, "127.0.0.1", PY + [scheduler]),
             launcher.Role("server", 0, "127.0.0.1", PY + [server])]
    return roles + [launcher.Role("worker", i, "127.0.0.1", PY + [w]) for i, w in enumerate(workers)]


SLEEP = "import time; time.sleep(60)"


@pytest.mark.parametrize("scheduler, server, workers, status", [
    (SLEEP, SLEEP, ["pass", "pass"], 0),                        # servers linger: stopped after the grace
    ("pass", "pass", ["pass", "import time; time.sleep(0.3)"], 0),  # normal shutdown: everyone exits
    (SLEEP, SLEEP, [SLEEP, "import sys; sys.exit(3)"], 3),      # a worker fails: its status, others killed
    (SLEEP, "import sys; sys.exit(5)", [SLEEP, SLEEP], 1),      # a server dies first
    (SLEEP, SLEEP, ["import os; os.kill(os.getpid(), 9)", SLEEP], 128 + 9),
    (SLEEP, SLEEP, [SLEEP, SLEEP], launcher.TIMEOUT_STATUS),    # nobody finishes: the timeout
], ids=["linger", "clean", "worker-fails", "server-dies", "worker-killed", "timeout"])
def test_cluster_outcomes_and_nothing_survives(scheduler, server, workers, status):
    start = time.monotonic()
    with launcher.Cluster(_fake_roles(scheduler, server, *workers)) as cluster:
        got = cluster.wait(timeout=2.0, stop_grace_s=0.5)
        pids = list(cluster.pids().values())
    assert got == status
    assert time.monotonic() - start < 10
    assert _wait_dead(pids) == []


def test_sigterm_to_the_launcher_stops_the_cluster(tmp_path):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    worker = "import os, time; open(os.path.join(%r, str(os.getpid())), 'w').close(); time.sleep(120)" % str(pid_dir)
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "launch.py"), "-n", "2",
                             "--timeout", "60", "--", sys.executable, "-S", "-c", worker],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(os.listdir(str(pid_dir))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = [int(p) for p in os.listdir(str(pid_dir))]
        assert len(pids) == 2
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert _wait_dead(pids) == []


# --- real clusters: 1 scheduler, 1 server, 2 workers on 127.0.0.1 ------------------------------

def _launch(mode, out, *args, log_dir=None, stop_grace_s=launcher.STOP_GRACE_S):
    start = time.monotonic()
    status = launcher.launch([sys.executable, WORKERS, mode, str(out)] + list(args), num_workers=2,
                             num_servers=1, timeout=CLUSTER_TIMEOUT, log_dir=str(log_dir or out / "logs"),
                             cwd=ROOT, stop_grace_s=stop_grace_s)
    return status, time.monotonic() - start


def _npz(path):
    with np.load(str(path)) as f:
        return {k: f[k] for k in f.files}


def _logs(log_dir):
    return "\n".join("== %s\n%s" % (n, open(os.path.join(log_dir, n), errors="replace").read()[-3000:])
                     for n in sorted(os.listdir(log_dir)))


def test_two_workers_train_lfw_script_to_identical_weights_and_only_rank0_writes(tmp_path):
    images, out, dumps = tmp_path / "images", tmp_path / "run", tmp_path / "dumps"
    write_images(str(images), 24, seed=4)  # 12 per worker: 3 batches of 4 each, global batch 8
    args = ["--data-dir", str(images), "--cache-dir", str(tmp_path / "cache"), "--out", str(out),
            "--kvstore", "dist_sync", "--batch-size", "4", "--ngf", "8", "--ndf", "8", "--log-interval", "1",
            "--ctx", "cpu"]
    status, _ = _launch("train", dumps, "--epochs", "1", *args, log_dir=tmp_path / "logs")
    assert status == 0, _logs(str(tmp_path / "logs"))
    start, end = [[_npz(dumps / ("rank%d-%s.npz" % (r, tag))) for r in (0, 1)] for tag in ("start", "end")]
    for name in end[0]:
        np.testing.assert_array_equal(start[1][name], start[0][name], err_msg=name)  # rank 0's init everywhere
        if "running" in name:  # BatchNorm statistics are each worker's own (its own shard)
            assert not np.array_equal(end[1][name], end[0][name]), name
            continue
        np.testing.assert_array_equal(end[1][name], end[0][name], err_msg=name)  # same update, bit for bit
        assert not np.array_equal(end[0][name], start[0][name]), name

    rows = open(str(out / "metrics.csv")).read().splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["1", "2", "3"]  # one writer: 3 global steps, no duplicates
    assert checkpoint.read_state(str(out / "checkpoint"))["step"] == 3
    assert (out / "samples" / "epoch_001.png").is_file() and (out / "checkpoint" / "Generator.states").is_file()
    saved = mx.nd.load(str(out / "Generator.params"))
    for k, v in saved.items():
        np.testing.assert_array_equal(v.asnumpy(), end[0]["G" + k], err_msg=k)
    log_text = _logs(str(tmp_path / "logs"))
    assert "worker 1 of 2: 3 batches of 4 per epoch (global batch 8)" in log_text

    # Resume for a second epoch: every worker loads rank 0's checkpoint (one filesystem here).
    status, _ = _launch("train", dumps, "--epochs", "2", "--resume", *args, log_dir=tmp_path / "logs2")
    assert status == 0, _logs(str(tmp_path / "logs2"))
    resumed = [_npz(dumps / ("rank%d-end.npz" % r)) for r in (0, 1)]
    for name in resumed[0]:
        if "running" not in name:
            np.testing.assert_array_equal(resumed[1][name], resumed[0][name], err_msg=name)
            assert not np.array_equal(resumed[0][name], end[0][name]), name
    rows = open(str(out / "metrics.csv")).read().splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["1", "2", "3", "4", "5", "6"]
    assert checkpoint.read_state(str(out / "checkpoint"))["epoch"] == 2


def test_a_dist_step_is_the_single_process_step_on_the_global_batch(tmp_path):
    from dist_workers import Slices
    status, _ = _launch("exact", tmp_path, stop_grace_s=2)
    assert status == 0, _logs(str(tmp_path / "logs"))  # rank 1 left early: it must not hang rank 0
    start = multi._params(multi._trainer(multi.ONE, batch_stats=False, loss=multi.PlainSGDLoss()))
    single = multi._trainer(multi.ONE, batch_stats=False, loss=multi.PlainSGDLoss())
    fit(single, Slices(rank=0, num_workers=1), epochs=1, seed=5)  # one process, the global batches of 8
    want, got = multi._params(single), _npz(tmp_path / "rank0.npz")
    for name in want:
        delta, ref = got[name] - start[name], want[name] - start[name]
        np.testing.assert_allclose(delta, ref, rtol=1e-3, atol=1e-3 * np.abs(ref).max() + 1e-12, err_msg=name)


def test_the_two_trainer_traps_on_a_real_dist_store(tmp_path):
    status, _ = _launch("traps", tmp_path, stop_grace_s=1)
    assert status == 0, _logs(str(tmp_path / "logs"))
    seen = [json.load(open(str(tmp_path / ("rank%d.json" % r)))) for r in (0, 1)]
    for s in seen:
        # Our way: separate key ranges, each Trainer keeps its own learning rate, summed over 2 workers
        # (x = 1 and x = 2, so d/dw sum(w.x + b) sums to 3 and d/db to 2).
        assert s["ranges"][0] == pytest.approx({"w": 0.5 - 0.1 * 3, "b": 0.0 - 0.1 * 2})
        assert s["ranges"][1] == pytest.approx({"w": -0.25 - 0.01 * 3, "b": 0.0 - 0.01 * 2})
        assert s["ranges_saved"] is True
        # Updates on the servers: b's optimiser replaced a's, so a moved with lr 0.01.
        assert s["server_updates"][0] == pytest.approx({"w": 0.5 - 0.01 * 3, "b": 0.0 - 0.01 * 2})
        assert s["server_save"] == "Cannot save states for distributed training"
        assert s["disagreement"].startswith("GluonGanError: workers disagree on batches per epoch: 10, 11")
    collisions = sorted(s["collision"] for s in seen)  # one worker raises, the other waits on it
    assert collisions[0].startswith("MXNetError") and collisions[1] in ("hung", collisions[0])


def test_a_failing_worker_brings_the_cluster_down_with_its_children(tmp_path):
    roles = launcher.plan([sys.executable, WORKERS, "fail", str(tmp_path)], num_workers=2, num_servers=1)
    start = time.monotonic()
    with launcher.Cluster(roles, cwd=ROOT, log_dir=str(tmp_path / "logs")) as cluster:
        status = cluster.wait(timeout=CLUSTER_TIMEOUT)
        pids = list(cluster.pids().values())
    elapsed = time.monotonic() - start
    assert status == 3, _logs(str(tmp_path / "logs"))  # rank 1's own status
    assert elapsed < 30
    for rank in (0, 1):  # each worker's pid and its grandchild's
        pids += [int(p) for p in open(str(tmp_path / ("pids-rank%d" % rank))).read().split()]
    assert len(pids) == 4 + 2 * 2
    assert _wait_dead(pids) == []
