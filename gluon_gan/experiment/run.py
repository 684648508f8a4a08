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
import logging
import os

import mxnet as mx

from .. import families
from ..data.datasets import get_dataset, load_training_images
from ..errors import GluonGanError
from ..evaluation.diversity import DiversityLog
from ..evaluation.yardsticks import get_yardstick
from ..files import checkpoint, rundir
from ..files.records import write_json
from ..runtime import parse_contexts
from ..training import distributed
from ..training.balance import DivergenceGuard, SkipReport
from ..training.loop import GANTrainer, fit
from ..training.losses import get_loss
from ..training.sampling import fixed_noise
from .config import ARCHITECTURE_KEYS, config_from_record, default_out, resolve, run_record
from .initial_weights import load_initial_weights
from .monitor import Checkpointer, CurvesPlot, FamilyFigures, SampleGrids, SamplesAnimation, TrainingLog
from .progressbar import EpochProgressBar
from .snapshots import Snapshots
from .tensorboard import TensorBoardLog, require_tensorboardx

log = logging.getLogger(__name__)


def load_images(config, shape=None):
    """The images of a resolved ``config``'s data set as uint8 (N, C, H, W); returns ``(images, shape)``.

    ``shape`` defaults to the shape the run's family trains at; evaluation
    passes the generator's, so real and generated images are compared alike.
    """
    dataset = get_dataset(config.dataset)
    if shape is None:
        shape = train_shape(config)
    images = load_training_images(dataset, config, shape)
    if config.num_images is not None:
        images = images[:config.num_images]
    return images, tuple(shape)


def train_shape(config, options=None):
    """(C, H, W) the run's family trains at, given its data set's native shape."""
    cls = families.get_family_class(config.model)
    options = options or families.make_options(config.model, config.model_options)
    return tuple(cls.train_shape(options, get_dataset(config.dataset).native_shape(config)))


def build_family(config, image_shape, options=None):
    """The run's family for ``image_shape``, with its loss; ``options`` when the caller built them already."""
    return families.create_family(config.model, image_shape, options or config.model_options,
                                  loss=get_loss(config.loss), spectral_norm=config.spectral_norm)


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
    """Refuse to overwrite a trained run; on --resume, adopt the run's architecture settings.

    Runs before :func:`resolve`, so the defaults that follow from an adopted family are that family's.
    """
    if config.out is None:
        config.out = default_out(config)
    found = checkpoint.find_checkpoint(config.out)
    if config.resume:
        if found is None:  # killed before its first checkpoint: the same command must still work
            log.info("--resume: no complete checkpoint in %s yet; starting the run from the beginning", config.out)
            return None, None
        state = checkpoint.read_state(found)
        saved = resolve(config_from_record(state.get("config", {})))
        for key in ARCHITECTURE_KEYS:
            given = getattr(config, key)
            if getattr(saved, key) != given:
                if given not in (None, {}):  # a setting left unset is simply the run's, without a word
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
    found, state = _prepare_out_dir(config)
    resolve(config)
    if config.tensorboard:
        require_tensorboardx()  # before any data is fetched
    ctx = parse_contexts(config.ctx)
    kv = distributed.create_kvstore(config.kvstore)
    rank, workers = distributed.rank(kv), distributed.num_workers(kv)
    if workers > 1 and config.d_skip_below is not None:
        # each worker would decide from its own shard's loss; a worker that skips pushes no gradients and
        # dist_sync waits for it forever
        raise GluonGanError("--d-skip-below cannot be used with %d dist_sync workers" % workers)
    options = families.make_options(config.model, config.model_options)
    shape = train_shape(config, options)
    images, _ = load_images(config, shape)
    family = build_family(config, shape, options)
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
    write_json(os.path.join(config.out, rundir.CONFIG), record)
    log.info("training on %d images, %d batches of %d per epoch, on %s, loss %s; model %s, dataset %s at %s",
             len(images), len(batches), config.batch_size, ", ".join(map(str, ctx)), family.loss.name, family.name,
             config.dataset, "x".join(map(str, shape)))
    csv_path = os.path.join(config.out, rundir.METRICS)
    training_log = TrainingLog(csv_path, config.log_interval, start_step, config.epochs, len(batches))
    noise = fixed_noise(family.latent_shape, seed=config.seed, ctx=ctx[0])
    builtin = [
        EpochProgressBar(config.epochs, len(batches)),  # first: its bar closes before the epoch's results are logged
        training_log,
        DivergenceGuard(config.out, config.log_interval),  # before anything writes this epoch's results
    ] + family_callbacks + [
        SampleGrids(config.out, noise),
        DiversityLog.for_run(os.path.join(config.out, rundir.DIVERSITY), images, family.latent_shape, config.seed,
                             ctx[0]),
    ] + get_yardstick(config.dataset).epoch_callbacks(config) + [  # per-epoch logs before the checkpoint claims the epoch
        Checkpointer(config.out, {"config": record}, training_log),
        *([Snapshots(config.out, config.keep_every)] if config.keep_every else []),
        *([TensorBoardLog(config.out, start_step)] if config.tensorboard else []),
        CurvesPlot(csv_path, os.path.join(config.out, rundir.CURVES)),
        SamplesAnimation(config.out),
        FamilyFigures(config.out, config.seed),
    ]
    if config.d_skip_below is not None:
        builtin.insert(1, SkipReport(config.d_skip_below))
    fit(trainer, batches, config.epochs, start_epoch=start_epoch, seed=config.seed,
        callbacks=builtin + list(callbacks))
    return {"epoch": max(config.epochs, start_epoch), "step": training_log.step, "out": config.out}
