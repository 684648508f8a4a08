"""The average w StyleGAN tracks for truncation (its EMA generator is the shared :mod:`gluon_gan.training.ema`)."""
import mxnet as mx
from mxnet import autograd



def update_w_avg(netG, batch_size, beta):
    """``w_avg <- beta * w_avg + (1 - beta) * mean(w)`` over a fresh batch of latents (the paper's dlatent_avg)."""
    ctx = netG.w_avg.list_ctx()[0]
    z = mx.nd.random.normal(shape=(batch_size, netG.nz, 1, 1), ctx=ctx)
    with autograd.pause():
        batch_mean = netG.mapping(z).mean(axis=0)
        netG.w_avg.set_data(beta * netG.w_avg.data(ctx) + (1.0 - beta) * batch_mean)
