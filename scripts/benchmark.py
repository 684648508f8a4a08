#!/usr/bin/env python
"""Training, generation and data throughput of gluon-gan on this machine, beside its peers, as one table.

In one interleaved run (one repeat of ours, then one of each peer, again):
the tutorial's DCGAN step (batch 64) against the PyTorch dcgan example, the
GAN notes' small DCGAN (dcgan28, batch 32) against the notes' own Keras code,
a style-transfer Adam step (VGG-19 to conv5_1, 256x192) against the PyTorch
way, generation from Generator.params (batch 64 images/s, batch-1 latency)
against the PyTorch generator, and the other families' (StyleGAN, ProGAN,
MSG-GAN) training images/s; plus this machine's float32 matrix-multiply peak,
measured here, and the DCGAN step's fraction of it. Peers run only when their
Python is given (--compare-torch, --compare-keras). --cpu-isa avx2 caps every
library at AVX2, as on an AVX2-only CPU. With --json the last line is one JSON
object; its key train_images_per_s is the library loop's training throughput.
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
from gluon_gan.bench import peers  # noqa: E402

FAMILY_SETTINGS = {  # the other families at the DCGAN's 64x64, each at its own batch size (docs/families.md)
    "stylegan": ({"image_size": 64}, 64),
    "progan": ({"image_size": 64, "fade_images": 0, "stable_images": 1}, 16),  # timed at its final resolution
    "msggan": ({"image_size": 64}, 32),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = " (default: %(default)s)"
    p.add_argument("--batch-size", type=int, default=64, help="the DCGAN's batch" + d)
    p.add_argument("--iters", type=int, default=10, help="timed DCGAN iterations per repeat" + d)
    p.add_argument("--repeats", type=int, default=3, help="interleaved timed repeats (medians reported)" + d)
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    p.add_argument("--cpu-isa", choices=sorted(peers.ISA_ENV),
                   help="cap oneDNN, PyTorch, MKL and OpenBLAS at this instruction set (ours and the peers'), "
                        "as on a CPU that has no more")
    p.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "bench"),
                   help="folder with the peers' scripts (torch_dcgan.py, keras_dcgan28.py, torch_style.py, "
                        "seed_mxnet.py)" + d)
    p.add_argument("--compare-torch", metavar="PYTHON",
                   help="a Python with torch: time the PyTorch dcgan example, style transfer and generator")
    p.add_argument("--peer-generator", default=os.path.join(ROOT, "scripts", "peers", "torch_generator.py"),
                   help="the PyTorch generator's timing script, run by --compare-torch's Python" + d)
    p.add_argument("--compare-keras", metavar="PYTHON",
                   help="a Python with torch and keras 3: time the GAN notes' Keras DCGAN (torch backend)")
    p.add_argument("--compare-tutorial", action="store_true",
                   help="also run the tutorial's own loop side by side (default and tuned threading)")
    p.add_argument("--dcgan28-iters", type=int, default=50, help="timed dcgan28 iterations per repeat" + d)
    p.add_argument("--style-size", type=int, default=256, help="style transfer's long side" + d)
    p.add_argument("--style-steps", type=int, default=5, help="timed style-transfer steps per repeat" + d)
    p.add_argument("--family-iters", type=int, default=10, help="timed iterations per family and repeat" + d)
    p.add_argument("--families", nargs="*", default=sorted(FAMILY_SETTINGS), choices=sorted(FAMILY_SETTINGS),
                   help="other families timed beside the DCGAN" + d)
    p.add_argument("--skip-dcgan28", action="store_true")
    p.add_argument("--skip-style", action="store_true")
    p.add_argument("--skip-generation", action="store_true", help="skip the Generator.params timing")
    p.add_argument("--num-generate", type=int, default=1000, help="faces for the generate.py timing" + d)
    p.add_argument("--num-jpegs", type=int, default=300, help="LFW-sized JPEGs for the decode timing" + d)
    p.add_argument("--skip-data", action="store_true")
    p.add_argument("--skip-generate", action="store_true", help="skip the generate.py (1000 faces) timing")
    p.add_argument("--profile", metavar="FILE", help="also profile a few iterations with mx.profiler; "
                                                     "write the per-operator table to FILE")
    p.add_argument("--json", action="store_true", help="end with one JSON line of all numbers")
    args = p.parse_args(argv)
    for name in ("batch_size", "iters", "repeats", "dcgan28_iters", "style_steps", "family_iters"):
        if getattr(args, name) < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    if args.style_size < 32:
        p.error("--style-size must be at least 32")
    for flag, python in (("--compare-torch", args.compare_torch), ("--compare-keras", args.compare_keras)):
        if python and not os.path.isfile(python):
            p.error("%s: no such Python: %s" % (flag, python))
    return args


def _reexec_with_isa_cap(args, argv):
    """Restart this script with the ISA cap in its environment: the libraries read it only when they load."""
    wanted = peers.ISA_ENV[args.cpu_isa]
    if all(os.environ.get(k) == v for k, v in wanted.items()):
        return
    env = dict(os.environ, **wanted)
    cmd = [sys.executable, os.path.abspath(__file__)] + list(sys.argv[1:] if argv is None else argv)
    sys.exit(subprocess.call(cmd, env=env))


class Series:
    """One measured quantity's repeats (ours or a peer's) and its median."""

    def __init__(self):
        self.values = []

    def add(self, value):
        self.values.append(value)

    @property
    def median(self):
        return statistics.median(self.values)

    def show(self, fmt):
        return (fmt % self.median) + " (" + ", ".join(fmt % v for v in self.values) + ")"


def main(argv=None):
    args = parse_args(argv)
    if args.cpu_isa:
        _reexec_with_isa_cap(args, argv)
    from gluon_gan.bench import isolated, timers
    from gluon_gan.bench import throughput as benchmark
    from gluon_gan.families.dcgan import Discriminator, Generator
    from gluon_gan.nn.init import initialize
    from gluon_gan.data import images as data
    from gluon_gan.files import checkpoint
    from gluon_gan.style_transfer.timing import StyleTimer
    from gluon_gan.runtime import parse_contexts, usable_cores

    ctx = parse_contexts(args.ctx)
    on_cpu = ctx[0].device_type == "cpu"
    tp, kp = args.compare_torch, args.compare_keras
    results = {"ctx": str(ctx[0]), "batch_size": args.batch_size, "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
               "cpu": peers.cpu_model(), "isa_cap": peers.isa_cap(), "load_start": peers.load_average()}
    machine = [("machine", "%s, %d usable cores, load %s at the start"
                % (results["cpu"], usable_cores(), _load(results["load_start"])))]
    if on_cpu:
        results.update(mxnet_isa=peers.mxnet_isa(), openblas_core=peers.openblas_core())
        cap = ", ".join("%s=%s" % kv for kv in results["isa_cap"].items()) or "none (each library's own choice)"
        machine.append(("ISA cap", cap))
        machine.append(("  MXNet's oneDNN runs", str(results["mxnet_isa"])))
        machine.append(("  NumPy's OpenBLAS kernels", str(results["openblas_core"])))
        if tp:
            results["torch_isa"] = peers.torch_isa(tp)
            machine.append(("  PyTorch runs", str(results["torch_isa"])))

    # Build and warm up everything first, each of our timers in a process of its own (as each peer runs in its
    # own: see gluon_gan/bench/isolated.py); then each repeat times ours and the peers back to back.
    print("building and warming up ...", file=sys.stderr, flush=True)
    netG, netD = initialize(Generator(), ctx), initialize(Discriminator(), ctx)  # the FLOP count's networks
    work = []  # (key, label, our timer, peer label, peer command, peer env, unit, higher_is_better)
    dcgan = isolated.start("dcgan", timers.dcgan_timer, args.batch_size, args.iters, ctx)
    workers = [dcgan]
    work.append(("dcgan", "DCGAN training step, 64x64, batch %d" % args.batch_size, dcgan.time_once,
                 "PyTorch dcgan example", tp and peers.torch_dcgan_cmd(tp, args.bench_dir, args.batch_size, args.iters),
                 None, "images/s", True))
    if not args.skip_dcgan28:
        t28 = isolated.start("dcgan28", timers.family_timer, "dcgan28", (1, 28, 28), 32, args.dcgan28_iters,
                             ctx=ctx)
        workers.append(t28)
        work.append(("dcgan28", "dcgan28 training step (the GAN notes' small DCGAN), batch 32", t28.time_once,
                     "the notes' Keras code (Keras 3, torch backend)",
                     kp and peers.keras_dcgan28_cmd(kp, args.bench_dir, args.dcgan28_iters), peers.keras_env(),
                     "images/s", True))
    if not args.skip_style:
        style = isolated.start("style", StyleTimer, args.style_size, args.style_steps, ctx=ctx[0])
        workers.append(style)
        work.append(("style", "style transfer Adam step, %dx%d, VGG-19 to conv5_1"
                     % (args.style_size, args.style_size * 3 // 4), style.time_once, "PyTorch style transfer",
                     tp and peers.torch_style_cmd(tp, args.bench_dir, args.style_size, args.style_steps),
                     None, "s/step", False))
    gen = None
    tmp_gen = tempfile.TemporaryDirectory()
    params = os.path.join(tmp_gen.name, "Generator.params")
    checkpoint.save_parameters(netG, params)  # generation's speed does not depend on the weights' values
    if not args.skip_generation:
        gen = isolated.start("generation", timers.GenerationTimer, params, 64, ctx=ctx[0])
        workers.append(gen)
    fam_timers = {}
    for name in args.families:
        options, batch = FAMILY_SETTINGS[name]
        fam_timers[name] = isolated.start(name, timers.family_timer, name, (3, 64, 64), batch, args.family_iters,
                                          options, ctx=ctx)
        workers.append(fam_timers[name])
    for worker in workers:
        worker.wait_ready()
    others = {}
    if args.compare_tutorial:
        default_env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
        tuned_env = dict(os.environ, OMP_NUM_THREADS=str(usable_cores()))
        cmd = [sys.executable, os.path.join(args.bench_dir, "seed_mxnet.py"), str(args.batch_size), str(args.iters + 2)]
        others["tutorial loop, MXNet's default threading"] = (cmd, default_env)
        others["tutorial loop, OMP_NUM_THREADS=%d" % usable_cores()] = (cmd, tuned_env)

    ours = {w[0]: Series() for w in work}
    theirs = {w[0]: Series() for w in work if w[4]}
    gen_ours, gen_theirs = (Series(), Series()), (Series(), Series())
    fams = {name: Series() for name in fam_timers}
    tutorial = {name: Series() for name in others}
    sgemm = Series()
    for rep in range(args.repeats):
        print("repeat %d of %d ..." % (rep + 1, args.repeats), file=sys.stderr, flush=True)
        if on_cpu:
            sgemm.add(peers.sgemm_gflops())
        for key, _, ours_once, _, cmd, env, _, _ in work:
            ours[key].add(ours_once())
            if cmd:
                theirs[key].add(peers.run_peer(cmd, env)[0])
        if gen is not None:
            for series, value in zip(gen_ours, gen.time_once()):
                series.add(value)
            if tp:
                cmd = peers.torch_generator_cmd(tp, args.peer_generator, 64, 10)
                for series, value in zip(gen_theirs, peers.run_peer(cmd)):
                    series.add(value)
        for name, timer in fam_timers.items():
            fams[name].add(timer.time_once())
        for name, (cmd, env) in others.items():
            tutorial[name].add(peers.run_peer(cmd, env)[0])
    results["load_end"] = peers.load_average()

    for worker in workers:
        worker.close()
    rows = list(machine)
    flops = benchmark.loop_flops_per_image(netG, netD)
    train = ours["dcgan"].median
    results.update(train_images_per_s=round(train, 2), train_repeats=[round(r, 2) for r in ours["dcgan"].values],
                   gflop_per_image=round(flops / 1e9, 3),
                   tutorial_gflop_per_image=round(benchmark.tutorial_flops_per_image(netG, netD) / 1e9, 3),
                   achieved_gflops=round(train * flops / 1e9, 1), ratios={})
    for key, label, _, peer_label, cmd, _, unit, higher in work:
        fmt = "%.1f" if unit == "images/s" else "%.3f"
        mine = ours[key]
        results[key + "_" + unit.replace("/", "_per_")] = round(mine.median, 6)
        if cmd:
            peer = theirs[key]
            ratio = mine.median / peer.median if higher else peer.median / mine.median
            # each repeat's own ratio (ours and the peer's timed back to back): how far the machine's drift reaches
            paired = [m / t if higher else t / m for m, t in zip(mine.values, peer.values)]
            results["peer_" + key + "_" + unit.replace("/", "_per_")] = round(peer.median, 6)
            results["ratios"][key] = round(ratio, 3)
            results.setdefault("repeat_ratios", {})[key] = [round(r, 3) for r in paired]
            rows.append((label, "%s %s" % (mine.show(fmt), unit), "%s: %s" % (peer_label, peer.show(fmt)),
                         "**%.2fx** (%s)" % (ratio, ", ".join("%.2f" % r for r in paired))))
        else:
            rows.append((label, "%s %s" % (mine.show(fmt), unit), "", ""))
        if key == "dcgan":
            rows.append(("  executed work per image", "%.3f GFLOP (the tutorial's loop: %.3f)"
                         % (flops / 1e9, results["tutorial_gflop_per_image"]), "", ""))
            if on_cpu:
                peak = max(sgemm.values)
                fraction = train * flops / 1e9 / peak
                results.update(sgemm_peak_gflops=round(peak, 1), sgemm_repeats=[round(v, 1) for v in sgemm.values],
                               fraction_of_peak=round(fraction, 3))
                rows.append(("  achieved / sgemm peak (NumPy, best of the repeats)",
                             "%.1f / %.1f GFLOP/s = **%.0f%%**" % (train * flops / 1e9, peak, 100 * fraction), "", ""))
    if gen is not None:
        rate, latency = gen_ours
        results.update(generation_images_per_s=round(rate.median, 1),
                       generation_latency_ms=round(latency.median, 4))
        if tp:
            trate, tlat = gen_theirs
            results.update(peer_generation_images_per_s=round(trate.median, 1),
                           peer_generation_latency_ms=round(tlat.median, 4))
            results["ratios"].update(generation=round(rate.median / trate.median, 3),
                                     generation_latency=round(tlat.median / latency.median, 3))
            rows.append(("generation from Generator.params, batch 64", rate.show("%.0f") + " images/s",
                         "PyTorch generator: " + trate.show("%.0f"), "**%.2fx**" % (rate.median / trate.median)))
            rows.append(("generation, batch-1 latency", latency.show("%.2f") + " ms",
                         "PyTorch generator: " + tlat.show("%.2f"), "**%.2fx**" % (tlat.median / latency.median)))
        else:
            rows.append(("generation from Generator.params, batch 64", rate.show("%.0f") + " images/s", "", ""))
            rows.append(("generation, batch-1 latency", latency.show("%.2f") + " ms", "", ""))
    results["families_images_per_s"] = {}
    for name, series in fams.items():
        results["families_images_per_s"][name] = round(series.median, 2)
        rows.append(("%s training step, 3x64x64, batch %d" % (name, FAMILY_SETTINGS[name][1]),
                     series.show("%.1f") + " images/s", "", ""))
    for name, series in tutorial.items():
        key = "tutorial_default" if "default" in name else "tutorial_tuned"
        results[key + "_images_per_s"] = round(series.median, 2)
        rows.append((name, "", series.show("%.1f") + " images/s", "%.2fx" % (train / series.median)))
    rows.append(("load average (1 min) at the start / end", "%s / %s"
                 % (_load(results["load_start"]), _load(results["load_end"])), "", ""))

    if not args.skip_data:
        rows += _data_rows(args, benchmark, data, train, results)
    if not args.skip_generate:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "generate.py"), "--params", params,
                            "--num", str(args.num_generate), "--out", os.path.join(tmp, "faces.png")]
                           + (["--ctx", args.ctx] if args.ctx else []), check=True, capture_output=True)
            seconds = time.perf_counter() - start
        results.update(generate_seconds=round(seconds, 2), generate_count=args.num_generate)
        rows.append(("generate.py: %d faces to one PNG, start-up included" % args.num_generate,
                     "%.1f s (%.0f faces/s)" % (seconds, args.num_generate / seconds), "", ""))
    if args.profile:
        table = benchmark.profile_training(args.batch_size, ctx=ctx)
        with open(args.profile, "w") as f:
            f.write(table)
        rows.append(("operator profile", "written to %s" % args.profile, "", ""))

    _print_table(rows)
    if args.json:
        print(json.dumps(results, sort_keys=True))


def _load(value):
    return "n/a" if value is None else "%.2f" % value


def _data_rows(args, benchmark, data, train, results):
    """The data pipeline's throughput: JPEG decode, cached load, uint8 -> float batches (its share of a step)."""
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
    return [("data: JPEG decode + resize (first run)", "%.0f images/s" % decode, "", ""),
            ("data: load the decoded cache (later runs)", "%.0f images/s" % cached_load, "", ""),
            ("data: cached uint8 -> float batches", "%.0f images/s = %.2f%% of a training step"
             % (batch_rate, 100 * share), "", "")]


def _print_table(rows):
    """Markdown: measurement | gluon-gan (median, then the repeats) | peer | ratio of the medians, then each
    repeat's (> 1: gluon-gan is faster)."""
    head = ("measurement", "gluon-gan: median (repeats)", "peer: median (repeats)", "ours vs peer")
    rows = [tuple(row) + ("",) * (4 - len(row)) for row in rows]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")


if __name__ == "__main__":
    sys.exit(cli.run(main))
