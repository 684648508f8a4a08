"""Drop-in Gluon layers that work around bugs in MXNet 1.9.1, each named after the layer it replaces.

They keep the replaced layer's parameters (names, shapes, init), so weights
files do not notice, and they change the computation only where the bug bites.
"""
from mxnet.gluon import HybridBlock, nn

# MXNet's (and Keras') SELU constants (Klambauer et al. 2017)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class SELU(HybridBlock):
    """``nn.SELU`` with the right gradient: λ·x for x > 0, λ·α·(eᵡ − 1) otherwise.

    MXNet 1.9.1's ``LeakyReLU(act_type="selu")`` computes the forward right but
    back-propagates λ·(y + α) for negative inputs instead of λ·α·eᵡ (at x = −2:
    0.161 instead of 0.238), so a network of ``nn.SELU`` trains on wrong
    gradients. Written with ``relu``, ``minimum`` and ``exp``, whose gradients are right.
    """

    def hybrid_forward(self, F, x):
        return SELU_SCALE * (F.relu(x) + SELU_ALPHA * (F.exp(F.minimum(x, 0.0)) - 1))

    def taped_forward(self, F, x, param=None):
        """The gradient penalty's rule (:mod:`gluon_gan.nn.penalty`): the output and ``g -> g * selu'(x)``."""
        return self.hybrid_forward(F, x), lambda g: g * selu_derivative(F, x)


def selu_derivative(F, x):
    """λ for x > 0, λ·α·eˣ otherwise; differentiable in x (the exponential branch), as the penalty needs."""
    return F.where(F.BlockGrad(x > 0), F.ones_like(x) * SELU_SCALE, SELU_SCALE * SELU_ALPHA * F.exp(x))


class OneChannelSafeConv2DTranspose(nn.Conv2DTranspose):
    """``nn.Conv2DTranspose`` that also trains with one output channel under MXNet 1.9's oneDNN.

    MXNet 1.9.1's oneDNN backward of Deconvolution fails ("could not create a
    primitive descriptor for a reorder primitive") for one output channel and
    16 or more input channels, e.g. the notes' last 64 -> 1 layer; a zero-padded
    second filter crashes too. oneDNN only takes float32, so with one output
    channel this layer computes in float64 (MXNet's own kernels): the same
    function and parameters (named like ``nn.Conv2DTranspose``'s), about 4x
    slower for this one small layer.
    """

    def hybrid_forward(self, F, x, weight, bias=None):
        if self._channels != 1:
            return super().hybrid_forward(F, x, weight, bias)
        args = [x.astype("float64"), weight.astype("float64")] + ([] if bias is None else [bias.astype("float64")])
        y = F.Deconvolution(*args, name="fwd", **self._kwargs).astype("float32")
        return self.act(y) if self.act is not None else y
