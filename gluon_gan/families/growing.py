"""Networks that grow from 4x4 by doubling (Karras et al. 2018), and the blocks MSG-GAN shares with them.

Every stage is built up front, so the parameter files always hold the same
keys and a resumed or sampled run needs no surgery. Stage ``s`` works at
``4 * 2**s`` pixels. While stage ``s`` fades in, the new block's output is
blended with the previous stage's path:

* G: ``alpha * toRGB_s(block_s(h)) + (1 - alpha) * upsample(toRGB_{s-1}(h))``;
* D: ``alpha * block_s(fromRGB_s(x)) + (1 - alpha) * fromRGB_{s-1}(downsample(x))``.

``alpha`` is a non-trainable parameter (an input of the hybridized graph, so
changing it costs nothing); the stage is a Python attribute that picks the
graph, mirrored in a non-trainable ``stage`` parameter so a saved network
knows its stage. Changing the stage (or ending a fade-in) traces the graph
again and freezes the weights of stages not in use (``grad_req='null'``).
"""
import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from ..errors import GluonGanError
from ..nn.layers import Downsample, EqConv2D, EqDense, MinibatchStdDev, blend, downsample, leaky, parameter_value, pixel_norm, quiet_unused_parameters, set_trainable, upsample
from ..nn.penalty import supported_layers, taped_sequence


def stage_count(size):
    """Stages from 4x4 to ``size`` (a power of two, at least 4): 4 -> 1, 8 -> 2, ..., 64 -> 5."""
    size = int(size)
    stages = size.bit_length() - 2
    if size < 4 or size != 1 << (stages + 1):
        raise GluonGanError("progressive networks need a power-of-two image size of at least 4, not %r" % (size,))
    return stages


def resolution(stage):
    return 4 << stage


def per_stage(text, stages, what):
    """``"64,64,32"`` -> one positive int per stage (the last repeated); a one-line error otherwise."""
    try:
        values = [int(v) for v in str(text).replace(" ", "").split(",") if v]
    except ValueError:
        raise GluonGanError("%s must be comma-separated integers, not %r" % (what, text)) from None
    if not values or any(v < 1 for v in values):
        raise GluonGanError("%s must be positive integers, not %r" % (what, text))
    return (values + [values[-1]] * stages)[:stages]


# ---- generator blocks ---------------------------------------------------------------------------------

class GeneratorInput(HybridBlock):
    """z (N, nz, 1, 1) -> 4x4 features: pixel-normed latent, dense to 4x4 ("conv 4x4" on 1x1), conv 3x3."""

    def __init__(self, nz, width, **kwargs):
        super().__init__(**kwargs)
        self.nz, self.width = nz, width
        with self.name_scope():
            self.dense = EqDense(width * 16, in_units=nz)
            self.conv = EqConv2D(width, 3, 1, 1, in_channels=width)

    def hybrid_forward(self, F, z):
        h = self.dense(F.flatten(pixel_norm(F, z, self.nz)))
        h = pixel_norm(F, F.LeakyReLU(F.reshape(h, (0, self.width, 4, 4)), slope=0.2), self.width)
        return pixel_norm(F, F.LeakyReLU(self.conv(h), slope=0.2), self.width)


