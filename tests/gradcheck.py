"""Gradient checks shared by the penalty tests: first-order autograd, and fourth-order finite differences."""
import mxnet as mx
import numpy as np
from mxnet import autograd


def autograd_input_gradient(net, x):
    """d sum(net(x)) / dx by first-order autograd, in predict mode (dropout off, spectral norm's u kept)."""
    x = x.copy()
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = net(x)
    y.backward()
    return x.grad.asnumpy()


def finite_difference_check(params, total, per_parameter=3, steps=(3e-4, 1e-4)):
    """Compare each parameter's ``grad()`` with fourth-order central differences of ``total()``; ``(checked, skipped)``.

    About ``per_parameter`` entries of every float64 parameter are probed. The penalty jumps where a
    LeakyReLU input crosses 0 (its input gradient is piecewise constant there), so one step may straddle
    a jump: an entry passes when either step agrees, and is skipped only when the two steps disagree with
    each other too (a jump in reach of both); MXNet's float64 LeakyReLU rounds to float32 precision, hence
    no smaller steps.
    """
    checked = skipped = 0
    for p in params:
        grad, value = p.grad().asnumpy(), p.data().asnumpy()

        def numeric(index, h):
            at = []
            for step in (2, 1, -1, -2):
                moved = value.copy()
                moved[index] += step * h
                p.set_data(mx.nd.array(moved, dtype="float64"))
                at.append(total())
            p.set_data(mx.nd.array(value, dtype="float64"))
            return (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * h)
        for index in list(np.ndindex(*p.shape))[::max(1, value.size // per_parameter)]:
            estimates = [numeric(index, h) for h in steps]
            if min(abs(grad[index] - e) for e in estimates) > 2e-4 * abs(grad[index]) + 5e-5:
                assert abs(estimates[0] - estimates[1]) > 1e-2 * abs(estimates[1]) + 1e-4, \
                    (p.name, index, grad[index], estimates)
                skipped += 1
                continue
            checked += 1
    return checked, skipped
