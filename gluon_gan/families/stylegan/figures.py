"""The paper's explanatory pictures for a trained style generator: style mixing, noise, truncation.

Each function takes the (EMA) generator, draws a batch through its ordinary
inputs (see :mod:`.generator`) and writes one grid PNG; ``docs/stylegan.md``
describes the layouts.
"""
import mxnet as mx
import numpy as np

from ...files import plotting
from ...training.sampling import latent
from .inputs import noise_for_latents, truncation_psi


def style_groups(resolutions):
    """Layer indices of the coarse (<= 8x8), middle (16x16 up to 32x32, below the top) and fine styles."""
    top = max(resolutions)
    middle_top = max(16, min(32, top // 2))
    coarse = [l for l, r in enumerate(resolutions) if r <= 8]
    middle = [l for l, r in enumerate(resolutions) if 8 < r <= middle_top]
    fine = [l for l, r in enumerate(resolutions) if r > middle_top]
    return {"coarse": coarse, "middle": middle, "fine": fine}


def _run(G, z, z2, mix, psi, noises, ctx):
    nd = lambda a: mx.nd.array(a, ctx=ctx)  # noqa: E731
    out = G(nd(z), nd(z2), nd(mix), nd(psi), *[nd(n) for n in noises])
    return out.asnumpy()


def _fixed_noise(G, n, seed):
    """One noise draw (per layer) shared by all ``n`` samples, so only the styles differ between pictures."""
    rs = np.random.RandomState(seed)
    return [np.repeat(rs.normal(size=(1,) + s[1:]).astype(np.float32), n, axis=0) for s in G.noise_shapes(1)]


def _save(images, path, nrow):
    """Write a grid, small pictures enlarged (nearest neighbour) to at least 64 pixels so the figures read."""
    zoom = max(1, 64 // images.shape[-1])
    plotting.save_image_grid(images.repeat(zoom, axis=2).repeat(zoom, axis=3), path, nrow=nrow)
    return path


def _blank(n, G):
    return np.ones((n, G.nc, G.resolution, G.resolution), np.float32)  # white


def style_mixing_grid(G, path, seed=0, rows=3, cols=5, ctx=None):
    """Rows from seed ``seed``, columns from ``seed + 1``; each group of rows copies coarse, middle or fine
    styles from the column's source into the row's image.

    Layout (``cols + 1`` pictures per row): top row blank then the column
    sources; then for each group, ``rows`` rows of: the row source, then the
    row source with that group of styles taken from each column source.
    """
    ctx = ctx or mx.cpu()
    L = len(G.layer_resolutions)
    za, zb = latent(rows, G.nz, seed), latent(cols, G.nz, seed + 1)
    groups = style_groups(G.layer_resolutions)
    z, z2, mix = [za, zb], [za, zb], [np.zeros((rows + cols, L), np.float32)]
    for layers in groups.values():
        for a in range(rows):
            z.append(np.repeat(za[a:a + 1], cols, axis=0))
            z2.append(zb)
            m = np.zeros((cols, L), np.float32)
            m[:, layers] = 1
            mix.append(m)
    z, z2, mix = np.concatenate(z), np.concatenate(z2), np.concatenate(mix)
    images = _run(G, z, z2, mix, np.ones_like(mix), _fixed_noise(G, len(z), seed), ctx)
    sources_a, sources_b, mixed = images[:rows], images[rows:rows + cols], images[rows + cols:]
    tiles = [_blank(1, G), sources_b]
    for g in range(len(groups)):
        for a in range(rows):
            start = (g * rows + a) * cols
            tiles += [sources_a[a:a + 1], mixed[start:start + cols]]
    return _save(np.concatenate(tiles), path, cols + 1)


def noise_figure(G, path, seed=0, draws=8, ctx=None):
    """One w, ``draws`` noise draws, and the per-pixel standard deviation over them (last column, white = most).

    Rows: noise in every layer, in the coarse layers only, in the fine layers
    only (the others get zero noise) -- the paper's figure 5 in one grid.
    """
    if not G.has_noise:
        raise ValueError("this generator was built without noise inputs")
    ctx = ctx or mx.cpu()
    L = len(G.layer_resolutions)
    groups = style_groups(G.layer_resolutions)
    z = np.repeat(latent(1, G.nz, seed), draws, axis=0)
    rs = np.random.RandomState(seed)
    fresh = [rs.normal(size=(draws,) + s[1:]).astype(np.float32) for s in G.noise_shapes(1)]
    rows = []
    for layers in (range(L), groups["coarse"], groups["fine"]):
        noises = [n if l in layers else np.zeros_like(n) for l, n in enumerate(fresh)]
        rows.append(_run(G, z, z, np.zeros((draws, L), np.float32), np.ones((draws, L), np.float32), noises, ctx))
    stds = [r.std(axis=0).mean(axis=0) for r in rows]  # (H, W): per pixel over draws, averaged over channels
    top = max(max(s.max() for s in stds), 1e-12)
    tiles = []
    for r, s in zip(rows, stds):
        std_image = np.broadcast_to(s / top * 2 - 1, (1, G.nc) + s.shape).astype(np.float32)
        tiles += [r, std_image]
    return _save(np.concatenate(tiles), path, draws + 1)


def truncation_strip(G, path, seed=0, rows=4, steps=9, layers=0, ctx=None):
    """``rows`` latents, each at psi = 1 (left) down to 0 (right, the average w: the same face in every row)."""
    ctx = ctx or mx.cpu()
    L = len(G.layer_resolutions)
    z = np.repeat(latent(rows, G.nz, seed), steps, axis=0)
    psis = np.tile(np.linspace(1.0, 0.0, steps, dtype=np.float32), rows)
    psi = np.concatenate([truncation_psi(1, L, p, layers).asnumpy() for p in psis])
    noises = [n.asnumpy() for n in noise_for_latents(mx.nd.array(z), G.layer_resolutions)] if G.has_noise else []
    images = _run(G, z, z, np.zeros((len(z), L), np.float32), psi, noises, ctx)
    return _save(images, path, steps)
