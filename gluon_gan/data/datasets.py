"""Data sets by name (``--dataset NAME``): each turns a run's settings into one uint8 (N, C, H, W) array.

A data set says its native image shape; the model family picks the shape it
trains at (:meth:`~gluon_gan.training.family.ModelFamily.train_shape`) and
:func:`load_training_images` resizes to it, so ``--dataset fashion-mnist
--model dcgan`` trains the tutorial's 64x64 networks on grey, upsampled
clothes while ``--model dcgan28`` takes the 28x28 originals.
"""
import logging

from . import download, images as data
from .cartoon_faces import DEFAULT_COUNT, cartoon_faces
from .fashion_mnist import load_fashion_mnist
from ..errors import GluonGanError

log = logging.getLogger(__name__)
DATASETS = {}


def register_dataset(cls):
    """Class decorator: make ``cls`` selectable as ``--dataset <cls.name>``."""
    DATASETS[cls.name] = cls
    return cls


def get_dataset(name):
    try:
        return DATASETS[name]()
    except KeyError:
        raise GluonGanError("unknown dataset %r; choose from %s" % (name, ", ".join(sorted(DATASETS)))) from None


class Dataset:
    """Base class: ``name``, ``summary``, :meth:`native_shape` and :meth:`load`."""

    name = None
    summary = ""

    def native_shape(self, config):
        """(C, H, W) of the images as the data set has them."""
        raise NotImplementedError

    def load(self, config, size):
        """uint8 (N, C, size, size) training images (a folder decodes straight to ``size``)."""
        raise NotImplementedError


@register_dataset
class ImageFolder(Dataset):
    """Any folder of JPEG/PNG/BMP images, searched recursively (``--data-dir``), as RGB."""

    name = "folder"
    summary = "the images under --data-dir (JPEG/PNG/BMP, recursive), as RGB"

    def native_shape(self, config):
        return (3, 64, 64)

    def load(self, config, size):
        if not config.data_dir:
            raise GluonGanError("--dataset folder needs --data-dir DIR")
        return data.load_image_folder(config.data_dir, size=size, cache_dir=config.cache_dir or data.default_cache_dir())


@register_dataset
class LFW(ImageFolder):
    """Labeled Faces in the Wild: downloaded on first use (or ``--archive``); ``--data-dir`` wins when given."""

    name = "lfw"
    summary = "LFW faces, downloaded on first use (or --archive FILE.tgz)"

    def load(self, config, size):
        cache_dir = config.cache_dir or data.default_cache_dir()
        if config.data_dir:
            root = config.data_dir
        elif config.archive:
            root = download.extract_archive(config.archive, cache_dir)
        else:
            root = download.fetch_lfw(cache_dir)
        return data.load_image_folder(root, size=size, cache_dir=cache_dir)


def load_training_images(dataset, config, shape):
    """The data set's images as uint8 (N, C, H, W) at the family's training ``shape``."""
    images = dataset.load(config, shape[1])
    images = data.match_channels(images, shape[0])
    if images.shape[2:] != tuple(shape[1:]):
        log.info("resizing %d images from %dx%d to %dx%d", len(images), images.shape[2], images.shape[3], *shape[1:])
        images = data.resize_images(images, *shape[1:])
    return images


@register_dataset
class FashionMNIST(Dataset):
    """Zalando's Fashion-MNIST training set: 60,000 grey 28x28 clothes in 10 classes (read from its IDX files)."""

    name = "fashion-mnist"
    summary = "Fashion-MNIST's 60,000 training images (Debian's dataset-fashion-mnist, --data-dir, or downloaded)"

    def native_shape(self, config):
        return (1, 28, 28)

    def load(self, config, size):
        images, _ = load_fashion_mnist("train", data_dir=config.data_dir, cache_dir=config.cache_dir)
        return images


@register_dataset
class CartoonFaces(Dataset):
    """Procedurally drawn faces (:mod:`gluon_gan.data.cartoon_faces`): offline, deterministic, drawn at any size."""

    name = "cartoon-faces"
    summary = "10,000 procedurally drawn cartoon faces (offline stand-in for face photos; --num-images for more)"

    def native_shape(self, config):
        return (3, 64, 64)

    def load(self, config, size):
        return cartoon_faces(max(config.num_images or DEFAULT_COUNT, 1), size, seed=config.seed,
                             cache_dir=config.cache_dir or data.default_cache_dir())
