#!/usr/bin/env python
"""Mode-collapse benchmark: small MLP GANs on the 2-D ring and grid mixtures, one row per --loss.

Prints a Markdown table of modes captured, % high-quality samples and reverse
KL (mean ± standard error over seeds, 2500 samples per run) with the published
plain-GAN and PacGAN4 rows beside ours (PacGAN paper, Table 1). The defaults are
budgeted to finish in under 15 minutes on 2 CPU cores; --quick is a smoke test.
See docs/losses.md for the definitions and the measured table.
"""
import argparse
import logging
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli
from gluon_gan.bench import mode_collapse as toy  # noqa: E402
from gluon_gan.training.losses import LOSSES  # noqa: E402
from gluon_gan.runtime import usable_cores  # noqa: E402

log = logging.getLogger("benchmark_modes")

# Budget: ~4 ms of CPU per iteration (width 64, batch 256), 30 runs on 2 cores, ~11 minutes on an idle machine.
# The ring is learnt in fewer iterations than the 25-mode grid, so it gets fewer.
ITERATIONS = {"ring": 6000, "grid": 14000}
QUICK = dict(seeds=2, iterations=20, width=8, batch_size=32, jobs=1)


def parse_args(argv=None):
    d = toy.ToyConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--losses", nargs="+", default=sorted(LOSSES), choices=sorted(LOSSES), metavar="LOSS",
                   help="losses to compare, one row each (%s)" % ", ".join(sorted(LOSSES)))
    p.add_argument("--mixtures", nargs="+", default=["ring", "grid"], choices=sorted(toy.MIXTURES))
    p.add_argument("--seeds", type=int, default=3, help="runs per (loss, mixture); the table shows mean ± s.e.")
    p.add_argument("--iterations", type=int,
                   help="D updates per run for every mixture (default: ring %(ring)d, grid %(grid)d)" % ITERATIONS)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--width", type=int, default=d.width, help="hidden units per layer of G and D")
    p.add_argument("--depth", type=int, default=d.depth, help="hidden layers of G and D")
    p.add_argument("--lr", type=float, default=d.lr,
                   help="learning rate of both networks, whatever the loss's optimiser")
    p.add_argument("--decay", type=float, default=d.decay, help="final learning rate as a fraction of --lr")
    p.add_argument("--jobs", type=int, default=usable_cores(), help="worker processes (one core each)")
    p.add_argument("--quick", action="store_true",
                   help="a few seconds' smoke test: %s" % ", ".join("%s=%s" % kv for kv in QUICK.items()))
    p.add_argument("--json", help="also write every run's numbers to this file")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    for name in ("seeds", "iterations", "batch_size", "width", "depth", "jobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    return args


def configs(args):
    out = []
    for loss in args.losses:
        for mixture in args.mixtures:
            for seed in range(args.seeds):
                out.append(toy.ToyConfig(
                    loss=loss, mixture=mixture, seed=seed, iterations=args.iterations or ITERATIONS[mixture],
                    batch_size=args.batch_size, width=args.width, depth=args.depth, lr=args.lr, decay=args.decay))
    return sorted(out, key=lambda c: -c.iterations)  # longest first, so the workers finish together


def _cell(mean_se, fmt, scale=1.0):
    mean, se = mean_se
    return (fmt + " ± " + fmt) % (mean * scale, se * scale)


def format_table(summary, losses, mixtures):
    """Markdown: one row per loss, then the published rows; three columns per mixture."""
    head = ["loss"]
    for m in mixtures:
        head += ["%s: modes (of %d)" % (m, len(toy.MIXTURES[m][0])), "%s: HQ %%" % m, "%s: reverse KL" % m]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for loss in losses:
        row = [loss]
        for m in mixtures:
            s = summary[(loss, m)]
            row += [_cell(s["modes"], "%.1f"), _cell(s["hq"], "%.1f", 100), _cell(s["reverse_kl"], "%.2f")]
        lines.append("| " + " | ".join(row) + " |")
    for name, numbers in toy.PUBLISHED:
        row = ["*%s*" % name]
        for m in mixtures:
            modes, hq, kl = numbers[m]
            row += ["%.1f" % modes, "%.1f" % hq, "%.2f" % kl]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging(args.verbose)
    runs = configs(args)
    its = ", ".join("%s %d" % (m, args.iterations or ITERATIONS[m]) for m in args.mixtures)
    log.info("%d runs (%d losses x %d mixtures x %d seeds), iterations: %s; batch %d, MLP %dx%d; %d job(s)",
             len(runs), len(args.losses), len(args.mixtures), args.seeds, its, args.batch_size, args.depth,
             args.width, args.jobs)
    done = []
    tic = time.time()

    def progress(r):
        done.append(r)
        log.info("[%d/%d] %s %s seed %d: %d modes, %.1f%% HQ, reverse KL %.3f (%.0f s)", len(done), len(runs),
                 r["loss"], r["mixture"], r["seed"], r["modes"], 100 * r["hq"], r["reverse_kl"], r["seconds"])
    results = toy.run_all(runs, jobs=args.jobs, progress=progress)
    wall = time.time() - tic
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print(format_table(toy.summarize(results), args.losses, args.mixtures))
    print()
    print("%d seeds per cell, %d samples each; D updates per run: %s; batch %d; G and D: MLP %dx%d; "
          "Adam/RMSprop lr %g decaying to %g x; %.0f s on %d job(s)" % (
              args.seeds, toy.ToyConfig.samples, its, args.batch_size, args.depth, args.width, args.lr,
              args.decay, wall, args.jobs))


if __name__ == "__main__":
    sys.exit(cli.run(main))
