#!/usr/bin/env python3
"""Draw a grid of pictures from a gluon-gan generator exported to ONNX, with only onnxruntime, numpy and pillow.

  python onnx_generate.py generator.onnx                       64 pictures of seed 0 -> grid.png
  python onnx_generate.py generator.onnx --num 16 --seed 3 --out faces.png
  python onnx_generate.py stylegan.onnx --truncation 0.7       StyleGAN: pull w 30% of the way to the average w
  python onnx_generate.py generator.onnx --latents z.npy       these latents (N, ...) instead of a seed's

No MXNet and no gluon-gan: it runs on any Python onnxruntime supports. The
file's metadata (``gluon_gan.inputs``) says what each input is, and this
script fills them as gluon-gan's generate.py does, so a seed (or a latents
file) draws the very pictures generate.py draws: latents from
``numpy.random.RandomState(seed)``, StyleGAN's noise images seeded by each
latent's bytes, the truncation on the layers the run chose. Install with
``pip install onnxruntime numpy pillow``; exports come from gluon-gan's
``scripts/export.py RUN --onnx generator.onnx``.
"""
import argparse
import json
import math
import sys
import zlib

import numpy as np

METADATA_PREFIX = "gluon_gan."


def contract(custom_metadata):
    """The ``gluon_gan.*`` entries of the file's metadata map, JSON decoded: ``inputs``, ``outputs``, ``family``, ..."""
    out = {}
    for key, value in custom_metadata.items():
        if key.startswith(METADATA_PREFIX):
            try:
                out[key[len(METADATA_PREFIX):]] = json.loads(value)
            except ValueError:
                out[key[len(METADATA_PREFIX):]] = value
    return out


def latents(num, shape, seed=0):
    """Standard-normal latents (num, *shape) for a seed: gluon-gan's ``sampling.latent``, number for number."""
    return np.random.RandomState(seed).normal(size=(num,) + tuple(shape)).astype(np.float32)


def noise_for_latents(z, shapes):
    """One noise image per shape for every latent, from a generator seeded by the latent's bytes (gluon-gan's rule)."""
    per_sample = []
    for row in z.reshape((z.shape[0], -1)):
        rs = np.random.RandomState(zlib.crc32(np.ascontiguousarray(row, np.float32).tobytes()))
        per_sample.append([rs.normal(size=(1,) + tuple(s)).astype(np.float32) for s in shapes])
    return [np.concatenate([sample[i] for sample in per_sample]) for i in range(len(shapes))]


def feeds(inputs, z, truncation=1.0):
    """``{input name: array}`` for latents ``z``, every input filled as its ``kind`` says."""
    n, out = len(z), {}
    noise = [i for i in inputs if i["kind"] == "noise"]
    drawn = noise_for_latents(z, [i["shape"][1:] for i in noise]) if noise else []
    for spec in inputs:
        kind, shape = spec["kind"], tuple(spec["shape"][1:])
        if kind == "latent":
            out[spec["name"]] = z.reshape((n,) + shape).astype(np.float32)
        elif kind == "truncation":
            row = np.ones(shape, np.float32)
            row[:spec.get("layers") or shape[0]] = truncation
            out[spec["name"]] = np.tile(row, (n, 1))
        elif kind == "noise":
            out[spec["name"]] = drawn[noise.index(spec)]
        else:
            raise ValueError("input %s is of a kind this script does not know: %r" % (spec["name"], kind))
    return out


def run(session, inputs, z, truncation=1.0, batch_size=64):
    """Pictures (N, C, H, W) in [-1, 1] for latents ``z``, in batches (the file's own size if it has a fixed one)."""
    fixed = inputs[0]["shape"][0]
    step = fixed or batch_size
    out = []
    for start in range(0, len(z), step):
        chunk = z[start:start + step]
        size = len(chunk)
        if fixed and size < fixed:  # a fixed-batch file: pad the last chunk, keep only its pictures
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], fixed - size, axis=0)])
        out.append(session.run(["image"], feeds(inputs, chunk, truncation))[0][:size])
    return np.concatenate(out)


def to_uint8(images):
    """(N, C, H, W) in [-1, 1] -> (N, H, W, 3) uint8 as gluon-gan draws it (grey repeated to RGB)."""
    if images.shape[1] == 1:
        images = np.repeat(images, 3, axis=1)
    return np.clip(np.rint((images.transpose(0, 2, 3, 1) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid(images, nrow=None, padding=2):
    """Pictures tiled ``nrow`` per row (square by default) with a black ``padding``: gluon-gan's grid layout."""
    pictures = to_uint8(images)
    n, h, w, c = pictures.shape
    nrow = nrow or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / nrow))
    out = np.zeros((rows * (h + padding) + padding, nrow * (w + padding) + padding, c), np.uint8)
    for i, picture in enumerate(pictures):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        out[y:y + h, x:x + w] = picture
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="an ONNX file written by gluon-gan's scripts/export.py")
    p.add_argument("--num", type=int, default=64, help="how many pictures (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="latent seed, as generate.py's (default: %(default)s)")
    p.add_argument("--latents", help="a .npy of latents (N, ...) to draw instead of --num/--seed")
    p.add_argument("--truncation", type=float, default=1.0,
                   help="truncation psi for files that take it (StyleGAN; 1: none) (default: %(default)s)")
    p.add_argument("--nrow", type=int, default=None, help="pictures per row (default: square)")
    p.add_argument("--out", default="grid.png", help="output PNG (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        import onnxruntime
        from PIL import Image
    except ImportError as err:
        sys.exit("error: %s (pip install onnxruntime numpy pillow)" % err)
    try:
        session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime's own errors (missing or damaged file) as one line
        sys.exit("error: cannot load %s: %s" % (args.model, str(err).strip().splitlines()[0]))
    meta = contract(session.get_modelmeta().custom_metadata_map)
    if "inputs" not in meta:
        sys.exit("error: %s has no gluon_gan.inputs metadata (not exported by gluon-gan's export.py)" % args.model)
    latent = next(i for i in meta["inputs"] if i["kind"] == "latent")
    z = np.load(args.latents).astype(np.float32) if args.latents else latents(args.num, latent["shape"][1:], args.seed)
    images = run(session, meta["inputs"], z, args.truncation)
    Image.fromarray(grid(images, args.nrow)).save(args.out)
    print("wrote %d %s pictures (%dx%d) to %s" % (len(images), meta.get("family", "?"), images.shape[3],
                                                  images.shape[2], args.out))


if __name__ == "__main__":
    main()
