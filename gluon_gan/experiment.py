"""A whole training run from one config: data, networks, resume, callbacks, outputs.

Everything a run writes goes under ``config.out``::

    Generator.params, discriminator.params   latest weights (the tutorial's names)
    checkpoint/                              both nets + optimiser states + state.json
    config.json                              the run's settings
    metrics.csv                              one row per logged iteration
    samples/epoch_NNN.png                    fixed-noise grid after every epoch
    training_curves.png                      losses and accuracy, at the end
    diversity.csv                            sample diversity vs real images, after every epoch
    training_progress.gif                    the epoch grids animated, at the end
"""
import dataclasses
import json
import logging
import os

import mxnet as mx

from . import checkpoint, distributed, families
from .balance import DivergenceGuard, SkipReport
from .datasets import DATASETS, get_dataset, load_training_images
from .diversity import DiversityLog
from .errors import GluonGanError
from .losses import LOSSES, get_loss
from .monitor import (Checkpointer, CurvesPlot, FamilyFigures, SampleGrids, SamplesAnimation, TrainingLog,
                      fixed_noise)
from .options import option
from .runtime import parse_contexts
from .initial_weights import load_initial_weights
from .progressbar import EpochProgressBar
from .snapshots import Snapshots
from .tensorboard import TensorBoardLog, require_tensorboardx
from .training import GANTrainer, fit

log = logging.getLogger(__name__)

# Settings that fix the networks' shapes or the maths; a resumed run takes them from its checkpoint.
ARCHITECTURE_KEYS = ("model", "model_options", "loss", "spectral_norm", "dataset")
# What a run record holds besides the settings (derived, never read back as settings).
RECORD_KEYS = ("family", "image_shape", "versions")
LEGACY_DCGAN_KEYS = ("nz", "ngf", "ndf", "image_size")  # flat dcgan settings of runs recorded before families


