"""``progan``: progressive growing of GANs (Karras et al. 2018) through the common loop.

G and D start at 4x4 and double until ``image_size``. The schedule counts
*images shown*: stage 0 trains ``stable_images`` images; every later stage
first fades its new blocks in over ``fade_images`` images (``alpha`` rising
linearly from 0 to 1), then stabilises for ``stable_images`` at ``alpha = 1``;
the last stage trains on until the run ends. Images shown is the family's
whole state: stage, ``alpha`` and batch size follow from it, it is saved in
every checkpoint, and so ``--resume`` continues mid-phase exactly.

Reals are shown at the current resolution (average-pooled), and during a
fade-in blended between the new and the previous resolution exactly as G's
output is. Sample grids upscale (nearest) to the final size, so growth shows.
"""
import dataclasses
import logging

import mxnet as mx

from ..data.images import ImageBatches
from ..errors import GluonGanError
from ..files.plotting import save_image_grid
from ..training.callbacks import Callback
from ..training.sampling import latent
from .growing import ProgressiveDiscriminator, ProgressiveGenerator, per_stage, resolution
from ..nn.layers import blend, downsample, upsample
from ..training.losses import WGANGPLoss
from ..options import option
from .registry import register_family
from .pyramid import PyramidFamily, check_stddev_groups

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ProGANOptions:
    nz: int = option(128, "latent size (the paper: 512)", min=1)
    image_size: int = option(64, "final power-of-two resolution G and D grow to from 4x4", min=4)
    widths: str = option("64,64,32,16,16", "feature maps per resolution 4,8,16,..., comma-separated (the last "
                                           "repeats; the paper: 512 up to 32x32, then halving)")
    fade_images: int = option(20000, "images shown while a new resolution fades in (alpha 0 -> 1; the paper: "
                                     "800k)", min=0)
    stable_images: int = option(20000, "images shown per resolution at alpha = 1 before the next one fades in "
                                       "(the paper: 800k)", min=1)
    batch_sizes: str = option("", "batch size per resolution 4,8,16,..., comma-separated (the last repeats); "
                                  "empty: --batch-size at every resolution")
    mbstd_group: int = option(0, "minibatch stddev group size (0: the whole minibatch, as the paper's text; 4: "
                                 "the authors' code)", min=0)
    drift: float = option(0.001, "epsilon_drift: adds drift * D(x)^2 to a Wasserstein critic's loss so its "
                                 "scores stay near 0", min=0)
    ema_decay: float = option(0.999, "pictures come from an exponential moving average of G's weights with this "
                                     "decay per G update (Generator_ema.params); 0: from G itself", min=0)


PAPER_ADAM = ("adam", {"learning_rate": 1e-3, "beta1": 0.0, "beta2": 0.99, "epsilon": 1e-8})


class ProgressiveWGANGP(WGANGPLoss):
    """WGAN-GP as the paper trains it: one critic step per G step and Adam(0.001, 0, 0.99, 1e-8) for both.

    (Our ``wgan-gp`` otherwise brings Gulrajani et al.'s 5 critic steps and
    Adam(1e-4, 0, 0.9).) ``--d-steps``, ``--lr`` and ``--beta1`` still win.
    """

    d_steps = 1

    def optimizer_defaults(self, role):
        return PAPER_ADAM


class Schedule:
    """Images shown -> (stage, alpha), and the batch size of each stage."""

    def __init__(self, stages, fade_images, stable_images, batch_sizes):
        if fade_images < 0 or stable_images < 1:
            raise GluonGanError("the growth schedule needs fade_images >= 0 and stable_images >= 1")
        self.stages, self.fade, self.stable = stages, int(fade_images), int(stable_images)
        self.batch_sizes = list(batch_sizes)

    def phase(self, shown):
        """``(stage, alpha)`` after ``shown`` images; ``alpha = 1`` outside a fade-in."""
        left = shown - self.stable
        for stage in range(1, self.stages):
            if left < 0:
                return stage - 1, 1.0
            if left < self.fade:
                return stage, left / self.fade
            left -= self.fade + self.stable
        return self.stages - 1, 1.0

    def batch_size(self, shown):
        return self.batch_sizes[self.phase(shown)[0]]

    def record(self):
        """The schedule as the run record shows it: one row per resolution."""
        rows, start = [], 0
        for stage in range(self.stages):
            fade = self.fade if stage else 0
            rows.append({"resolution": resolution(stage), "batch_size": self.batch_sizes[stage],
                         "fade_in_images": fade, "stable_images": self.stable if stage < self.stages - 1 else None,
                         "starts_at_image": start})
            start += fade + self.stable
        return rows


