#!/usr/bin/env python
"""Training images/s of model families side by side, on synthetic images, in one run on this machine.

  bench_families.py                                   dcgan and stylegan at 3x32x32, batch 64
  bench_families.py --families dcgan stylegan --channels 1 --size 32 --iters 20 --repeats 5

Repeats are interleaved (family A, family B, A, B, ...), so both see the same
machine state; the median per family is printed, with each repeat's rate.
Every family trains through the common loop with its own defaults (loss,
optimiser, callbacks such as StyleGAN's EMA update).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=["dcgan", "stylegan"], help="families to time "
                                                                                "(default: %(default)s)")
    p.add_argument("--size", type=int, default=32, help="image height and width (default: %(default)s)")
    p.add_argument("--channels", type=int, default=3, choices=(1, 3), help="1 grey, 3 RGB (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="(default: %(default)s)")
    p.add_argument("--iters", type=int, default=10, help="timed steps per repeat (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats per family (default: %(default)s)")
    p.add_argument("--ctx", default="cpu", help="cpu or gpu:0 (default: %(default)s)")
    args = p.parse_args(argv)
    for name in ("size", "batch_size", "iters", "repeats"):
        if getattr(args, name) < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan import families
    from gluon_gan.benchmark import time_families
    from gluon_gan.runtime import parse_contexts
    for name in args.families:
        families.get_family_class(name)  # a one-line error for an unknown name, before any work
    shape = (args.channels, args.size, args.size)
    print("timing %s at %s, batch %d, %d steps x %d repeats (+1 warm-up) on %s ..."
          % (", ".join(args.families), "x".join(map(str, shape)), args.batch_size, args.iters, args.repeats, args.ctx))
    results = time_families(args.families, shape, args.batch_size, args.iters, args.repeats,
                            ctx=parse_contexts(args.ctx))
    print("%-12s %16s   %s" % ("family", "images/s (median)", "repeats"))
    for name, (median, rates) in results.items():
        print("%-12s %16.1f   %s" % (name, median, ", ".join("%.1f" % r for r in rates)))


if __name__ == "__main__":
    sys.exit(cli.run(main))
