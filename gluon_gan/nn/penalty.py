"""The WGAN-GP gradient penalty, exact, although MXNet 1.9 has no second-order gradient for Convolution.

The penalty ``lambda * (||grad_x D(x_hat)|| - 1)^2`` needs the critic's input
gradient *as a differentiable function of the critic's weights*. The usual way,
``autograd.grad(..., create_graph=True)``, fails for a conv net in MXNet 1.9.
So we write the input gradient out as an ordinary forward graph, layer by
layer (the chain rule, backwards):

==================  ===========================  =========================================
layer               forward                      input gradient, given upstream ``g``
==================  ===========================  =========================================
Conv2D (W, s, p)    ``Convolution(h, W)``        the transposed convolution of ``g`` with
                                                 the same W, s, p (written as a stride-1
                                                 Convolution, see below), cropped to ``h``
Dense (W)           ``h W^T + b``                ``g W``
LeakyReLU(a)        ``max(h, a h)``              ``g * (1 if h > 0 else a)``
ReLU / tanh / sig.  ...                          ``g * 1[h>0]`` / ``g(1-y^2)`` / ``g y(1-y)``
Flatten             ``reshape``                  ``reshape`` back
equalised layers    the same with ``c W`` and    the same with ``c W`` (``c = gain * m / sqrt(fan_in)``,
                    bias ``m b``                 ``m`` = ``lr_mul``, 1 unless set)
taped blocks        the block's own forward      the block's own rule (``taped_forward``)
SELU                ``λ(h>0 ? h : α(e^h - 1))``  ``g * λ(h>0 ? 1 : α e^h)`` (not MXNet's own)
Dropout (mask m)    ``h * m``                    ``g * m`` (one mask drawn for both)
==================  ===========================  =========================================

A block that is not a plain sequence (a growing critic with a fade-in blend,
minibatch standard deviation, average pooling: :mod:`gluon_gan.nn.layers`)
takes part by defining ``taped_forward(F, x, param) -> (output, backward)``,
where ``backward`` maps dL/d(output) to dL/dx using first-order operators
only. Its ``hybrid_forward`` should run the same code, so the penalty
differentiates exactly the network that is trained; :func:`taped_sequence`
composes such rules for a list of layers.

Every operator on the right has a first-order gradient in MXNet
(convolution with respect to its weight and data, products; the mask is
constant almost everywhere), so autograd differentiates the penalty
with respect to the weights like any other loss. Nothing is approximated: the
construction *is* the chain rule, and ``tests/test_losses.py`` checks it
against ``autograd.grad`` and the parameter gradient against central finite
differences. The critic must be a (nested) sequence of the layers above;
BatchNorm is refused because it mixes the samples of a batch, which makes the
per-sample gradient norm meaningless (Gulrajani et al. drop it for that
reason). Spectrally normalised layers (:mod:`gluon_gan.nn.spectral`) use their
normalised weight.
"""
import mxnet as mx
import numpy as np
from mxnet.gluon import HybridBlock, nn

from ..errors import GluonGanError
from .layers import parameter_value, quiet_unused_parameters
from .mxnet_fixes import selu_derivative
from .spectral import SNConv2D, SNDense

NORM_EPS = 1e-12  # inside the square root, so the penalty stays differentiable at a zero gradient


def supported_layers(critic):
    """The critic's layers in call order; a one-line error for anything the construction cannot handle."""
    if hasattr(critic, "taped_forward"):
        return [critic]
    if isinstance(critic, (nn.HybridSequential, nn.Sequential)):
        layers = []
        for child in critic._children.values():
            layers.extend(supported_layers(child))
        return layers
    if isinstance(critic, nn.BatchNorm):
        raise GluonGanError("the gradient penalty needs a critic without BatchNorm (it mixes the samples of a "
                            "batch); use Discriminator(norm='none')")
    if isinstance(critic, (nn.Conv2D, nn.Dense)):
        if isinstance(critic, nn.Conv2D):
            kw = critic._kwargs
            if (kw["num_group"] != 1 or any(d != 1 for d in kw["dilate"]) or kw.get("layout", "NCHW") != "NCHW"
                    or any(p >= k for p, k in zip(kw["pad"], kw["kernel"]))):
                raise GluonGanError("the gradient penalty supports NCHW Conv2D without groups or dilation and with "
                                    "padding below the kernel size, not %r" % critic)
        return [critic] + (supported_layers(critic.act) if critic.act is not None else [])
    if isinstance(critic, (nn.LeakyReLU, nn.Flatten, nn.SELU)):
        return [critic]
    if isinstance(critic, nn.Dropout) and not critic._axes:
        return [critic]
    if isinstance(critic, nn.Activation) and critic._act_type in ("relu", "tanh", "sigmoid"):
        return [critic]
    raise GluonGanError("the gradient penalty cannot differentiate %s exactly; the critic must be a sequence of "
                        "Conv2D, Dense, LeakyReLU, SELU, Activation(relu/tanh/sigmoid), Dropout and Flatten"
                        % type(critic).__name__)


