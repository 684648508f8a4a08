"""VGG-16/19 convolutional features under the paper's layer names, loaded from model-zoo files.

Gatys et al. name VGG's layers ``conv<block>_<index>`` (conv1_1 ... conv5_4); the
MXNet model zoo numbers them by position in ``net.features`` (``features.0`` is
conv1_1, ``features.2`` conv1_2, ``features.5`` conv2_1, ...). :func:`zoo_positions`
derives that map from the zoo's own ``vgg_spec``, so it cannot drift from the
network the weights were trained in. A layer's feature is its *rectified*
output (what neural-style calls relu4_2), as in the paper.

Only the convolutions are ever built or loaded, and only up to the deepest layer
asked for: the classifier's 120M dense weights are skipped, and features past
conv5_1 are never computed.
"""
import glob
import os
import re

import mxnet as mx
from mxnet.gluon import nn

from ..errors import GluonGanError
from ..nn.zoo import IMAGENET_MEAN, IMAGENET_STD

DEPTHS = (16, 19)


def block_spec(depth):
    """``(convs per block, channels per block)`` of VGG-``depth``, straight from the model zoo."""
    from mxnet.gluon.model_zoo.vision.vgg import vgg_spec
    if depth not in DEPTHS:
        raise GluonGanError("unsupported VGG depth %r: choose 16 or 19" % (depth,))
    return vgg_spec[depth]


def layer_names(depth=19):
    """The paper's names of VGG-``depth``'s convolutions, in order: conv1_1, conv1_2, conv2_1, ..."""
    layers, _ = block_spec(depth)
    return ["conv%d_%d" % (b + 1, i + 1) for b, count in enumerate(layers) for i in range(count)]


def zoo_positions(depth=19):
    """``{paper name: index in the zoo's net.features}``: each conv is followed by a ReLU, each block by a pool."""
    layers, _ = block_spec(depth)
    positions, index = {}, 0
    for b, count in enumerate(layers):
        for i in range(count):
            positions["conv%d_%d" % (b + 1, i + 1)] = index
            index += 2  # Conv2D, Activation
        index += 1  # MaxPool2D
    return positions


def zoo_cache_path(depth=19):
    """Where ``vgg19(pretrained=True)`` keeps its weights (never called here: it would download)."""
    from mxnet.gluon.model_zoo.model_store import short_hash
    name = "vgg%d" % depth
    return os.path.join(mx.base.data_dir(), "models", "%s-%s.params" % (name, short_hash(name)))


def find_vgg_params(depth=19, path=None):
    """The weights file to use: ``path`` if given, else the model-zoo cache; one line naming it if absent."""
    if path:
        if not os.path.isfile(path):
            raise GluonGanError("VGG weights not found: %s (the file given to --vgg-params)" % path)
        return path
    expected = zoo_cache_path(depth)
    if os.path.isfile(expected):
        return expected
    others = sorted(glob.glob(os.path.join(os.path.dirname(expected), "vgg%d-*.params" % depth)))
    if others:
        return others[0]
    raise GluonGanError(
        "VGG-%d weights not found: looked for %s (MXNet's model-zoo cache); get it with "
        "`python -c \"from mxnet.gluon.model_zoo import vision; vision.vgg%d(pretrained=True)\"` on a "
        "machine online and copy it there, or pass --vgg-params FILE, or try --random-weights"
        % (depth, expected, depth))


class VGGFeatures(nn.HybridBlock):
    """VGG's convolutions up to the deepest requested layer; returns the requested layers' ReLU outputs.

    Input: RGB in [0, 1], (N, 3, H, W). The ImageNet mean/std the weights expect
    is applied inside, so optimised images stay in plain pixel space.
    ``pooling='avg'`` swaps max-pooling for average pooling (the paper found it
    gives slightly smoother results); the weights are the same.
    """

    def __init__(self, outputs, depth=19, pooling="max", channels=None, **kwargs):
        super().__init__(**kwargs)
        names = layer_names(depth)
        unknown = [o for o in outputs if o not in names]
        if unknown:
            raise GluonGanError("VGG-%d has no layer %s; choose from %s" % (depth, unknown[0], ", ".join(names)))
        if pooling not in ("max", "avg"):
            raise GluonGanError("pooling must be max or avg, not %r" % (pooling,))
        self.depth, self.pooling, self.outputs = depth, pooling, list(outputs)
        last = max(names.index(o) for o in outputs)
        layers, widths = block_spec(depth)
        channels = dict(channels or {})
        self._plan = []  # (name, pool before this conv?)
        with self.name_scope():
            self.mean = self.params.get_constant("mean", mx.nd.array(IMAGENET_MEAN).reshape((1, 3, 1, 1)))
            self.std = self.params.get_constant("std", mx.nd.array(IMAGENET_STD).reshape((1, 3, 1, 1)))
            previous = 3
            for i, name in enumerate(names[:last + 1]):
                block = int(name[4]) - 1
                width = channels.get(name, widths[block])
                conv = nn.Conv2D(width, kernel_size=3, padding=1, in_channels=previous, prefix=name + "_",
                                 weight_initializer=mx.init.Xavier(rnd_type="gaussian", factor_type="out",
                                                                   magnitude=2))
                setattr(self, name, conv)  # registers the child under the paper's name
                self._plan.append((name, i > 0 and name.endswith("_1")))
                previous = width

    def hybrid_forward(self, F, x, mean, std):
        h = F.broadcast_div(F.broadcast_sub(x, mean), std)
        wanted = set(self.outputs)
        found = {}
        for name, pool_first in self._plan:
            if pool_first:
                h = F.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type=self.pooling)
            # Activation, not relu: oneDNN's ReLU keeps the convolutions' blocked layout (relu is MXNet's own
            # kernel, which needs plain NCHW and two reorders around it): the same numbers, 8% faster a step
            h = F.Activation(getattr(self, name)(h), act_type="relu")
            if name in wanted:
                found[name] = h
        return tuple(found[o] for o in self.outputs)