class GeneratorBlock(HybridBlock):
    """Double the size (nearest), then two conv 3x3, each with LeakyReLU and pixel norm."""

    def __init__(self, in_width, width, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        with self.name_scope():
            self.conv1 = EqConv2D(width, 3, 1, 1, in_channels=in_width)
            self.conv2 = EqConv2D(width, 3, 1, 1, in_channels=width)

    def hybrid_forward(self, F, h):
        h = pixel_norm(F, F.LeakyReLU(self.conv1(upsample(F, h)), slope=0.2), self.width)
        return pixel_norm(F, F.LeakyReLU(self.conv2(h), slope=0.2), self.width)


def generator_blocks(nz, widths):
    """One block per stage: the 4x4 input block, then a doubling block per width after the first."""
    blocks = nn.HybridSequential(prefix="blocks_")
    with blocks.name_scope():
        blocks.add(GeneratorInput(nz, widths[0]))
        for prev, width in zip(widths, widths[1:]):
            blocks.add(GeneratorBlock(prev, width))
    return blocks


def to_rgb_layers(widths, nc):
    """A linear 1x1 conv "to RGB" per stage (gain 1, as the authors' code)."""
    layers = nn.HybridSequential(prefix="to_rgb_")
    with layers.name_scope():
        for width in widths:
            layers.add(EqConv2D(nc, 1, in_channels=width, gain=1.0))
    return layers


# ---- critic blocks ------------------------------------------------------------------------------------

def from_rgb(nc, width):
    """A 1x1 conv "from RGB" with LeakyReLU."""
    layer = nn.HybridSequential()
    with layer.name_scope():
        layer.add(EqConv2D(width, 1, in_channels=nc), leaky())
    return layer


def critic_block(in_width, width, out_width):
    """conv 3x3, conv 3x3 (each LeakyReLU), then 2x2 average pooling: halves the size."""
    block = nn.HybridSequential()
    with block.name_scope():
        block.add(EqConv2D(width, 3, 1, 1, in_channels=in_width), leaky(),
                  EqConv2D(out_width, 3, 1, 1, in_channels=width), leaky(), Downsample())
    return block


def critic_output_block(in_width, width, group_size=0):
    """At 4x4: minibatch stddev, conv 3x3, conv 4x4 (valid, to 1x1), linear dense to one score."""
    block = nn.HybridSequential()
    with block.name_scope():
        block.add(MinibatchStdDev(group_size), EqConv2D(width, 3, 1, 1, in_channels=in_width + 1), leaky(),
                  EqConv2D(width, 4, 1, 0, in_channels=width), leaky(), EqDense(1, in_units=width, gain=1.0))
    return block


# ---- the growing pair ---------------------------------------------------------------------------------

class _Staged(HybridBlock):
    """State shared by the growing G and D: the stage, the fade-in ``alpha``, and graph rebuilds."""

    def __init__(self, stages, **kwargs):
        super().__init__(**kwargs)
        self.stages = stages
        self._stage, self._fading, self._alpha = stages - 1, False, 1.0  # fully grown until told otherwise
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(1,), init=mx.init.One(), grad_req="null",
                                         differentiable=False)
            self.stage = self.params.get("stage", shape=(1,), init=mx.init.Constant(stages - 1),
                                         grad_req="null", differentiable=False)

    @property
    def graph_key(self):
        """What the traced graph depends on: (stage, fading)."""
        return self._stage, self._fading

    @property
    def current_stage(self):
        return self._stage

    @property
    def current_alpha(self):
        return self._alpha

    @property
    def resolution(self):
        return resolution(self._stage)

    def set_phase(self, stage, alpha):
        """Work at ``stage`` with fade-in weight ``alpha`` (1: the new block alone); traces again if needed."""
        if not 0 <= stage < self.stages:
            raise ValueError("stage %d outside 0..%d" % (stage, self.stages - 1))
        fading = stage > 0 and alpha < 1
        key = (int(stage), fading)
        if key != self._applied_key:
            self._stage, self._fading = key
            self._clear_cached_op()
            self._freeze_unused()
        self._alpha = float(alpha)
        if self.alpha._data is not None:
            for arr in self.alpha.list_data():
                arr[:] = float(alpha)
            for arr in self.stage.list_data():
                arr[:] = float(stage)

    _applied_key = None  # the (stage, fading) whose graph and frozen weights are in place; None: apply again
    _rgb_attribute = None  # the child holding one RGB conv per stage ("to_rgb" in G, "from_rgb" in D)

    def _stage_blocks(self):
        """(block, in use) for every stage's block and RGB conv; a fade-in also uses the previous stage's."""
        s, rgb = self._stage, getattr(self, self._rgb_attribute)
        for i in range(self.stages):
            yield self.blocks[i], i <= s
            yield rgb[i], i == s or (self._fading and i == s - 1)

    def _freeze_unused(self):
        if self.alpha._data is None:  # not initialised yet: initialize() calls set_phase again
            self._applied_key = None
            return
        for block, used in self._stage_blocks():
            set_trainable(block, used)
        self._applied_key = self.graph_key

    def initialize(self, *args, **kwargs):
        super().initialize(*args, **kwargs)
        self._applied_key = None
        self.set_phase(self._stage, self._alpha)

    def load_parameters(self, filename, ctx=None, *args, **kwargs):
        """Load, then take up the stage and alpha the file holds (so a sampled checkpoint draws at its size)."""
        super().load_parameters(filename, ctx, *args, **kwargs)
        self._applied_key = None
        self.set_phase(int(round(self.stage.data().asscalar())), float(self.alpha.data().asscalar()))

    def forward(self, x, *args):
        if self._active and self._cached_op is None:
            with quiet_unused_parameters():
                return super().forward(x, *args)
        return super().forward(x, *args)