@dataclasses.dataclass
class TrainConfig:
    """Every common training setting, each once: its default, its flag and its help text (see :mod:`.options`).

    ``None`` means "the model family's default, else the loss's, else the
    tutorial's" (:func:`resolve`). The family's own settings live in
    ``model_options`` (flags generated from the family's ``Options``).
    """

    model: str = option("dcgan", "model family (docs/families.md)", choices=lambda: sorted(families.FAMILIES))
    dataset: str = option(None, "data set; default: folder when --data-dir is given, else lfw",
                          choices=lambda: sorted(DATASETS))
    data_dir: str = option(None, "train on the images in this folder (searched recursively), or the folder holding "
                                 "a data set's files (fashion-mnist's IDX files)")
    archive: str = option(None, "an LFW .tgz you already have (e.g. lfw-deepfunneled.tgz)")
    cache_dir: str = option(None, "downloads and decoded-image cache (default: $GLUON_GAN_CACHE or ~/.cache/gluon-gan)")
    num_images: int = option(None, "train on the first N images only (default: all; the GAN notes' families: "
                                   "55000)", min=1)
    out: str = option(None, "run directory for checkpoints, samples and logs (default: runs/MODEL-DATASET)")
    epochs: int = option(None, "total epochs, a resumed run counting the done ones (default: the family's, else 10)",
                         min=1)
    batch_size: int = option(None, "images per step on this process, split over --ctx devices; under dist_sync each "
                                   "worker takes this many (default: the family's, else 64)", min=1)
    loss: str = option(None, "GAN objective (docs/losses.md); default: the family's, else bce",
                       choices=lambda: sorted(LOSSES))
    lr: float = option(None, "learning rate of both networks (default: the loss's optimiser if it has one, "
                             "else the family's, else Adam 0.0002)", positive=True)
    beta1: float = option(None, "Adam beta1 (default: 0.5, or the loss's own)")
    lr_g: float = option(None, "generator learning rate (TTUR); overrides --lr", positive=True)
    lr_d: float = option(None, "discriminator learning rate (TTUR); overrides --lr", positive=True)
    d_steps: int = option(None, "D updates per G update, each on its own batch (default: the loss's: 5 for wgan and "
                                "wgan-gp, else 1)", min=1)
    d_skip_below: float = option(None, "skip the D update while D's loss is below this (costs a device wait per "
                                       "iteration)")
    spectral_norm: bool = option(False, "spectrally normalise D's layers (replaces its BatchNorm); works with any "
                                        "--loss")
    ctx: str = option(None, "cpu, gpu, gpu:0, or several devices to split each batch over: gpu:0,1,2,3 or "
                            "cpu:0,cpu:1 (default: a GPU if MXNet sees one)")
    kvstore: str = option("device", "how gradients are summed: over this machine's devices (device, local), or over "
                                    "a parameter-server cluster started by scripts/launch.py (dist_sync, "
                                    "dist_device_sync); see docs/distributed.md", choices=distributed.KVSTORES)
    seed: int = option(0, "seeds the weights, the batch order and the noise")
    resume: bool = option(False, "continue the run in --out from its last complete checkpoint, or start it from the "
                                 "beginning if it has none yet (so a scheduler can rerun the same command after a "
                                 "kill)")
    log_interval: int = option(10, "iterations between log lines", min=1)
    last_batch: str = option("discard", "train on the final short batch of each epoch instead of dropping it",
                             flag="--keep-last-batch", const="keep")
    hybridize: bool = option(True, "run imperatively (slower; for debugging)", flag="--no-hybridize")
    keep_every: int = option(None, "also keep a copy of the checkpoint every N epochs in snapshots/epoch_NNN "
                                   "(checkpoint/ always holds the latest)", min=1)
    tensorboard: bool = option(False, "also write a TensorBoard log to OUT/tensorboard: metrics.csv's scalars, the "
                                      "sample grids, the diversity numbers (needs tensorboardX: pip install -e "
                                      "'.[tensorboard]')")
    init_generator: str = option(None, "start a new run's generator from these weights instead of its family's "
                                       "init: a Generator.params, or the tutorial's own save_params file (ignored "
                                       "on --resume)")
    init_discriminator: str = option(None, "the same for the discriminator")
    quality_samples: int = option(2000, "samples judged after every epoch by the data set's own yardstick where it "
                                        "has one (Fashion-MNIST's classifier: fashion_quality.csv); 0 turns it off",
                                  min=0)
    model_options: dict = option({}, "the family's own settings", cli=False)

    def to_dict(self):
        return dataclasses.asdict(self)


def resolve(config):
    """Fill the settings left ``None`` from the data, the family's defaults and the tutorial's, in place."""
    if config.dataset is None:
        config.dataset = "folder" if config.data_dir else "lfw"
    cls = families.get_family_class(config.model)
    config.model_options = dataclasses.asdict(families.make_options(config.model, config.model_options))
    for key, fallback in (("loss", "bce"), ("batch_size", 64), ("epochs", 10), ("num_images", None)):
        if getattr(config, key) is None:
            setattr(config, key, cls.defaults.get(key, fallback))
    if config.out is None:
        config.out = os.path.join("runs", "%s-%s" % (config.model, config.dataset))
    return config


def config_from_record(record):
    """A :class:`TrainConfig` from a run record (``config.json``), older flat DCGAN records included.

    The one place that reads runs recorded before model families: their
    nz/ngf/ndf/image_size become the ``dcgan`` family's options; and options
    a family added later are filled with its ``record_defaults``.
    """
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in record.items() if k in fields}
    if "model" not in record:
        values["model"] = "dcgan"
        values["model_options"] = {k: record[k] for k in LEGACY_DCGAN_KEYS if k in record}
    else:  # options added since the record was written take the values it was built with
        values["model_options"] = dataclasses.asdict(families.options_from_record(record["model"],
                                                                                  record.get("model_options")))
    return TrainConfig(**values)


