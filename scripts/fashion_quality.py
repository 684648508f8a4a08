#!/usr/bin/env python
"""Measure generated clothes with the Fashion-MNIST yardstick (docs/fashion_mnist.md).

Prints the Frechet distance in the project's own classifier's features beside its floor (test vs
training set), the classes covered, KL from uniform and the mean confidence, for N images from any
run's Generator.params (its family and shape come from the config.json beside it). The classifier
is trained and cached on first use (a few minutes) unless scripts/train_classifier.py ran before.

  fashion_quality.py --params runs/dcgan28-fashion-mnist/Generator.params
  fashion_quality.py --params runs/mlp-fashion-mnist/Generator.params --num 2000 --json quality.json
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", required=True, help="a run's Generator.params (config.json beside it)")
    p.add_argument("--num", type=int, default=10000, help="generated images (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default: %(default)s)")
    p.add_argument("--data-dir", help="folder holding the four Fashion-MNIST IDX files (default: "
                                      "/usr/share/datasets/fashion-mnist, else the cache, downloading them)")
    p.add_argument("--cache-dir", help="classifier and data cache (default: $GLUON_GAN_CACHE or ~/.cache/gluon-gan)")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.num < 2:
        p.error("--num must be at least 2")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan import fashion_quality
    from gluon_gan.checkpoint import atomic_write
    from gluon_gan.errors import GluonGanError
    from gluon_gan.runtime import parse_contexts
    if not os.path.isfile(args.params):
        raise GluonGanError("generator weights not found: %s" % args.params)
    start = time.time()
    result = fashion_quality.evaluate_generator(args.params, num=args.num, seed=args.seed,
                                                ctx=parse_contexts(args.ctx)[0], cache_dir=args.cache_dir,
                                                data_dir=args.data_dir)
    print(fashion_quality.format_quality(result))
    if args.json:
        result.update(params=os.path.abspath(args.params), seconds=round(time.time() - start, 1))

        def write(tmp):
            with open(tmp, "w") as f:
                json.dump(result, f, indent=2)
        atomic_write(args.json, write)
        print("written to %s" % args.json)


if __name__ == "__main__":
    sys.exit(cli.run(main))