class ProgressiveGenerator(_Staged):
    """z (N, nz, 1, 1) -> image (N, nc, r, r) at the current stage's resolution r (linear output, no tanh)."""

    _rgb_attribute = "to_rgb"

    def __init__(self, nz, widths, nc=3, **kwargs):
        super().__init__(len(widths), **kwargs)
        self.nz, self.widths, self.nc = nz, list(widths), nc
        with self.name_scope():
            self.blocks = generator_blocks(nz, self.widths)
            self.to_rgb = to_rgb_layers(self.widths, nc)

    def hybrid_forward(self, F, z, alpha, stage):
        s = self._stage
        h = z
        for i in range(s):
            h = self.blocks[i](h)
        new = self.to_rgb[s](self.blocks[s](h))
        if not self._fading:
            return new
        return blend(F, alpha, new, upsample(F, self.to_rgb[s - 1](h)))


class ProgressiveDiscriminator(_Staged):
    """image (N, nc, r, r) at the current resolution -> score (N, 1).

    :meth:`taped_forward` is its forward *and* the exact input-gradient rule
    the gradient penalty uses (fade-in blend, pooling, minibatch stddev,
    equalised layers: :mod:`gluon_gan.nn.penalty`).
    """

    _rgb_attribute = "from_rgb"

    def __init__(self, widths, nc=3, group_size=0, **kwargs):
        super().__init__(len(widths), **kwargs)
        self.widths, self.nc = list(widths), nc
        with self.name_scope():
            self.from_rgb = nn.HybridSequential(prefix="from_rgb_")
            with self.from_rgb.name_scope():
                for width in self.widths:
                    self.from_rgb.add(from_rgb(nc, width))
            self.blocks = nn.HybridSequential(prefix="blocks_")
            with self.blocks.name_scope():
                self.blocks.add(critic_output_block(self.widths[0], self.widths[0], group_size))
                for prev, width in zip(self.widths, self.widths[1:]):
                    self.blocks.add(critic_block(width, width, prev))

    def taped_forward(self, F, x, param):
        s = self._stage
        h, back = taped_sequence(F, supported_layers(self.from_rgb[s]) + supported_layers(self.blocks[s]), x, param)
        if self._fading:
            low = downsample(F, x)
            old, back_old = taped_sequence(F, supported_layers(self.from_rgb[s - 1]), low, param)
            a = F.reshape(param(self.alpha), (1, 1, 1, 1))
            h = blend(F, param(self.alpha), h, old)
            back_new = back
            back = lambda g: (back_new(F.broadcast_mul(a, g))  # noqa: E731
                              + upsample(F, back_old(F.broadcast_mul(1 - a, g))) * 0.25)
        rest = []
        for i in reversed(range(s)):
            rest += supported_layers(self.blocks[i])
        score, back_rest = taped_sequence(F, rest, h, param)
        return score, lambda g: back(back_rest(g))

    def hybrid_forward(self, F, x, alpha, stage):
        return self.taped_forward(F, x, parameter_value(F, x))[0]
