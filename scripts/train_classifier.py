#!/usr/bin/env python
"""Train the Fashion-MNIST yardstick classifier and print its test accuracy.

The classifier's penultimate features give the Frechet distance, and its
predictions the class coverage, of generated Fashion-MNIST images (see
docs/fashion_mnist.md). Weights go to the cache (where the yardstick looks for
them) unless --out says otherwise; evaluation trains them on first use anyway,
so run this only to retrain or to see the accuracy.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="folder holding the four Fashion-MNIST IDX files (default: "
                                      "/usr/share/datasets/fashion-mnist, else the cache, downloading them)")
    p.add_argument("--cache-dir", help="download and weights cache (default: $GLUON_GAN_CACHE or ~/.cache/gluon-gan)")
    p.add_argument("--out", help="weights file (default: the cache's classifier-<version>.params)")
    p.add_argument("--epochs", type=int, default=3, help="training epochs (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="batch size (default: %(default)s)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, halved every epoch "
                                                          "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="initialisation and shuffling seed (default: %(default)s)")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        p.error("--epochs, --batch-size and --lr must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan.evaluation import fashion_classifier
    from gluon_gan.runtime import parse_contexts
    start = time.time()
    ctx = parse_contexts(args.ctx)[0]
    path = args.out or fashion_classifier.classifier_path(args.cache_dir)
    _, acc = fashion_classifier.train_and_save(path, data_dir=args.data_dir, cache_dir=args.cache_dir, ctx=ctx,
                                            epochs=args.epochs, batch_size=args.batch_size,
                                            learning_rate=args.lr, seed=args.seed)
    print("test accuracy %.4f (%d epochs, %.0f s); weights in %s" % (acc, args.epochs, time.time() - start, path))


if __name__ == "__main__":
    sys.exit(cli.run(main))
