#!/usr/bin/env python
"""Train model families side by side on the same data and print their speed and quality as one table.

  compare_families.py --dataset fashion-mnist --models mlp dcgan28 dcgan --epochs 5
  compare_families.py --dataset fashion-mnist --models dcgan stylegan progan msggan --minutes 10 \\
                      --option dcgan:image_size=32 --option stylegan:image_size=32

First every family's training images/s is timed on random images at its training shape, the families
interleaved (A, B, C, A, B, C, ...) so all see the same machine state. Then each family trains through the
library's own loop (runs/compare/MODEL: grids, curves, checkpoint) until --epochs or --minutes runs out,
whichever comes first. On
Fashion-MNIST the samples are judged by the project's classifier (Frechet distance beside its floor, classes
covered, KL from uniform, confidence; docs/fashion_mnist.md); on other data by random-conv-feature FID
(comparable between these runs only). Numbers are measurements: run it on a quiet machine.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402
from gluon_gan.errors import GluonGanError  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", required=True, help="families to compare, in order")
    p.add_argument("--dataset", default="fashion-mnist", help="a registered data set (default: %(default)s)")
    p.add_argument("--data-dir", help="the data set's folder (see train.py --help)")
    p.add_argument("--cache-dir", help="downloads and decoded-image cache")
    p.add_argument("--epochs", type=int, help="epochs per family (default: each family's own)")
    p.add_argument("--minutes", type=float, help="wall-clock budget per family (default: none)")
    p.add_argument("--option", action="append", default=[], metavar="MODEL:NAME=VALUE",
                   help="a family option, e.g. dcgan:image_size=32 (repeatable)")
    p.add_argument("--set", action="append", default=[], metavar="MODEL:NAME=VALUE",
                   help="a common setting for one family, e.g. dcgan:batch_size=32 (repeatable)")
    p.add_argument("--num-samples", type=int, default=10000, help="generated images judged (default: %(default)s)")
    p.add_argument("--speed-iterations", type=int, default=10,
                   help="timed steps per repeat for images/s (default: %(default)s)")
    p.add_argument("--speed-repeats", type=int, default=3, help="interleaved timing repeats (default: %(default)s)")
    p.add_argument("--speed-only", action="store_true", help="only time the families; train nothing")
    p.add_argument("--out", default=os.path.join("runs", "compare"), help="where the runs go (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    args = p.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        p.error("--epochs must be at least 1")
    if args.minutes is not None and not args.minutes > 0:
        p.error("--minutes must be positive")
    if args.num_samples < 2:
        p.error("--num-samples must be at least 2")
    return args


def _per_model(pairs, flag):
    """``["dcgan:image_size=32"]`` -> ``{"dcgan": {"image_size": 32}}`` (values parsed as JSON when they can be)."""
    out = {}
    for text in pairs:
        model, sep, rest = text.partition(":")
        name, eq, value = rest.partition("=")
        if not (sep and eq and model and name):
            raise GluonGanError("%s %r: use MODEL:NAME=VALUE" % (flag, text))
        try:
            value = json.loads(value)
        except ValueError:
            pass
        out.setdefault(model, {})[name] = value
    return out


def judge(family, netG, images, dataset, args, ctx):
    """Quality of ``netG``'s samples: the Fashion-MNIST yardstick, or random-conv FID against the training images."""
    from gluon_gan.training import sampling
    from gluon_gan.evaluation.yardsticks import get_yardstick
    gen = sampling.RunGenerator(family, netG)
    own = get_yardstick(dataset).measure(gen, args.num_samples, args.seed + 1, ctx=ctx, cache_dir=args.cache_dir,
                                         data_dir=args.data_dir)
    if own is not None:  # the data set's own yardstick (Fashion-MNIST's classifier)
        return own
    from gluon_gan.evaluation.scores import evaluate
    from gluon_gan.evaluation.features import get_extractor
    result = evaluate(gen, images, get_extractor("randconv", ctx=ctx), num_fake=args.num_samples,
                      num_real=min(len(images), args.num_samples), kid_subsets=10,
                      kid_subset_size=min(1000, args.num_samples // 2), ctx=ctx, progress=False)
    return {"fid": result["fid"], "fid_floor": None, "features": "randconv", "diversity": result.get("diversity")}


def prepare(model, args, options, settings):
    """The resolved run config of one family in this comparison, and its training images."""
    from gluon_gan import experiment
    config = experiment.TrainConfig(model=model, dataset=args.dataset, data_dir=args.data_dir,
                                    cache_dir=args.cache_dir, out=os.path.join(args.out, model), epochs=args.epochs,
                                    seed=args.seed, ctx=args.ctx, model_options=options.get(model, {}))
    for key, value in settings.get(model, {}).items():
        if not hasattr(config, key):
            raise GluonGanError("--set %s:%s: no such setting" % (model, key))
        setattr(config, key, value)
    experiment.resolve(config)
    return config


def run_one(config, images, speed, args, ctx):
    from gluon_gan.files import plotting
    from gluon_gan.training import sampling
    from gluon_gan.bench.budget import train_with_budget
    from gluon_gan.nn.init import count_parameters
    if os.path.exists(os.path.join(config.out, "checkpoint")):
        raise GluonGanError("%s already holds a run; pass another --out" % config.out)
    budget = train_with_budget(config, None if args.minutes is None else 60 * args.minutes)
    trainer = budget.trainer
    quality = judge(trainer.family, trainer.netG, images, args.dataset, args, ctx)
    grid = sampling.latent(64, trainer.family.latent_shape, seed=args.seed + 2)
    gen = sampling.RunGenerator(trainer.family, trainer.netG)
    plotting.save_image_grid(sampling.generate(gen, grid, ctx=ctx), os.path.join(config.out, "final_samples.png"))
    return {"model": config.model, "shape": list(trainer.family.image_shape), "batch_size": config.batch_size,
            "loss": config.loss, "options": config.model_options, "images_per_s": speed,
            "images_seen": budget.images, "iterations": budget.iterations,
            "epochs": budget.images / float(len(images)), "wall_seconds": budget.wall_seconds,
            "num_train_images": len(images), "g_params": count_parameters(trainer.netG),
            "d_params": count_parameters(trainer.netD), "quality": quality,
            "grid": os.path.join(config.out, "final_samples.png")}


def table(results):
    """A markdown table; the spread column is the samples' mean pairwise distance over the real images' (where judged
    by features other than the Fashion-MNIST classifier: ~1 is as varied as the data, far below 1 is collapse)."""
    head = ("| family | trains at | G / D params | images/s | epochs | wall time | FD (floor) | classes >= 5% "
            "| KL from uniform | confidence | spread |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        q = r["quality"]
        fd = "%.2f" % q["fid"] if q.get("fid") is not None else "-"
        if q.get("fid_floor") is not None:
            fd += " (%.2f)" % q["fid_floor"]
        spread = (q.get("diversity") or {}).get("pairwise_ratio")
        lines.append("| %s | %s | %.2fM / %.2fM | %.0f | %.2f | %.1f min | %s | %s | %s | %s | %s |" % (
            r["model"], "x".join(map(str, r["shape"])), r["g_params"] / 1e6, r["d_params"] / 1e6,
            r["images_per_s"], r["epochs"], r["wall_seconds"] / 60, fd,
            "%d/10" % q["classes_covered"] if "classes_covered" in q else "-",
            "%.3f" % q["kl_uniform"] if "kl_uniform" in q else "-",
            "%.3f" % q["confidence"] if "confidence" in q else "-",
            "%.2f" % spread if spread is not None else "-"))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan import families
    from gluon_gan.files.atomic import atomic_write
    from gluon_gan.runtime import parse_contexts
    for model in args.models:
        families.get_family_class(model)  # fail on a typo before hours of training
    options, settings = _per_model(args.option, "--option"), _per_model(args.set, "--set")
    ctx = parse_contexts(args.ctx)[0]
    from gluon_gan.bench.throughput import time_families
    from gluon_gan.experiment import load_images
    start = time.time()
    configs = {m: prepare(m, args, options, settings) for m in args.models}
    data = {m: load_images(c) for m, c in configs.items()}
    print("timing %s (%d steps x %d interleaved repeats) ..." % (", ".join(args.models), args.speed_iterations,
                                                                 args.speed_repeats), flush=True)
    speeds = time_families(args.models, {m: data[m][1] for m in args.models},
                           {m: c.batch_size for m, c in configs.items()}, args.speed_iterations, args.speed_repeats,
                           ctx=[ctx], options={m: c.model_options for m, c in configs.items()}, seed=args.seed)
    for m in args.models:
        print("%s: %.1f training images/s at %s, batch %d (repeats: %s)" % (
            m, speeds[m][0], "x".join(map(str, data[m][1])), configs[m].batch_size,
            ", ".join("%.1f" % r for r in speeds[m][1])), flush=True)
    if args.speed_only:
        return
    results = []
    for m in args.models:
        results.append(run_one(configs[m], data[m][0], speeds[m][0], args, ctx))
        print(table(results[-1:]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")

    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(results, f, indent=2)
    atomic_write(path, write)
    print("\n" + table(results))
    print("\n%d families in %.1f min; results in %s" % (len(results), (time.time() - start) / 60, path))


if __name__ == "__main__":
    sys.exit(cli.run(main))
