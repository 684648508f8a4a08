#!/usr/bin/env python
"""Redraw a content image in the style of one or more style images (Gatys et al. 2016).

  style_transfer.py --content photo.jpg --style painting.jpg --out result.png
  style_transfer.py --content photo.jpg --style a.jpg b.jpg --style-blend 0.7 0.3 --out mix.png
  style_transfer.py --content photo.jpg --style s.jpg --size 1024 --levels 3 --keep-colours --out big.png
  style_transfer.py --content photo.jpg --style s.jpg --random-weights --out try.png   (offline, weaker)

VGG weights come from MXNet's model-zoo cache (vgg19-<hash>.params) or --vgg-params.
See docs/style_transfer.md for the losses and every knob.
"""
import argparse
import logging
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402
from gluon_gan.errors import GluonGanError  # noqa: E402

log = logging.getLogger("style_transfer")
RANDOM_LABEL = "random-weights"


class _OneLineParser(argparse.ArgumentParser):
    """Bad flags become one ``error: ...`` line, like every other user error of this tool."""

    def error(self, message):
        raise GluonGanError("%s (see --help)" % message)


def parse_args(argv=None):
    from gluon_gan.style_transfer.transfer import INITS, StyleSettings
    d = StyleSettings()
    p = _OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--content", required=True, help="the picture to redraw")
    p.add_argument("--style", required=True, nargs="+", help="one or more style pictures")
    p.add_argument("--style-blend", type=float, nargs="+", metavar="W",
                   help="blend weight of each style picture (default: equal); scaled to sum to 1")
    p.add_argument("--out", default="stylised.png", help="output PNG (default: %(default)s)")
    p.add_argument("--size", type=int, default=None,
                   help="long side of the result in pixels (default: 512 on a GPU, 256 on the CPU)")
    p.add_argument("--net", choices=("vgg19", "vgg16"), default="vgg19", help="feature network (default: %(default)s)")
    p.add_argument("--vgg-params", metavar="FILE",
                   help="model-zoo weights file (default: MXNet's model-zoo cache, vgg19-<hash>.params)")
    p.add_argument("--random-weights", action="store_true",
                   help="random VGG filters instead of trained ones: runs offline, a weaker texture effect; "
                        "the output name gets '.%s'" % RANDOM_LABEL)
    p.add_argument("--pooling", choices=("max", "avg"), default="max",
                   help="VGG's pooling; the paper prefers avg (default: %(default)s)")
    p.add_argument("--content-layers", default="conv4_2", metavar="LAYERS",
                   help="comma-separated layers, each optionally NAME:WEIGHT (default: %(default)s)")
    p.add_argument("--style-layers", default="conv1_1,conv2_1,conv3_1,conv4_1,conv5_1", metavar="LAYERS",
                   help="comma-separated layers, each optionally NAME:WEIGHT (default: %(default)s)")
    p.add_argument("--content-weight", type=float, default=d.content_weight, help="(default: %(default)s)")
    p.add_argument("--style-weight", type=float, default=d.style_weight, help="(default: %(default)s)")
    p.add_argument("--variation-weight", "--tv-weight", type=float, default=d.variation_weight,
                   help="smoothness: weight of the mean neighbouring-pixel distance (default: %(default)s)")
    p.add_argument("--variation-power", type=int, choices=(1, 2), default=d.variation_power,
                   help="1: mean absolute distance (total variation), 2: mean squared (default: %(default)s)")
    p.add_argument("--init", choices=INITS, default=d.init,
                   help="start from the content, white noise (the paper), or a blend (default: %(default)s)")
    p.add_argument("--init-noise", type=float, default=d.init_noise,
                   help="noise share of --init blend (default: %(default)s)")
    p.add_argument("--steps", type=int, default=d.steps,
                   help="optimiser steps at the full size (default: %(default)s)")
    p.add_argument("--levels", type=int, default=d.levels,
                   help="coarse-to-fine: optimise at size/2^(levels-1), ..., size/2, size (default: %(default)s)")
    p.add_argument("--coarse-steps", type=int, default=None, help="steps at each coarser level (default: --steps)")
    p.add_argument("--optimizer", choices=("lbfgs", "adam"), default=d.optimizer, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=d.learning_rate,
                   help="Adam's learning rate, in pixel units of [0, 1] (default: %(default)s)")
    p.add_argument("--style-scale", type=float, default=d.style_scale,
                   help="style pictures are resized to this times the level's size: smaller means finer "
                        "strokes (default: %(default)s)")
    p.add_argument("--keep-colours", "--preserve-colors", action="store_true",
                   help="transfer only luminance, keep the content's colours (Gatys et al. 2017)")
    p.add_argument("--normalise-layers", action="store_true",
                   help="divide each layer's loss by its target's mean square, so the weights mean the same "
                        "for any network (not the paper's formulas; try --style-weight 1)")
    p.add_argument("--snapshot-every", type=int, default=0, metavar="N",
                   help="also write the image every N steps as OUT.stepNNNN.png (default: never)")
    p.add_argument("--log-every", type=int, default=10, metavar="N",
                   help="log the losses every N steps (default: %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="noise and random weights (default: %(default)s)")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.style_blend is not None and len(args.style_blend) != len(args.style):
        raise GluonGanError("--style-blend has %d weights for %d style images" % (len(args.style_blend),
                                                                                   len(args.style)))
    if not args.out.lower().endswith(".png"):
        raise GluonGanError("--out must name a .png file, not %s" % args.out)
    if args.snapshot_every < 0 or args.log_every < 1:
        raise GluonGanError("--snapshot-every must be >= 0 and --log-every >= 1")
    return args


def labelled(path, label):
    """``out.png`` -> ``out.<label>.png`` (kept as is when the label is already in the name)."""
    if label in os.path.basename(path):
        return path
    root, ext = os.path.splitext(path)
    return "%s.%s%s" % (root, label, ext)


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan.runtime import parse_contexts
    from gluon_gan.style_transfer import images
    from gluon_gan.style_transfer.transfer import StyleSettings, finish, stylise
    from gluon_gan.style_transfer.vgg import load_vgg_features, parse_layers

    ctx = parse_contexts(args.ctx)[0]
    depth = int(args.net[3:])
    size = args.size if args.size is not None else (512 if ctx.device_type == "gpu" else 256)
    settings = StyleSettings(
        size=size, content_layers=parse_layers(args.content_layers, depth, "--content-layers"),
        style_layers=parse_layers(args.style_layers, depth, "--style-layers"),
        content_weight=args.content_weight, style_weight=args.style_weight,
        variation_weight=args.variation_weight, variation_power=args.variation_power, init=args.init,
        init_noise=args.init_noise, steps=args.steps, coarse_steps=args.coarse_steps, levels=args.levels,
        optimizer=args.optimizer, learning_rate=args.lr, style_scale=args.style_scale,
        keep_colours=args.keep_colours, normalise_layers=args.normalise_layers, seed=args.seed).check()
    content = images.load_image(args.content, "content image")
    blend = args.style_blend or [1.0] * len(args.style)
    if any(w <= 0 for w in blend):
        raise GluonGanError("--style-blend weights must be positive")
    styles = [(images.load_image(path, "style image"), w) for path, w in zip(args.style, blend)]

    out = args.out
    outputs = list(dict.fromkeys(list(settings.content_layers) + list(settings.style_layers)))
    if args.random_weights:
        out = labelled(out, RANDOM_LABEL)
        log.warning("RANDOM WEIGHTS: VGG-%d with random filters (seed %d), not trained ones; expect a weaker, "
                    "texture-only effect (their Gram matrices are small: try --style-weight 1000). Writing %s",
                    depth, args.seed, out)
    net = load_vgg_features(outputs, depth=depth, pooling=args.pooling, params=args.vgg_params,
                            random_weights=args.random_weights, seed=args.seed, ctx=ctx)
    if not args.random_weights:
        log.info("VGG-%d weights from %s", depth, net.source)
    log.info("content %s, style %s, %d px (levels %s), %s on %s; losses below are weighted (content x%g, "
             "style x%g, variation x%g)", args.content, ", ".join(args.style), size,
             ", ".join(map(str, settings.level_sizes())), settings.optimizer, ctx, settings.content_weight,
             settings.style_weight, settings.variation_weight)

    clock = {"level": None, "step": 0, "time": time.time(), "steps": 0}  # at the last log line

    def on_step(level, step, steps, image, parts):
        if clock["level"] != level:  # a new level starts counting its steps from 0
            clock["level"], clock["step"] = level, 0
        clock["steps"] += 1
        if step % args.log_every == 0 or step == steps:
            now = time.time()
            weighted = {k: v * getattr(settings, k + "_weight") for k, v in parts.items()}
            log.info("level %d/%d %dx%d step %d/%d: total %.4g = content %.4g + style %.4g + variation %.4g "
                     "(%.2f s/step)", level, settings.levels, image.shape[3], image.shape[2], step, steps,
                     sum(weighted.values()), weighted["content"], weighted["style"], weighted["variation"],
                     (now - clock["time"]) / (step - clock["step"]))
            clock["step"], clock["time"] = step, now
        if args.snapshot_every and step % args.snapshot_every == 0:
            root, ext = os.path.splitext(out)
            path = "%s.level%d.step%04d%s" % (root, level, step, ext) if settings.levels > 1 else \
                "%s.step%04d%s" % (root, step, ext)
            images.save_image(finish(images.from_batch(image), content, settings), path)

    stats = {}
    started = clock["time"] = time.time()
    result = stylise(net, content, styles, settings, ctx=ctx, callback=on_step, stats=stats)
    elapsed = time.time() - started
    images.save_image(result, out)
    print("wrote %s (%dx%d%s): %d %s steps, %d loss+gradient evaluations in %.1f s, %.2f s/evaluation"
          % (out, result.shape[1], result.shape[0], ", RANDOM VGG WEIGHTS" if args.random_weights else "",
             clock["steps"], settings.optimizer, stats["evaluations"], elapsed,
             elapsed / max(stats["evaluations"], 1)))


if __name__ == "__main__":
    sys.exit(cli.run(main))
