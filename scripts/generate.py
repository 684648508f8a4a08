#!/usr/bin/env python
"""Draw faces with a trained generator: a grid PNG from a saved Generator.params."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--params", default=os.path.join("runs", "lfw", "Generator.params"),
                   help="generator weights written by train_lfw.py")
    p.add_argument("--num", type=int, default=64, help="how many faces")
    p.add_argument("--out", default="faces.png", help="output PNG (a grid)")
    p.add_argument("--seed", type=int, default=0, help="latent seed: the same seed gives the same faces")
    p.add_argument("--nrow", type=int, default=None, help="faces per row (default: square)")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.num < 1:
        p.error("--num must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan import plotting, sampling
    from gluon_gan.runtime import parse_contexts
    start = time.time()
    ctx = parse_contexts(args.ctx)[0]
    netG = sampling.load_generator(args.params, ctx=ctx)
    images = sampling.generate(netG, sampling.latent(args.num, netG.nz, args.seed), ctx=ctx)
    plotting.save_image_grid(images, args.out, nrow=args.nrow)
    print("wrote %d faces to %s in %.1f s" % (args.num, args.out, time.time() - start))


if __name__ == "__main__":
    sys.exit(cli.run(main))
