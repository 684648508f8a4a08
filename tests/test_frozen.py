"""frozen_weights: backpropagation through a network that leaves its weights' gradients alone, bit for bit."""
import mxnet as mx
import numpy as np
from mxnet import autograd
from mxnet.gluon import nn

from gluon_gan.training.frozen import frozen_weights


def _net(hybridize):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, 2, 1, in_channels=2), nn.BatchNorm(in_channels=4), nn.LeakyReLU(0.2),
            nn.Conv2D(1, 4, 1, 0, in_channels=4))
    mx.random.seed(1)
    net.initialize(mx.init.Normal(0.2))
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    return net


def _grads(net):
    return {k: p.grad().asnumpy().copy() for k, p in net.collect_params().items() if p.grad_req != "null"}


def _input_grad(net, x):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward()
    return x.grad.asnumpy()


def test_input_gradient_is_unchanged_and_weight_gradients_are_left_alone():
    x = mx.nd.random.uniform(-1, 1, (3, 2, 8, 8))
    for hybridize in (False, True):
        net = _net(hybridize)
        plain = _input_grad(net, x)
        after_plain = _grads(net)
        moving = net[1].running_mean.data().asnumpy().copy()
        for p in net.collect_params().values():
            if p.grad_req != "null":
                p.grad()[:] = 7.0  # a sentinel the frozen pass must not touch
        with frozen_weights(net):
            frozen = _input_grad(net, x)
        np.testing.assert_array_equal(frozen, plain)
        assert all((g == 7.0).all() for g in _grads(net).values())
        # BatchNorm's running statistics still move (MXNet updates them in the backward pass) exactly as before
        assert not np.array_equal(net[1].running_mean.data().asnumpy(), moving)
        # afterwards the weights' gradients are computed again, the same as before (the weights did not move)
        _input_grad(net, x)
        for k, g in _grads(net).items():
            np.testing.assert_array_equal(g, after_plain[k])


def test_marks_are_restored_when_the_block_raises():
    net = _net(False)
    try:
        with frozen_weights(net):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    x = mx.nd.random.uniform(-1, 1, (2, 2, 8, 8))
    with autograd.record():
        y = net(x)
    y.backward()
    assert all(np.abs(g).sum() > 0 for g in _grads(net).values())
