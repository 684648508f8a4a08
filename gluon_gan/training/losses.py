"""GAN objectives as small classes, so a new loss is one subclass and one decorator.

A loss sees only the discriminator's raw outputs (logits/critic scores) and
returns per-sample losses; the training loop sums them in ``backward`` and the
``gluon.Trainer`` divides by the batch size, exactly as the tutorial does.
Each loss also says what the logged "accuracy" means for it (``threshold``, or
its own :meth:`GANLoss.metric`). See ``docs/losses.md`` for the maths of each.
"""
import mxnet as mx
from mxnet import gluon

from ..errors import GluonGanError
from ..nn.penalty import GradientPenalty
from .accuracy import BinaryAccuracy, PairwiseAccuracy

LOSSES = {}


def register_loss(cls):
    """Class decorator: make ``cls`` selectable as ``--loss <cls.name>``."""
    if not cls.name:
        raise ValueError("a registered loss needs a name")
    LOSSES[cls.name] = cls
    return cls


def get_loss(name, **kwargs):
    """Instantiate the loss registered under ``name``."""
    try:
        cls = LOSSES[name]
    except KeyError:
        raise GluonGanError("unknown loss %r; choose from %s" % (name, ", ".join(sorted(LOSSES)))) from None
    return cls(**kwargs)


class GANLoss:
    """Base class. Subclasses set ``name`` and implement :meth:`d_loss` and :meth:`g_loss`.

    ``threshold``: a discriminator output above it counts as "real" for the
    logged accuracy (override :meth:`metric` for another notion). Hooks with
    defaults that change nothing: ``after_d_step(netD)`` runs after every
    discriminator update (WGAN clips weights there); ``optimizer_defaults(role)``
    lets a loss choose its own optimizer ("d" or "g"), or ``None`` for the
    tutorial's Adam; :meth:`penalty` adds a per-sample term to D's loss (WGAN-GP).
    Class attributes: ``d_steps``, D updates per G update unless the user sets
    one; ``discriminator_norm``, the normalisation the loss needs in D.
    """

    name = None
    threshold = 0.0
    d_steps = 1
    discriminator_norm = "batch"

    def d_loss(self, real_out, fake_out):
        raise NotImplementedError

    def g_loss(self, fake_out):
        raise NotImplementedError

    def after_d_step(self, netD):
        pass

    def optimizer_defaults(self, role):
        return None

    def penalty(self, netD, real, fake):
        """Extra per-sample D loss from the real and (detached) fake batch, or ``None``."""
        return None

    def metric(self):
        """The logged accuracy: by default the fraction of outputs on the right side of ``threshold``."""
        return BinaryAccuracy(threshold=self.threshold)

    def __repr__(self):
        return "%s()" % type(self).__name__


@register_loss
class BCELoss(GANLoss):
    """The tutorial's loss: sigmoid cross-entropy on logits, real=1, fake=0, G against 1.

    A logit's decision boundary is 0 (sigmoid(0) = 0.5), so accuracy thresholds
    at 0; the tutorial compared raw logits with 0.5, which was a bug.
    """

    name = "bce"
    threshold = 0.0

    def __init__(self):
        self._bce = gluon.loss.SigmoidBinaryCrossEntropyLoss()

    def d_loss(self, real_out, fake_out):
        real_out, fake_out = real_out.reshape((-1, 1)), fake_out.reshape((-1, 1))
        return self._bce(real_out, real_out.ones_like()) + self._bce(fake_out, fake_out.zeros_like())

    def g_loss(self, fake_out):
        fake_out = fake_out.reshape((-1, 1))
        return self._bce(fake_out, fake_out.ones_like())


def _flat(out):
    return out.reshape((-1,))


@register_loss
class LSGANLoss(GANLoss):
    """Least squares (Mao et al. 2017) with a=0 (fake), b=1 (real), c=1 (G's target), on raw outputs.

    D: ½(D(x)-1)² + ½D(G(z))²; G: ½(D(G(z))-1)². Accuracy: an output above
    0.5, the midpoint of the targets 0 and 1, counts as "real".
    """

    name = "lsgan"
    threshold = 0.5

    def d_loss(self, real_out, fake_out):
        return 0.5 * ((_flat(real_out) - 1) ** 2 + _flat(fake_out) ** 2)

    def g_loss(self, fake_out):
        return 0.5 * (_flat(fake_out) - 1) ** 2


class _CriticLoss(GANLoss):
    """Shared by the Wasserstein losses: D(x) is an unbounded score, so accuracy is a ranking.

    The logged accuracy is the fraction of (real, fake) pairs in a batch whose
    real image scores higher: 1 means the critic separates them completely,
    0.5 that it cannot tell them apart. A fixed threshold would mean nothing,
    because adding a constant to the critic changes neither loss.
    """

    def g_loss(self, fake_out):
        return -_flat(fake_out)

    def metric(self):
        return PairwiseAccuracy()


