#!/usr/bin/env python
"""Draw faces with a trained generator: a grid, a latent interpolation strip, or one PNG per face.

  generate.py --num 64 --seed 0 --out faces.png          a grid; the same seed gives the same faces
  generate.py --interpolate 0 7 3 --steps 10 --out walk.png
                                                         slerp from seed 0's face to seed 7's, then to 3's
  generate.py --num 16 --individual faces/               also write faces/face_0000.png, ...
  generate.py --truncation 0.7                           StyleGAN: pull w 30% of the way to the average w
  generate.py --figures --out style.png                  also the family's explanatory figures (StyleGAN:
                                                         style_mixing.png, style_noise.png, style_truncation.png)
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
    p.add_argument("--params", default=os.path.join("runs", "lfw", "Generator.params"),
                   help="generator weights of any run (its config.json beside them says what to build) "
                        "(default: %(default)s)")
    p.add_argument("--num", type=int, default=64, help="how many faces in the grid (default: %(default)s)")
    p.add_argument("--out", default="faces.png", help="output PNG: the grid or the strip (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="latent seed of the grid: the same seed gives the same faces (default: %(default)s)")
    p.add_argument("--nrow", type=int, default=None, help="faces per row of the grid (default: square)")
    p.add_argument("--interpolate", type=int, nargs="+", metavar="SEED",
                   help="instead of a grid, a slerp strip between the first faces of these seeds (at least 2); "
                        "one row per consecutive pair")
    p.add_argument("--steps", type=int, default=8, help="faces per interpolation row, ends included "
                                                        "(default: %(default)s)")
    p.add_argument("--individual", metavar="DIR", help="also write every face as DIR/face_NNNN.png")
    p.add_argument("--truncation", type=float, metavar="PSI",
                   help="truncation psi for families that have it (StyleGAN: 1 none, 0 the average w)")
    p.add_argument("--figures", action="store_true",
                   help="also write the family's explanatory figures next to --out (e.g. StyleGAN's style "
                        "mixing, noise and truncation pictures)")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.num < 1:
        p.error("--num must be at least 1")
    if args.interpolate is not None and len(args.interpolate) < 2:
        p.error("--interpolate needs at least 2 seeds")
    if args.steps < 2:
        p.error("--steps must be at least 2")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan.files import plotting
    from gluon_gan import experiment
    from gluon_gan.training import sampling
    from gluon_gan.errors import GluonGanError
    from gluon_gan.runtime import parse_contexts
    start = time.time()
    ctx = parse_contexts(args.ctx)[0]
    netG = experiment.load_generator(args.params, ctx=ctx)
    if args.interpolate:
        z, nrow = sampling.interpolation_latents(args.interpolate, args.steps, netG.latent_shape), args.steps
        what = "an interpolation strip of %d x %d images" % (len(args.interpolate) - 1, args.steps)
    else:
        z, nrow = sampling.latent(args.num, netG.latent_shape, args.seed), args.nrow
        what = "%d images" % args.num
    sample_options = {} if args.truncation is None else {"truncation": args.truncation}
    images = sampling.generate(netG, z, ctx=ctx, **sample_options)
    plotting.save_image_grid(images, args.out, nrow=nrow)
    if args.individual:
        for i, picture in enumerate(plotting.to_uint8_images(images)):
            plotting.save_png(picture, os.path.join(args.individual, "face_%04d.png" % i))
        what += " (and %d PNGs in %s)" % (len(images), args.individual)
    if args.figures:
        paths = netG.family.figures(netG.net, os.path.splitext(args.out)[0], seed=args.seed, ctx=ctx)
        if not paths:
            raise GluonGanError("the %s family draws no explanatory figures" % netG.family.name)
        what += " (figures: %s)" % ", ".join(paths)
    print("wrote %s to %s in %.1f s" % (what, args.out, time.time() - start))


if __name__ == "__main__":
    sys.exit(cli.run(main))
