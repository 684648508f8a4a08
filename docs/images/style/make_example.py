#!/usr/bin/env python
"""Draw the two pictures of the offline style-transfer example in docs/style_transfer.md.

  make_example.py OUT_DIR      writes OUT_DIR/content.png (a flat-shaded scene, 256x192)
                               and OUT_DIR/style.png (colour stripes with soft blobs, 192x192)
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw


def content_picture(width=256, height=192):
    """Sky, sun, mountain, a house and grass in flat colours: clear shapes for the content loss to keep."""
    img = Image.new("RGB", (width, height), (120, 170, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 120, width, height], fill=(70, 140, 60))
    draw.ellipse([180, 20, 230, 70], fill=(250, 220, 60))
    draw.polygon([(20, 120), (90, 40), (160, 120)], fill=(110, 100, 100))
    draw.rectangle([60, 130, 120, 180], fill=(200, 60, 50))
    draw.polygon([(50, 130), (90, 100), (130, 130)], fill=(120, 40, 30))
    return img


def style_picture(size=192, seed=1):
    """Diagonal red/blue stripes with soft green blobs: a texture whose statistics are easy to recognise."""
    rs = np.random.RandomState(seed)
    y, x = np.mgrid[0:size, 0:size]
    stripes = 0.5 + 0.5 * np.sin((x + 0.6 * y) / 4.0)
    blobs = np.zeros((size, size))
    for _ in range(40):
        cx, cy, r = rs.randint(0, size), rs.randint(0, size), rs.randint(4, 14)
        blobs += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2.0 * r * r))
    blobs = blobs.clip(0, 1)
    rgb = np.stack([0.9 * stripes + 0.1 * blobs, 0.3 * stripes + 0.6 * blobs, 0.2 + 0.5 * (1 - stripes)], axis=2)
    return Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    content_picture().save(os.path.join(out, "content.png"))
    style_picture().save(os.path.join(out, "style.png"))