@register_loss
class WGANLoss(_CriticLoss):
    """Wasserstein GAN (Arjovsky et al. 2017) with weight clipping.

    Critic: D(G(z)) - D(x); G: -D(G(z)). After every critic update its
    *trainable* parameters are clipped to [-clip, clip] (0.01); BatchNorm's
    running mean and variance are statistics, not weights, and are left alone.
    Paper defaults when the user sets none: RMSprop with learning rate 5e-5
    for both networks, and 5 critic updates per generator update.
    """

    name = "wgan"
    d_steps = 5

    def __init__(self, clip=0.01, lr=5e-5):
        self.clip, self.lr = clip, lr

    def d_loss(self, real_out, fake_out):
        return _flat(fake_out) - _flat(real_out)

    def after_d_step(self, netD):
        clip_weights(netD, self.clip)

    def optimizer_defaults(self, role):
        # gamma1=0.99 is the squared-gradient decay of the authors' code (PyTorch's RMSprop alpha)
        return "rmsprop", {"learning_rate": self.lr, "gamma1": 0.99}


def clip_weights(net, bound):
    """Clip every trainable parameter of ``net`` in place, on every context; statistics are untouched."""
    for param in net.collect_params().values():
        if param.grad_req == "null":
            continue
        for arr in param.list_data():
            mx.nd.clip(arr, -bound, bound, out=arr)


@register_loss
class HingeLoss(GANLoss):
    """The hinge loss of SN-GAN (Miyato et al. 2018) and BigGAN.

    D: max(0, 1 - D(x)) + max(0, 1 + D(G(z))); G: -D(G(z)). Accuracy: the
    margins sit at +1 and -1, so an output above 0 counts as "real".
    """

    name = "hinge"
    threshold = 0.0

    def d_loss(self, real_out, fake_out):
        return mx.nd.relu(1 - _flat(real_out)) + mx.nd.relu(1 + _flat(fake_out))

    def g_loss(self, fake_out):
        return -_flat(fake_out)


@register_loss
class RelativisticHingeLoss(GANLoss):
    """Relativistic average hinge (Jolicoeur-Martineau 2019), MSG-GAN's loss: each side judged against the other's mean.

    D: max(0, 1 - (D(x) - mean D(G(z)))) + max(0, 1 + (D(G(z)) - mean D(x)));
    G: the same with real and fake swapped, so G also gains by making the
    reals look *less* real than its fakes. Per sample, real ``i`` and fake
    ``i`` share a term, which gives both expectations once summed.

    G's loss needs D's scores of the real batch, but the loop hands ``g_loss``
    only the fakes' scores. So the real scores of the latest D step on the same
    device are kept (detached) and reused: they are D's scores *before* that
    D update, where the authors' code scores the reals again with the updated
    D -- an approximation of one optimiser step. Accuracy: pairwise ranking.
    """

    name = "relativistic-hinge"

    def __init__(self):
        self._real_scores = {}  # device -> the latest D step's real scores (detached)

    def d_loss(self, real_out, fake_out):
        real, fake = _flat(real_out), _flat(fake_out)
        self._real_scores[real.context] = real.detach()
        return mx.nd.relu(1 - (real - fake.mean())) + mx.nd.relu(1 + (fake - real.mean()))

    def g_loss(self, fake_out):
        fake = _flat(fake_out)
        real = self._real_scores.get(fake.context)
        if real is None:
            raise GluonGanError("relativistic-hinge: the generator's loss needs a discriminator step first")
        return mx.nd.relu(1 - (fake - real.mean())) + mx.nd.relu(1 + (real - fake.mean()))

    def metric(self):
        return PairwiseAccuracy()


@register_loss
class WGANGPLoss(_CriticLoss):
    """WGAN with gradient penalty (Gulrajani et al. 2017), λ = 10, on a critic without BatchNorm.

    Critic: D(G(z)) - D(x) + λ(||∇D(x̂)||₂ - 1)², x̂ = εx + (1-ε)G(z), ε ~ U[0, 1]
    per sample; G: -D(G(z)). The penalty's input gradient is built exactly
    from first-order operators (:mod:`gluon_gan.nn.penalty`). Paper defaults when
    the user sets none: Adam(1e-4, β1=0, β2=0.9), 5 critic updates per G update.
    """

    name = "wgan-gp"
    d_steps = 5
    discriminator_norm = "none"

    def __init__(self, weight=10.0, lr=1e-4):
        self.weight, self.lr = weight, lr
        self._penalty = None

    def d_loss(self, real_out, fake_out):
        return _flat(fake_out) - _flat(real_out)

    def penalty(self, netD, real, fake):
        """The penalty at random interpolates; ``real``/``fake`` are batches, or tuples for a multi-scale critic."""
        if self._penalty is None or self._penalty.critic is not netD:
            self._penalty = GradientPenalty(netD, self.weight)
            if netD._active:  # hybridize follows the critic (it would recurse into an imperative one)
                self._penalty.hybridize(True, **dict(netD._flags))
        first = real[0] if isinstance(real, (list, tuple)) else real  # several scales (MSG-GAN): one eps for all
        eps = mx.nd.random.uniform(shape=(first.shape[0],) + (1,) * (first.ndim - 1), ctx=first.context,
                                   dtype=first.dtype)
        return self._penalty(real, fake, eps)

    def optimizer_defaults(self, role):
        return "adam", {"learning_rate": self.lr, "beta1": 0.0, "beta2": 0.9}
