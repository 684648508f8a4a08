"""Drop-in Gluon layers that work around bugs in MXNet 1.9.1, each named after the layer it replaces.

They keep the replaced layer's parameters (names, shapes, init), so weights
files do not notice, and they change the computation only where the bug bites.
"""
import contextlib
import threading

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


_GRAPH_MODE = threading.local()


@contextlib.contextmanager
def inference_graph():
    """Trace graphs that will only ever run forward (exports): the layers below then skip their training workarounds.

    A workaround that exists for the backward pass (such as computing in
    float64) only costs speed and portability in a graph that never trains:
    ONNX runtimes, for one, have no float64 transposed convolution.
    """
    previous = getattr(_GRAPH_MODE, "inference", False)
    _GRAPH_MODE.inference = True
    try:
        yield
    finally:
        _GRAPH_MODE.inference = previous


def tracing_inference_graph():
    """Whether the graph being traced is an inference-only one (:func:`inference_graph`)."""
    return getattr(_GRAPH_MODE, "inference", False)


class OneChannelSafeConv2DTranspose(nn.Conv2DTranspose):
    """``nn.Conv2DTranspose`` that also trains with one output channel under MXNet 1.9's oneDNN.

    MXNet 1.9.1's oneDNN backward of Deconvolution fails ("could not create a
    primitive descriptor for a reorder primitive") for one output channel and
    16 or more input channels, e.g. the notes' last 64 -> 1 layer; a zero-padded
    second filter crashes too. oneDNN only takes float32, so with one output
    channel this layer computes in float64 (MXNet's own kernels): the same
    function and parameters (named like ``nn.Conv2DTranspose``'s), about 4x
    slower for this one small layer. An inference-only graph
    (:func:`inference_graph`: exports) keeps float32, whose forward has no such bug.
    """

    def hybrid_forward(self, F, x, weight, bias=None):
        if self._channels != 1 or tracing_inference_graph():
            return super().hybrid_forward(F, x, weight, bias)
        args = [x.astype("float64"), weight.astype("float64")] + ([] if bias is None else [bias.astype("float64")])
        y = F.Deconvolution(*args, name="fwd", **self._kwargs).astype("float32")
        return self.act(y) if self.act is not None else y
