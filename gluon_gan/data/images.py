"""Images on disk -> the tutorial's training tensors, decoded once and cached.

The tutorial's transform is: resize to 64x64 (bilinear), HWC -> CHW, scale with
``x / 127.5 - 1`` to [-1, 1], and tile grey images to 3 channels. Decoding 13k
JPEGs takes minutes, so the resized uint8 CHW array is cached on disk (keyed on
the file list, sizes and mtimes); the float scaling is exact from uint8 and is
done per batch, on the device.
"""
import hashlib
import logging
import os

import mxnet as mx
import numpy as np
from tqdm import tqdm

from ..errors import GluonGanError
from ..files.atomic import save_array

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
CACHE_VERSION = 1


def default_cache_dir():
    """Where downloads and decoded arrays live: ``$GLUON_GAN_CACHE`` or ``~/.cache/gluon-gan``."""
    if os.environ.get("GLUON_GAN_CACHE"):
        return os.environ["GLUON_GAN_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gluon-gan")


def list_images(root):
    """Image files under ``root``, recursively, in a stable (sorted) order."""
    if not os.path.isdir(root):
        raise GluonGanError("image folder not found: %s" % root)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames)
                     if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith("."))
    return found


def decode_image(path):
    """Decode any JPEG/PNG/BMP to an RGB uint8 HWC ``NDArray``.

    OpenCV (inside MXNet) converts grey by replicating the channel -- the
    tutorial's tiling -- drops alpha and converts CMYK JPEGs.
    """
    with open(path, "rb") as f:
        buf = f.read()
    if not buf:
        raise ValueError("empty file")
    return mx.image.imdecode(buf, flag=1, to_rgb=True)


def resize(img, height, width):
    """The tutorial's bilinear resize (OpenCV's, through ``mx.image.imresize``) of one uint8 HWC ``NDArray``.

    Any channel count up to OpenCV's 512: every channel is resized alike, which
    :func:`resize_images` uses to resize a whole batch in a few calls.
    """
    return mx.image.imresize(img, width, height, interp=1)


def resize_to_chw(img, size=64):
    """Bilinear resize (as the tutorial) and HWC -> CHW; grey (1-channel) input is tiled to 3."""
    img = resize(img, size, size)
    if img.ndim == 2:
        img = img.expand_dims(axis=2)
    chw = mx.nd.transpose(img, (2, 0, 1))
    if chw.shape[0] == 1:
        chw = mx.nd.tile(chw, (3, 1, 1))
    return chw


def resize_images(images, height, width, channels_per_call=512):
    """uint8 (N, C, h, w) -> uint8 (N, C, height, width) with the same resize as the folder decoder.

    The N*C planes become the channels of one OpenCV image (512 at most per call).
    """
    if images.shape[2:] == (height, width):
        return images
    n, c, h, w = images.shape
    planes = np.ascontiguousarray(images.reshape(n * c, h, w).transpose(1, 2, 0))
    out = np.empty((height, width, n * c), np.uint8)
    for i in range(0, n * c, channels_per_call):
        part = resize(mx.nd.array(planes[:, :, i:i + channels_per_call], dtype="uint8"), height, width).asnumpy()
        out[:, :, i:i + channels_per_call] = part.reshape(height, width, -1)
    return np.ascontiguousarray(out.transpose(2, 0, 1)).reshape(n, c, height, width)


def match_channels(images, channels):
    """Tile grey to RGB, or average RGB to grey, so the data has the channels the networks take."""
    have = images.shape[1]
    if have == channels:
        return images
    if have == 1:
        return np.repeat(images, channels, axis=1)
    if channels == 1:
        return np.rint(images.astype(np.float32).mean(axis=1, keepdims=True)).astype(np.uint8)
    raise GluonGanError("cannot turn %d-channel images into %d channels" % (have, channels))


def to_unit_range(batch):
    """uint8 [0, 255] -> float32 [-1, 1] exactly as the tutorial: ``x / 127.5 - 1``."""
    return batch.astype("float32") / 127.5 - 1


def transform(img, size=64):
    """The tutorial's whole per-image transform: HWC uint8 -> (3, size, size) float32 in [-1, 1]."""
    return to_unit_range(resize_to_chw(img, size))


