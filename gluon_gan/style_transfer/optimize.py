"""Optimisers that change the image itself: L-BFGS (scipy, gradients from MXNet) and Adam (gluon.Trainer).

MXNet has no L-BFGS, and the paper and the best-known implementations use it:
on this problem it reaches a given loss in far fewer evaluations than Adam.
:func:`lbfgs` hands scipy's L-BFGS-B the loss and the gradient computed by
MXNet autograd, with the pixels boxed to [0, 1] (the bounds replace clipping).
Its tolerances are zeroed so it runs the steps asked for instead of stopping
on scipy's defaults, which are tuned for losses of order 1.

Both call ``callback(step, image, parts)`` after every step with the image as
a (1, 3, H, W) NDArray and the three losses as floats.
"""
import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from ..errors import GluonGanError

OPTIMIZERS = ("lbfgs", "adam")


def _scipy_minimize():
    try:
        from scipy.optimize import Bounds, minimize
    except ImportError:
        raise GluonGanError("--optimizer lbfgs needs scipy: pip install 'gluon-gan[style]' "
                            "(or use --optimizer adam)") from None
    return Bounds, minimize


def lbfgs(objective, image, steps, callback=None, history=100):
    """Minimise ``objective`` from ``image`` ((1, 3, H, W) NDArray) with L-BFGS-B; returns the final image.

    A step is one L-BFGS iteration; its line search may evaluate the loss more
    than once (at most ``2 * steps + 20`` evaluations in all).
    """
    Bounds, minimize = _scipy_minimize()
    shape, ctx = image.shape, image.context
    last = {}

    def loss_and_grad(flat):
        candidate = mx.nd.array(flat.reshape(shape), ctx=ctx, dtype="float32")
        total, parts, grad = objective.loss_and_gradient(candidate)
        last["parts"] = parts
        return total, grad.asnumpy().astype(np.float64).ravel()

    count = [0]

    def on_iteration(flat):
        count[0] += 1
        if callback is not None:
            callback(count[0], mx.nd.array(flat.reshape(shape), ctx=ctx, dtype="float32"), last["parts"])

    x0 = np.clip(image.asnumpy().astype(np.float64).ravel(), 0.0, 1.0)
    result = minimize(loss_and_grad, x0, jac=True, method="L-BFGS-B", bounds=Bounds(0.0, 1.0),
                      callback=on_iteration,
                      options={"maxiter": steps, "maxfun": 2 * steps + 20, "maxcor": history,
                               "ftol": 0.0, "gtol": 0.0})
    return mx.nd.array(result.x.reshape(shape), ctx=ctx, dtype="float32")


def adam(objective, image, steps, learning_rate=0.02, callback=None):
    """Minimise ``objective`` from ``image`` with Adam on the pixels, clipping them to [0, 1] after each step."""
    pixels = gluon.Parameter("image", shape=image.shape, dtype="float32")
    pixels.initialize(ctx=image.context)
    pixels.set_data(image)
    trainer = gluon.Trainer([pixels], "adam", {"learning_rate": learning_rate})
    for step in range(1, steps + 1):
        x = pixels.data()
        with autograd.record():
            total, parts = objective.losses(x)
        total.backward()
        trainer.step(1)
        x[:] = mx.nd.clip(x, 0.0, 1.0)
        if callback is not None:
            callback(step, x, {k: float(v.asscalar()) for k, v in parts.items()})
    return pixels.data().copy()


def optimise(objective, image, steps, optimizer="lbfgs", learning_rate=0.02, callback=None):
    """Dispatch to :func:`lbfgs` or :func:`adam` by name."""
    if optimizer == "lbfgs":
        return lbfgs(objective, image, steps, callback=callback)
    if optimizer == "adam":
        return adam(objective, image, steps, learning_rate=learning_rate, callback=callback)
    raise GluonGanError("unknown optimizer %r: choose %s" % (optimizer, " or ".join(OPTIMIZERS)))
