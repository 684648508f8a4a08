"""StyleGAN's discriminator: the progressive (ProGAN) one, fully grown, with a blur before each downsampling.

As the authors' ``D_basic`` builds it at a fixed resolution: "from RGB" (1x1
conv, LeakyReLU) at the top, then per resolution r down to 8: conv 3x3 to
``nf(r)`` with LeakyReLU, [blur,] conv 3x3 to ``nf(r/2)``, 2x2 average pooling,
LeakyReLU; at 4x4 minibatch standard deviation, conv 3x3, a dense layer to
``nf(0) = min(fmap_base, fmap_max)`` (a 4x4 valid convolution here) and the
linear score. Every layer is equalised. It is a plain sequence of layers the exact input-gradient
construction knows (:mod:`gluon_gan.nn.penalty`), so R1 differentiates exactly it.
"""
from mxnet.gluon import nn

from ..growing import critic_block, critic_output_block, from_rgb


class StyleDiscriminator(nn.HybridSequential):
    """image (N, nc, r, r) -> score (N, 1); ``widths`` maps each resolution 4, 8, ..., r to its feature maps.

    ``dense_width`` is the 4x4 block's dense layer (the authors' ``nf(0)``),
    ``group_size`` the minibatch stddev groups (the authors': 4; 0: the whole
    batch), ``blur`` the low-pass filter before each downsampling.
    """

    def __init__(self, widths, nc=3, dense_width=None, group_size=4, blur=True, **kwargs):
        super().__init__(**kwargs)
        resolutions = sorted(widths)
        self.widths, self.nc = dict(widths), nc
        with self.name_scope():
            self.add(from_rgb(nc, widths[resolutions[-1]]))
            for res in reversed(resolutions[1:]):
                self.add(critic_block(widths[res], widths[res], widths[res // 2], "conv-pool-act", blur=blur))
            self.add(critic_output_block(widths[4], widths[4], group_size, dense_width=dense_width))
