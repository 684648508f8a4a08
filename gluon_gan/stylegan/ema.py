"""Moving averages StyleGAN keeps beside the trained weights: the EMA generator and the average w.

The EMA generator's maths is the one progressive growing and MSG-GAN use too
(:mod:`gluon_gan.ema`, re-exported here); only the average w is StyleGAN's own.
"""
import mxnet as mx
from mxnet import autograd

from ..ema import copy_parameters, ema_decay, update_ema  # noqa: F401  (StyleGAN's EMA is the shared one)


def update_w_avg(netG, batch_size, beta):
    """``w_avg <- beta * w_avg + (1 - beta) * mean(w)`` over a fresh batch of latents (the paper's dlatent_avg)."""
    ctx = netG.w_avg.list_ctx()[0]
    z = mx.nd.random.normal(shape=(batch_size, netG.nz, 1, 1), ctx=ctx)
    with autograd.pause():
        batch_mean = netG.mapping(z).mean(axis=0)
        netG.w_avg.set_data(beta * netG.w_avg.data(ctx) + (1.0 - beta) * batch_mean)
