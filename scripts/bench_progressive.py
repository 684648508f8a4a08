#!/usr/bin/env python
"""Several model families on the same data for the same wall-clock budget: throughput, quality, growth pictures.

  bench_progressive.py --dataset fashion-mnist --data-dir DIR --image-size 32 --budget 1800
  bench_progressive.py --data-dir faces/ --image-size 64 --budget 3600 --models dcgan,progan
  bench_progressive.py ... --set progan.fade_images=30000 --set msggan.widths=64,64,32,16

Each family trains through the common loop (scripts/train.py's) into OUT/<model>/
until the budget is spent, stopping at the first epoch end after it (epochs are
what checkpoints and sample grids follow, so keep them short with --num-images).
Then every run is measured with the same feature extractor, and one table is
printed: images shown, seconds, training images/s (wall clock, and the median of
the logged steps), FID/KID against the training images, and where each family's
pictures are (per-epoch grids, the GIF, and the resolution/scale figure).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402
from gluon_gan.errors import GluonGanError  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="dcgan,progan,msggan", help="comma-separated families (default: %(default)s)")
    p.add_argument("--dataset", help="a registered data set (default: folder with --data-dir)")
    p.add_argument("--data-dir", help="the images (or the data set's files)")
    p.add_argument("--cache-dir", help="decoded-image cache (default: the library's)")
    p.add_argument("--num-images", type=int, help="train on the first N images (shorter epochs)")
    p.add_argument("--batch-size", type=int, help="every family's batch size (default: each family's own)")
    p.add_argument("--image-size", type=int, default=32, help="every family trains at this size (default: %(default)s)")
    p.add_argument("--budget", type=float, default=600, help="training seconds per family (default: %(default)s)")
    p.add_argument("--set", action="append", default=[], metavar="MODEL.OPTION=VALUE",
                   help="a family option, e.g. progan.fade_images=30000 (repeatable)")
    p.add_argument("--out", default=os.path.join("runs", "bench-progressive"), help="(default: %(default)s)")
    p.add_argument("--features", default="randconv", help="feature extractor of FID/KID (default: %(default)s)")
    p.add_argument("--num-fake", type=int, default=2000, help="generated images per FID (default: %(default)s)")
    p.add_argument("--num-real", type=int, default=2000, help="real images per FID (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.budget <= 0:
        p.error("--budget must be positive")
    return args


def model_options(args):
    """``{model: {option: text}}`` from ``--set``; values are converted by the family's option types."""
    chosen = {}
    for item in args.set:
        head, sep, value = item.partition("=")
        model, dot, option = head.partition(".")
        if not (sep and dot and option):
            raise GluonGanError("--set takes MODEL.OPTION=VALUE, not %r" % item)
        chosen.setdefault(model, {})[option] = value
    return chosen


def _typed(name, values):
    import dataclasses
    from gluon_gan import families
    fields = {f.name: f for f in dataclasses.fields(families.get_family_class(name).Options)}
    typed = {}
    for key, value in values.items():
        if key not in fields:
            raise GluonGanError("model family %s has no option %r" % (name, key))
        kind = {"int": int, "float": float}.get(getattr(fields[key].type, "__name__", fields[key].type), str)
        typed[key] = kind(value)
    return typed


def budget_callback(seconds):
    from gluon_gan.training import Callback, StopTraining

    class WallClockBudget(Callback):
        """Ends training at the first epoch end after ``seconds`` (after that epoch's checkpoint and grid)."""

        def on_train_begin(self, trainer, start_epoch):
            self.start, self.images = time.time(), 0

        def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
            self.images += batch_size

        def on_epoch_end(self, trainer, epoch):
            if time.time() - self.start >= seconds:
                self.seconds = time.time() - self.start
                raise StopTraining("the %.0f s budget is spent" % seconds)
    return WallClockBudget()


def train_one(name, args, options):
    from gluon_gan import plotting
    from gluon_gan.experiment import TrainConfig, train
    out = os.path.join(args.out, name)
    size_option = {"image_size": args.image_size}
    config = TrainConfig(model=name, dataset=args.dataset, data_dir=args.data_dir, cache_dir=args.cache_dir,
                         num_images=args.num_images, out=out, batch_size=args.batch_size, epochs=10 ** 6,
                         seed=args.seed, ctx=args.ctx,
                         model_options=dict(size_option, **options))
    budget = budget_callback(args.budget)
    train(config, callbacks=[budget])  # after the built-in callbacks: it stops once that epoch is checkpointed
    speeds = plotting.read_metrics(os.path.join(out, "metrics.csv")).get("samples_per_s", [])[1:]  # 1st: warm-up
    return {"model": name, "out": out, "images_shown": budget.images, "seconds": round(budget.seconds, 1),
            "images_per_s_wall": round(budget.images / budget.seconds, 1),
            "images_per_s_steps": round(statistics.median(speeds), 1) if speeds else None}


def measure(result, args):
    from gluon_gan import evaluation
    from gluon_gan.experiment import config_from_record, load_images, read_record, resolve
    from gluon_gan.features import get_extractor
    from gluon_gan.runtime import parse_contexts
    from gluon_gan.sampling import load_generator
    ctx = parse_contexts(args.ctx)[0]
    params = os.path.join(result["out"], "Generator.params")
    gen = load_generator(params, ctx=ctx)
    config = resolve(config_from_record(read_record(result["out"])))
    images, _ = load_images(config, shape=gen.image_shape)
    scores = evaluation.evaluate(gen, images, get_extractor(args.features), num_fake=args.num_fake,
                                 num_real=args.num_real, seed=args.seed, ctx=ctx, cache_dir=args.cache_dir,
                                 progress=False)
    result.update(fid=round(scores["fid"], 2), kid=round(scores["kid_mean"], 4), features=scores["features"])
    result["figures"] = gen.family.figures(gen, os.path.join(result["out"], "figure"), seed=args.seed, ctx=ctx)
    return result


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    chosen = model_options(args)
    names = [n for n in args.models.split(",") if n]
    from gluon_gan import families
    for name in list(chosen) + names:
        families.get_family_class(name)  # one-line errors for an unknown family or option before any training
    options = {name: _typed(name, chosen.get(name, {})) for name in names}
    results = []
    for name in names:
        results.append(measure(train_one(name, args, options[name]), args))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("| model | images shown | seconds | images/s (wall) | images/s (steps) | FID (%s) | KID | figures |"
          % args.features)
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %s | %d | %.0f | %.1f | %s | %.2f | %.4f | %s |" % (
            r["model"], r["images_shown"], r["seconds"], r["images_per_s_wall"], r["images_per_s_steps"],
            r["fid"], r["kid"], ", ".join(os.path.relpath(p, args.out) for p in r["figures"]) or "-"))


if __name__ == "__main__":
    sys.exit(cli.run(main))
