"""Pictures in and out of style transfer: float RGB in [0, 1], HWC numpy, plus the luminance maths.

Style transfer optimises an image in plain pixel space, so images here are
``float32 (H, W, 3)`` in [0, 1]; only :class:`~.vgg.VGGFeatures` applies the
ImageNet normalisation. Colour preservation (Gatys et al. 2017, "luminance-only
transfer") works in YIQ: the style is transferred on the luminance Y alone and
the content's chrominance I, Q is put back afterwards.
"""
import os

import mxnet as mx
import numpy as np

from ..errors import GluonGanError

MIN_SIZE = 32  # conv5_x sits behind four 2x poolings: smaller images leave it 1-2 pixels wide
MAX_SIZE = 8192  # a guard against typos: VGG-19's activations at 8192 px already take ~300 GB

# NTSC YIQ: Y is luminance, I and Q carry the colour.
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                       [0.595716, -0.274453, -0.321263],
                       [0.211456, -0.522591, 0.311135]], dtype=np.float64)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)


def load_image(path, what="image"):
    """Decode a JPEG/PNG/BMP/... to float32 RGB (H, W, 3) in [0, 1]; one-line errors naming ``what``."""
    from PIL import Image, UnidentifiedImageError
    if not os.path.isfile(path):
        raise GluonGanError("%s not found: %s" % (what, path))
    try:
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise GluonGanError("cannot read %s %s: %s" % (what, path, str(err).splitlines()[0] if str(err) else
                                                       type(err).__name__)) from None
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise GluonGanError("%s %s is empty" % (what, path))
    return rgb


def fit_long_side(shape, size):
    """(height, width) with the long side ``size`` and the aspect ratio of ``shape`` kept (each side >= 1)."""
    h, w = shape[:2]
    scale = size / float(max(h, w))
    return max(1, int(round(h * scale))), max(1, int(round(w * scale)))


def resize(image, height, width):
    """Resize float HWC: area averaging when shrinking, bicubic when enlarging, clipped to [0, 1]."""
    if image.shape[:2] == (height, width):
        return image.astype(np.float32)
    shrinking = height * width < image.shape[0] * image.shape[1]
    out = mx.image.imresize(mx.nd.array(image, dtype="float32"), width, height, interp=2 if shrinking else 3)
    return np.clip(out.asnumpy(), 0.0, 1.0)


def to_batch(image, ctx=None):
    """HWC numpy -> (1, 3, H, W) float32 NDArray on ``ctx``."""
    return mx.nd.array(image.transpose(2, 0, 1)[None], ctx=ctx or mx.cpu(), dtype="float32")


def from_batch(batch):
    """(1, 3, H, W) NDArray or numpy -> HWC float32 numpy."""
    arr = batch.asnumpy() if hasattr(batch, "asnumpy") else np.asarray(batch)
    return arr[0].transpose(1, 2, 0).astype(np.float32)


def save_image(image, path):
    """Write float HWC in [0, 1] as an 8-bit PNG, atomically."""
    from ..files.plotting import save_png  # matplotlib: loaded only when a picture is written
    picture = np.clip(np.rint(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)
    return save_png(picture, path)


def rgb_to_yiq(image):
    return (np.asarray(image, np.float64) @ RGB_TO_YIQ.T).astype(np.float32)


def yiq_to_rgb(image):
    return (np.asarray(image, np.float64) @ YIQ_TO_RGB.T).astype(np.float32)


def luminance(image):
    """Y of YIQ, replicated to 3 channels so VGG sees a grey picture."""
    y = rgb_to_yiq(image)[..., :1]
    return np.repeat(y, 3, axis=2)


def match_luminance(style, content):
    """The style's grey luminance, shifted and scaled to the content's luminance mean and std (Gatys 2017)."""
    ys, yc = luminance(style)[..., 0], luminance(content)[..., 0]
    matched = (ys - ys.mean()) * (yc.std() / max(ys.std(), 1e-6)) + yc.mean()
    return np.repeat(np.clip(matched, 0.0, 1.0)[..., None], 3, axis=2).astype(np.float32)


def restore_colours(stylised, content):
    """The stylised image's luminance with the content's I, Q chrominance (same size), back in RGB."""
    yiq = rgb_to_yiq(content)
    yiq[..., 0] = rgb_to_yiq(stylised)[..., 0]
    return np.clip(yiq_to_rgb(yiq), 0.0, 1.0)
