"""``msggan``: multi-scale gradients (Karnewar & Wang 2020, MSG-ProGAN): every resolution trained at once.

G is the progressive generator without phases: after every block a 1x1 conv
"to RGB" emits an image, so one call returns ``(4x4, 8x8, ..., final)``. D
takes each of them in at the block of matching size by concatenating the
image to its features (the paper's simple combine function ``phi_simple``),
so D's gradient reaches every one of G's blocks directly, from the first step.
Reals are the matching average-pooled pyramid.
"""
import dataclasses

import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from ..errors import GluonGanError
from ..files.plotting import save_image_grid
from ..training.sampling import latent
from .growing import critic_block, critic_output_block, from_rgb, generator_blocks, to_rgb_layers
from ..nn.layers import downsample, parameter_value, upsample
from ..nn.penalty import supported_layers, taped_sequence
from ..options import option
from .registry import register_family
from .pyramid import PyramidFamily, check_stddev_groups


@dataclasses.dataclass
class MSGGANOptions:
    nz: int = option(128, "latent size (the paper: 512)", min=1)
    image_size: int = option(64, "largest power-of-two resolution; G emits every one from 4x4 up to it", min=4)
    widths: str = option("64,64,32,16,16", "feature maps per resolution 4,8,16,..., comma-separated (the last "
                                           "repeats)")
    mbstd_group: int = option(0, "minibatch stddev group size (0: the whole minibatch; 4: the authors' code)",
                              min=0)
    ema_decay: float = option(0.999, "pictures come from an exponential moving average of G's weights with this "
                                     "decay per G update (Generator_ema.params); 0: from G itself", min=0)


class MultiScaleGenerator(HybridBlock):
    """z (N, nz, 1, 1) -> a tuple of images, one per resolution from 4x4 up (linear outputs)."""

    def __init__(self, nz, widths, nc=3, **kwargs):
        super().__init__(**kwargs)
        self.nz, self.widths, self.nc = nz, list(widths), nc
        with self.name_scope():
            self.blocks = generator_blocks(nz, self.widths)
            self.to_rgb = to_rgb_layers(self.widths, nc)

    def hybrid_forward(self, F, z):
        outputs, h = [], z
        for block, to_rgb in zip(self.blocks, self.to_rgb):
            h = block(h)
            outputs.append(to_rgb(h))
        return tuple(outputs)


class MultiScaleDiscriminator(HybridBlock):
    """(image at 4x4, ..., image at the final size) -> score (N, 1).

    The largest image enters through a 1x1 "from RGB"; every smaller one is
    concatenated (as raw channels) to the features when they reach its size.
    """

    def __init__(self, widths, nc=3, group_size=0, **kwargs):
        super().__init__(**kwargs)
        self.widths, self.nc = list(widths), nc
        last = len(self.widths) - 1
        with self.name_scope():
            self.from_rgb = from_rgb(nc, self.widths[last])
            self.blocks = nn.HybridSequential(prefix="blocks_")
            with self.blocks.name_scope():
                in_width = lambda s: self.widths[s] + (0 if s == last else nc)  # noqa: E731
                self.blocks.add(critic_output_block(in_width(0), self.widths[0], group_size))
                for s in range(1, last + 1):
                    self.blocks.add(critic_block(in_width(s), self.widths[s], self.widths[s - 1]))

    def taped_forward(self, F, images, param):
        """``(score, backward)``; ``backward(g)`` gives one input gradient per image (the exact gradient penalty).

        The concatenation's rule splits the upstream gradient: the first
        channels go back to D's features, the last ones to the image.
        """
        if len(images) != len(self.blocks):
            raise GluonGanError("the multi-scale D takes %d images (4x4 up), got %d" % (len(self.blocks), len(images)))
        last = len(images) - 1
        h, back_first = taped_sequence(F, supported_layers(self.from_rgb) + supported_layers(self.blocks[last]),
                                       images[last], param)
        steps = []  # (features before the concat, backward through the block), from the second-largest scale down
        for s in reversed(range(last)):
            joined = F.concat(h, images[s], dim=1)
            out, back = taped_sequence(F, supported_layers(self.blocks[s]), joined, param)
            steps.append((h, back))
            h = out

        def backward(g):
            grads = [None] * len(images)
            for s, (features, back) in zip(range(last), steps[::-1]):  # from the 4x4 block up
                g_joined = back(g)
                grads[s] = F.slice_axis(g_joined, axis=1, begin=-self.nc, end=None)
                g = F.slice_like(g_joined, features, axes=(1,))
            grads[last] = back_first(g)
            return tuple(grads)
        return h, backward

    def hybrid_forward(self, F, *images):
        return self.taped_forward(F, images, parameter_value(F, images[0]))[0]


@register_family
class MSGGAN(PyramidFamily):
    """MSG-GAN: one generator and one critic over all scales, no phases."""

    name = "msggan"
    Options = MSGGANOptions
    summary = "multi-scale gradients (Karnewar & Wang 2020): G emits, D takes, every resolution at once"
    # The paper (MSG-ProGAN): Adam(0.003, beta1=0, beta2=0.99), one D step per G step; hinge here by default.
    defaults = {"loss": "hinge", "batch_size": 32,
                "optimizer": ("adam", {"learning_rate": 3e-3, "beta1": 0.0, "beta2": 0.99, "epsilon": 1e-8})}

    def build_generator(self):
        return MultiScaleGenerator(self.options.nz, self.widths, nc=self.image_shape[0])

    def build_discriminator(self):
        self.check_no_spectral_norm()
        return MultiScaleDiscriminator(self.widths, nc=self.image_shape[0], group_size=self.options.mbstd_group)

    def make_batches(self, images, batch_size, seed=0, last_batch="discard", num_parts=1, part_index=0):
        check_stddev_groups(self.options.mbstd_group, [batch_size], last_batch)
        return super().make_batches(images, batch_size, seed, last_batch, num_parts, part_index)

    def callbacks(self, config):
        return self.ema_callbacks()

    def real_inputs(self, x):
        """The average-pooled pyramid of ``x``, smallest first, as G's outputs are ordered."""
        pyramid = [x]
        for _ in range(self.stages - 1):
            pyramid.append(downsample(mx.nd, pyramid[-1]))
        return tuple(reversed(pyramid))

    def images(self, g_out):
        """The largest scale, clipped to [-1, 1] (G's outputs are linear)."""
        return mx.nd.clip(super().images(g_out), -1, 1)

    def figures(self, netG, out_prefix, seed=0, ctx=None, count=8):
        """``<prefix>_scales.png``: G's image at every scale for the same latents (rows 4x4 up), at the final size."""
        net = self.sampling_generator(getattr(netG, "net", netG))  # a RunGenerator or G; its EMA copy if kept
        z = mx.nd.array(latent(count, self.latent_shape, seed), ctx=ctx or mx.cpu())
        size = self.image_shape[1]
        rows = [mx.nd.clip(upsample(mx.nd, x, size // x.shape[2]), -1, 1) for x in net(z)]
        return [save_image_grid(mx.nd.concat(*rows, dim=0), out_prefix + "_scales.png", nrow=count)]
