"""Reading ``.params`` files in either naming: ours (by position) or the tutorial's legacy ``save_params``.

``save_parameters`` names a parameter by its path of child positions
(``0.weight``, ``1.gamma``, ``1.running_mean``). The tutorial saved with the
deprecated ``save_params``, which names it by block instead: the layer's
alias and per-type counter, after the network's prefix, which may or may not
have been stripped (``conv0_weight``, ``batchnorm0_gamma``,
``sequential0_conv2dtranspose0_weight``, ``hybridsequential0_conv0_weight``).

The counters restart per layer type, so the positions cannot be read off the
names alone: :func:`to_positional` matches them against the network that is
being loaded, the k-th convolution of the file to the k-th convolution of the
network, and so on per type. This module is the only place that knows the
legacy naming; :func:`gluon_gan.files.checkpoint.load_parameters` goes through it,
so every loader (generation, evaluation, checkpoints, start weights) takes both.
"""
import os
import re
import tempfile

import mxnet as mx

from ..errors import GluonGanError

# <optional block prefix><layer alias><counter>_<parameter>; the prefix match is greedy, so nested
# prefixes ("sequential0_hybridsequential0_") all go to the prefix.
_LEGACY_NAME = re.compile(r"^(?P<prefix>(?:.*_)?)(?P<alias>[a-z][a-z0-9]*?)(?P<counter>\d+)_"
                          r"(?P<param>weight|bias|gamma|beta|running_mean|running_var|u)$")


def read_file(path):
    """``{name: NDArray}`` exactly as stored in ``path`` (either naming); one-line error if unreadable."""
    if not os.path.isfile(path):
        raise GluonGanError("parameter file not found: %s" % path)
    try:
        loaded = mx.nd.load(path)
    except mx.base.MXNetError:
        raise GluonGanError("%s is not a readable MXNet .params file (truncated or corrupt?)" % path) from None
    if not isinstance(loaded, dict):
        raise GluonGanError("%s holds unnamed arrays, not a network's parameters" % path)
    return loaded


def is_legacy(names):
    """True for ``save_params`` names: Gluon's own rule, no name holds a '.' (``save_parameters`` names all do)."""
    names = list(names)
    return bool(names) and not any("." in name for name in names)


def layer_family(alias):
    """Aliases that name the same kind of layer across MXNet versions (``conv``, ``conv2dtranspose``, ...)."""
    if alias.startswith("conv") or alias.startswith("snconv"):
        return "conv"
    if alias.endswith("batchnorm"):
        return "batchnorm"
    if alias.endswith("dense"):
        return "dense"
    return alias


def legacy_layers(names, path):
    """``{family: [(counter, {param: name})]}`` sorted by counter; a one-line error for a name that is not legacy."""
    layers = {}
    for name in names:
        match = _LEGACY_NAME.match(name)
        if not match:
            raise GluonGanError("%s: parameter %r is named neither by position (save_parameters, e.g. '0.weight') "
                                "nor by block (the tutorial's save_params, e.g. 'conv0_weight')" % (path, name))
        key = (layer_family(match.group("alias")), match.group("prefix"), int(match.group("counter")))
        layers.setdefault(key, {})[match.group("param")] = name
    prefixes = {prefix for _, prefix, _ in layers}
    if len(prefixes) > 1:
        raise GluonGanError("%s mixes parameters of several blocks (%s); save one network per file"
                            % (path, ", ".join(sorted(repr(p) for p in prefixes))))
    by_family = {}
    for (family, _, counter), params in sorted(layers.items(), key=lambda kv: (kv[0][0], kv[0][2])):
        by_family.setdefault(family, []).append((counter, params))
    return by_family


def weight_names_in_order(names, path="the file"):
    """The ``weight`` entries of a file's names in layer order, for either naming (reads shapes without a network).

    Positional names sort by child index; legacy names by per-type counter,
    which is the layer order within a network built from one layer type
    (every weight of the generator is a convolution).
    """
    names = list(names)
    if not is_legacy(names):
        weights = [n for n in names if n.endswith(".weight") and n.split(".")[0].isdigit()]
        return sorted(weights, key=lambda n: int(n.split(".")[0]))
    ordered = []
    for family, layers in sorted(legacy_layers(names, path).items()):
        ordered += [params["weight"] for _, params in layers if "weight" in params]
    return ordered


def network_layers(net):
    """``{family: [(child_key, {param: our_name})]}`` of ``net``'s direct children that hold parameters, in order."""
    children = dict(net._children)  # name -> block, in the order they were added
    layers = {}
    for name in net._collect_params_with_prefix():
        child, _, param = name.partition(".")
        if "." in param or child not in children:
            raise GluonGanError("%s has nested blocks; legacy save_params files load only into flat networks"
                                % type(net).__name__)
        layers.setdefault(child, {})[param] = name
    by_family = {}
    for child, block in children.items():
        if child in layers:
            by_family.setdefault(layer_family(block._alias()), []).append((child, layers[child]))
    return by_family


def to_positional(loaded, net, path):
    """``loaded`` with legacy names replaced by ``net``'s positional ones (unchanged if already positional).

    A file whose layers do not line up with ``net``'s (another count of a layer
    type, or other parameters in a layer) is one line naming the first difference.
    """
    if not is_legacy(loaded):
        return loaded
    ours = network_layers(net)
    theirs = legacy_layers(loaded, path)
    what = type(net).__name__
    for family in sorted(set(ours) | set(theirs)):
        mine, stored = ours.get(family, []), theirs.get(family, [])
        if len(mine) != len(stored):
            raise GluonGanError("%s (the tutorial's save_params naming) does not fit %s: it has %d %s layer(s), "
                                "the network %d" % (path, what, len(stored), family, len(mine)))
    mapped = {}
    for family, layers in ours.items():
        for (child, params), (counter, names) in zip(layers, theirs[family]):
            if set(params) != set(names):
                raise GluonGanError("%s (the tutorial's save_params naming) does not fit %s: %s layer %d has %s, "
                                    "layer %s of the network %s" % (path, what, family, counter,
                                                                    sorted(names), child, sorted(params)))
            for param, our_name in params.items():
                mapped[our_name] = loaded[names[param]]
    return mapped


def read_params(path, net=None):
    """``{name: NDArray}`` from ``path``; with ``net``, legacy names become ``net``'s positional names."""
    loaded = read_file(path)
    return loaded if net is None else to_positional(loaded, net, path)


def load_into(net, path, ctx=None, check=None):
    """Load ``path`` (either naming) into ``net``; ``check(net, arrays, path)`` may refuse it first.

    Positional files load straight through Gluon's ``load_parameters``; a
    legacy file goes through a temporary copy with positional names, so Gluon
    does the loading (contexts, deferred shapes, dtype) exactly as for ours.
    """
    loaded = read_file(path)
    arrays = to_positional(loaded, net, path)
    if check is not None:
        check(net, arrays, path)
    if arrays is loaded:
        net.load_parameters(path, ctx=ctx)
        return net
    fd, tmp = tempfile.mkstemp(suffix=".params")
    os.close(fd)
    try:
        mx.nd.save(tmp, arrays)
        net.load_parameters(tmp, ctx=ctx)
    finally:
        os.remove(tmp)
    return net