def _weight(F, layer, param):
    w = param(layer.weight)
    if isinstance(layer, (SNConv2D, SNDense)):
        w = layer.normalized_weight(F, w, param(layer.u))
    if hasattr(layer, "runtime_weight"):  # equalised learning rate (gluon_gan.nn.layers)
        w = layer.runtime_weight(F, w)
    return w


def _bias(F, layer, param):
    if layer.bias is None:
        return None
    b = param(layer.bias)
    return layer.runtime_bias(F, b) if hasattr(layer, "runtime_bias") else b  # an equalised layer's lr_mul


def _layer(F, layer, h, param):
    """``(output, backward)``: the layer's forward on ``h`` and a function mapping dL/d(output) to dL/dh."""
    if hasattr(layer, "taped_forward"):
        return layer.taped_forward(F, h, param)
    if isinstance(layer, nn.Conv2D):
        kw = layer._kwargs
        w = _weight(F, layer, param)
        b = _bias(F, layer, param)
        y = F.Convolution(h, w, **kw) if b is None else F.Convolution(h, w, b, **kw)
        in_channels = layer.weight.shape[1]
        return y, lambda g: _conv_input_gradient(F, g, w, h, kw, in_channels)
    if isinstance(layer, nn.Dense):
        w = _weight(F, layer, param)
        b = _bias(F, layer, param)
        y = F.FullyConnected(h, w, b, num_hidden=layer._units, flatten=layer._flatten, no_bias=b is None)

        def back(g):
            dh = F.dot(g, w)
            return F.reshape_like(dh, h) if layer._flatten else dh
        return y, back
    if isinstance(layer, nn.LeakyReLU):
        alpha = float(np.float32(layer._alpha))  # MXNet stores the slope as float32; match its forward
        y = F.LeakyReLU(h, act_type="leaky", slope=layer._alpha)
        return y, lambda g: g * (F.BlockGrad(h > 0) * (1.0 - alpha) + alpha)
    if isinstance(layer, nn.Flatten):
        return F.flatten(h), lambda g: F.reshape_like(g, h)
    if isinstance(layer, nn.SELU):  # the true derivative (nn.SELU's own backward is wrong, see mxnet_fixes)
        return F.LeakyReLU(h, act_type="selu"), lambda g: g * selu_derivative(F, h)
    if isinstance(layer, nn.Dropout):
        # one mask for the forward and its gradient: dropout's own draw, applied to ones (ones outside training)
        mask = F.BlockGrad(F.Dropout(F.ones_like(h), p=layer._rate))
        return h * mask, lambda g: g * mask
    kind = layer._act_type
    y = F.Activation(h, act_type=kind)
    if kind == "relu":
        return y, lambda g: g * F.BlockGrad(h > 0)
    if kind == "tanh":
        return y, lambda g: g * (1 - F.square(y))
    return y, lambda g: g * y * (1 - y)  # sigmoid


def _conv_input_gradient(F, g, w, h, kw, in_channels):
    """The transposed convolution of ``g`` with the forward weight ``w``, cropped to ``h``'s size.

    Written as a stride-1 Convolution of ``g`` dilated with stride-1 zeros, with
    ``w`` flipped spatially and its in/out axes swapped, because MXNet 1.9's
    MKL-DNN ``Deconvolution`` crashes in backward when its weight also feeds a
    Convolution (exactly our case). Padding ``k-1-p`` on both sides plus the
    trailing zeros of the dilation give at least ``h``'s size for any input
    size; the crop keeps the graph shape-agnostic, so it can hybridize.
    """
    (kh, kwid), (sh, sw), (ph, pw) = kw["kernel"], kw["stride"], kw["pad"]
    if sh > 1 or sw > 1:
        g = F.expand_dims(F.expand_dims(g, axis=4), axis=3)  # (N, C, h, 1, w, 1)
        zeros = F.zeros_like(g)
        g = F.concat(g, *([zeros] * (sh - 1)), dim=3) if sh > 1 else g
        zeros = F.zeros_like(g)
        g = F.concat(g, *([zeros] * (sw - 1)), dim=5) if sw > 1 else g
        g = F.reshape(g, (0, 0, -3, -3))  # (N, C, h*sh, w*sw): g[o] at o*stride, zeros between
    w_t = F.reverse(F.reverse(F.swapaxes(w, 0, 1), axis=2), axis=3)
    full = F.Convolution(g, w_t, kernel=(kh, kwid), pad=(kh - 1 - ph, kwid - 1 - pw), num_filter=in_channels,
                         no_bias=True)
    return F.slice_like(full, h, axes=(2, 3))


