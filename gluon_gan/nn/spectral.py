"""Spectral normalisation (Miyato et al. 2018) as drop-in Gluon layers.

``SNConv2D`` and ``SNDense`` are ``nn.Conv2D`` / ``nn.Dense`` whose weight is
divided by an estimate of its largest singular value, so each layer is about
1-Lipschitz and the discriminator cannot sharpen without bound. The estimate
needs the left singular vector ``u``, kept as a non-trainable parameter
(``grad_req='null'``): it is saved with the network (key ``<layer>.u``) and a
resumed run continues from it.

Why the power iteration runs outside the graph: a hybridized graph cannot
write a parameter, and when the whole discriminator is hybridized its layers'
Python ``forward`` is never called. So :func:`power_iteration` updates ``u``
imperatively (a few mat-vec products per layer) before every training-mode
forward of the top-level network (:class:`PowerIterated`), and the graph
then uses ``sigma = ||W^T u||`` with ``u`` held constant. With ``u`` a unit
vector that equals ``u^T W v`` for ``v = W^T u / ||W^T u||``, the textbook
estimate, and its gradient is ``u v^T``, as in the paper.

Convolution weights are flattened to ``(out, in * kh * kw)`` as in the paper;
that bounds the matrix, not the exact operator norm of the convolution.
"""
import mxnet as mx
from mxnet import autograd
from mxnet.gluon import nn

EPS = 1e-12


class _SpectralNorm:
    """Mixin: a ``u`` parameter and the normalised weight, for a layer whose weight's first axis is its outputs.

    Put it first in the bases, before the Gluon layer; the layer's first argument is its output width.
    """

    def __init__(self, width, *args, **kwargs):
        super().__init__(width, *args, **kwargs)
        self.u = self.params.get("u", shape=(width,), init=mx.init.Normal(1.0),
                                 grad_req="null", differentiable=False)

    def hybrid_forward(self, F, x, weight, bias=None, u=None):
        return super().hybrid_forward(F, x, self.normalized_weight(F, weight, u), bias)

    def normalized_weight(self, F, weight, u):
        """``weight / sigma`` with ``sigma = ||W^T u||`` (``u`` normalised and constant). Works for nd and sym."""
        w = F.reshape(weight, (0, -1))
        u = F.BlockGrad(F.L2Normalization(F.reshape(u, (1, -1))))
        sigma = F.sqrt(F.sum(F.square(F.dot(u, w))) + EPS)
        return F.broadcast_div(weight, F.reshape(sigma, (1,) * self._weight_ndim))


class SNConv2D(_SpectralNorm, nn.Conv2D):
    """``nn.Conv2D`` with a spectrally normalised weight (same arguments)."""

    _weight_ndim = 4


class SNDense(_SpectralNorm, nn.Dense):
    """``nn.Dense`` with a spectrally normalised weight (same arguments)."""

    _weight_ndim = 2


def spectral_layers(block):
    """Every spectrally normalised layer in ``block`` (itself included), depth first."""
    found = [block] if isinstance(block, _SpectralNorm) else []
    for child in block._children.values():
        found.extend(spectral_layers(child))
    return found


def power_iteration(block, steps=1):
    """Refine every ``u`` in ``block`` by ``steps`` power iterations, on every context, outside autograd."""
    layers = spectral_layers(block)
    if not layers:
        return
    with autograd.pause():
        for layer in layers:
            for weight, u in zip(layer.weight.list_data(), layer.u.list_data()):
                w = weight.reshape((weight.shape[0], -1))
                vec = u
                for _ in range(steps):
                    v = mx.nd.L2Normalization(mx.nd.dot(vec.reshape((1, -1)), w))          # (1, in)
                    vec = mx.nd.L2Normalization(mx.nd.dot(v, w, transpose_b=True)).reshape((-1,))
                u[:] = vec


class PowerIterated:
    """Mixin for the network you call (before the Gluon base): one power iteration before each training forward.

    A method, not a forward hook: Gluon warns about hooks on hybridized blocks.
    Only the top-level call matters, as a hybridized parent never calls its
    children's ``forward``.
    """

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray) and autograd.is_training():
            power_iteration(self)
        return super().forward(x, *args)


class SNSequential(PowerIterated, nn.HybridSequential):
    """``nn.HybridSequential`` that keeps the spectral norms of its SN layers up to date."""
