"""Pictures a run leaves behind: sample grids and loss/accuracy curves (matplotlib, no display needed)."""
import csv
import math

import matplotlib

matplotlib.use("Agg")  # headless: training runs on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .atomic import atomic_write  # noqa: E402


def to_uint8_images(batch):
    """(N, C, H, W) in [-1, 1] (NDArray or numpy) -> (N, H, W, 3) uint8, the tutorial's ``visualize``; grey is tiled."""
    arr = batch.asnumpy() if hasattr(batch, "asnumpy") else np.asarray(batch)
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    arr = (arr.transpose(0, 2, 3, 1) + 1.0) * 127.5
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def make_grid(batch, nrow=None, padding=2):
    """Tile images into one uint8 HWC picture, ``nrow`` per row (square by default)."""
    images = to_uint8_images(batch)
    n, h, w, c = images.shape
    nrow = nrow or int(math.ceil(math.sqrt(n)))
    ncol = int(math.ceil(n / nrow))
    grid = np.zeros((ncol * (h + padding) + padding, nrow * (w + padding) + padding, c), dtype=np.uint8)
    for i, img in enumerate(images):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = img
    return grid


def save_png(picture, path):
    """Write a uint8 HWC array as PNG, atomically."""
    atomic_write(path, lambda tmp: plt.imsave(tmp, picture, format="png"))
    return path


def save_image_grid(batch, path, nrow=None):
    return save_png(make_grid(batch, nrow), path)


def read_metrics(csv_path):
    """Rows of a run's ``metrics.csv`` as dict of float columns (malformed lines skipped)."""
    columns = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                values = {k: float(v) for k, v in row.items()}
            except (TypeError, ValueError):
                continue  # a line cut short by a killed process
            for k, v in values.items():
                columns.setdefault(k, []).append(v)
    return columns


def plot_training_curves(csv_path, png_path):
    """Losses and accuracy against the global iteration, one PNG."""
    cols = read_metrics(csv_path)
    fig, (ax_loss, ax_acc) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    if cols:
        step = cols["step"]
        ax_loss.plot(step, cols["d_loss"], label="discriminator")
        ax_loss.plot(step, cols["g_loss"], label="generator")
        ax_acc.plot(step, cols["accuracy"], color="tab:green")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    ax_acc.set_ylabel("D accuracy")
    ax_acc.set_xlabel("iteration")
    ax_acc.set_ylim(0, 1.05)
    fig.tight_layout()
    atomic_write(png_path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)
    return png_path


def save_gif(pictures, path, labels=None, duration_ms=500, last_ms=2000):
    """An animated GIF of uint8 HWC pictures (or PNG paths), each optionally captioned, looping forever."""
    from PIL import Image, ImageDraw

    frames = []
    for i, pic in enumerate(pictures):
        img = Image.open(pic).convert("RGB") if isinstance(pic, str) else Image.fromarray(np.asarray(pic)[..., :3])
        if labels:
            canvas = Image.new("RGB", (img.width, img.height + 16), "white")
            canvas.paste(img, (0, 16))
            ImageDraw.Draw(canvas).text((4, 2), labels[i], fill="black")
            img = canvas
        frames.append(img)
    if not frames:
        raise ValueError("no pictures for %s" % path)
    durations = [duration_ms] * (len(frames) - 1) + [last_ms]
    atomic_write(path, lambda tmp: frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                                                  duration=durations, loop=0))
    return path
