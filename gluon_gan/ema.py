"""An exponential moving average of G's weights, the network the progressive-growing paper samples from.

Karras et al. 2018 (and MSG-GAN after them) draw their pictures with a copy of
G whose weights follow G's with decay 0.999 per G update: it averages out the
oscillation of the adversarial game at no training cost. The copy is a
family's extra network (saved beside ``Generator.params`` as
``Generator_ema.params``, restored on ``--resume``); :class:`EMAUpdate` moves
it after every G update, and the number of updates so far is family state,
so a resumed run averages exactly as an uninterrupted one.
"""
from mxnet import autograd

EMA_FILE = "Generator_ema.params"


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
    """``ema <- decay * ema + (1 - decay) * net`` for trained weights; non-trainable ones (alpha) are copied."""
    theirs = _params(net)
    with autograd.pause():
        for name, param in _params(ema).items():
            src = theirs[name]
            for mine, value in zip(param.list_data(), src.list_data()):
                if src._differentiable:
                    mine[:] = decay * mine + (1.0 - decay) * value
                else:
                    mine[:] = value


class EMASampling:
    """Mixin for a family with an ``ema_decay`` option: keep an EMA copy of G and draw pictures with it.

    ``ema_decay`` 0 keeps no copy (pictures from G itself).
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

    def ema_callbacks(self):
        return [ema_callback(self, self.options.ema_decay)] if self.options.ema_decay else []


def ema_callback(family, decay):
    """A :class:`~gluon_gan.training.Callback` that moves ``family.extras[EMA_FILE]`` after every G update.

    The family keeps ``ema_updates`` (the count so far) in its state.
    """
    from .training import Callback

    class EMAUpdate(Callback):
        def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
            if (trainer.iterations - 1) % trainer.d_steps:  # no G update in this step
                return
            ema = family.extras.get(EMA_FILE)
            if ema is not None:
                update_ema(ema, trainer.netG, ema_decay(decay, family.ema_updates))
                family.ema_updates += 1
    return EMAUpdate()
