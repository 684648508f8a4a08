"""The style-transfer objective: weighted content, style and variation losses of one image.

total = content_weight * sum_l w_l content_l
      + style_weight   * sum_l w_l style_l(A_l)
      + variation_weight * variation

Several style images are blended in their Gram targets, A_l = sum_s b_s A_l(s)
with the blend weights b_s scaled to sum to 1. Since sum_s b_s |G - A(s)|^2 and
|G - sum_s b_s A(s)|^2 differ only by a constant, this optimises exactly the
weighted sum of the per-style losses at the cost of one style loss.

With ``normalise_layers`` each layer's loss is divided by its target's own
mean square (mean P^2 for content, mean A^2 for style): a relative error, 1
for an all-zero response. The weights then mean the same for any network,
trained or random, at the price of departing from the paper's formulas.
"""
from collections import OrderedDict

import mxnet as mx

from .losses import content_loss, gram, style_loss, variation_loss


class StyleObjective:
    """Targets computed once from the content and style images; :meth:`losses` scores a candidate image."""

    def __init__(self, net, content_layers, style_layers, content_weight=1.0, style_weight=1.0,
                 variation_weight=0.0, variation_power=2, normalise_layers=False):
        self.net = net
        self.content_layers = OrderedDict(content_layers)
        self.style_layers = OrderedDict(style_layers)
        self.weights = {"content": float(content_weight), "style": float(style_weight),
                        "variation": float(variation_weight)}
        self.variation_power = variation_power
        self.normalise_layers = normalise_layers
        self._index = {name: i for i, name in enumerate(net.outputs)}
        self.content_targets, self.content_scales = {}, {}
        self.style_targets, self.style_scales = {}, {}
        self.evaluations = 0  # forward passes of a candidate image: L-BFGS's line search may take several a step

    def _features(self, image):
        out = self.net(image)
        return out if isinstance(out, (list, tuple)) else (out,)

    def set_content(self, content):
        """``content``: (1, 3, H, W) NDArray at the size the result will have."""
        feats = self._features(content)
        self.content_targets = {name: feats[self._index[name]].copy() for name in self.content_layers}
        self.content_scales = {name: self._scale(target) for name, target in self.content_targets.items()}

    def set_styles(self, styles):
        """``styles``: [(image (1, 3, h, w) NDArray, blend weight)], each at any size (Grams are size-free)."""
        total = float(sum(weight for _, weight in styles))
        targets = {}
        for image, weight in styles:
            feats = self._features(image)
            for name in self.style_layers:
                contribution = gram(feats[self._index[name]]) * (weight / total)
                targets[name] = contribution if name not in targets else targets[name] + contribution
        self.style_targets = targets
        self.style_scales = {name: self._scale(target) for name, target in targets.items()}

    def _scale(self, target):
        """What a layer's loss is multiplied by: 1, or 1 / mean(target^2) with ``normalise_layers``."""
        if not self.normalise_layers:
            return 1.0
        return 1.0 / max(float(mx.nd.mean(mx.nd.square(target)).asscalar()), 1e-12)

    def losses(self, image):
        """(total, {"content", "style", "variation"}) as scalar NDArrays; record autograd around it for gradients."""
        self.evaluations += 1
        feats = self._features(image)
        zero = mx.nd.zeros((1,), ctx=image.context)
        content = zero
        for name, weight in self.content_layers.items():
            content = content + weight * self.content_scales[name] * content_loss(feats[self._index[name]],
                                                                                  self.content_targets[name])
        style = zero
        for name, weight in self.style_layers.items():
            style = style + weight * self.style_scales[name] * style_loss(feats[self._index[name]],
                                                                          self.style_targets[name])
        variation = variation_loss(image, self.variation_power)  # cheap; shown even when unweighted
        parts = {"content": content, "style": style, "variation": variation}
        total = sum(self.weights[k] * v for k, v in parts.items())
        return total, parts

    def loss_and_gradient(self, image):
        """(total float, {part: float}, d total / d image NDArray) at ``image``."""
        image = image.copy()
        image.attach_grad()
        with mx.autograd.record():
            total, parts = self.losses(image)
        total.backward()
        return float(total.asscalar()), {k: float(v.asscalar()) for k, v in parts.items()}, image.grad
