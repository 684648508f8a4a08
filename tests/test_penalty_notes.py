"""The exact gradient penalty through the notes' critics: SELU, Dropout and Keras' "same" padding."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import nn

from gradcheck import autograd_input_gradient

from gluon_gan.nn import penalty
from gluon_gan.families import create_family
from gluon_gan.nn.keras_layers import SameConv2D
from gluon_gan.training.losses import get_loss


@pytest.mark.parametrize("name", ["mlp", "dcgan28"])
def test_input_gradient_of_the_notes_critics_equals_autograd(name):
    family = create_family(name, (1, 28, 28))
    d = family.initialize(family.build_discriminator(), mx.cpu())
    x = mx.nd.random.uniform(-1, 1, shape=(3, 1, 28, 28))
    ref = autograd_input_gradient(d, x)  # outside training: dropout off in both
    ours = penalty.input_gradient(d, x).asnumpy()
    assert np.abs(ref).max() > 1e-4
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())


def test_same_conv_input_gradient_crops_the_asymmetric_padding():
    net = nn.HybridSequential()
    net.add(SameConv2D(2, 5, 2, 9, 1), nn.Flatten(), nn.Dense(1, in_units=2 * 5 * 5))
    net.initialize(mx.init.Uniform(1))
    x = mx.nd.random.normal(shape=(2, 1, 9, 9)).astype("float64")
    net.cast("float64")
    np.testing.assert_allclose(penalty.input_gradient(net, x).asnumpy(), autograd_input_gradient(net, x),
                               rtol=1e-9, atol=1e-12)


def test_dropout_uses_one_mask_for_score_and_gradient():
    net = nn.HybridSequential()
    net.add(nn.Dropout(0.5), nn.Dense(1, in_units=40))
    net.initialize(mx.init.Uniform(1))
    x = mx.nd.random.normal(shape=(4, 40))
    w, b = net[1].weight.data().asnumpy()[0], net[1].bias.data().asnumpy()[0]
    with autograd.record():  # training: dropout on
        score, grad = penalty.critic_and_input_gradient(mx.nd, net, x)
    grad = grad.asnumpy()
    kept = np.isclose(grad, 2 * w)  # kept units are scaled by 1 / (1 - p)
    assert (kept | (grad == 0)).all() and 0 < kept.mean() < 1
    np.testing.assert_allclose(score.asnumpy()[:, 0], (grad * x.asnumpy()).sum(axis=1) + b, rtol=1e-5)


def test_selu_penalty_parameter_gradient_matches_central_differences():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2), nn.SELU(), nn.Dense(1, in_units=3))
    net.initialize(mx.init.Normal(1.0))
    net.cast("float64")
    real, fake = (mx.nd.random.normal(shape=(5, 2)).astype("float64") for _ in range(2))
    eps = mx.nd.random.uniform(shape=(5, 1)).astype("float64")
    pen = penalty.GradientPenalty(net)
    weight = net[0].weight
    with autograd.record():
        value = pen(real, fake, eps).sum()
    value.backward()
    analytic = weight.grad().asnumpy()
    w0, numeric, step = weight.data().asnumpy(), np.zeros_like(analytic), 1e-6
    for idx in np.ndindex(*w0.shape):
        values = []
        for sign in (1, -1):
            w = w0.copy()
            w[idx] += sign * step
            weight.set_data(mx.nd.array(w, dtype="float64"))
            values.append(pen(real, fake, eps).sum().asscalar())
        numeric[idx] = (values[0] - values[1]) / (2 * step)
    weight.set_data(mx.nd.array(w0, dtype="float64"))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["mlp", "dcgan28"])
def test_wgan_gp_trains_the_notes_critics(name):
    family = create_family(name, (1, 28, 28), loss=get_loss("wgan-gp"))
    d = family.initialize(family.build_discriminator(), mx.cpu())
    family.hybridize(d)
    real, fake = mx.nd.random.uniform(0, 1, shape=(4, 1, 28, 28)), mx.nd.random.uniform(0, 1, shape=(4, 1, 28, 28))
    with autograd.record():
        value = family.loss.penalty(d, real, fake)
    value.backward()
    assert value.shape == (4,) and np.isfinite(value.asnumpy()).all()
    assert all(np.isfinite(p.grad().asnumpy()).all() for p in d.collect_params().values() if p.grad_req != "null")


def test_gluon_selu_gets_the_true_derivative_too():
    from gluon_gan.nn.mxnet_fixes import SELU
    nets = []
    for selu in (nn.SELU, SELU):
        net = nn.HybridSequential(prefix="same_")
        net.add(nn.Dense(4, in_units=3), selu(), nn.Dense(1, in_units=4))
        net.initialize(mx.init.Constant(0.0))
        nets.append(net)
    rs = np.random.RandomState(0)
    for a, b in zip(nets[0].collect_params().values(), nets[1].collect_params().values()):
        value = mx.nd.array(rs.standard_normal(a.shape))
        a.set_data(value)
        b.set_data(value)
    x = mx.nd.array(rs.standard_normal((6, 3)))
    ref = autograd_input_gradient(nets[1], x)
    for net in nets:
        np.testing.assert_allclose(penalty.input_gradient(net, x).asnumpy(), ref, rtol=1e-5, atol=1e-7)
