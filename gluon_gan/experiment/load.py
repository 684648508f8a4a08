"""A trained generator back from its files: ``Generator.params`` plus the run record beside it.

A run directory's ``config.json`` names the model family, its options and the
image shape, so ``Generator.params`` plus that record is all a user needs. A
bare ``.params`` without a record is read as the tutorial's DCGAN, its widths
and size taken off the weight shapes.
"""
import os

import mxnet as mx

from .. import families
from ..errors import GluonGanError
from ..files import legacy
from ..files.checkpoint import load_parameters, read_parameter_shapes
from ..training.sampling import RunGenerator
from .config import read_record


def generator_shape_from_params(path):
    """``(nz, ngf, nc, size)`` of the DCGAN Generator saved in ``path``, read off its weight shapes.

    The first layer's weight is (nz, ngf*2^k, 4, 4) and the last (ngf, nc, 4, 4);
    each weight after the first (1x1 -> 4x4) doubles the size, so no flags are
    needed to load a generator trained with other widths or sizes.
    """
    shapes = read_parameter_shapes(path)
    weights = legacy.weight_names_in_order(shapes, path)  # either naming: ours or the tutorial's save_params
    first = shapes[weights[0]] if weights else None
    stages = len(weights) - 1
    if not weights or len(first) != 4 or stages < 1 or first[1] % (1 << (stages - 1)):
        raise GluonGanError("%s does not look like a Generator's parameters (its first weight has shape %s)"
                            % (path, first if weights else "none"))
    nz, widest = first[:2]
    nc = shapes[weights[-1]][1]
    return nz, widest >> (stages - 1), nc, 1 << (stages + 2)


def load_generator(path, ctx=None, hybridize=True):
    """A :class:`RunGenerator` for the weights in ``path`` (its run record beside it says what to build)."""
    ctx = ctx or mx.cpu()
    record = read_record(os.path.dirname(os.path.abspath(path)))
    info = (record or {}).get("family")
    if info:
        family = families.create_family(info["name"], info["image_shape"], info["options"])
    else:  # no run record, or one from before model families: the tutorial's DCGAN, read off the weights
        nz, ngf, nc, size = generator_shape_from_params(path)
        family = families.create_family("dcgan", (nc, size, size), {"nz": nz, "ngf": ngf, "image_size": size})
    netG = family.build_generator()
    load_parameters(netG, path, ctx=ctx)
    if hybridize:
        family.hybridize(netG)
    extras = family.extra_networks(netG, ctx)
    for name, net in extras.items():
        extra_path = os.path.join(os.path.dirname(os.path.abspath(path)), name)
        if os.path.isfile(extra_path):
            load_parameters(net, extra_path, ctx=ctx)
            if hybridize:
                family.hybridize(net)
            family.extras[name] = net
    return RunGenerator(family, netG)
