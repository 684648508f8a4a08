#!/usr/bin/env python
"""Training, generation and data throughput of gluon-gan on this machine, printed as one table.

Optionally runs the tutorial's loop and the PyTorch dcgan example side by side
(interleaved repeats, so both see the same machine state). With --json the last
line is one JSON object; its key train_images_per_s is the library loop's
training throughput (faithful loop, batch 64).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--iters", type=int, default=10, help="timed iterations per repeat")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats (median reported)")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    p.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "bench"),
                   help="folder with torch_dcgan.py and seed_mxnet.py for the comparisons")
    p.add_argument("--compare-torch", metavar="PYTHON",
                   help="a Python with torch installed: run the PyTorch dcgan example side by side")
    p.add_argument("--compare-tutorial", action="store_true",
                   help="run the tutorial's own loop side by side (default and tuned threading)")
    p.add_argument("--num-generate", type=int, default=1000, help="faces for the generation timing")
    p.add_argument("--num-jpegs", type=int, default=300, help="LFW-sized JPEGs for the decode timing")
    p.add_argument("--skip-data", action="store_true")
    p.add_argument("--skip-generate", action="store_true")
    p.add_argument("--profile", metavar="FILE", help="also profile a few iterations with mx.profiler; "
                                                     "write the per-operator table to FILE")
    p.add_argument("--json", action="store_true", help="end with one JSON line of all numbers")
    return p.parse_args(argv)


def _subprocess_rate(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if out.returncode:
        raise RuntimeError("%s failed: %s" % (cmd, out.stderr.strip().splitlines()[-1:]))
    return float(out.stdout.strip().splitlines()[-1])


def sgemm_peak_gflops(n=2048, repeats=5):
    """Best observed float32 matrix-multiply rate of this machine (NumPy's BLAS), the FLOP ceiling."""
    import numpy as np
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def main(argv=None):
    args = parse_args(argv)
    import mxnet as mx
    from gluon_gan.bench import throughput as benchmark
    from gluon_gan.data import images as data
    from gluon_gan.files import checkpoint
    from gluon_gan.runtime import parse_contexts, usable_cores

    ctx = parse_contexts(args.ctx)
    rows, results = [], {"ctx": str(ctx[0]), "batch_size": args.batch_size,
                         "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    bench = lambda name: os.path.join(args.bench_dir, name)
    others = {}
    if args.compare_torch:
        others["PyTorch dcgan example (torch_dcgan.py)"] = (
            [args.compare_torch, bench("torch_dcgan.py"), str(args.batch_size), str(args.iters + 2)], None)
    if args.compare_tutorial:
        default_env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
        tuned_env = dict(os.environ, OMP_NUM_THREADS=str(usable_cores()))
        cmd = [sys.executable, bench("seed_mxnet.py"), str(args.batch_size), str(args.iters + 2)]
        others["tutorial loop, MXNet's default threading"] = (cmd, default_env)
        others["tutorial loop, OMP_NUM_THREADS=%d" % usable_cores()] = (cmd, tuned_env)

    # Interleave: one repeat of ours, then one of each other loop, so all share the machine's state.
    print("timing the library loop (batch %d, %d iterations x %d repeats, on %s) ..."
          % (args.batch_size, args.iters, args.repeats, ctx[0]), file=sys.stderr)
    ours, other_rates = [], {name: [] for name in others}
    nets = None
    for _ in range(args.repeats):
        rate, _, nets = benchmark.time_training(args.batch_size, args.iters, repeats=1, ctx=ctx)
        ours.append(rate)
        for name, (cmd, env) in others.items():
            other_rates[name].append(_subprocess_rate(cmd, env))
    train = statistics.median(ours)
    netG, netD = nets
    flops = benchmark.loop_flops_per_image(netG, netD)
    results.update(train_images_per_s=round(train, 2), train_repeats=[round(r, 2) for r in ours],
                   gflop_per_image=round(flops / 1e9, 3),
                   tutorial_gflop_per_image=round(benchmark.tutorial_flops_per_image(netG, netD) / 1e9, 3),
                   achieved_gflops=round(train * flops / 1e9, 1))
    rows.append(("library loop: training", "%.1f images/s" % train))
    rows.append(("  executed work per image", "%.3f GFLOP (the tutorial's loop: %.3f)"
                 % (flops / 1e9, results["tutorial_gflop_per_image"])))
    rows.append(("  achieved", "%.1f GFLOP/s" % results["achieved_gflops"]))
    if ctx[0].device_type == "cpu":
        peak = sgemm_peak_gflops()
        results.update(sgemm_peak_gflops=round(peak, 1), fraction_of_peak=round(train * flops / 1e9 / peak, 3))
        rows.append(("  sgemm peak (NumPy BLAS)", "%.1f GFLOP/s -> %.0f%% of peak"
                     % (peak, 100 * results["fraction_of_peak"])))
    for name, rates in other_rates.items():
        med = statistics.median(rates)
        key = "torch" if "PyTorch" in name else ("tutorial_default" if "default" in name else "tutorial_tuned")
        results[key + "_images_per_s"] = round(med, 2)
        rows.append((name, "%.1f images/s (ours: %.2fx)" % (med, train / med)))

    if not args.skip_data:
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "jpegs")
            benchmark.write_jpeg_folder(folder, args.num_jpegs)
            start = time.perf_counter()
            images = data.load_image_folder(folder, cache_dir=os.path.join(tmp, "cache"), progress=False)
            decode = len(images) / (time.perf_counter() - start)
            start = time.perf_counter()
            data.load_image_folder(folder, cache_dir=os.path.join(tmp, "cache"), progress=False)
            cached_load = len(images) / (time.perf_counter() - start)
        big = benchmark.synthetic_images(args.batch_size * 50)
        batch_rate = benchmark.time_batches(big, args.batch_size)
        share = train / batch_rate
        results.update(decode_images_per_s=round(decode, 1), cache_load_images_per_s=round(cached_load, 1),
                       batches_images_per_s=round(batch_rate, 1), data_fraction_of_step=round(share, 4))
        rows.append(("data: JPEG decode + resize (first run)", "%.0f images/s" % decode))
        rows.append(("data: load the decoded cache (later runs)", "%.0f images/s" % cached_load))
        rows.append(("data: cached uint8 -> float batches", "%.0f images/s = %.2f%% of a training step"
                     % (batch_rate, 100 * share)))

    if not args.skip_generate:
        with tempfile.TemporaryDirectory() as tmp:
            params = os.path.join(tmp, "Generator.params")
            checkpoint.save_parameters(netG, params)
            start = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "generate.py"), "--params", params,
                            "--num", str(args.num_generate), "--out", os.path.join(tmp, "faces.png")]
                           + (["--ctx", args.ctx] if args.ctx else []), check=True, capture_output=True)
            seconds = time.perf_counter() - start
        results.update(generate_seconds=round(seconds, 2), generate_count=args.num_generate)
        rows.append(("generate.py: %d faces to one PNG, start-up included" % args.num_generate,
                     "%.1f s (%.0f faces/s)" % (seconds, args.num_generate / seconds)))

    if args.profile:
        table = benchmark.profile_training(args.batch_size, ctx=ctx)
        with open(args.profile, "w") as f:
            f.write(table)
        rows.append(("operator profile", "written to %s" % args.profile))

    width = max(len(r[0]) for r in rows)
    print("| %s | %s |" % ("measurement".ljust(width), "result"))
    print("| %s | --- |" % ("-" * width))
    for name, value in rows:
        print("| %s | %s |" % (name.ljust(width), value))
    if args.json:
        print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    sys.exit(cli.run(main))