def _cache_key(paths, root, size):
    digest = hashlib.sha1(("v%d size=%d\n" % (CACHE_VERSION, size)).encode())
    for path in paths:
        st = os.stat(path)
        digest.update(("%s\t%d\t%d\n" % (os.path.relpath(path, root), st.st_size, st.st_mtime_ns)).encode())
    return digest.hexdigest()[:16]


def load_image_folder(root, size=64, cache_dir=None, progress=True):
    """All images under ``root`` as one uint8 array of shape (N, 3, size, size).

    Unreadable files are skipped and reported in one warning line. The result is
    cached in ``cache_dir`` so the next run with unchanged files loads in seconds.
    """
    paths = list_images(root)
    if not paths:
        raise GluonGanError("no images (%s) found under %s" % ("/".join(IMAGE_EXTENSIONS), root))
    cache_dir = cache_dir or default_cache_dir()
    cache_path = os.path.join(cache_dir, "images-%s.npy" % _cache_key(paths, root, size))
    if os.path.exists(cache_path):
        try:
            images = np.load(cache_path)
            log.info("loaded %d images from cache %s", len(images), cache_path)
            return images
        except (OSError, ValueError) as err:
            log.warning("ignoring unreadable cache %s (%s); decoding again", cache_path, err)

    images = np.empty((len(paths), 3, size, size), dtype=np.uint8)
    count, bad = 0, []
    with tqdm(total=len(paths), desc="decoding images", unit="img", disable=None if progress else True,
              leave=False) as bar:
        for path in paths:
            try:
                images[count] = resize_to_chw(decode_image(path), size).asnumpy()
                count += 1
            except (mx.base.MXNetError, ValueError, OSError):
                bad.append(path)
            bar.update()
    if bad:
        log.warning("skipped %d unreadable image file(s), e.g. %s", len(bad), bad[0])
    if count == 0:
        raise GluonGanError("none of the %d image files under %s could be decoded" % (len(paths), root))
    images = images[:count]
    save_array(images, cache_path)
    log.info("decoded %d images from %s (cached in %s)", count, root, cache_path)
    return images


class ImageBatches:
    """Shuffled mini-batches of a uint8 image array, as float32 [-1, 1] ``NDArray``s.

    Each epoch's order comes from ``(seed, epoch)`` alone, so a resumed run sees
    the same batches as an uninterrupted one. ``last_batch="discard"`` drops the
    final partial batch (the tutorial's ``NDArrayIter`` instead padded it with
    images from the start and trained on the padding); ``"keep"`` yields it short.
    ``num_parts``/``part_index`` give each distributed worker its own shard with
    the same number of batches.
    """

    def __init__(self, images, batch_size, seed=0, shuffle=True, last_batch="discard",
                 num_parts=1, part_index=0):
        if last_batch not in ("discard", "keep"):
            raise ValueError("last_batch must be 'discard' or 'keep'")
        if len(images) // num_parts < batch_size and last_batch == "discard":
            raise GluonGanError("the data has %d images, fewer than one batch of %d%s; lower --batch-size"
                                % (len(images), batch_size,
                                   " per worker" if num_parts > 1 else ""))
        self.images = images
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.last_batch = last_batch
        self.num_parts = num_parts
        self.part_index = part_index

    def __len__(self):
        per_part = len(self.images) // self.num_parts
        full, rest = divmod(per_part, self.batch_size)
        return full + (1 if rest and self.last_batch == "keep" else 0)

    def epoch(self, epoch, ctx=None):
        """Yield this epoch's batches, converted on ``ctx`` (host->device copies stay uint8)."""
        order = self.epoch_order(epoch)
        for i in range(len(self)):
            yield self.batch(order[i * self.batch_size:(i + 1) * self.batch_size], ctx)

    def epoch_order(self, epoch):
        """This worker's share of the epoch's permutation, drawn from ``(seed, epoch)`` alone."""
        order = np.arange(len(self.images))
        if self.shuffle:
            np.random.RandomState((self.seed * 100003 + epoch) % (2 ** 32)).shuffle(order)
        per_part = len(order) // self.num_parts
        return order[self.part_index * per_part:(self.part_index + 1) * per_part]

    def batch(self, indices, ctx=None):
        """The images at ``indices`` (read in sorted order) as a float32 [-1, 1] batch on ``ctx``."""
        return to_unit_range(mx.nd.array(self.images[np.sort(indices)], ctx=ctx or mx.cpu(), dtype="uint8"))
