"""GAN objectives as small classes, so a new loss is one subclass and one decorator.

A loss sees only the discriminator's raw outputs (logits/critic scores) and
returns per-sample losses; the training loop sums them in ``backward`` and the
``gluon.Trainer`` divides by the batch size, exactly as the tutorial does.
Each loss also says what the logged "accuracy" means for it (``threshold``).
"""
from mxnet import gluon

LOSSES = {}


def register_loss(cls):
    """Class decorator: make ``cls`` selectable as ``--loss <cls.name>``."""
    if not cls.name:
        raise ValueError("a registered loss needs a name")
    LOSSES[cls.name] = cls
    return cls


def get_loss(name, **kwargs):
    """Instantiate the loss registered under ``name``."""
    from .errors import GluonGanError
    try:
        cls = LOSSES[name]
    except KeyError:
        raise GluonGanError("unknown loss %r; choose from %s" % (name, ", ".join(sorted(LOSSES)))) from None
    return cls(**kwargs)


class GANLoss:
    """Base class. Subclasses set ``name`` and implement :meth:`d_loss` and :meth:`g_loss`.

    ``threshold``: a discriminator output above it counts as "real" for the
    logged accuracy. Hooks with defaults that change nothing:
    ``after_d_step(netD)`` runs after every discriminator update (WGAN clips
    weights there), and ``optimizer_defaults(role)`` lets a loss choose its own
    optimizer ("d" or "g"), or ``None`` for the tutorial's Adam.
    """

    name = None
    threshold = 0.0

    def d_loss(self, real_out, fake_out):
        raise NotImplementedError

    def g_loss(self, fake_out):
        raise NotImplementedError

    def after_d_step(self, netD):
        pass

    def optimizer_defaults(self, role):
        return None

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
