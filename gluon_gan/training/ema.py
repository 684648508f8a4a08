"""An exponential moving average of G's weights: the network StyleGAN, progressive growing and MSG-GAN sample from.

Karras et al. (2018, 2019) and MSG-GAN after them draw their pictures with a
copy of G whose weights follow G's with decay 0.999 per G update: it averages
out the oscillation of the adversarial game at no training cost. The copy is a
family's extra network (saved beside ``Generator.params`` as
``Generator_ema.params``, restored on ``--resume``); :class:`EMASampling`
moves it after every G update, and the number of updates so far is family
state, so a resumed run averages exactly as an uninterrupted one.
"""
from mxnet import autograd
from ..files import rundir
from .callbacks import Callback

EMA_FILE = rundir.EMA_PARAMS


def _params(net):
    return net._collect_params_with_prefix()  # the structural names save_parameters writes


def copy_parameters(src, dst):
    """Set every parameter of ``dst`` to ``src``'s (two networks of the same structure), on every device."""
    theirs = _params(src)
    with autograd.pause():
        for name, param in _params(dst).items():
            for mine, value in zip(param.list_data(), theirs[name].list_data()):
                mine[:] = value


def ema_decay(decay, updates):
    """The decay for update number ``updates`` (from 0): ``min(decay, (1 + t) / (10 + t))``.

    The ramp lets the average forget the random initial weights within the
    first few dozen updates instead of ~1/(1 - decay), which matters for the
    short runs a CPU allows; after ~10k updates it is the plain ``decay``.
    """
    return min(float(decay), (1.0 + updates) / (10.0 + updates))


def update_ema(ema, net, decay):
    """``ema <- decay * ema + (1 - decay) * net`` for weights; parameters declared ``differentiable=False`` are copied.

    The rule is the declaration, not ``grad_req``: state that lives in a
    network but is not a weight (StyleGAN's ``w_avg``, progressive growing's
    ``alpha`` and ``stage``) must be G's own, while a growing network's
    weights of stages not in use are frozen (``grad_req='null'``) yet still
    averaged like every other weight.
    """
    theirs = _params(net)
    with autograd.pause():
        for name, param in _params(ema).items():
            src = theirs[name]
            for mine, value in zip(param.list_data(), src.list_data()):
                if src._differentiable:
                    mine[:] = decay * mine + (1.0 - decay) * value
                else:
                    mine[:] = value


def generator_updated(trainer):
    """Whether the :class:`~gluon_gan.training.GANTrainer` step just taken updated G (one in ``d_steps``)."""
    return (trainer.iterations - 1) % trainer.d_steps == 0


class EMASampling:
    """Mixin for a family with an ``ema_decay`` option: keep an EMA copy of G and draw pictures with it.

    ``ema_decay`` 0 keeps no copy (pictures from G itself). The family moves the
    copy with :meth:`update_ema_generator` after every G update, from
    :meth:`ema_callbacks` or from its own callback (StyleGAN moves its average
    w first, so the copy takes the new one); :meth:`state` holds the count.
    """

    ema_updates = 0

    def extra_networks(self, netG, ctx):
        if not self.options.ema_decay:
            return {}
        ema = self.initialize(self.build_generator(), ctx)
        copy_parameters(netG, ema)  # the average starts at G (after any --init-generator)
        if netG._active:
            self.hybridize(ema)
        return {EMA_FILE: ema}

    def sampling_generator(self, netG):
        return self.extras.get(EMA_FILE, netG)

    def update_ema_generator(self, netG):
        """Move the EMA copy (if kept) towards ``netG`` by the ramped decay, and count the update."""
        ema = self.extras.get(EMA_FILE)
        if ema is not None:
            update_ema(ema, netG, ema_decay(self.options.ema_decay, self.ema_updates))
            self.ema_updates += 1

    def ema_callbacks(self):
        return [ema_callback(self)] if self.options.ema_decay else []

    def state(self):
        return {"ema_updates": self.ema_updates}

    def load_state(self, state):
        self.ema_updates = int(state.get("ema_updates", 0))


def ema_callback(family):
    """A :class:`~gluon_gan.training.Callback` calling ``family.update_ema_generator`` after every G update."""

    class EMAUpdate(Callback):
        def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
            if generator_updated(trainer):
                family.update_ema_generator(trainer.netG)
    return EMAUpdate()
