"""A run's settings: :class:`TrainConfig`, how unset ones are resolved, and the run record ``config.json``.

Every common setting is one dataclass field, which is also its command-line
flag (:mod:`gluon_gan.options`); a family's own settings are its ``Options``.
"""
import dataclasses
import os

import mxnet as mx

from .. import __version__, families
from ..data.datasets import DATASETS
from ..errors import GluonGanError
from ..files import rundir
from ..files.records import read_json
from ..options import option
from ..training import distributed
from ..training.losses import LOSSES

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
        config.out = default_out(config)
    return config


def default_out(config):
    """``runs/MODEL-DATASET``: where a run goes without ``--out``."""
    dataset = config.dataset or ("folder" if config.data_dir else "lfw")
    return os.path.join("runs", "%s-%s" % (config.model, dataset))


def config_from_record(record):
    """A :class:`TrainConfig` from a run record (``config.json``), older flat DCGAN records included.

    The one place that reads runs recorded before model families: their
    nz/ngf/ndf/image_size become the ``dcgan`` family's options.
    """
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in record.items() if k in fields}
    if "model" not in record:
        values["model"] = "dcgan"
        values["model_options"] = {k: record[k] for k in LEGACY_DCGAN_KEYS if k in record}
    return TrainConfig(**values)


def read_record(run_dir):
    """The run record ``config.json`` in ``run_dir`` as a dict, or ``None`` when there is none.

    The one reader of run records: ``load_generator``, ``--config``, ``--resume`` and the report all come here.
    """
    path = os.path.join(run_dir, rundir.CONFIG)
    if not os.path.isfile(path):
        return None
    record = read_json(path, "run record")
    if not isinstance(record, dict):
        raise GluonGanError("run record %s is not a JSON object (damaged)" % path)
    return record


def run_record(config, family):
    """What ``config.json`` holds: the settings, plus what the run is (family, image shape, versions)."""
    record = config.to_dict()
    record.update(family=family.record(), image_shape=list(family.image_shape),
                  versions={"gluon_gan": __version__, "mxnet": mx.__version__})
    return record
