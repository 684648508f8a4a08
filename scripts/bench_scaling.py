#!/usr/bin/env python
"""Throughput of the same global batch on one device, on several devices, and on a local dist_sync cluster.

Prints one line per setup: samples/s (the median over the logged intervals
after the first, which includes start-up; best and worst of ``--repeats`` runs,
taken round-robin so that load from other jobs hits every setup alike) and the
best wall time of the whole command. Runs scripts/train_lfw.py (and scripts/launch.py) on random images,
so it measures the real code path. A CPU-only machine has one pool of cores:
``cpu:0,cpu:1`` and local workers share it, so expect no speed-up there; the
numbers say what the bookkeeping costs, not what GPUs or machines would give.
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402
from gluon_gan.files import rundir


def write_random_images(folder, count, size=64, seed=0):
    import numpy as np
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    rs = np.random.RandomState(seed)
    for i in range(count):
        Image.fromarray(rs.randint(0, 256, (size, size, 3)).astype("uint8")).save(
            os.path.join(folder, "img%05d.png" % i))


def median_speed(csv_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    speeds = [float(r["samples_per_s"]) for r in rows[1:]] or [float(r["samples_per_s"]) for r in rows]
    return statistics.median(speeds)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-size", type=int, default=16, help="global batch, the same in every setup")
    p.add_argument("--iters", type=int, default=20, help="iterations per setup")
    p.add_argument("--log-interval", type=int, default=5)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--workers", type=int, default=2, help="devices / dist_sync workers")
    p.add_argument("--gpus", action="store_true", help="use gpu:0..N-1 instead of cpu:0..N-1")
    p.add_argument("--repeats", type=int, default=3, help="runs per setup")
    args = p.parse_args(argv)
    if args.batch_size % args.workers:
        p.error("--batch-size must divide evenly by --workers")

    python = sys.executable
    train = os.path.join(ROOT, "scripts", "train_lfw.py")
    kind = "gpu" if args.gpus else "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        images = os.path.join(tmp, "images")
        write_random_images(images, args.batch_size * args.iters)
        common = ["--data-dir", images, "--cache-dir", os.path.join(tmp, "cache"), "--epochs", "1",
                  "--ngf", str(args.ngf), "--ndf", str(args.ndf), "--log-interval", str(args.log_interval)]
        one = "%s:0" % kind
        many = ",".join("%s:%d" % (kind, i) for i in range(args.workers))
        setups = [
            ("1 process, %s" % one, {}, [python, train, "--ctx", one, "--batch-size", str(args.batch_size)]),
            ("1 process, %s" % many, {}, [python, train, "--ctx", many, "--batch-size", str(args.batch_size)]),
            ("%d dist_sync workers + 1 server, %s each" % (args.workers, one), {},
             [python, os.path.join(ROOT, "scripts", "launch.py"), "-n", str(args.workers), "-s", "1", "--",
              python, train, "--ctx", one, "--kvstore", "dist_sync",
              "--batch-size", str(args.batch_size // args.workers)]),
        ]
        if args.gpus:  # local workers all run the same command, so they would share gpu:0
            setups.pop()
            print("(no local dist_sync setup with --gpus: one process with --ctx %s is the way to use one "
                  "machine's GPUs)" % many)
        else:  # the local workers get cores/workers threads each: the fair single-process twin
            setups.insert(1, ("1 process, %s, OMP_NUM_THREADS=1" % one, {"OMP_NUM_THREADS": "1"}, setups[0][2]))
        print("global batch %d, %d iterations, ngf=%d ndf=%d, %d usable cores, load average %s"
              % (args.batch_size, args.iters, args.ngf, args.ndf, len(os.sched_getaffinity(0)),
                 " ".join("%.1f" % x for x in os.getloadavg())), flush=True)
        speeds = {name: [] for name, _, _ in setups}
        walls = {name: [] for name, _, _ in setups}
        for repeat in range(args.repeats):
            for i, (name, env, cmd) in enumerate(setups):
                out = os.path.join(tmp, "run%d-%d" % (i, repeat))
                start = time.time()
                proc = subprocess.run(cmd + common + ["--out", out], capture_output=True, text=True, cwd=ROOT,
                                      env=dict(os.environ, **env))
                if proc.returncode:
                    print("%s failed (%d): %s" % (name, proc.returncode, proc.stderr.strip().splitlines()[-1:]))
                    continue
                walls[name].append(time.time() - start)
                speeds[name].append(median_speed(os.path.join(out, rundir.METRICS)))
        base = max(speeds[setups[0][0]] or [float("nan")])
        for name, _, _ in setups:
            if speeds[name]:
                print("%-48s best %6.1f samples/s (x%.2f), worst %6.1f, best wall %5.1f s"
                      % (name, max(speeds[name]), max(speeds[name]) / base, min(speeds[name]), min(walls[name])))
        print("load average after: %s" % " ".join("%.1f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    sys.exit(cli.run(main))
