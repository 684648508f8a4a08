"""``stylegan``: the style-based generator (Karras et al. 2019) against the DCGAN discriminator.

Only the generator changes, as the paper says: a mapping network z -> w, one
style per synthesis layer through AdaIN, per-layer noise, style mixing in
training, truncation at sampling, and an EMA copy of G that draws the pictures.
The discriminator is the DCGAN one sized to the resolution (without BatchNorm
when the R1 penalty is on, since the exact input gradient refuses it).
Everything random is drawn here, in :meth:`training_inputs` and
:meth:`sampling_inputs`, so the network itself is deterministic. See
``docs/stylegan.md`` for the maths and the design.
"""
import dataclasses

import mxnet as mx
from mxnet import autograd

from ...errors import GluonGanError
from ...nn.penalty import R1Penalty
from ...options import option
from ...training.callbacks import Callback
from ...training.ema import EMASampling, generator_updated
from ...training.family import ModelFamily
from ...training.sampling import training_latent
from ..dcgan import Discriminator
from ..registry import register_family
from . import figures as figures_lib
from .generator import StyleGenerator, layer_resolutions
from .inputs import mixing_mask, noise_for_latents, random_noise, truncation_psi


@dataclasses.dataclass
class StyleGANOptions:
    image_size: int = option(32, "train at this power-of-two size, 8 or more (images are resized to it)", min=8)
    nz: int = option(128, "latent size of z", min=1)
    w_dim: int = option(128, "size of the intermediate latent w", min=1)
    mapping_layers: int = option(8, "fully connected layers in the mapping network", min=1)
    mapping_lr_mul: float = option(0.01, "learning-rate multiplier of the mapping network (the paper's 0.01)",
                                   positive=True)
    fmap_base: int = option(1024, "feature maps at resolution r: min(fmap_max, fmap_base / r)", min=1)
    fmap_max: int = option(128, "most feature maps of any synthesis layer", min=1)
    ndf: int = option(64, "discriminator width (the DCGAN discriminator)", min=1)
    mixing: float = option(0.9, "share of training samples drawn with style mixing (0 to 1)", min=0)
    ema_decay: float = option(0.999, "decay of the EMA generator per G step (ramped up over the first steps); 0: "
                                     "pictures from G itself", min=0)
    w_avg_decay: float = option(0.995, "decay of the tracked average w that truncation pulls towards", min=0)
    r1_gamma: float = option(0.0, "R1 penalty weight gamma on real images (0: off; the paper uses 10)", min=0)
    r1_interval: int = option(1, "apply R1 on every k-th D step only, weighted k times (StyleGAN2's lazy "
                                 "regularisation; 1: every step, as StyleGAN)", min=1)
    noise: bool = option(True, "no per-layer noise inputs", flag="--no-noise")
    truncation_layers: int = option(0, "truncate only the first this many style layers when sampling (0: all)",
                                    min=0)


