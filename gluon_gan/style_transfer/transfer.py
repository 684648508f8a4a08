"""The whole style transfer: sizes, colour handling, initial image, coarse-to-fine levels.

Coarse-to-fine: with ``levels=3`` and ``size=512`` the image is optimised at
128, then 256, then 512 pixels (long side), each level starting from the last
result upsampled. The large, cheap-to-fix structure is settled where a step
costs 1/16 as much, which is how large outputs are made in reasonable time.
"""
import logging
from dataclasses import dataclass, field

import numpy as np

from ..errors import GluonGanError
from . import images
from .objective import StyleObjective
from .optimize import OPTIMIZERS, optimise

log = logging.getLogger(__name__)

DEFAULT_CONTENT_LAYERS = {"conv4_2": 1.0}
DEFAULT_STYLE_LAYERS = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0, "conv4_1": 1.0, "conv5_1": 1.0}
INITS = ("content", "noise", "blend")


@dataclass
class StyleSettings:
    """Every knob of one run; the command line fills it (see docs/style_transfer.md for each)."""

    size: int = 256
    content_layers: dict = field(default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS))
    style_layers: dict = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    content_weight: float = 1.0
    style_weight: float = 10.0
    variation_weight: float = 1.0
    variation_power: int = 2
    init: str = "content"
    init_noise: float = 0.5  # the noise share of --init blend
    steps: int = 300
    coarse_steps: int = None  # steps at each coarser level (default: steps)
    levels: int = 1
    optimizer: str = "lbfgs"
    learning_rate: float = 0.02
    style_scale: float = 1.0
    keep_colours: bool = False
    normalise_layers: bool = False  # each layer's loss relative to its target's mean square
    seed: int = 0

    def check(self):
        """One-line errors for settings no run can use."""
        if self.size < images.MIN_SIZE:
            raise GluonGanError("--size %d is too small: at least %d pixels (conv5 sits behind four 2x poolings)"
                                % (self.size, images.MIN_SIZE))
        if self.size > images.MAX_SIZE:
            raise GluonGanError("--size %d is too large: at most %d pixels (VGG's activations alone would need "
                                "about %.0f GB)" % (self.size, images.MAX_SIZE, self.size ** 2 * 4e-9 * 1200))
        if self.steps < 1 or (self.coarse_steps is not None and self.coarse_steps < 1):
            raise GluonGanError("--steps must be at least 1")
        if self.levels < 1:
            raise GluonGanError("--levels must be at least 1")
        if self.level_sizes()[0] < images.MIN_SIZE:
            raise GluonGanError("--levels %d at --size %d would start at %d pixels; at least %d are needed"
                                % (self.levels, self.size, self.level_sizes()[0], images.MIN_SIZE))
        if self.init not in INITS:
            raise GluonGanError("--init must be one of %s, not %r" % (", ".join(INITS), self.init))
        if not 0.0 <= self.init_noise <= 1.0:
            raise GluonGanError("--init-noise must be within [0, 1]")
        if self.optimizer not in OPTIMIZERS:
            raise GluonGanError("--optimizer must be one of %s" % ", ".join(OPTIMIZERS))
        if self.style_scale <= 0:
            raise GluonGanError("--style-scale must be positive")
        if min(self.content_weight, self.style_weight, self.variation_weight) < 0:
            raise GluonGanError("loss weights must not be negative")
        return self

    def level_sizes(self):
        """Long sides of the coarse-to-fine levels, smallest first, ending at ``size``."""
        return [int(round(self.size / 2 ** k)) for k in range(self.levels - 1, -1, -1)]


def initial_image(content, init, noise_share, seed):
    """The starting image (HWC, [0, 1]): the content, uniform noise, or a mix with ``noise_share`` noise."""
    noise = np.random.RandomState(seed).uniform(0.0, 1.0, content.shape).astype(np.float32)
    if init == "content":
        return content.copy()
    if init == "noise":
        return noise
    return ((1.0 - noise_share) * content + noise_share * noise).astype(np.float32)


def stylise(net, content, styles, settings, ctx=None, callback=None, stats=None):
    """Content (HWC [0, 1]) redrawn in the blended style of ``styles`` [(HWC, weight)]; returns HWC [0, 1].

    ``net`` is a :class:`~.vgg.VGGFeatures` computing at least the content and
    style layers. ``callback(level, step, steps, image, parts)`` is called after
    every optimiser step (``image`` a (1, 3, H, W) NDArray). ``stats``, a dict if
    given, receives ``evaluations``: the loss-and-gradient evaluations made.
    """
    settings.check()
    if not styles:
        raise GluonGanError("at least one style image is needed")
    if any(weight <= 0 for _, weight in styles):
        raise GluonGanError("style blend weights must be positive")
    full_content = content
    if settings.keep_colours:  # luminance-only transfer: optimise grey pictures, put the colour back at the end
        styles = [(images.match_luminance(style, content), weight) for style, weight in styles]
        content = images.luminance(content)
    objective = StyleObjective(net, settings.content_layers, settings.style_layers, settings.content_weight,
                               settings.style_weight, settings.variation_weight, settings.variation_power,
                               settings.normalise_layers)
    sizes = settings.level_sizes()
    result = None
    for level, size in enumerate(sizes, 1):
        h, w = images.fit_long_side(content.shape, size)
        level_content = images.resize(content, h, w)
        objective.set_content(images.to_batch(level_content, ctx))
        objective.set_styles([(images.to_batch(_style_at(style, size * settings.style_scale), ctx), weight)
                              for style, weight in styles])
        if result is None:
            start = initial_image(level_content, settings.init, settings.init_noise, settings.seed)
        else:
            start = images.resize(result, h, w)
        steps = settings.steps if level == len(sizes) else (settings.coarse_steps or settings.steps)
        log.debug("level %d/%d: %dx%d, %d %s steps", level, len(sizes), w, h, steps, settings.optimizer)

        def on_step(step, image, parts, level=level, steps=steps):
            if callback is not None:
                callback(level, step, steps, image, parts)

        result = images.from_batch(optimise(objective, images.to_batch(start, ctx), steps, settings.optimizer,
                                            settings.learning_rate, on_step))
        if stats is not None:
            stats["evaluations"] = objective.evaluations
    return finish(result, full_content, settings)


def finish(result, content, settings):
    """The optimised image as it is shown: clipped, and with the content's colours back if they are kept."""
    result = np.clip(result, 0.0, 1.0)
    if settings.keep_colours:
        h, w = result.shape[:2]
        result = images.restore_colours(result, images.resize(content, h, w))
    return result


def _style_at(style, long_side):
    h, w = images.fit_long_side(style.shape, max(int(round(long_side)), images.MIN_SIZE))
    return images.resize(style, h, w)
