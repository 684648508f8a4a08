"""The tutorial's weight init, and counting a network's parameters: what every family's networks share."""
import mxnet as mx


def initialize(net, ctx):
    """The tutorial's init: Normal(0.02) weights (BatchNorm gamma=1, beta=0 by MXNet's rules)."""
    net.initialize(mx.init.Normal(0.02), ctx=ctx, force_reinit=True)
    return net


def count_parameters(net, include_running_stats=False):
    """Number of scalars in ``net`` (learned ones only unless asked)."""
    total = 0
    for param in net.collect_params().values():
        if param.grad_req == "null" and not include_running_stats:
            continue
        size = 1
        for dim in param.shape:
            size *= dim
        total += size
    return total