def read_record(run_dir):
    """The run record ``config.json`` in ``run_dir`` as a dict, or ``None`` when there is none."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        raise GluonGanError("%s is not valid JSON (a damaged run record)" % path) from None


def run_record(config, family):
    """What ``config.json`` holds: the settings, plus what the run is (family, image shape, versions)."""
    import gluon_gan
    record = config.to_dict()
    record.update(family=family.record(), image_shape=list(family.image_shape),
                  versions={"gluon_gan": gluon_gan.__version__, "mxnet": mx.__version__})
    return record


def load_images(config, shape=None):
    """The images of a resolved ``config``'s data set as uint8 (N, C, H, W); returns ``(images, shape)``.

    ``shape`` defaults to the shape the run's family trains at; evaluation
    passes the generator's, so real and generated images are compared alike.
    """
    dataset = get_dataset(config.dataset)
    if shape is None:
        cls = families.get_family_class(config.model)
        shape = cls.train_shape(families.make_options(config.model, config.model_options), dataset.native_shape(config))
    images = load_training_images(dataset, config, shape)
    if config.num_images is not None:
        images = images[:config.num_images]
    return images, tuple(shape)


def build_family(config, image_shape):
    loss = get_loss(config.loss)
    return families.create_family(config.model, image_shape, config.model_options, loss=loss,
                                  spectral_norm=config.spectral_norm)


def build_networks(family, config, ctx, initial_weights=False):
    """G, D (and the family's extras), initialised from ``config.seed`` alone so a run is reproducible.

    ``initial_weights``: a new run starts from ``--init-generator``/``--init-discriminator`` where given
    (before the family copies G into its extras, so an EMA generator starts from them too).
    """
    mx.random.seed(config.seed)
    netG = family.initialize(family.build_generator(), ctx)
    netD = family.initialize(family.build_discriminator(), ctx)
    if config.hybridize:
        family.hybridize(netG)
        family.hybridize(netD)
    if initial_weights:
        load_initial_weights(config, netG, netD, ctx)
    family.extras = family.extra_networks(netG, ctx)
    return netG, netD


def _prepare_out_dir(config):
    """Refuse to overwrite a trained run; on --resume, adopt the run's architecture settings."""
    found = checkpoint.find_checkpoint(config.out)
    if config.resume:
        if found is None:  # killed before its first checkpoint: the same command must still work
            log.info("--resume: no complete checkpoint in %s yet; starting the run from the beginning", config.out)
            return None, None
        state = checkpoint.read_state(found)
        saved = resolve(config_from_record(state.get("config", {})))
        for key in ARCHITECTURE_KEYS:
            if getattr(saved, key) != getattr(config, key):
                log.info("resume: using %s=%r from the checkpoint", key, getattr(saved, key))
                setattr(config, key, getattr(saved, key))
        return found, state
    if found is not None:
        raise GluonGanError("%s already holds a trained run (epoch %d); pass --resume to continue it "
                            "or --out DIR for a new run" % (config.out, checkpoint.read_state(found)["epoch"]))
    return None, None


def train(config, callbacks=()):
    """Run training as configured; returns the final state dict (epoch, step, ...).

    ``callbacks`` run on every worker after the built-in ones, which under
    ``dist_sync`` run on rank 0 only (one writer for checkpoints, grids, metrics).
    """
    resolve(config)
    if config.tensorboard:
        require_tensorboardx()  # before any data is fetched
    found, state = _prepare_out_dir(config)
    resolve(config)  # the settings a resumed run adopted
    ctx = parse_contexts(config.ctx)
    kv = distributed.create_kvstore(config.kvstore)
    rank, workers = distributed.rank(kv), distributed.num_workers(kv)
    if workers > 1 and config.d_skip_below is not None:
        # each worker would decide from its own shard's loss; a worker that skips pushes no gradients and
        # dist_sync waits for it forever
        raise GluonGanError("--d-skip-below cannot be used with %d dist_sync workers" % workers)
    images, shape = load_images(config)
    family = build_family(config, shape)
    batches = family.make_batches(images, config.batch_size, seed=config.seed, last_batch=config.last_batch,
                                  num_parts=workers, part_index=rank)

    netG, netD = build_networks(family, config, ctx, initial_weights=not found)
    trainer = GANTrainer(netG, netD, family.loss, ctx, lr=config.lr, beta1=config.beta1,
                         lr_g=config.lr_g, lr_d=config.lr_d, d_steps=config.d_steps,
                         d_skip_below=config.d_skip_below, kvstore=kv, family=family)
    start_epoch, start_step = 0, 0
    if found:
        state = checkpoint.load_checkpoint(found, trainer.networks(), trainer.trainers(), ctx=ctx)
        family.load_state(state.get("family_state", {}))
        start_epoch, start_step = state["epoch"], state["step"]
        log.info("resuming %s after epoch %d (iteration %d)", config.out, start_epoch, start_step)
        if start_epoch >= config.epochs:
            log.info("nothing to do: the run already has %d of %d epochs", start_epoch, config.epochs)
    agreement = {
        "the number of images": len(images), "batches per epoch": len(batches),
        "--batch-size": config.batch_size, "the first epoch": start_epoch, "--epochs": config.epochs,
        "--model": config.model, "the image shape": "x".join(map(str, shape))}
    agreement.update(("--" + k.replace("_", "-"), v) for k, v in sorted(config.model_options.items()))
    distributed.check_agreement(kv, agreement)
    trainer.init_kvstore()  # under dist_sync: every worker now holds rank 0's weights

    if workers > 1:
        log.info("worker %d of %d: %d batches of %d per epoch (global batch %d)",
                 rank, workers, len(batches), config.batch_size, config.batch_size * workers)
    family_callbacks = family.callbacks(config)
    if rank != 0:
        fit(trainer, batches, config.epochs, start_epoch=start_epoch, seed=config.seed,
            callbacks=family_callbacks + list(callbacks))
        return {"epoch": max(config.epochs, start_epoch), "out": config.out,
                "step": start_step + max(0, config.epochs - start_epoch) * len(batches)}

    os.makedirs(config.out, exist_ok=True)
    record = run_record(config, family)
    checkpoint.atomic_write(os.path.join(config.out, "config.json"), lambda tmp: _write_json(tmp, record))
    log.info("training on %d images, %d batches of %d per epoch, on %s, loss %s; model %s, dataset %s at %s",
             len(images), len(batches), config.batch_size, ", ".join(map(str, ctx)), family.loss.name, family.name,
             config.dataset, "x".join(map(str, shape)))
    csv_path = os.path.join(config.out, "metrics.csv")
    training_log = TrainingLog(csv_path, config.log_interval, start_step, config.epochs, len(batches))
    noise = fixed_noise(family.latent_shape, seed=config.seed, ctx=ctx[0])
    builtin = [
        EpochProgressBar(config.epochs, len(batches)),  # first: its bar closes before the epoch's results are logged
        training_log,
        DivergenceGuard(config.out, config.log_interval),  # before anything writes this epoch's results
    ] + family_callbacks + [
        SampleGrids(config.out, noise),
        DiversityLog.for_run(os.path.join(config.out, "diversity.csv"), images, family.latent_shape, config.seed,
                             ctx[0]),
    ] + get_dataset(config.dataset).callbacks(config) + [  # per-epoch logs before the checkpoint claims the epoch
        Checkpointer(config.out, {"config": record}, training_log),
        *([Snapshots(config.out, config.keep_every)] if config.keep_every else []),
        *([TensorBoardLog(config.out, start_step)] if config.tensorboard else []),
        CurvesPlot(csv_path, os.path.join(config.out, "training_curves.png")),
        SamplesAnimation(config.out),
        FamilyFigures(config.out, config.seed),
    ]
    if config.d_skip_below is not None:
        builtin.insert(1, SkipReport(config.d_skip_below))
    fit(trainer, batches, config.epochs, start_epoch=start_epoch, seed=config.seed,
        callbacks=builtin + list(callbacks))
    return {"epoch": max(config.epochs, start_epoch), "step": training_log.step, "out": config.out}


def _write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
