#!/usr/bin/env python
"""Measure a trained generator: FID and KID against real images, and sample diversity.

FID/KID use Inception-v3 pool features by default: MXNet's model-zoo weights, found in
~/.mxnet/models (SHA-1 checked), fetched with --download-inception, or given by --inception-params FILE.
These are not the TensorFlow weights of published FIDs (see docs/evaluation.md for comparable numbers).
--features pixels or randconv need no weights, but their numbers are NOT comparable to published FID/KID.
The real images default to the data the run was trained on (the config.json next to --params).
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
from gluon_gan.evaluation.features import FEATURES  # noqa: E402
from gluon_gan.files import rundir


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", default=os.path.join("runs", "lfw", rundir.G_PARAMS),
                   help="generator weights of any run (its config.json beside them says what to build) "
                        "(default: %(default)s)")
    src = p.add_argument_group("real images (default: what the run trained on, from its config.json)")
    src.add_argument("--dataset", help="a registered data set (lfw, folder, fashion-mnist, ...); default: the run's, "
                                       "or folder with --data-dir")
    src.add_argument("--data-dir", help="a folder of real images (searched recursively)")
    src.add_argument("--archive", help="an LFW .tgz you already have")
    src.add_argument("--cache-dir", help="decoded-image and real-feature cache (default: $GLUON_GAN_CACHE "
                                         "or ~/.cache/gluon-gan)")
    p.add_argument("--num-fake", type=int, default=None,
                   help="generated images (default: 10000 for a Fashion-MNIST run, as the yardstick asks, else 50000)")
    p.add_argument("--num-real", type=int, default=10000,
                   help="real images, capped at those available (default: %(default)s)")
    p.add_argument("--features", default=None, choices=sorted(FEATURES),
                   help="feature extractor; only inception is comparable to published FID (default: fashion, the "
                        "project's classifier, for a Fashion-MNIST run, else inception)")
    p.add_argument("--inception-params", metavar="FILE",
                   help="Inception-v3 weights (gluon model zoo's inceptionv3-*.params), used as they are")
    p.add_argument("--download-inception", action="store_true",
                   help="fetch the model zoo's Inception-v3 weights (about 95 MB, SHA-1 checked) into MXNet's "
                        "cache ($MXNET_HOME/models) if they are not there")
    p.add_argument("--kid-subsets", type=int, default=100, help="KID subsets (default: %(default)s)")
    p.add_argument("--kid-subset-size", type=int, default=1000, help="images per KID subset (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=50, help="images per forward pass (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="fixes latents, real-image choice, KID subsets "
                                                       "(default: %(default)s)")
    p.add_argument("--ctx", default=None, help="cpu or gpu:0 (default: a GPU if MXNet sees one)")
    p.add_argument("--json", metavar="FILE",
                   help="append the result to this JSON list (default: evaluation.json next to --params)")
    p.add_argument("--no-json", action="store_true", help="do not record the result in a file")
    args = p.parse_args(argv)
    for name in ("num_fake", "num_real", "kid_subsets", "kid_subset_size", "batch_size"):
        if getattr(args, name) is not None and getattr(args, name) < (1 if name in ("kid_subsets", "batch_size") else 2):
            p.error("--%s is too small" % name.replace("_", "-"))
    if (args.inception_params or args.download_inception) and args.features != "inception":
        p.error("--inception-params and --download-inception only apply to --features inception")
    return args


def data_config(args):
    """Where the real images come from: the flags, else the run record (config.json next to --params), else LFW."""
    from gluon_gan.experiment import TrainConfig, config_from_record, read_record, resolve
    record = read_record(os.path.dirname(os.path.abspath(args.params)))
    config = config_from_record(record) if record else TrainConfig()
    if args.dataset or args.data_dir or args.archive:
        config.dataset, config.data_dir, config.archive, config.num_images = args.dataset, args.data_dir, args.archive, None
    config.cache_dir = args.cache_dir or config.cache_dir
    return resolve(config)


def record(path, result):
    """Append ``result`` to the JSON list in ``path`` (written atomically)."""
    from gluon_gan.files.atomic import atomic_write
    results = []
    if os.path.exists(path):
        try:
            with open(path) as f:
                results = json.load(f)
        except ValueError:
            raise GluonGanError("%s is not a JSON list of evaluations; pass --json FILE elsewhere" % path) from None
        if not isinstance(results, list):
            raise GluonGanError("%s is not a JSON list of evaluations; pass --json FILE elsewhere" % path)
    results.append(result)

    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(results, f, indent=2)
    atomic_write(path, write)


def format_result(r):
    lines = ["FID  %.3f   (%s features, %d generated vs %d real images)"
             % (r["fid"], r["features"], r["num_fake"], r["num_real"]),
             "KID  %.5f ± %.5f   (mean ± std over %d subsets of %d)"
             % (r["kid_mean"], r["kid_std"], r["kid_subsets"], r["kid_subset_size"])]
    if not r["comparable"]:
        lines.append("note: %s features are not comparable to published FID/KID; compare only runs measured "
                     "the same way" % r["features"])
    d = r.get("diversity")
    if d:
        lines.append("diversity (per-pixel RMS distance, %d images each): pairwise %.4f vs real %.4f (ratio %.2f), "
                     "nearest neighbour %.4f vs %.4f, near-duplicates %.1f%% vs %.1f%%"
                     % (d["count"], d["fake_pairwise"], d["real_pairwise"], d["pairwise_ratio"], d["fake_nn"],
                        d["real_nn"], 100 * d["fake_duplicates"], 100 * d["real_duplicates"]))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan.data import images as data
    from gluon_gan.evaluation import features
    from gluon_gan.evaluation.scores import evaluate
    from gluon_gan.evaluation.yardsticks import get_yardstick
    from gluon_gan import experiment
    from gluon_gan.experiment import load_images
    from gluon_gan.runtime import parse_contexts
    start = time.time()
    ctx = parse_contexts(args.ctx)[0]
    config = data_config(args)
    yardstick = get_yardstick(config.dataset)  # Fashion-MNIST brings its own classifier, others Inception
    name = args.features or yardstick.features
    num_fake = args.num_fake or yardstick.num_fake
    options = {"params": args.inception_params, "download": args.download_inception} if name == "inception" else {}
    extractor = features.get_extractor(name, ctx=ctx, batch_size=args.batch_size, **options)
    netG = experiment.load_generator(args.params, ctx=ctx)
    real, _ = load_images(config, netG.image_shape)
    result = evaluate(
        netG, real, extractor, num_fake=num_fake, num_real=args.num_real, batch_size=args.batch_size,
        seed=args.seed, kid_subsets=args.kid_subsets, kid_subset_size=args.kid_subset_size, ctx=ctx,
        cache_dir=config.cache_dir or data.default_cache_dir())
    extra = yardstick.measure(netG, num=num_fake, seed=args.seed, ctx=ctx, cache_dir=config.cache_dir,
                              data_dir=config.data_dir)  # e.g. the floor, class coverage, KL and confidence
    if extra is not None:
        result[yardstick.result_key] = extra
    result.update(params=os.path.abspath(args.params), time=time.strftime("%Y-%m-%d %H:%M:%S"),
                  seconds=round(time.time() - start, 1))
    print(format_result(result))
    if extra is not None:
        print(yardstick.format(extra))
    if not args.no_json:
        path = args.json or os.path.join(os.path.dirname(os.path.abspath(args.params)), rundir.EVALUATION)
        record(path, result)
        print("recorded in %s" % path)


if __name__ == "__main__":
    sys.exit(cli.run(main))
