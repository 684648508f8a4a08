"""Workarounds for MXNet 1.9.1 bugs: the values of the layer they replace, the right gradients, and they train."""
import mxnet as mx
import numpy as np
from mxnet import autograd

from gluon_gan.families.dcgan import Generator
from gluon_gan.nn.mxnet_fixes import SELU, SELU_ALPHA, SELU_SCALE, OneChannelSafeConv2DTranspose

def test_one_channel_transposed_conv_trains_under_onednn():
    # MXNet 1.9.1's oneDNN cannot backpropagate to the input of a 64 -> 1 Deconvolution; ours computes it.
    safe = OneChannelSafeConv2DTranspose(1, 5, 2, padding=1, in_channels=64, in_size=14, prefix="safe_")
    plain = mx.gluon.nn.Conv2DTranspose(1, 5, 2, padding=1, in_channels=64, prefix="plain_")
    for net in (safe, plain):
        net.initialize(mx.init.Uniform(0.1))
        net.bias.set_data(mx.nd.array([0.25]))
    plain.weight.set_data(safe.weight.data())
    rs = np.random.RandomState(0)
    x, other, r = (mx.nd.array(rs.standard_normal(s)) for s in ((32, 64, 14, 14), (32, 64, 14, 14), (32, 1, 29, 29)))
    x.attach_grad()
    with autograd.record():
        loss = (safe(x) * r).sum()
    loss.backward()
    np.testing.assert_allclose(safe(x).asnumpy(), plain(x).asnumpy(), rtol=1e-5, atol=1e-5)
    with autograd.record():  # plain's weight gradient works when the input needs none
        (plain(x.detach()) * r).sum().backward()
    np.testing.assert_allclose(safe.weight.grad().asnumpy(), plain.weight.grad().asnumpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(safe.bias.grad().asnumpy(), plain.bias.grad().asnumpy(), rtol=1e-4)
    # the layer is affine in x: <other, dL/dx> = L(other) - L(0)
    lin = ((plain(other) - plain(mx.nd.zeros_like(other))) * r).sum().asscalar()
    assert abs((x.grad * other).sum().asscalar() - lin) < 1e-3 * max(1.0, abs(lin))



def test_grey_dcgan_generator_trains_with_the_tutorial_parameter_names():
    grey, rgb = Generator(nc=1), Generator(nc=3)
    assert type(rgb[-2]) is mx.gluon.nn.Conv2DTranspose  # the tutorial's RGB network is untouched
    assert isinstance(grey[-2], OneChannelSafeConv2DTranspose)
    strip = lambda net: sorted(k[len(net.prefix):] for k in net.collect_params())  # noqa: E731
    assert strip(grey) == strip(rgb)
    grey.initialize(mx.init.Normal(0.02))
    grey.hybridize(static_alloc=True, static_shape=True)
    with autograd.record():
        out = grey(mx.nd.random.normal(shape=(64, 100, 1, 1)))
    out.backward()
    assert out.shape == (64, 1, 64, 64)
    assert np.abs(grey[0].weight.grad().asnumpy()).max() > 0


def test_selu_has_mxnets_values_and_the_true_gradient():
    x = mx.nd.array([-3.0, -2.0, -0.5, -1e-3, 0.0, 0.3, 1.5], dtype="float64")
    want = SELU_SCALE * np.where(x.asnumpy() > 0, 1.0, SELU_ALPHA * np.exp(x.asnumpy()))
    grads = {}
    for name, layer in (("ours", SELU()), ("mxnet", mx.gluon.nn.SELU())):
        x.attach_grad()
        with autograd.record():
            y = layer(x)
        y.backward()
        grads[name] = x.grad.asnumpy().copy()
        np.testing.assert_allclose(y.asnumpy(), SELU_SCALE * np.where(x.asnumpy() > 0, x.asnumpy(),
                                                                       SELU_ALPHA * np.expm1(x.asnumpy())),
                                   rtol=1e-6, atol=1e-7)
    # to float32 precision: MXNet's LeakyReLU (ELU here) rounds float64 to float32 precision inside
    np.testing.assert_allclose(grads["ours"][x.asnumpy() != 0], want[x.asnumpy() != 0], rtol=1e-7)
    assert abs(grads["mxnet"][1] - want[1]) > 0.05  # MXNet 1.9.1's own backward at x = -2 (0.161, not 0.238)


def test_selu_gradient_on_onednns_path():
    # float32 pictures take oneDNN's ELU kernel (the training path), not MXNet's own
    rs = np.random.RandomState(0)
    h = rs.uniform(-4, 3, (2, 3, 5, 5)).astype(np.float32)
    g = rs.standard_normal(h.shape).astype(np.float32)
    x = mx.nd.array(h)
    x.attach_grad()
    with autograd.record():
        y = SELU()(x)
    y.backward(mx.nd.array(g))
    np.testing.assert_allclose(y.asnumpy(), SELU_SCALE * np.where(h > 0, h, SELU_ALPHA * np.expm1(h)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), g * SELU_SCALE * np.where(h > 0, 1.0, SELU_ALPHA * np.exp(h)),
                               rtol=1e-5, atol=1e-6)
