"""Fashion-MNIST from its IDX files: Debian's package, a folder you name, or the official GitHub files.

MXNet's own ``gluon.data.vision.FashionMNIST`` checks the SHA-1 of the *gzip
archives*, so it refuses Debian's ``dataset-fashion-mnist`` files, which hold
the same data compressed differently. Here the checksums are of the
*decompressed* IDX content, so any faithful copy, gzipped or not, is accepted
and a damaged one is not. Places are tried in order: ``data_dir`` (when given,
only there), ``/usr/share/datasets/fashion-mnist`` (``apt-get install
dataset-fashion-mnist``), then the cache, downloading what is missing there
(resumably, via :func:`gluon_gan.data.download.download`).
"""
import gzip
import hashlib
import logging
import os
import struct
import zlib

import numpy as np

from ..errors import GluonGanError
from .download import download
from .images import default_cache_dir

log = logging.getLogger(__name__)

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
BASE_URL = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
CACHE_SUBDIR = "fashion-mnist"

# MD5 and SHA-256 of each file's decompressed bytes (computed from Debian's package; the
# official .gz files decompress to the same bytes, though their gzip headers differ).
CONTENT_CHECKSUMS = {
    "train-images-idx3-ubyte": ("f4a8712d7a061bf5bd6d2ca38dc4d50a",
                                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train-labels-idx1-ubyte": ("9018921c3c673c538a1fc5bad174d6f9",
                                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "t10k-images-idx3-ubyte": ("8181f5470baa50b63fa0f6fddb340f0a",
                               "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "t10k-labels-idx1-ubyte": ("15d484375f8d13e6eb1aabb0c3f46965",
                               "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}

# IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """The file's content, decompressed when it is gzip (detected by its magic bytes, not its name)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    except (EOFError, OSError, zlib.error) as err:
        raise GluonGanError("cannot read %s: %s (truncated or corrupt? delete it and get it again)"
                            % (path, " ".join(str(err).split()) or type(err).__name__)) from None


def parse_idx(content, name="IDX data"):
    """An IDX byte string -> numpy array in native byte order; a one-line error when malformed."""
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] not in IDX_TYPES:
        raise GluonGanError("%s is not an IDX file (bad magic number %s)" % (name, content[:4].hex() or "<empty>"))
    dtype, ndim = np.dtype(IDX_TYPES[content[2]]), content[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(content) < header:
        raise GluonGanError("%s is truncated: its header lists %d dimensions" % (name, ndim))
    dims = struct.unpack(">%dI" % ndim, content[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected:
        raise GluonGanError("%s is %s: dimensions %s need %d bytes, the file has %d"
                            % (name, "truncated" if len(content) < expected else "too long",
                               "x".join(map(str, dims)), expected, len(content)))
    return np.frombuffer(content, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read one IDX file (gzipped or not) into a numpy array."""
    return parse_idx(read_bytes(path), name=path)


def _find_file(directory, stem):
    """``stem.gz`` or ``stem`` in ``directory`` (also the ``stem.idx3-ubyte`` style some mirrors use), or None."""
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz", stem.replace("-idx", ".idx")):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def find_files(directory, split):
    """``(images_path, labels_path)`` of ``split`` in ``directory``, or None when either is missing."""
    paths = [_find_file(directory, stem) for stem in SPLITS[split]]
    return tuple(paths) if all(paths) else None


def _check_content(path, content, stem):
    md5, sha256 = CONTENT_CHECKSUMS[stem]
    got = hashlib.sha256(content).hexdigest()
    if got != sha256 or hashlib.md5(content).hexdigest() != md5:
        raise GluonGanError("%s is not the official Fashion-MNIST %s (content sha256 %s, expected %s); "
                            "delete it and get it again" % (path, stem, got, sha256))


def _read_pair(paths, split, verify):
    arrays = []
    for path, stem in zip(paths, SPLITS[split]):
        content = read_bytes(path)
        if verify:
            _check_content(path, content, stem)
        arrays.append(parse_idx(content, name=path))
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise GluonGanError("%s does not hold 28x28 uint8 images (it holds %s %s)"
                            % (paths[0], images.dtype, "x".join(map(str, images.shape))))
    if labels.ndim != 1 or len(labels) != len(images):
        raise GluonGanError("%s holds %d labels for the %d images of %s"
                            % (paths[1], labels.size, len(images), paths[0]))
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise GluonGanError("%s holds labels outside 0..9" % paths[1])
    return images.reshape(-1, 1, 28, 28), labels.astype(np.int32)


def _download_split(cache_dir, split, timeout):
    """Download (resumably) the split's two files into ``cache_dir``; returns their paths."""
    paths = []
    for stem in SPLITS[split]:
        dest = os.path.join(cache_dir, stem + ".gz")
        path = download(BASE_URL + stem + ".gz", dest, timeout=timeout)
        try:  # download() only vouches that the file is whole: check what is inside before trusting it
            _check_content(path, read_bytes(path), stem)
        except GluonGanError as err:
            os.remove(path)
            raise GluonGanError("downloaded %s was deleted: %s" % (path, err)) from None
        paths.append(path)
    return tuple(paths)


def how_to_get(cache_dir):
    return ("install it with `apt-get install dataset-fashion-mnist` (into %s), pass --data-dir DIR holding the "
            "four IDX files, or download %s into %s"
            % (SYSTEM_DIR, ", ".join(BASE_URL + stem + ".gz" for s in ("train", "test") for stem in SPLITS[s]),
               cache_dir))


def locate(split="train", data_dir=None, cache_dir=None, system_dir=SYSTEM_DIR, timeout=30):
    """``(images_path, labels_path, verify)``: where the split's files are, downloading them if need be.

    ``verify`` says whether their content must match the official checksums
    (everything except a ``data_dir`` the user chose, which may be a subset).
    """
    if split not in SPLITS:
        raise GluonGanError("unknown Fashion-MNIST split %r; choose train or test" % (split,))
    if data_dir:
        found = find_files(data_dir, split)
        if not found:
            raise GluonGanError("Fashion-MNIST %s files not found in %s: it needs %s (.gz or not)"
                                % (split, data_dir, " and ".join(SPLITS[split])))
        return found + (False,)
    if system_dir and os.path.isdir(system_dir):
        found = find_files(system_dir, split)
        if found:
            return found + (True,)
    if cache_dir is None:
        cache_dir = default_cache_dir()
    cache = os.path.join(cache_dir, CACHE_SUBDIR)
    found = find_files(cache, split)
    if found:
        return found + (True,)
    try:
        return _download_split(cache, split, timeout) + (True,)
    except GluonGanError as err:
        raise GluonGanError("Fashion-MNIST not found and not downloadable (%s); %s" % (err, how_to_get(cache))) \
            from None


def load_fashion_mnist(split="train", data_dir=None, cache_dir=None, system_dir=SYSTEM_DIR, timeout=30):
    """``(images, labels)``: uint8 (N, 1, 28, 28) and int32 (N,) class indices into :data:`CLASS_NAMES`."""
    images_path, labels_path, verify = locate(split, data_dir, cache_dir, system_dir, timeout)
    log.info("Fashion-MNIST %s from %s", split, os.path.dirname(images_path))
    return _read_pair((images_path, labels_path), split, verify)


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in .gz): for tests and small subsets."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError("IDX has no type for %s" % array.dtype)
    content = (bytes([0, 0, code, array.ndim]) + struct.pack(">%dI" % array.ndim, *array.shape)
               + array.astype(IDX_TYPES[code]).tobytes())
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(content)
    return path
