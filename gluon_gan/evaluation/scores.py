"""FID, KID and diversity of a generator against real images, streamed batch by batch.

Features of ``num_fake`` generated and ``num_real`` real images come from a
pluggable extractor (:mod:`gluon_gan.evaluation.features`); the maths is in
:mod:`gluon_gan.evaluation.fid`. Real images are fed at the resolution G was trained on
(64x64) and upsampled by the extractor exactly like the fakes, so neither side
gets sharper input. Features of the real images are cached on disk (keyed on
the chosen images and the extractor), so evaluating another checkpoint
against the same data only runs the network on the fakes.
"""
import hashlib
import logging
import os
import time

import mxnet as mx
import numpy as np
from tqdm import tqdm

from . import diversity, fid
from ..data.images import to_unit_range
from ..files.atomic import save_array
from ..training import sampling
from .features import array_digest

log = logging.getLogger(__name__)


def real_batches(images, indices, batch_size, ctx):
    """uint8 (N, 3, H, W) rows ``indices`` as float32 [-1, 1] NDArrays (converted on ``ctx``)."""
    for i in range(0, len(indices), batch_size):
        yield to_unit_range(mx.nd.array(images[indices[i:i + batch_size]], ctx=ctx, dtype="uint8"))


def extract_features(extractor, batches, total, desc, keep_images=0, progress=True):
    """Run ``extractor`` over ``batches``; returns (features float32 (N, D), the first ``keep_images`` images)."""
    log.info("%s: %d images, %d per batch...", desc, total, getattr(extractor, "batch_size", 0))
    feats, kept, count = None, [], 0
    tic = time.time()
    with tqdm(total=total, desc=desc, unit="img", disable=None if progress else True, leave=False) as bar:
        for batch in batches:
            out = extractor(batch)
            if feats is None:  # one array filled in place: 50k x 2048 float32 is 400 MB, no copies
                feats = np.empty((total, out.shape[1]), np.float32)
            feats[count:count + len(out)] = out
            if count < keep_images:
                kept.append(batch[:keep_images - count].asnumpy())
            count += len(out)
            bar.update(len(out))
    log.info("%s: %d images in %.1f s (%.1f images/s)", desc, count, time.time() - tic,
             count / max(time.time() - tic, 1e-9))
    if feats is None:
        raise ValueError("%s: no images" % desc)
    images = np.concatenate(kept) if kept else np.zeros((0,), np.float32)
    return feats[:count], images


def _cached_real_features(cache_dir, key, compute):
    path = os.path.join(cache_dir, "features-%s.npy" % key) if cache_dir else None
    if path and os.path.exists(path):
        try:
            feats = np.load(path)
            log.info("real-image features loaded from cache %s", path)
            return feats
        except (OSError, ValueError) as err:
            log.warning("ignoring unreadable feature cache %s (%s)", path, err)
    feats = compute()
    if path:
        save_array(feats, path)
    return feats


def evaluate(netG, real_images, extractor, num_fake=50000, num_real=10000, batch_size=50, seed=0,
             kid_subsets=100, kid_subset_size=1000, diversity_count=1000, ctx=None, cache_dir=None,
             progress=True):
    """FID, KID (mean, std over subsets) and diversity of ``netG`` vs the uint8 ``real_images``.

    ``num_real`` is capped at the number of real images. ``seed`` fixes the
    latent vectors, the choice of real images and the KID subsets.
    """
    ctx = ctx or mx.cpu()
    if num_real > len(real_images):
        log.warning("only %d real images available; using all of them instead of %d", len(real_images), num_real)
        num_real = len(real_images)
    rs = np.random.RandomState(seed)
    real_idx = np.sort(rs.choice(len(real_images), num_real, replace=False))
    z = sampling.latent(num_fake, sampling.latent_shape_of(netG), seed)
    keep = min(diversity_count, num_fake, num_real)

    fake_feats, fake_imgs = extract_features(extractor, sampling.batches(netG, z, ctx, batch_size), num_fake,
                                             "features of generated images", keep, progress)
    real_imgs = real_images[real_idx[:keep]]
    key = hashlib.sha1(("%s\n%s" % (extractor.identity(), array_digest(real_images[real_idx]))).encode()).hexdigest()
    real_feats = _cached_real_features(cache_dir, key[:16], lambda: extract_features(
        extractor, real_batches(real_images, real_idx, batch_size, ctx), num_real, "features of real images",
        0, progress)[0])

    tic = time.time()
    fid_value = fid.fid_from_features(fake_feats, real_feats)
    kid_mean, kid_std = fid.kernel_inception_distance(fake_feats, real_feats, kid_subsets, kid_subset_size, seed)
    log.info("FID/KID maths: %.1f s", time.time() - tic)
    result = {
        "features": extractor.name, "comparable": extractor.comparable, "feature_dim": int(fake_feats.shape[1]),
        "num_fake": int(num_fake), "num_real": int(num_real), "seed": int(seed),
        "fid": fid_value, "kid_mean": kid_mean, "kid_std": kid_std,
        "kid_subsets": int(kid_subsets), "kid_subset_size": int(min(kid_subset_size, num_fake, num_real)),
    }
    if keep >= 2:
        result["diversity"] = diversity.compare(fake_imgs, real_imgs)
        result["diversity"]["count"] = int(keep)
    return result
