"""The style-transfer objective: weighted content, style and variation losses of one image.

total = content_weight * sum_l w_l content_l
      + style_weight   * sum_l w_l style_l(A_l)
      + variation_weight * variation

Several style images are blended in their Gram targets, A_l = sum_s b_s A_l(s)
with the blend weights b_s scaled to sum to 1. Since sum_s b_s |G - A(s)|^2 and
|G - sum_s b_s A(s)|^2 differ only by a constant, this optimises exactly the
weighted sum of the per-style losses at the cost of one style loss.
"""
from collections import OrderedDict

import mxnet as mx

from .losses import content_loss, gram, style_loss, variation_loss


class StyleObjective:
    """Targets computed once from the content and style images; :meth:`losses` scores a candidate image."""

    def __init__(self, net, content_layers, style_layers, content_weight=1.0, style_weight=1.0,
                 variation_weight=0.0, variation_power=2):
        self.net = net
        self.content_layers = OrderedDict(content_layers)
        self.style_layers = OrderedDict(style_layers)
        self.weights = {"content": float(content_weight), "style": float(style_weight),
                        "variation": float(variation_weight)}
        self.variation_power = variation_power
        self._index = {name: i for i, name in enumerate(net.outputs)}
        self.content_targets = {}
        self.style_targets = {}
        self.evaluations = 0  # forward passes of a candidate image: L-BFGS's line search may take several a step

    def _features(self, image):
        out = self.net(image)
        return out if isinstance(out, (list, tuple)) else (out,)

    def set_content(self, content):
        """``content``: (1, 3, H, W) NDArray at the size the result will have."""
        feats = self._features(content)
        self.content_targets = {name: feats[self._index[name]].copy() for name in self.content_layers}

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

    def losses(self, image):
        """(total, {"content", "style", "variation"}) as scalar NDArrays; record autograd around it for gradients."""
        self.evaluations += 1
        feats = self._features(image)
        zero = mx.nd.zeros((1,), ctx=image.context)
        content = zero
        for name, weight in self.content_layers.items():
            content = content + weight * content_loss(feats[self._index[name]], self.content_targets[name])
        style = zero
        for name, weight in self.style_layers.items():
            style = style + weight * style_loss(feats[self._index[name]], self.style_targets[name])
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
