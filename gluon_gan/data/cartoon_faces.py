"""A data set of procedurally drawn cartoon faces, for trying face GANs where no face photos can be fetched.

Each face is drawn from its own seed with PIL: a head of random size, place
and skin tone, hair of random colour and style, eyes with a gaze direction,
brows, a nose, a mouth between a frown and a smile, glasses on some faces, on
a plain background. The factors vary independently, so a generator that
covers the data must learn a few continuous and discrete modes, which is what
the faces of LFW also ask, in a much simpler world. It is not LFW: numbers
measured on it say how families compare with each other, not how they do on
photographs. Drawn at 4x and downsampled (anti-aliased), deterministic, and
cached as one uint8 array like a decoded image folder.
"""
import os

import numpy as np

from ..files.atomic import save_array

SKIN = [(255, 224, 189), (234, 192, 134), (198, 134, 66), (141, 85, 36), (255, 205, 148), (224, 172, 105)]
HAIR = [(20, 20, 20), (90, 56, 37), (160, 110, 60), (230, 200, 120), (180, 60, 30), (140, 140, 140)]
DEFAULT_COUNT = 10000
VERSION = 1


def draw_face(seed, size=64, scale=4):
    """One face as uint8 (3, size, size), fully determined by ``seed``."""
    from PIL import Image, ImageDraw
    rs = np.random.RandomState(seed)
    s = size * scale
    background = tuple(int(v) for v in rs.randint(60, 230, 3))
    img = Image.new("RGB", (s, s), background)
    d = ImageDraw.Draw(img)
    cx, cy = s * (0.5 + rs.uniform(-0.06, 0.06)), s * (0.54 + rs.uniform(-0.05, 0.05))
    w, h = s * rs.uniform(0.27, 0.34), s * rs.uniform(0.33, 0.40)
    skin = tuple(int(np.clip(c + rs.randint(-12, 13), 0, 255)) for c in SKIN[rs.randint(len(SKIN))])
    hair = HAIR[rs.randint(len(HAIR))]
    style = rs.randint(3)  # 0 short, 1 long, 2 bald
    if style == 1:
        d.ellipse([cx - w * 1.15, cy - h * 1.1, cx + w * 1.15, cy + h * 1.25], fill=hair)
    d.ellipse([cx - w, cy - h, cx + w, cy + h], fill=skin)
    if style != 2:
        d.chord([cx - w * 1.05, cy - h * 1.12, cx + w * 1.05, cy + h * 0.35], 180, 360, fill=hair)
    eye_y, eye_dx = cy - h * 0.12, w * rs.uniform(0.35, 0.48)
    eye_w, eye_h = w * rs.uniform(0.16, 0.22), h * rs.uniform(0.08, 0.13)
    gaze = rs.uniform(-0.45, 0.45, 2)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        d.ellipse([ex - eye_w, eye_y - eye_h, ex + eye_w, eye_y + eye_h], fill=(250, 250, 250))
        pr = eye_h * 0.8
        px, py = ex + gaze[0] * (eye_w - pr), eye_y + gaze[1] * (eye_h - pr)
        d.ellipse([px - pr, py - pr, px + pr, py + pr], fill=(30, 30, 60))
        brow_y = eye_y - eye_h * rs.uniform(1.8, 2.6)
        d.line([ex - eye_w, brow_y + side * rs.uniform(-1, 1) * eye_h * 0.5, ex + eye_w, brow_y],
               fill=hair if style != 2 else (60, 40, 30), width=max(1, int(s * 0.012)))
    if rs.rand() < 0.25:  # glasses
        for side in (-1, 1):
            ex = cx + side * eye_dx
            d.ellipse([ex - eye_w * 1.5, eye_y - eye_h * 2, ex + eye_w * 1.5, eye_y + eye_h * 2],
                      outline=(20, 20, 20), width=max(1, int(s * 0.01)))
    nose = h * rs.uniform(0.12, 0.22)
    d.line([cx, eye_y + eye_h, cx - w * 0.06, eye_y + eye_h + nose, cx + w * 0.04, eye_y + eye_h + nose],
           fill=tuple(int(c * 0.75) for c in skin), width=max(1, int(s * 0.01)))
    mouth_y, mouth_w = cy + h * rs.uniform(0.42, 0.55), w * rs.uniform(0.3, 0.55)
    smile = rs.uniform(-1, 1)
    box = [cx - mouth_w, mouth_y - h * 0.12 * abs(smile) - 1, cx + mouth_w, mouth_y + h * 0.12 * abs(smile) + 1]
    d.arc(box, 0 if smile > 0 else 180, 180 if smile > 0 else 360, fill=(150, 40, 50), width=max(1, int(s * 0.015)))
    img = img.resize((size, size), Image.LANCZOS)
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def cartoon_faces(count=DEFAULT_COUNT, size=64, seed=0, cache_dir=None):
    """``count`` faces as uint8 (N, 3, size, size); face i is ``draw_face(seed * 1000003 + i)``; cached on disk."""
    path = None
    if cache_dir:
        path = os.path.join(cache_dir, "cartoon-faces-v%d-%d-%d-%d.npy" % (VERSION, count, size, seed))
        if os.path.isfile(path):
            return np.load(path)
    faces = np.stack([draw_face(seed * 1000003 + i, size) for i in range(count)])
    if path:
        save_array(faces, path)
    return faces
