"""The tutorial's two-stage GAN iteration, and the epoch loop around it.

One :meth:`GANTrainer.step` is one iteration of the tutorial:

1. Discriminator: outputs on a real batch (label 1) and on ``fake.detach()``
   (label 0); backward; ``trainerD.step``. Detaching keeps G out of this graph.
2. Generator: D's output on the same fakes, loss against label 1; backward
   through D into G; ``trainerG.step``. Only G's trainer steps, so D's weights
   are left alone, and their gradients are not even computed here
   (:func:`~gluon_gan.training.frozen.frozen_weights`): the tutorial computed and
   discarded them. D's gradient buffers keep the D step's values.

The tutorial ran G forward twice on the same noise; the second pass is skipped
here and the step-1 fakes are reused. That is exact, not an approximation: G's
weights have not changed in between, and MXNet's BatchNorm updates its moving
statistics in backward, which the detached first pass never runs.

Nothing here synchronises with the device: losses come back as ``NDArray``s
and the accuracy stays on the device until someone asks for it, so MXNet's
engine can queue the next work while Python moves on.
"""
import logging

import mxnet as mx
from mxnet import autograd, gluon

from . import distributed
from .callbacks import StopTraining
from .family import PlainFamily
from .frozen import frozen_weights
from .losses import GANLoss
from .sampling import sample, training_latent

log = logging.getLogger(__name__)


LR, BETA1 = 0.0002, 0.5  # the tutorial's Adam


def make_trainer(net, role, loss, lr=None, beta1=None, kvstore="device", update_on_kvstore=None, family_choice=None):
    """A ``gluon.Trainer`` for one network: the loss's optimiser if it has one, else the model family's, else Adam.

    A loss with its own optimiser (WGAN's RMSprop, WGAN-GP's Adam) wins because
    its maths relies on it; otherwise the family's (``family_choice``, e.g. the
    GAN notes' RMSprop), else the tutorial's Adam(0.0002, 0.5). ``lr`` and
    ``beta1`` are the user's choices, ``None`` when not given: a given ``lr``
    replaces the learning rate of whichever optimiser is used, a given
    ``beta1`` that of Adam.
    """
    choice = loss.optimizer_defaults(role) or family_choice
    if choice is None:
        choice = ("adam", {"learning_rate": LR, "beta1": BETA1})
    name, params = choice[0], dict(choice[1])
    if lr is not None:
        params["learning_rate"] = lr
    if beta1 is not None and name == "adam":
        params["beta1"] = beta1
    return gluon.Trainer(net.collect_params(), name, params, kvstore=kvstore,
                         update_on_kvstore=update_on_kvstore)


