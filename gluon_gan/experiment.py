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

from . import checkpoint, data, distributed
from .errors import GluonGanError
from .balance import DivergenceGuard, SkipReport
from .losses import get_loss
from .models import Discriminator, Generator, initialize
from .diversity import DiversityLog
from .monitor import Checkpointer, CurvesPlot, SampleGrids, SamplesAnimation, TrainingLog, fixed_noise
from .runtime import parse_contexts
from .initial_weights import load_initial_weights
from .progressbar import EpochProgressBar
from .snapshots import Snapshots
from .tensorboard import TensorBoardLog, require_tensorboardx
from .training import GANTrainer, fit

log = logging.getLogger(__name__)

# Settings that fix the networks' shapes or the maths; a resumed run takes them from its checkpoint.
ARCHITECTURE_KEYS = ("nz", "ngf", "ndf", "loss", "image_size", "spectral_norm")


@dataclasses.dataclass
class TrainConfig:
    out: str = os.path.join("runs", "lfw")
    data_dir: str = None
    archive: str = None
    cache_dir: str = None
    epochs: int = 10
    batch_size: int = 64
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    lr: float = None        # None: the loss's default (Adam 0.0002 for bce, see losses.py)
    beta1: float = None     # None: 0.5 (Adam) or the loss's own
    lr_g: float = None      # per-network learning rates (TTUR); override lr
    lr_d: float = None
    loss: str = "bce"
    d_steps: int = None     # D updates per G update; None: the loss's default
    d_skip_below: float = None
    spectral_norm: bool = False
    ctx: str = None
    seed: int = 0
    resume: bool = False
    log_interval: int = 10
    image_size: int = 64
    last_batch: str = "discard"
    hybridize: bool = True
    kvstore: str = "device"
    # run tooling (issue 14)
    keep_every: int = None      # also keep snapshots/epoch_NNN every this many epochs
    tensorboard: bool = False   # also write a TensorBoard log under out/tensorboard (needs tensorboardX)
    init_generator: str = None      # a new run starts from these weights (ours or the tutorial's save_params)
    init_discriminator: str = None

    def to_dict(self):
        return dataclasses.asdict(self)


def load_images(config):
    """The training array: the user's folder, a given archive, or LFW downloaded on demand."""
    from . import download  # only runs that fetch data need it
    cache_dir = config.cache_dir or data.default_cache_dir()
    if config.data_dir:
        root = config.data_dir
    elif config.archive:
        root = download.extract_archive(config.archive, cache_dir)
    else:
        root = download.fetch_lfw(cache_dir)
    return data.load_image_folder(root, size=config.image_size, cache_dir=cache_dir)


def build_networks(config, ctx):
    """Both networks, initialised from ``config.seed`` alone so a run is reproducible."""
    mx.random.seed(config.seed)
    netG = initialize(Generator(nz=config.nz, ngf=config.ngf), ctx)
    netD = initialize(Discriminator(ndf=config.ndf, norm=discriminator_norm(config),
                                    spectral_norm=config.spectral_norm), ctx)
    if config.hybridize:
        netG.hybridize(static_alloc=True, static_shape=True)
        netD.hybridize(static_alloc=True, static_shape=True)
    return netG, netD


def discriminator_norm(config):
    """BatchNorm in D unless the loss forbids it (WGAN-GP) or spectral norm is on (it would undo the bound)."""
    if config.spectral_norm:
        return "none"
    return get_loss(config.loss).discriminator_norm


