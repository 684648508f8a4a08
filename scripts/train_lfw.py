#!/usr/bin/env python
"""Train the tutorial's DCGAN on LFW faces (downloaded on first use) or on your own images.

Writes Generator.params / discriminator.params, a checkpoint, metrics.csv, sample
grids and training curves under --out. Interrupt at any time; --resume continues.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402
from gluon_gan.experiment import TrainConfig  # noqa: E402
from gluon_gan.distributed import KVSTORES  # noqa: E402
from gluon_gan.losses import LOSSES  # noqa: E402


def parse_args(argv=None):
    d = TrainConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    src = p.add_argument_group("data (default: download LFW)")
    src.add_argument("--data-dir", help="train on the images in this folder (searched recursively) instead of LFW")
    src.add_argument("--archive", help="an LFW .tgz you already have (e.g. lfw-deepfunneled.tgz)")
    src.add_argument("--cache-dir", help="downloads and decoded-image cache (default: $GLUON_GAN_CACHE "
                                         "or ~/.cache/gluon-gan)")
    p.add_argument("--out", default=d.out, help="run directory for checkpoints, samples and logs")
    p.add_argument("--epochs", type=int, default=d.epochs, help="total epochs (a resumed run counts the done ones)")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help="images per step on this process, split over --ctx devices; under dist_sync each "
                        "worker takes this many, so the global batch is this times the workers")
    p.add_argument("--nz", type=int, default=d.nz, help="latent size")
    p.add_argument("--ngf", type=int, default=d.ngf, help="generator width")
    p.add_argument("--ndf", type=int, default=d.ndf, help="discriminator width")
    p.add_argument("--loss", default=d.loss, choices=sorted(LOSSES),
                   help="GAN objective (docs/losses.md); wgan and wgan-gp bring the papers' optimiser and --d-steps")
    p.add_argument("--lr", type=float, default=d.lr,
                   help="learning rate of both networks; %(default)s means the loss's default: Adam 0.0002 "
                        "(bce, lsgan, hinge), RMSprop 5e-5 (wgan), Adam 1e-4 (wgan-gp)")
    p.add_argument("--beta1", type=float, default=d.beta1, help="Adam beta1; %(default)s means 0.5, or 0 for wgan-gp")
    bal = p.add_argument_group("keeping G and D in balance")
    bal.add_argument("--lr-g", type=float, default=d.lr_g, help="generator learning rate (TTUR); overrides --lr")
    bal.add_argument("--lr-d", type=float, default=d.lr_d, help="discriminator learning rate (TTUR); overrides --lr")
    bal.add_argument("--d-steps", type=int, default=d.d_steps,
                     help="D updates per G update, each on its own batch; %(default)s means the loss's (5 for wgan "
                          "and wgan-gp, else 1)")
    bal.add_argument("--d-skip-below", type=float, default=d.d_skip_below,
                     help="skip the D update while D's loss is below this (costs a device wait per iteration)")
    bal.add_argument("--spectral-norm", action="store_true",
                     help="spectrally normalise D's convolutions (replaces its BatchNorm); works with any --loss")
    p.add_argument("--ctx", default=d.ctx, help="cpu, gpu, gpu:0, or several devices to split each batch over: "
                                                "gpu:0,1,2,3 or cpu:0,cpu:1 (default: a GPU if MXNet sees one)")
    p.add_argument("--kvstore", default=d.kvstore, choices=KVSTORES,
                   help="how gradients are summed: over this machine's devices (device, local), or over the "
                        "workers of a parameter-server cluster started by scripts/launch.py (dist_sync, "
                        "dist_device_sync); see docs/distributed.md")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last complete checkpoint, or start it from the "
                        "beginning if it has none yet (so a scheduler can rerun the same command after a kill)")
    p.add_argument("--log-interval", type=int, default=d.log_interval, help="iterations between log lines")
    p.add_argument("--keep-last-batch", action="store_true",
                   help="train on the final short batch of each epoch instead of dropping it")
    p.add_argument("--no-hybridize", action="store_true", help="run imperatively (slower; for debugging)")
    p.add_argument("-v", "--verbose", action="store_true")
    tools = p.add_argument_group("run tooling (progress bar on a terminal; TQDM_DISABLE=1 turns it off)")
    tools.add_argument("--keep-every", type=int, default=d.keep_every, metavar="N",
                       help="also keep a copy of the checkpoint every N epochs in snapshots/epoch_NNN "
                            "(checkpoint/ always holds the latest)")
    tools.add_argument("--tensorboard", action="store_true",
                       help="also write a TensorBoard log to OUT/tensorboard: metrics.csv's scalars, the sample "
                            "grids, the diversity numbers (needs tensorboardX: pip install -e '.[tensorboard]')")
    tools.add_argument("--init-generator", metavar="FILE",
                       help="start a new run's generator from these weights instead of Normal(0.02): a "
                            "Generator.params, or the tutorial's own save_params file (ignored on --resume)")
    tools.add_argument("--init-discriminator", metavar="FILE",
                       help="the same for the discriminator")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size", "nz", "ngf", "ndf", "log_interval", "d_steps", "keep_every"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    for name in ("lr", "lr_g", "lr_d"):
        if getattr(args, name) is not None and not getattr(args, name) > 0:
            p.error("--%s must be positive" % name.replace("_", "-"))
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging(args.verbose)
    from gluon_gan.experiment import train
    config = TrainConfig(
        out=args.out, data_dir=args.data_dir, archive=args.archive, cache_dir=args.cache_dir,
        epochs=args.epochs, batch_size=args.batch_size, nz=args.nz, ngf=args.ngf, ndf=args.ndf,
        lr=args.lr, beta1=args.beta1, lr_g=args.lr_g, lr_d=args.lr_d, loss=args.loss, d_steps=args.d_steps,
        d_skip_below=args.d_skip_below, spectral_norm=args.spectral_norm, ctx=args.ctx, seed=args.seed,
        resume=args.resume,
        log_interval=args.log_interval, last_batch="keep" if args.keep_last_batch else "discard",
        hybridize=not args.no_hybridize, kvstore=args.kvstore,
        keep_every=args.keep_every, tensorboard=args.tensorboard,
        init_generator=args.init_generator, init_discriminator=args.init_discriminator)
    train(config)


if __name__ == "__main__":
    sys.exit(cli.run(main))