class GANTrainer:
    """Owns both networks, their ``gluon.Trainer``s, the loss and the accuracy metric.

    ``ctx`` is a list of contexts: each batch is split across them with
    ``gluon.utils.split_and_load`` and the Trainers sum the gradients.
    ``kvstore`` is a kvstore name, or the process's distributed kvstore (see
    :mod:`gluon_gan.training.distributed`): then each Trainer gets its own key range, the
    workers update locally, and ``rank``/``num_workers`` describe this worker.

    Balance: G is updated on every ``d_steps``-th call of :meth:`step` (the
    loss's default, e.g. 5 for WGAN), so each D update has its own real batch;
    ``d_skip_below`` skips the D update while D's loss is below it (that one
    option waits for the device every step, to read the loss).
    """

    def __init__(self, netG, netD, loss, ctx, nz=100, lr=None, beta1=None,
                 lr_g=None, lr_d=None, kvstore="device", d_steps=None, d_skip_below=None, family=None):
        self.netG, self.netD, self.loss = netG, netD, loss
        self.ctx = list(ctx)
        self.family = family if family is not None else PlainFamily(nz)
        self.latent_shape = tuple(self.family.latent_shape)
        self.nz = self.latent_shape[0]
        self.rank, self.num_workers = distributed.rank(kvstore), distributed.num_workers(kvstore)
        kvD, kvG = distributed.trainer_kvstores(kvstore, [netD, netG])
        self._distributed = distributed.is_distributed(kvstore)
        on_kv = False if self._distributed else None
        self.trainerG = make_trainer(netG, "g", loss, lr if lr_g is None else lr_g, beta1, kvG, on_kv,
                                     family_choice=self.family.optimizer("g"))
        self.trainerD = make_trainer(netD, "d", loss, lr if lr_d is None else lr_d, beta1, kvD, on_kv,
                                     family_choice=self.family.optimizer("d"))
        self.metric = loss.metric()
        self.d_steps = loss.d_steps if d_steps is None else int(d_steps)
        if self.d_steps < 1:
            raise ValueError("d_steps must be at least 1")
        self.d_skip_below = d_skip_below
        self._penalised = type(loss).penalty is not GANLoss.penalty
        self.iterations = 0  # calls of step() this epoch: G steps on the multiples of d_steps
        self.d_skipped = 0
        self._g_loss = None
        self._kv_ready = False

    def init_kvstore(self):
        """Set up both Trainers' kvstores now (idempotent; :meth:`step` calls it too).

        Under ``dist_sync`` this copies rank 0's weights to every worker and waits
        for the copies (see :func:`distributed.init_trainer` for the race this
        avoids). Call it after loading a checkpoint, so the loaded weights are
        the ones shared.
        """
        if self._distributed:  # locally Gluon's lazy init is right, and allows deferred-shape networks
            for trainer in (self.trainerD, self.trainerG):
                distributed.init_trainer(trainer)
        self._kv_ready = True

    def noise(self, n):
        """Latent vectors for ``n`` samples, drawn on the first device so the draw is device-count independent."""
        return training_latent(n, self.latent_shape, self.ctx[0])

    def worker_noise(self, n):
        """This worker's ``n`` latents: its slice of one draw for the whole global batch.

        Every worker's RNG is seeded alike, so each drawing ``n`` would give all
        of them the SAME noise; slicing a global draw gives the noise a single
        process would use for ``n * num_workers`` samples.
        """
        if self.num_workers == 1:
            return self.noise(n)
        return self.noise(n * self.num_workers)[self.rank * n:(self.rank + 1) * n]

    def step(self, real):
        """One D update on ``real`` (N, C, H, W), then a G update if it is G's turn; returns mean D and G loss.

        The G loss returned on a D-only step is the one of the last G update.
        What G takes and returns and what D takes come from the model family
        (one latent, or two with a crossover; one image, or one per scale).
        """
        if not self._kv_ready:
            self.init_kvstore()
        family = self.family
        n = real.shape[0]
        xs = gluon.utils.split_and_load(real, self.ctx, even_split=False)
        zs = gluon.utils.split_and_load(self.worker_noise(n), self.ctx, even_split=False)

        with autograd.record():
            fakes = [family.fake_inputs(self.netG(*family.training_inputs(z))) for z in zs]
            reals = [family.real_inputs(x) for x in xs]
            detached = [tuple(f.detach() for f in fake) for fake in fakes]
            outs = [(self.netD(*r), self.netD(*f)) for r, f in zip(reals, detached)]
            d_losses = [self.loss.d_loss(r, f) for r, f in outs]
            if self._penalised:
                d_losses = [l + self.loss.penalty(self.netD, _single(r), _single(f))
                            for l, r, f in zip(d_losses, reals, detached)]
            extra = [family.regularizer(self.netD, r, f) for r, f in zip(reals, detached)]
            if extra[0] is not None:
                d_losses = [l + e for l, e in zip(d_losses, extra)]
        d_loss = _mean(d_losses)
        global_batch = n * self.num_workers  # dist_sync sums gradients over workers
        if self.d_skip_below is not None and d_loss.asscalar() < self.d_skip_below:
            self.d_skipped += 1
        else:
            autograd.backward(d_losses)
            self.trainerD.step(global_batch)
            self.loss.after_d_step(self.netD)

        if self.iterations % self.d_steps == 0:
            if family.fresh_g_noise:  # the GAN notes' G step draws its own noise
                zs = gluon.utils.split_and_load(self.worker_noise(n), self.ctx, even_split=False)
            with frozen_weights(self.netD):  # D only carries the gradient to G: its own would be wasted work
                with autograd.record():
                    if family.fresh_g_noise:
                        fakes = [family.fake_inputs(self.netG(*family.training_inputs(z))) for z in zs]
                    g_losses = [self.loss.g_loss(self.netD(*f)) for f in fakes]
                autograd.backward(g_losses)
            self.trainerG.step(global_batch)
            self._g_loss = _mean(g_losses)
        self.iterations += 1

        for real_out, fake_out in outs:
            self.metric.update([real_out.ones_like(), fake_out.zeros_like()], [real_out, fake_out])
        return d_loss, self._g_loss

    def networks(self):
        """``{file name: network}`` of everything a checkpoint keeps: G, D and the family's extras (EMA G)."""
        return dict({self.family.g_file: self.netG, self.family.d_file: self.netD}, **self.family.extras)

    def trainers(self):
        """``{file name: gluon.Trainer}`` of both optimisers, named after their networks (``Generator.states``)."""
        return {_states_name(self.family.g_file): self.trainerG, _states_name(self.family.d_file): self.trainerD}

    def generate(self, z, **sample_options):
        """Images for latent ``z`` in inference mode (BatchNorm uses its moving statistics; EMA G where kept)."""
        return sample(self.family, self.netG, z.as_in_context(self.ctx[0]), **sample_options)


