#!/usr/bin/env python
"""Train the tutorial's DCGAN on LFW faces (downloaded on first use) or on your own images.

Writes Generator.params / discriminator.params, a checkpoint, metrics.csv, sample
grids and training curves under --out. Interrupt at any time; --resume continues.
This is the faithful tutorial command; scripts/train.py trains every family.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    """``(TrainConfig, args)``: the tutorial's settings as defaults, the dcgan family fixed, LFW or --data-dir."""
    from gluon_gan.experiment.train_options import parse_train_args
    return parse_train_args(argv, description=__doc__, model="dcgan", defaults={"out": os.path.join("runs", "lfw")},
                            skip=("dataset", "num_images", "quality_samples"), skip_options=("image_size",))


def main(argv=None):
    config, args = parse_args(argv)
    cli.setup_logging(args.verbose)
    from gluon_gan.experiment import train
    train(config)


if __name__ == "__main__":
    sys.exit(cli.run(main))
