"""Run a network forward and backward without computing its weights' gradients, bit for bit otherwise.

In the generator's step the discriminator only passes the gradient through to
G: its weights are not updated, so their gradients are wasted work (8% of the
DCGAN loop's FLOPs). Setting ``grad_req = 'null'`` on the
parameters would skip them, but Gluon then frees and re-allocates the
gradient buffers on every switch. :func:`frozen_weights` instead re-marks the
same arrays for autograd (``autograd.mark_variables``, what Gluon itself does
when a parameter is initialised) with ``'null'`` and back: nothing is
allocated, the backward pass computes only the input gradients, and the
weights' gradient buffers keep what the last backward pass wrote into them.
Forward results, input gradients and BatchNorm statistics are unchanged.
"""
import contextlib

from mxnet import autograd


def _marked(net):
    """[(data arrays, gradient arrays, grad_req)] of ``net``'s parameters that have gradients."""
    return [(p.list_data(), p.list_grad(), p.grad_req) for p in net.collect_params().values()
            if p.grad_req != "null"]


@contextlib.contextmanager
def frozen_weights(net):
    """Inside: autograd records and backpropagates through ``net`` but writes no gradient for its parameters.

    Record *and* run the backward pass inside the block: the mark a
    parameter had when an operator was recorded is the one its backward uses.
    """
    marked = _marked(net)
    for data, grads, _ in marked:
        autograd.mark_variables(data, grads, "null")
    try:
        yield net
    finally:
        for data, grads, req in marked:
            autograd.mark_variables(data, grads, req)