class ProgressiveBatches(ImageBatches):
    """Batches whose size follows the growth schedule, read from the family's images-shown count as they go.

    Each epoch is one pass over a permutation drawn from ``(seed, epoch)``,
    cut into batches of the current stage's size: the batches depend only on
    the seed, the epoch and the family's state at the epoch's start, so a run
    resumed from a checkpoint sees exactly the batches an uninterrupted one does.
    """

    def __init__(self, family, images, seed=0, last_batch="discard", num_parts=1, part_index=0):
        largest = max(family.schedule.batch_sizes)  # a stage whose batch the data cannot fill would never end
        super().__init__(images, largest, seed=seed, last_batch=last_batch, num_parts=num_parts,
                         part_index=part_index)
        self.family = family

    def _sizes(self, shown):
        """The batch sizes of one epoch starting after ``shown`` images (global count, as the loop advances)."""
        per_part, pos, sizes = len(self.images) // self.num_parts, 0, []
        while pos < per_part:
            size = self.family.schedule.batch_size(shown)
            if pos + size > per_part:
                if self.last_batch == "keep":
                    sizes.append(per_part - pos)
                break
            sizes.append(size)
            pos += size
            shown += size * self.num_parts
        return sizes

    def __len__(self):
        return len(self._sizes(self.family.images_shown))

    def epoch(self, epoch, ctx=None):
        order = self.epoch_order(epoch)
        pos = 0
        while pos < len(order):
            size = self.family.schedule.batch_size(self.family.images_shown)  # advanced by the family's callback
            if pos + size > len(order) and (self.last_batch == "discard" or pos == len(order)):
                return
            yield self.batch(order[pos:pos + size], ctx)
            pos += size


