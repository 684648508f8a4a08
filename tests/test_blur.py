"""StyleGAN's blur: the filter against a hand computation, its exact input-gradient rule, R1 through it."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import nn

from gradcheck import autograd_input_gradient, finite_difference_check

from gluon_gan.families.stylegan.discriminator import StyleDiscriminator
from gluon_gan.nn import penalty
from gluon_gan.nn.blur import Blur
from gluon_gan.nn.layers import Downsample, EqConv2D


def numpy_blur(x):
    """[1, 2, 1] x [1, 2, 1] / 16 per map with zero padding, written out as the nine shifted sums."""
    taps = np.array([1.0, 2.0, 1.0])
    kernel = np.outer(taps, taps) / 16.0
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, w = x.shape[2:]
    return sum(kernel[i, j] * padded[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3))


def test_blur_is_the_normalised_binomial_filter_per_map():
    rs = np.random.RandomState(0)
    x = rs.normal(size=(2, 3, 6, 5))
    layer = Blur(3)
    out = layer(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(out, numpy_blur(x), rtol=1e-5, atol=1e-6)
    # a constant map keeps its value inside (the kernel sums to 1) and loses to the zero padding at the edges
    flat = layer(mx.nd.ones((1, 3, 5, 5))).asnumpy()[0, 0]
    assert flat[2, 2] == pytest.approx(1.0) and flat[0, 0] == pytest.approx(9 / 16)
    assert flat[0, 2] == pytest.approx(0.75)
    # one channel never leaks into another
    only_first = np.zeros_like(x)
    only_first[:, 0] = x[:, 0]
    assert np.abs(layer(mx.nd.array(only_first)).asnumpy()[:, 1:]).max() == 0
    layer.hybridize()
    np.testing.assert_allclose(layer(mx.nd.array(x)).asnumpy(), out, rtol=1e-6, atol=1e-7)


def test_blur_taped_rule_is_the_exact_input_gradient():
    rs = np.random.RandomState(1)
    layer = Blur(2)
    layer.cast("float64")
    x = mx.nd.array(rs.normal(size=(2, 2, 5, 7)), dtype="float64")
    g = mx.nd.array(rs.normal(size=(2, 2, 5, 7)), dtype="float64")
    y, backward = layer.taped_forward(mx.nd, x)
    np.testing.assert_allclose(y.asnumpy(), numpy_blur(x.asnumpy()), rtol=1e-12)
    x.attach_grad()
    with autograd.record():
        out = layer(x)
    out.backward(g)
    np.testing.assert_allclose(backward(g).asnumpy(), x.grad.asnumpy(), rtol=1e-12, atol=1e-14)


def _critic_with_blur():
    """A small critic with the discriminator's pattern: conv, LeakyReLU, blur, conv, pool, LeakyReLU, dense."""
    net = nn.HybridSequential()
    net.add(EqConv2D(3, 3, 1, 1, in_channels=2), nn.LeakyReLU(0.2), Blur(3),
            EqConv2D(2, 3, 1, 1, in_channels=3), Downsample(), nn.LeakyReLU(0.2), nn.Flatten(),
            nn.Dense(1, in_units=2 * 3 * 3))
    net.initialize(mx.init.Normal(0.5))
    net.cast("float64")
    return net


def test_r1_through_blur_matches_autograd_and_finite_differences():
    net = _critic_with_blur()
    rs = np.random.RandomState(2)
    real = mx.nd.array(rs.normal(size=(3, 2, 6, 6)), dtype="float64")
    r1 = penalty.R1Penalty(net, gamma=10.0)
    expected = 5.0 * (autograd_input_gradient(net, real) ** 2).reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(r1(real).asnumpy(), expected, rtol=1e-10)
    with autograd.record():
        total = r1(real).sum()
    total.backward()
    checked, skipped = finite_difference_check(net.collect_params().values(), lambda: r1(real).sum().asscalar())
    assert checked >= 12 and skipped <= 2


def test_r1_through_the_stylegan_discriminator_matches_autograd():
    """The whole paper discriminator (blur, pooling, minibatch stddev, equalised layers), hybridized."""
    widths = {4: 4, 8: 3, 16: 2}
    d = StyleDiscriminator(widths, nc=1, dense_width=5, group_size=2, blur=True)
    d.initialize()
    d.cast("float64")
    rs = np.random.RandomState(3)
    real = mx.nd.array(rs.normal(size=(4, 1, 16, 16)), dtype="float64")
    expected = 0.5 * 10.0 * (autograd_input_gradient(d, real) ** 2).reshape(4, -1).sum(axis=1)
    d.hybridize()
    r1 = penalty.R1Penalty(d, gamma=10.0)
    r1.hybridize()
    np.testing.assert_allclose(r1(real).asnumpy(), expected, rtol=1e-9)
    assert sum(isinstance(layer, Blur) for layer in penalty.supported_layers(d)) == 2  # before 16->8 and 8->4
