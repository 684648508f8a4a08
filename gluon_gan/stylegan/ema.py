"""Moving averages StyleGAN keeps beside the trained weights: the EMA generator and the average w."""
import mxnet as mx
from mxnet import autograd


def _params(net):
    return net._collect_params_with_prefix()  # the structural names save_parameters writes


def copy_parameters(src, dst):
    """Set every parameter of ``dst`` to ``src``'s (two networks of the same structure)."""
    theirs = _params(src)
    for name, param in _params(dst).items():
        param.set_data(theirs[name].data(theirs[name].list_ctx()[0]))


def ema_decay(decay, updates):
    """The decay for update number ``updates`` (from 0): ``min(decay, (1 + t) / (10 + t))``.

    The ramp lets the average forget the random initial weights within the
    first few dozen steps instead of ~1/(1-decay), which matters for the short
    runs a CPU allows; later it is the plain ``decay``.
    """
    return min(float(decay), (1.0 + updates) / (10.0 + updates))


def update_ema(ema, net, decay):
    """``ema <- decay * ema + (1 - decay) * net`` for trained weights; other parameters (w_avg) are copied."""
    theirs = _params(net)
    with autograd.pause():
        for name, param in _params(ema).items():
            src = theirs[name]
            for mine, value in zip(param.list_data(), src.list_data()):
                if src.grad_req == "null":
                    mine[:] = value
                else:
                    mine[:] = decay * mine + (1.0 - decay) * value


def update_w_avg(netG, batch_size, beta):
    """``w_avg <- beta * w_avg + (1 - beta) * mean(w)`` over a fresh batch of latents (the paper's dlatent_avg)."""
    ctx = netG.w_avg.list_ctx()[0]
    z = mx.nd.random.normal(shape=(batch_size, netG.nz, 1, 1), ctx=ctx)
    with autograd.pause():
        batch_mean = netG.mapping(z).mean(axis=0)
        netG.w_avg.set_data(beta * netG.w_avg.data(ctx) + (1.0 - beta) * batch_mean)