def _conv_index_from_legacy(key):
    """``vgg0_conv7_weight`` / ``conv7_weight`` / ``arg:vgg0_conv7_weight`` -> (7, 'weight'); else None."""
    match = re.fullmatch(r"(?:arg:|aux:)?(?:vgg\d+_)?conv(\d+)_(weight|bias)", key)
    return (int(match.group(1)), match.group(2)) if match else None


def read_zoo_conv_weights(path, depth=19):
    """``{paper name: (weight, bias)}`` from a model-zoo VGG file; one clear line if the file is not one.

    Both formats the zoo has used are read: ``save_parameters`` names
    (``features.<position>.weight``) and the older ``save_params`` names
    (``vgg0_conv<k>_weight``, the k-th convolution).
    """
    try:
        loaded = mx.nd.load(path)
    except mx.base.MXNetError:
        raise GluonGanError("%s is not a readable MXNet .params file (truncated or corrupt?)" % path) from None
    if not isinstance(loaded, dict):
        raise GluonGanError("%s holds unnamed arrays, not a VGG-%d's parameters" % (path, depth))
    names = layer_names(depth)
    legacy = {}
    for key, value in loaded.items():
        parsed = _conv_index_from_legacy(key)
        if parsed:
            legacy[parsed] = value
    if any(k.startswith("features.") for k in loaded):
        positions = zoo_positions(depth)
        keys = {n: ("features.%d.weight" % positions[n], "features.%d.bias" % positions[n]) for n in names}
        source = loaded
    elif legacy:
        keys = {n: ((i, "weight"), (i, "bias")) for i, n in enumerate(names)}
        source = legacy
    else:
        raise GluonGanError("%s is not a model-zoo VGG-%d file: it has no features.N.weight or convN_weight "
                            "parameters (first key: %s)" % (path, depth, next(iter(loaded), "none")))
    weights = {}
    previous = 3
    for name in names:
        wkey, bkey = keys[name]
        if wkey not in source or bkey not in source:
            raise GluonGanError("%s does not fit VGG-%d: it lacks %s's parameters (%s)"
                                % (path, depth, name, wkey if isinstance(wkey, str) else "conv%d" % wkey[0]))
        w, b = source[wkey], source[bkey]
        if w.ndim != 4 or w.shape[2:] != (3, 3) or w.shape[1] != previous or b.shape != (w.shape[0],):
            raise GluonGanError("%s does not fit VGG-%d: %s has weight shape %s and bias shape %s, expected "
                                "(C, %d, 3, 3) and (C,)" % (path, depth, name, w.shape, b.shape, previous))
        weights[name] = (w, b)
        previous = w.shape[0]
    if source is legacy and max(k[0] for k in legacy) >= len(names):  # numbered convs alone do not reveal the depth
        raise GluonGanError("%s has %d convolutions, more than VGG-%d's %d: is it another depth?"
                            % (path, max(k[0] for k in legacy) + 1, depth, len(names)))
    return weights


def load_vgg_features(outputs, depth=19, pooling="max", params=None, random_weights=False, seed=0, ctx=None):
    """A hybridized :class:`VGGFeatures` on ``ctx`` with the zoo's weights, or random ones if asked.

    With ``random_weights`` nothing is read: the layers get the zoo's own
    initialiser (Xavier, gaussian, magnitude 2) seeded with ``seed``.
    """
    ctx = ctx or mx.cpu()
    if random_weights:
        net = VGGFeatures(outputs, depth=depth, pooling=pooling)
        mx.random.seed(seed)
        net.initialize(ctx=ctx)
    else:
        path = find_vgg_params(depth, params)
        weights = read_zoo_conv_weights(path, depth)
        channels = {name: w.shape[0] for name, (w, _) in weights.items()}
        net = VGGFeatures(outputs, depth=depth, pooling=pooling, channels=channels)
        net.initialize(ctx=ctx)
        for name, _ in net._plan:
            w, b = weights[name]
            conv = getattr(net, name)
            conv.weight.set_data(w)
            conv.bias.set_data(b)
        net.source = path
    for p in net.collect_params().values():
        p.grad_req = "null"  # only the image is optimised
    net.hybridize(static_alloc=True, static_shape=False)
    return net


def parse_layers(text, depth=19, flag="layers"):
    """``"conv1_1,conv4_2:0.5"`` -> ``{"conv1_1": 1.0, "conv4_2": 0.5}``; one-line errors for bad names/weights."""
    names = layer_names(depth)
    layers = {}
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        name, _, weight = part.partition(":")
        if name not in names:
            raise GluonGanError("%s: VGG-%d has no layer %r; choose from %s" % (flag, depth, name, ", ".join(names)))
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise GluonGanError("%s: bad weight %r for %s" % (flag, weight, name)) from None
        if value < 0:
            raise GluonGanError("%s: weight of %s must not be negative" % (flag, name))
        layers[name] = value
    if not layers:
        raise GluonGanError("%s: name at least one layer" % flag)
    return layers
