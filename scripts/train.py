#!/usr/bin/env python
"""Train any registered GAN family on any registered data set, through one loop.

  train.py --model dcgan --dataset lfw                     the tutorial's faces (as train_lfw.py)
  train.py --model mlp --dataset fashion-mnist             the GAN notes' simple GAN
  train.py --model dcgan28 --dataset fashion-mnist         the GAN notes' small DCGAN
  train.py --model dcgan --dataset folder --data-dir DIR   your own images
  train.py --config runs/X/config.json --out runs/Y        re-run a recorded run
  train.py --model stylegan --help                         the options of one family

Writes Generator.params, discriminator.params, checkpoint/, config.json (the run
record), metrics.csv, sample grids and curves under --out. Interrupt at any time;
--resume continues.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def main(argv=None):
    from gluon_gan.experiment.train_options import parse_train_args
    config, args = parse_train_args(argv, description=__doc__)
    cli.setup_logging(args.verbose)
    from gluon_gan.experiment import train
    train(config)


if __name__ == "__main__":
    sys.exit(cli.run(main))
