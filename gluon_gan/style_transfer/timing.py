"""Seconds per optimiser step of style transfer, the library's side of ``scripts/benchmark.py``'s comparison.

Set-up and warm-up (VGG's graph, memory pools, oneDNN primitives) happen once;
:meth:`StyleTimer.time_once` times one repeat, so a peer can run in between.
"""
import time

import mxnet as mx
import numpy as np

from . import optimize
from .objective import StyleObjective
from .transfer import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from .vgg import load_vgg_features


class StyleTimer:
    """Seconds per Adam step of style transfer: VGG-19 to conv5_1 (random weights), the default layers and weights.

    The same work as ``shared/bench/torch_style.py``: content on conv4_2, style
    (Gram) on conv1_1 ... conv5_1 with weight 10, squared variation with weight
    1, a ``size`` x 3/4 ``size`` landscape picture, Adam on the pixels.
    """

    def __init__(self, size=256, steps=5, warmup=3, ctx=None, seed=0):
        ctx = ctx or mx.cpu()
        self.steps = steps
        self.height, self.width = size * 3 // 4, size
        net = load_vgg_features(list(DEFAULT_STYLE_LAYERS) + list(DEFAULT_CONTENT_LAYERS), depth=19,
                                random_weights=True, seed=seed, ctx=ctx)
        self.objective = StyleObjective(net, DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, content_weight=1.0,
                                        style_weight=10.0, variation_weight=1.0)
        rs = np.random.RandomState(seed)
        shape = (1, 3, self.height, self.width)
        self.content = mx.nd.array(rs.rand(*shape), ctx=ctx, dtype="float32")
        self.objective.set_content(self.content)
        self.objective.set_styles([(mx.nd.array(rs.rand(*shape), ctx=ctx, dtype="float32"), 1.0)])
        optimize.adam(self.objective, self.content, warmup).wait_to_read()

    def time_once(self):
        mx.nd.waitall()
        start = time.perf_counter()
        optimize.adam(self.objective, self.content, self.steps).wait_to_read()
        mx.nd.waitall()
        return (time.perf_counter() - start) / self.steps