def taped_sequence(F, layers, h, param):
    """``(output, backward)`` of ``layers`` (as :func:`supported_layers` lists them) applied in order to ``h``."""
    tape = []
    for layer in layers:
        h, back = _layer(F, layer, h, param)
        tape.append(back)

    def backward(g):
        for back in reversed(tape):
            g = back(g)
        return g
    return h, backward


def critic_and_input_gradient(F, critic, x, param=None):
    """``(critic(x), d sum(critic(x)) / dx)``, both differentiable with respect to the critic's weights.

    ``param(p)`` returns a Parameter's value (default: its data on ``x``'s
    context, i.e. imperative use). Without BatchNorm the samples do not
    interact, so the gradient of the sum is every sample's own input gradient.
    """
    if param is None:
        param = parameter_value(mx.nd, x)
    score, backward = taped_sequence(F, supported_layers(critic), x, param)
    return score, backward(F.ones_like(score))


def input_gradient(critic, x):
    """Imperative :func:`critic_and_input_gradient` on NDArray ``x``; returns only the gradient."""
    return critic_and_input_gradient(mx.nd, critic, x)[1]


class GradientPenalty(HybridBlock):
    """Per-sample ``weight * (||grad D(x_hat)||_2 - 1)^2`` at ``x_hat = eps*real + (1-eps)*fake``.

    Holds the critic as a child so a hybridized penalty finds its weights;
    hybridize it only when the critic is hybridized (hybridize recurses). A
    critic whose graph changes (a growing one) exposes ``graph_key``; the
    penalty traces its graph again whenever that key changes.

    A critic of several images (MSG-GAN's, one per scale) takes tuples
    ``real`` and ``fake``: every scale is interpolated with the same ``eps``,
    and the norm is that of the gradients of all scales together, as the
    MSG-GAN authors' code does. Such a critic must define ``taped_forward``
    taking the tuple and returning one gradient per image.
    """

    def __init__(self, critic, weight=10.0, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight
        supported_layers(critic)  # fail now, with a clear message, rather than at the first step
        self.critic = critic
        self._trace_key = None
        self._several = False

    def forward(self, real, fake, eps):
        several = isinstance(real, (list, tuple))
        reals, fakes = (tuple(real), tuple(fake)) if several else ((real,), (fake,))
        if len(reals) != len(fakes):
            raise ValueError("the penalty needs as many real as fake images (%d, %d)" % (len(reals), len(fakes)))
        key = (getattr(self.critic, "graph_key", None), several, len(reals))
        if key != self._trace_key:
            self._clear_cached_op()
            self._trace_key, self._several = key, several
        if key[0] is not None:
            with quiet_unused_parameters():  # a growing critic keeps stages it does not use yet
                return super().forward(eps, *(reals + fakes))
        return super().forward(eps, *(reals + fakes))

    def hybrid_forward(self, F, eps, *images):
        param = parameter_value(F, eps)
        half = len(images) // 2
        x_hats = [F.broadcast_mul(eps, r) + F.broadcast_mul(1 - eps, f) for r, f in zip(images[:half], images[half:])]
        if self._several:
            score, backward = self.critic.taped_forward(F, tuple(x_hats), param)
            grads = backward(F.ones_like(score))
        else:
            grads = [critic_and_input_gradient(F, self.critic, x_hats[0], param)[1]]
        squares = [F.sum(F.square(F.flatten(g)), axis=1) for g in grads]
        total = squares[0] if len(squares) == 1 else F.add_n(*squares)
        norm = F.sqrt(total + NORM_EPS)
        return self.weight * F.square(norm - 1)


def gradient_norm(grad):
    """Per-sample L2 norm of an input gradient, the quantity the penalty pushes towards 1."""
    return mx.nd.sqrt(mx.nd.sum(mx.nd.square(mx.nd.flatten(grad)), axis=1) + NORM_EPS)


class R1Penalty(HybridBlock):
    """Per-sample ``gamma / 2 * ||grad_x D(x)||^2`` on real images (Mescheder et al. 2018; StyleGAN's regulariser).

    The same exact forward-graph input gradient as :class:`GradientPenalty`,
    taken at the real batch itself instead of an interpolate, and squared
    without a target norm: it pushes D's surface flat on the data, which keeps
    the non-saturating GAN from oscillating around it.
    """

    def __init__(self, critic, gamma=10.0, **kwargs):
        super().__init__(**kwargs)
        self.gamma = gamma
        supported_layers(critic)
        self.critic = critic

    def hybrid_forward(self, F, real):
        _, grad = critic_and_input_gradient(F, self.critic, real, parameter_value(F, real))
        return 0.5 * self.gamma * F.sum(F.square(F.flatten(grad)), axis=1)