def _prepare_out_dir(config):
    """Refuse to overwrite a trained run; on --resume, adopt the run's architecture settings."""
    found = checkpoint.find_checkpoint(config.out)
    if config.resume:
        if found is None:  # killed before its first checkpoint: the same command must still work
            log.info("--resume: no complete checkpoint in %s yet; starting the run from the beginning", config.out)
            return None, None
        state = checkpoint.read_state(found)
        saved = state.get("config", {})
        for key in ARCHITECTURE_KEYS:
            if key in saved and saved[key] != getattr(config, key):
                log.info("resume: using %s=%r from the checkpoint", key, saved[key])
                setattr(config, key, saved[key])
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
    if config.tensorboard:
        require_tensorboardx()  # before any data is fetched
    found, state = _prepare_out_dir(config)
    ctx = parse_contexts(config.ctx)
    loss = get_loss(config.loss)
    kv = distributed.create_kvstore(config.kvstore)
    rank, workers = distributed.rank(kv), distributed.num_workers(kv)
    if workers > 1 and config.d_skip_below is not None:
        # each worker would decide from its own shard's loss; a worker that skips pushes no gradients and
        # dist_sync waits for it forever
        raise GluonGanError("--d-skip-below cannot be used with %d dist_sync workers" % workers)
    images = load_images(config)
    batches = data.ImageBatches(images, config.batch_size, seed=config.seed, last_batch=config.last_batch,
                                num_parts=workers, part_index=rank)

    netG, netD = build_networks(config, ctx)
    trainer = GANTrainer(netG, netD, loss, ctx, nz=config.nz, lr=config.lr, beta1=config.beta1,
                         lr_g=config.lr_g, lr_d=config.lr_d, d_steps=config.d_steps,
                         d_skip_below=config.d_skip_below, kvstore=kv)
    start_epoch, start_step = 0, 0
    if not found:
        load_initial_weights(config, netG, netD, ctx)
    if found:
        state = checkpoint.load_checkpoint(found, netG, netD, trainer.trainerG, trainer.trainerD, ctx=ctx)
        start_epoch, start_step = state["epoch"], state["step"]
        log.info("resuming %s after epoch %d (iteration %d)", config.out, start_epoch, start_step)
        if start_epoch >= config.epochs:
            log.info("nothing to do: the run already has %d of %d epochs", start_epoch, config.epochs)
    distributed.check_agreement(kv, {
        "the number of images": len(images), "batches per epoch": len(batches),
        "--batch-size": config.batch_size, "the first epoch": start_epoch, "--epochs": config.epochs,
        "--nz": config.nz, "--ngf": config.ngf, "--ndf": config.ndf, "--image-size": config.image_size})
    trainer.init_kvstore()  # under dist_sync: every worker now holds rank 0's weights

    if workers > 1:
        log.info("worker %d of %d: %d batches of %d per epoch (global batch %d)",
                 rank, workers, len(batches), config.batch_size, config.batch_size * workers)
    if rank != 0:
        fit(trainer, batches, config.epochs, start_epoch=start_epoch, seed=config.seed, callbacks=callbacks)
        return {"epoch": max(config.epochs, start_epoch), "out": config.out,
                "step": start_step + max(0, config.epochs - start_epoch) * len(batches)}

    os.makedirs(config.out, exist_ok=True)
    checkpoint.atomic_write(os.path.join(config.out, "config.json"),
                            lambda tmp: _write_json(tmp, config.to_dict()))
    log.info("training on %d images, %d batches of %d per epoch, on %s, loss %s",
             len(images), len(batches), config.batch_size, ", ".join(map(str, ctx)), loss.name)
    csv_path = os.path.join(config.out, "metrics.csv")
    training_log = TrainingLog(csv_path, config.log_interval, start_step, config.epochs, len(batches))
    builtin = [
        EpochProgressBar(config.epochs, len(batches)),  # first: its bar closes before the epoch's results are logged
        training_log,
        DivergenceGuard(config.out, config.log_interval),  # before anything writes this epoch's results
        SampleGrids(config.out, fixed_noise(config.nz, seed=config.seed, ctx=ctx[0])),
        DiversityLog.for_run(os.path.join(config.out, "diversity.csv"), images, config.nz, config.seed, ctx[0]),
        Checkpointer(config.out, {"config": config.to_dict()}, training_log),
        *([Snapshots(config.out, config.keep_every)] if config.keep_every else []),
        *([TensorBoardLog(config.out, start_step)] if config.tensorboard else []),
        CurvesPlot(csv_path, os.path.join(config.out, "training_curves.png")),
        SamplesAnimation(config.out),
    ]
    if config.d_skip_below is not None:
        builtin.insert(1, SkipReport(config.d_skip_below))
    fit(trainer, batches, config.epochs, start_epoch=start_epoch, seed=config.seed,
        callbacks=builtin + list(callbacks))
    return {"epoch": max(config.epochs, start_epoch), "step": training_log.step, "out": config.out}


def _write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
