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
    gradients. SELU is λ·ELU_α, and MXNet's ELU back-propagates right (its
    y + α is α·eᵡ), so this is one oneDNN eltwise pass and a scale: about 10x
    faster than the same function in ``relu``, ``minimum`` and ``exp``.
    """

    def hybrid_forward(self, F, x):
        return SELU_SCALE * F.LeakyReLU(x, act_type="elu", slope=SELU_ALPHA)

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

    A workaround that exists for the backward pass (such as a transposed
    convolution through ``col2im``) only costs speed and portability in a
    graph that never trains: ONNX (opset 13) has no ``col2im``, for one.
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
    16 or more input channels, e.g. the notes' last 64 -> 1 layer; zero-padded
    extra filters crash too. With one output channel this layer therefore
    computes the transposed convolution by its definition: every input pixel's
    k x k patch ``Wᵀx`` (one ``FullyConnected`` over all pixels), added into
    the picture by ``col2im`` (whose gradient is ``im2col``). ``col2im`` needs
    the picture's size, hence ``in_size``. Same function and parameters (named
    like ``nn.Conv2DTranspose``'s), in float32 to float rounding, and about 6x
    faster for the notes' layer than the float64 detour through MXNet's own
    kernels that it replaced. An inference-only graph (:func:`inference_graph`:
    exports) keeps the plain Deconvolution, whose forward has no such bug.
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), output_padding=(0, 0),
                 in_size=None, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, output_padding, **kwargs)
        if channels == 1:
            if in_size is None or self._in_channels <= 0:
                raise ValueError("a one-channel OneChannelSafeConv2DTranspose needs in_size and in_channels")
            if self._kwargs["num_group"] != 1 or self._kwargs["layout"] != "NCHW":
                raise ValueError("a one-channel OneChannelSafeConv2DTranspose takes one group and NCHW only")
            self._in_size = (in_size, in_size) if isinstance(in_size, int) else tuple(in_size)
            kw = self._kwargs
            self._out_size = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1 + a for n, s, p, d, k, a in zip(
                self._in_size, kw["stride"], kw["pad"], kw["dilate"], kw["kernel"], kw["adj"]))

    def hybrid_forward(self, F, x, weight, bias=None):
        if self._channels != 1 or tracing_inference_graph():
            return super().hybrid_forward(F, x, weight, bias)
        kw, channels = self._kwargs, self._in_channels
        taps, pixels = kw["kernel"][0] * kw["kernel"][1], self._in_size[0] * self._in_size[1]
        rows = F.reshape(F.transpose(x, axes=(0, 2, 3, 1)), shape=(-1, channels))             # (N*H*W, C)
        patches = F.FullyConnected(rows, F.transpose(F.reshape(weight, shape=(channels, taps))),
                                   num_hidden=taps, no_bias=True)                              # (N*H*W, k*k)
        columns = F.transpose(F.reshape(patches, shape=(-1, pixels, taps)), axes=(0, 2, 1))   # (N, k*k, H*W)
        y = F.col2im(columns, output_size=self._out_size, kernel=kw["kernel"], stride=kw["stride"],
                     dilate=kw["dilate"], pad=kw["pad"])
        if bias is not None:
            y = F.broadcast_add(y, F.reshape(bias, shape=(1, 1, 1, 1)))
        return self.act(y) if self.act is not None else y