def _states_name(params_file):
    return params_file[:-len(".params")] + ".states" if params_file.endswith(".params") else params_file + ".states"


def _single(images):
    """A one-scale tuple as its NDArray (what the losses' penalty takes), several scales as the tuple."""
    return images[0] if len(images) == 1 else images


def _mean(per_device_losses):
    """Mean over all samples of per-sample losses living on several devices."""
    total = sum(l.sum().as_in_context(mx.cpu()) for l in per_device_losses)
    count = sum(l.shape[0] for l in per_device_losses)
    return total / count


def fit(trainer, batches, epochs, start_epoch=0, seed=0, callbacks=()):
    """Train from ``start_epoch`` up to ``epochs`` (exclusive).

    MXNet's RNG is reseeded from ``(seed, epoch)`` at every epoch, and the batch
    order depends only on the same pair, so a run resumed at an epoch boundary
    continues exactly as an uninterrupted run would. Callbacks get the global
    batch size (this process's batch times the ``dist_sync`` workers). A
    callback may raise :class:`StopTraining` to end early; ``on_train_end``
    still runs (the last complete epoch's checkpoint stays the latest).
    """
    for cb in callbacks:
        cb.on_train_begin(trainer, start_epoch)
    try:
        for epoch in range(start_epoch, epochs):
            mx.random.seed(seed * 100003 + epoch)
            trainer.metric.reset()
            trainer.iterations = 0  # the D/G turn restarts each epoch, so a resumed run takes the same turns
            for cb in callbacks:
                cb.on_epoch_begin(trainer, epoch)
            for iteration, real in enumerate(batches.epoch(epoch, ctx=trainer.ctx[0])):
                d_loss, g_loss = trainer.step(real)
                for cb in callbacks:
                    cb.on_iteration(trainer, epoch, iteration, real.shape[0] * trainer.num_workers, d_loss, g_loss)
            for cb in callbacks:
                cb.on_epoch_end(trainer, epoch)
    except StopTraining as stop:
        log.info("training stopped early: %s", stop)
    if trainer.num_workers > 1:
        # MXNet runs all this asynchronously. A dist_sync worker that leaves with gradient pushes still
        # queued deadlocks the cluster (its kvstore's shutdown blocks them), so finish the work here.
        mx.nd.waitall()
    for cb in callbacks:
        cb.on_train_end(trainer)