@register_family
class StyleGAN(EMASampling, ModelFamily):
    """Mapping network + AdaIN synthesis with noise, mixing, truncation and an EMA generator; DCGAN's D."""

    name = "stylegan"
    Options = StyleGANOptions
    summary = "StyleGAN-style generator (mapping, AdaIN, noise, mixing, truncation, EMA); 32x32 by default"
    # The paper's optimizer for both networks: Adam(0.001, beta1=0, beta2=0.99, eps=1e-8).
    defaults = {"loss": "bce", "optimizer": ("adam", {"learning_rate": 1e-3, "beta1": 0.0, "beta2": 0.99,
                                                      "epsilon": 1e-8})}

    def __init__(self, image_shape, options=None, loss=None, spectral_norm=False):
        super().__init__(image_shape, options, loss, spectral_norm)
        o = self.options
        try:
            self.layer_resolutions = layer_resolutions(self.image_shape[1])
        except ValueError as err:
            raise GluonGanError(str(err)) from None
        for name in ("mixing", "ema_decay", "w_avg_decay"):
            if not 0 <= getattr(o, name) <= 1:
                raise GluonGanError("--%s must be within [0, 1], not %r" % (name.replace("_", "-"), getattr(o, name)))
        if o.r1_gamma < 0 or o.truncation_layers < 0 or min(o.nz, o.w_dim, o.mapping_layers, o.ndf) < 1:
            raise GluonGanError("stylegan options must be positive (r1_gamma, truncation_layers: >= 0)")
        if o.r1_interval < 1:
            raise GluonGanError("--r1-interval must be at least 1")
        self.d_updates = 0  # D steps taken (the lazy R1 schedule counts them)
        self._r1 = None

    @classmethod
    def train_shape(cls, options, data_shape):
        return (data_shape[0], options.image_size, options.image_size)

    @property
    def num_layers(self):
        return len(self.layer_resolutions)

    # ---- networks ---------------------------------------------------------------------------------
    def build_generator(self):
        o = self.options
        return StyleGenerator(resolution=self.image_shape[1], nc=self.image_shape[0], nz=o.nz, w_dim=o.w_dim,
                              mapping_layers=o.mapping_layers, mapping_lr_mul=o.mapping_lr_mul,
                              fmap_base=o.fmap_base, fmap_max=o.fmap_max, noise=o.noise)

    def build_discriminator(self):
        needs_plain = self.spectral_norm or self.options.r1_gamma > 0
        norm = "none" if needs_plain else getattr(self.loss, "discriminator_norm", "batch")
        return Discriminator(ndf=self.options.ndf, nc=self.image_shape[0], norm=norm,
                             spectral_norm=self.spectral_norm, size=self.image_shape[1])

    # ---- inputs -----------------------------------------------------------------------------------
    def training_inputs(self, z):
        n, ctx = z.shape[0], z.context
        z2 = mx.nd.random.normal(shape=z.shape, ctx=ctx)
        mix = mixing_mask(n, self.num_layers, self.options.mixing, ctx)
        psi = mx.nd.ones((n, self.num_layers), ctx=ctx)
        return (z, z2, mix, psi) + tuple(random_noise(self._noise_shapes(n), ctx))

    def sampling_inputs(self, z, truncation=1.0, truncation_layers=None, **sample_options):
        """``truncation``: psi (1: none, 0: the average w) on the first ``truncation_layers`` style layers.

        The noise images are seeded by each latent, so a seed draws the same picture every time.
        """
        if sample_options:
            raise GluonGanError("stylegan's sampling options are truncation and truncation_layers, not %s"
                                % ", ".join(sorted(sample_options)))
        layers = self.options.truncation_layers if truncation_layers is None else truncation_layers
        n, ctx = z.shape[0], z.context
        psi = truncation_psi(n, self.num_layers, float(truncation), layers, ctx)
        noises = noise_for_latents(z, self.layer_resolutions) if self.options.noise else []
        return (z, z, mx.nd.zeros((n, self.num_layers), ctx=ctx), psi) + tuple(noises)

    def _noise_shapes(self, n):
        return [(n, 1, r, r) for r in self.layer_resolutions] if self.options.noise else []

    # ---- loss -------------------------------------------------------------------------------------
    def regularizer(self, netD, reals, fakes):
        """R1: ``gamma / 2 * ||grad_x D(x)||^2`` on the real batch (exact, :class:`gluon_gan.nn.penalty.R1Penalty`).

        With ``r1_interval`` k > 1 it is taken on every k-th D step only, with
        gamma * k, so its average weight is unchanged at a k-th of the cost.
        """
        o = self.options
        if o.r1_gamma <= 0 or self.d_updates % o.r1_interval:
            return None
        if self._r1 is None or self._r1.critic is not netD:
            self._r1 = R1Penalty(netD, o.r1_gamma * o.r1_interval)
            if netD._active:  # hybridize follows the critic (it would recurse into an imperative one)
                self._r1.hybridize(True, **dict(netD._flags))
        return self._r1(reals[0])

    # ---- the run ----------------------------------------------------------------------------------
    def callbacks(self, config):
        return [StyleGANUpdates(self)]

    def after_discriminator_step(self):
        self.d_updates += 1

    def after_generator_step(self, netG, batch_size):
        """Track the average w in G, then move the EMA generator towards G (the decay ramps up from 0.1)."""
        update_w_avg(netG, batch_size, self.options.w_avg_decay)
        self.update_ema_generator(netG)

    def state(self):
        return dict(super().state(), d_updates=self.d_updates)

    def load_state(self, state):
        super().load_state(state)
        self.d_updates = int(state.get("d_updates", 0))

    def figures(self, netG, out_prefix, seed=0, ctx=None):
        G = self.sampling_generator(netG)
        paths = [figures_lib.style_mixing_grid(G, out_prefix + "_mixing.png", seed, ctx=ctx),
                 figures_lib.truncation_strip(G, out_prefix + "_truncation.png", seed,
                                              layers=self.options.truncation_layers, ctx=ctx)]
        if self.options.noise:
            paths.append(figures_lib.noise_figure(G, out_prefix + "_noise.png", seed, ctx=ctx))
        return paths


def update_w_avg(netG, batch_size, beta):
    """``w_avg <- beta * w_avg + (1 - beta) * mean(w)`` over a fresh batch of latents (the paper's dlatent_avg)."""
    ctx = netG.w_avg.list_ctx()[0]
    z = training_latent(batch_size, (netG.nz, 1, 1), ctx)
    with autograd.pause():
        batch_mean = netG.mapping(z).mean(axis=0)
        netG.w_avg.set_data(beta * netG.w_avg.data(ctx) + (1.0 - beta) * batch_mean)


class StyleGANUpdates(Callback):
    """After every step: count the D update (lazy R1); after every G update: move the average w, then the EMA
    generator (which copies w_avg)."""

    def __init__(self, family):
        self.family = family

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        self.family.after_discriminator_step()
        if generator_updated(trainer):
            self.family.after_generator_step(trainer.netG, batch_size)