@register_family
class ProGAN(PyramidFamily):
    """Progressive growing: equalised learning rate, pixel norm, minibatch stddev, WGAN-GP plus drift."""

    name = "progan"
    Options = ProGANOptions
    summary = "progressive growing of GANs (Karras et al. 2018): 4x4 doubling to --image-size, fade-in per stage"
    # The paper: WGAN-GP, one critic step per G step, Adam(0.001, beta1=0, beta2=0.99, eps=1e-8).
    defaults = {"loss": "wgan-gp", "batch_size": 16, "optimizer": PAPER_ADAM}

    def __init__(self, image_shape, options=None, loss=None, spectral_norm=False):
        if type(loss) is WGANGPLoss:  # the paper's critic steps and optimiser (the loop trains with family.loss)
            loss = ProgressiveWGANGP(weight=loss.weight)
        super().__init__(image_shape, options, loss, spectral_norm)
        o = self.options
        batch_sizes = per_stage(o.batch_sizes or str(self.defaults["batch_size"]), self.stages, "--batch-sizes")
        self.schedule = Schedule(self.stages, o.fade_images, o.stable_images, batch_sizes)
        self.images_shown = 0
        self._networks = []

    # ---- networks -----------------------------------------------------------------------------------
    def build_generator(self):
        return self._track(ProgressiveGenerator(self.options.nz, self.widths, nc=self.image_shape[0]))

    def build_discriminator(self):
        self.check_no_spectral_norm()
        return self._track(ProgressiveDiscriminator(self.widths, nc=self.image_shape[0],
                                                    group_size=self.options.mbstd_group))

    def _track(self, net):
        self._networks.append(net)
        net.set_phase(*self.phase())
        return net

    # ---- the phase ----------------------------------------------------------------------------------
    def phase(self):
        return self.schedule.phase(self.images_shown)

    def advance(self, images):
        """Count ``images`` more shown and move every network to the resulting stage and alpha."""
        self.images_shown += int(images)
        self.apply_phase()

    def apply_phase(self):
        stage, alpha = self.phase()
        for net in self._networks:
            net.set_phase(stage, alpha)

    def describe(self):
        stage, alpha = self.phase()
        kind = "fade-in" if alpha < 1 else "stable"
        return "%dx%d %s alpha=%.3f (%d images shown)" % (resolution(stage), resolution(stage), kind, alpha,
                                                          self.images_shown)

    def state(self):
        stage, alpha = self.phase()
        return dict(images_shown=self.images_shown, resolution=resolution(stage), alpha=alpha, **super().state())

    def load_state(self, state):
        super().load_state(state)
        self.images_shown = int(state.get("images_shown", 0))
        self.apply_phase()

    # ---- inputs and outputs -------------------------------------------------------------------------
    def real_inputs(self, x):
        """Reals at the current resolution, blended with the previous one during a fade-in (as G's output is)."""
        stage, alpha = self.phase()
        x = downsample(mx.nd, x, self.image_shape[1] // resolution(stage))
        if alpha < 1:
            previous = upsample(mx.nd, downsample(mx.nd, x))
            x = blend(mx.nd, mx.nd.array([alpha], ctx=x.context, dtype=x.dtype), x, previous)
        return (x,)

    def images(self, g_out):
        """G's current resolution, upsampled (nearest) to the final size and clipped to [-1, 1]."""
        x = super().images(g_out)
        return mx.nd.clip(upsample(mx.nd, x, self.image_shape[1] // x.shape[2]), -1, 1)

    def regularizer(self, netD, reals, fakes):
        """The paper's drift term ``drift * D(x)^2`` on reals, for Wasserstein critics (whose scores float)."""
        if not self.options.drift or getattr(self.loss, "name", None) not in ("wgan-gp", "wgan"):
            return None
        return self.options.drift * mx.nd.square(netD(*reals).reshape((-1,)))

    # ---- the run ------------------------------------------------------------------------------------
    def make_batches(self, images, batch_size, seed=0, last_batch="discard", num_parts=1, part_index=0):
        if not self.options.batch_sizes:  # one batch size for every resolution: the run's
            self.schedule.batch_sizes = [int(batch_size)] * self.stages
        check_stddev_groups(self.options.mbstd_group, self.schedule.batch_sizes, last_batch)
        return ProgressiveBatches(self, images, seed=seed, last_batch=last_batch, num_parts=num_parts,
                                  part_index=part_index)

    def callbacks(self, config):
        return [GrowthCallback(self, getattr(config, "log_interval", 10))] + self.ema_callbacks()

    def figures(self, netG, out_prefix, seed=0, ctx=None, count=8):
        """``<prefix>_resolutions.png``: the same latents drawn at every stage reached so far (rows 4x4 up).

        A grown G keeps every stage's "to RGB", so this shows what each
        resolution contributes, at the final size; stages not reached yet are
        left out (untrained), and the network is put back at its own phase after.
        """
        net = self.sampling_generator(getattr(netG, "net", netG))  # a RunGenerator or G; its EMA copy if kept
        z = mx.nd.array(latent(count, self.latent_shape, seed), ctx=ctx or mx.cpu())
        own = (net.current_stage, net.current_alpha)
        rows = []
        try:
            for stage in range(own[0] + 1):
                net.set_phase(stage, 1.0)
                rows.append(self.images(net(z)))
        finally:
            net.set_phase(*own)
        return [save_image_grid(mx.nd.concat(*rows, dim=0), out_prefix + "_resolutions.png", nrow=count)]

    def record(self):
        record = super().record()
        record["schedule"] = self.schedule.record()
        return record


class GrowthCallback(Callback):
    """Counts images shown after every step, moves G and D to the new stage/alpha, and logs the growth.

    Every ``log_every``-th iteration (the run's ``--log-interval``, the same
    iterations the loss line is logged on) it logs the resolution and alpha
    the step trained at, and it logs every change of phase as it happens.
    """

    def __init__(self, family, log_every=10):
        self.family, self.log_every = family, log_every

    def on_train_begin(self, trainer, start_epoch):
        self.family.apply_phase()
        log.info("progan: starting at %s", self.family.describe())

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        before, trained_at = self.family.phase(), self.family.describe()
        self.family.advance(batch_size)
        after = self.family.phase()
        if self.log_every and iteration % self.log_every == 0:
            log.info("epoch %d iter %d: progan %s", epoch, iteration, trained_at)
        if after[0] != before[0] or (before[1] < 1) != (after[1] < 1):
            log.info("progan: now %s", self.family.describe())

    def on_epoch_end(self, trainer, epoch):
        log.info("progan: end of epoch %d: %s", epoch, self.family.describe())
