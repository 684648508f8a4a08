"""The GAN notes' Fashion-MNIST GANs (``mlp``, ``dcgan28``): Keras' parameter counts, init, padding and maths."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd

from gluon_gan.families import FAMILIES, create_family
from gluon_gan.families.notes import KERAS_RMSPROP, NOTES_DEFAULTS
from gluon_gan.nn.keras_layers import SameConv2D, SameConv2DTranspose, same_padding

# Keras' selu constants (tf.keras.activations.selu)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def built(name, shape=(1, 28, 28), **kwargs):
    family = create_family(name, shape, **kwargs)
    nets = family.build_generator(), family.build_discriminator()
    for net in nets:
        family.initialize(net, mx.cpu())
    return family, nets[0], nets[1]


def counts(net):
    """(total, trainable) parameter counts, as Keras' model.summary() reports them."""
    params = net.collect_params().values()
    return (sum(p.data().size for p in params), sum(p.data().size for p in params if p.grad_req != "null"))


def test_parameter_counts_equal_keras_summary():
    # Hand counts of the notes' Keras models (weights + biases; BatchNorm: gamma, beta + 2 moving stats).
    _, g, d = built("mlp")
    assert counts(g) == (23 * 100 + 100 + 100 * 200 + 200 + 200 * 784 + 784,) * 2 == (180184, 180184)
    assert counts(d) == (784 * 200 + 200 + 200 * 100 + 100 + 100 + 1,) * 2 == (177201, 177201)
    _, g, d = built("dcgan28")
    dense, bn128, convt64, bn64, convt1 = 100 * 6272 + 6272, 4 * 128, 25 * 128 * 64 + 64, 4 * 64, 25 * 64 + 1
    assert counts(g) == (dense + bn128 + convt64 + bn64 + convt1, dense + bn128 + convt64 + bn64 + convt1 - 384)
    assert counts(g) == (840705, 840321)
    assert counts(d) == (25 * 64 + 64 + 25 * 64 * 128 + 128 + 7 * 7 * 128 + 1,) * 2 == (212865, 212865)


@pytest.mark.parametrize("name", ["mlp", "dcgan28"])
def test_glorot_uniform_kernels_and_zero_biases(name):
    _, g, d = built(name)
    for net in (g, d):
        for pname, p in net.collect_params().items():
            w = p.data().asnumpy()
            if pname.endswith("weight"):
                shape = w.shape
                receptive = int(np.prod(shape[2:])) if w.ndim > 2 else 1
                limit = np.sqrt(6.0 / ((shape[0] + shape[1]) * receptive))
                assert np.abs(w).max() <= limit * (1 + 1e-6), pname
                if w.size >= 1000:  # a uniform sample this large reaches near its bounds, with std l/sqrt(3)
                    assert np.abs(w).max() > 0.95 * limit, pname
                    assert abs(w.std() - limit / np.sqrt(3)) < 0.05 * limit, pname
            elif pname.endswith(("bias", "beta", "running_mean")):
                assert not w.any(), pname
            elif pname.endswith(("gamma", "running_var")):
                assert (w == 1).all(), pname


def selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))


def test_mlp_networks_compute_the_notes_layers_and_d_returns_logits():
    family, g, d = built("mlp")
    p = {k.split("_", 1)[1]: v.data().asnumpy().astype(np.float64) for k, v in g.collect_params().items()}
    z = np.random.RandomState(1).standard_normal((5, 23))
    h = selu(z @ p["dense0_weight"].T + p["dense0_bias"])
    h = selu(h @ p["dense1_weight"].T + p["dense1_bias"])
    want = 1 / (1 + np.exp(-(h @ p["dense2_weight"].T + p["dense2_bias"])))
    out = g(mx.nd.array(z))
    assert out.shape == (5, 1, 28, 28)
    np.testing.assert_allclose(out.asnumpy().reshape(5, -1), want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(family.images(out).asnumpy(), 2 * out.asnumpy() - 1, atol=1e-7)

    # D sees [0, 1] pictures as in the notes, and its output is a raw logit (no sigmoid)
    x = mx.nd.array(np.random.RandomState(2).uniform(-1, 1, (5, 1, 28, 28)))
    (real,) = family.real_inputs(x)
    np.testing.assert_allclose(real.asnumpy(), (x.asnumpy() + 1) / 2, atol=1e-7)
    (fake,) = family.fake_inputs(out)
    assert fake is out
    q = {k.split("_", 1)[1]: v.data().asnumpy().astype(np.float64) for k, v in d.collect_params().items()}
    d.collect_params()[d.prefix + "dense2_bias"].set_data(mx.nd.array([7.0]))
    h = selu(real.asnumpy().reshape(5, -1) @ q["dense0_weight"].T + q["dense0_bias"])
    h = selu(h @ q["dense1_weight"].T + q["dense1_bias"])
    want = h @ q["dense2_weight"].T + 7.0
    got = d(real)
    assert got.shape == (5, 1) and (got.asnumpy() > 1).all()
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_dcgan28_shapes_ranges_and_hybridized_equality():
    family, g, d = built("dcgan28")
    assert family.latent_shape == (100,)
    z = mx.nd.random.normal(shape=(4, 100))
    x = g(z)
    assert x.shape == (4, 1, 28, 28) and np.abs(x.asnumpy()).max() <= 1
    assert family.images(x) is x and family.real_inputs(x)[0] is x
    logits = d(x)
    assert logits.shape == (4, 1)
    family.hybridize(g)
    family.hybridize(d)
    np.testing.assert_allclose(g(z).asnumpy(), x.asnumpy(), atol=1e-5)
    np.testing.assert_allclose(d(x).asnumpy(), logits.asnumpy(), atol=1e-5)  # inference: dropout off


def test_dcgan28_batchnorm_uses_keras_settings_and_d_dropout_in_training():
    _, g, d = built("dcgan28")
    bns = [b for b in g._children.values() if isinstance(b, mx.gluon.nn.BatchNorm)]
    assert len(bns) == 2 and all(b._kwargs["momentum"] == 0.99 and b._kwargs["eps"] == 1e-3 for b in bns)
    x = mx.nd.random.normal(shape=(2, 1, 28, 28))
    with autograd.record():  # Keras' train_on_batch keeps Dropout(0.4) on in both steps, as our loop does
        a, b = d(x), d(x)
    assert not np.allclose(a.asnumpy(), b.asnumpy())


def test_same_padding_sizes_match_keras():
    assert same_padding(28, 5, 2) == (1, 2, 14)
    assert same_padding(14, 5, 2) == (1, 2, 7)
    assert same_padding(7, 5, 1) == (2, 2, 7)
    for in_size, out_size in ((28, 14), (14, 7)):
        conv = SameConv2D(3, 5, 2, in_size, 2)
        conv.initialize()
        assert conv(mx.nd.zeros((1, 2, in_size, in_size))).shape == (1, 3, out_size, out_size)
    for in_size, out_size in ((7, 14), (14, 28)):
        deconv = SameConv2DTranspose(3, 5, 2, in_size, 2)
        deconv.initialize()
        assert deconv(mx.nd.zeros((1, 2, in_size, in_size))).shape == (1, 3, out_size, out_size)


def tf_same_conv(x, w, stride):
    """NumPy reference of TF's SAME conv2d (cross-correlation), NCHW input, (out, in, k, k) kernel."""
    n, c, size, _ = x.shape
    k = w.shape[2]
    before, after, out = same_padding(size, k, stride)
    xp = np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))
    y = np.zeros((n, w.shape[0], out, out))
    for i in range(out):
        for j in range(out):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w)
    return y


def test_same_conv_values_equal_tensorflow_not_symmetric_padding():
    conv = SameConv2D(1, 5, 2, 28, 1)
    conv.initialize()
    kernel = np.zeros((1, 1, 5, 5), np.float32)
    kernel[0, 0, 0, 0] = 1  # out[i, j] = x[2i - 1, 2j - 1] with Keras' (1, 2) padding
    conv.conv.weight.set_data(mx.nd.array(kernel))
    x = np.random.RandomState(0).standard_normal((1, 1, 28, 28))
    y = conv(mx.nd.array(x)).asnumpy()
    assert y[0, 0, 0, 0] == 0 and y[0, 0, 0, 3] == 0
    np.testing.assert_allclose(y[0, 0, 1:, 1:], x[0, 0, 1:-1:2, 1:-1:2], atol=1e-6)  # MXNet pad=2 gives x[2i-2]

    conv = SameConv2D(3, 5, 2, 14, 2)
    conv.initialize(mx.init.Uniform(1))
    x = np.random.RandomState(1).standard_normal((2, 2, 14, 14))
    want = tf_same_conv(x, conv.conv.weight.data().asnumpy(), 2) + conv.conv.bias.data().asnumpy()[:, None, None]
    np.testing.assert_allclose(conv(mx.nd.array(x)).asnumpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("in_size", [7, 14])
def test_same_conv_transpose_is_the_adjoint_of_tf_same_conv(in_size):
    # TF defines conv2d_transpose(padding="SAME") as the adjoint of the SAME conv from the output size back:
    # <deconv(x), y> == <x, conv(y)> for the same kernel array.
    deconv = SameConv2DTranspose(3, 5, 2, in_size, 2, prefix="t_")
    deconv.initialize(mx.init.Uniform(1))
    deconv.deconv.bias.set_data(mx.nd.zeros(3))
    w = deconv.deconv.weight.data().asnumpy().astype(np.float64)  # (in=2, out=3, 5, 5)
    rs = np.random.RandomState(in_size)
    x = rs.standard_normal((1, 2, in_size, in_size))
    y = rs.standard_normal((1, 3, 2 * in_size, 2 * in_size))
    lhs = (deconv(mx.nd.array(x)).asnumpy().astype(np.float64) * y).sum()
    rhs = (x * tf_same_conv(y, w, 2)).sum()
    assert abs(lhs - rhs) < 1e-3 * max(1.0, abs(rhs))


def test_family_defaults_and_registration():
    assert {"mlp", "dcgan28"} <= set(FAMILIES)
    assert NOTES_DEFAULTS == {"batch_size": 32, "epochs": 50, "loss": "bce", "optimizer": KERAS_RMSPROP,
                              "num_images": 55000}  # the notes train on the first 55,000
    for name, nz in (("mlp", 23), ("dcgan28", 100)):
        cls = FAMILIES[name]
        assert cls.defaults == NOTES_DEFAULTS and cls.fresh_g_noise is True
        assert cls.train_shape(cls.Options(), (1, 64, 64)) == (1, 28, 28)
        family = create_family(name, (1, 28, 28))
        assert family.latent_shape == (nz,) and family.options.nz == nz
        assert family.record()["options"] == {"nz": nz}
    family, g, _ = built("mlp", options={"nz": 5})
    assert family.latent_shape == (5,) and g(mx.nd.zeros((2, 5))).shape == (2, 1, 28, 28)


def test_mxnet_rmsprop_update_puts_epsilon_inside_the_sqrt():
    # Documented deviation: MXNet w -= lr g / sqrt(n + eps); Keras w -= lr g / (sqrt(n) + eps).
    name, opts = KERAS_RMSPROP
    opt = mx.optimizer.create(name, **opts)
    w, g = mx.nd.array([1.0, -2.0]), mx.nd.array([0.5, 1e-4])
    state = opt.create_state(0, w)
    opt.update(0, w, g, state)
    n = 0.1 * g.asnumpy() ** 2
    np.testing.assert_allclose(w.asnumpy(), np.array([1.0, -2.0]) - 1e-3 * g.asnumpy() / np.sqrt(n + 1e-7),
                               rtol=1e-6)


def test_spectral_norm_discriminators_build():
    for name in ("mlp", "dcgan28"):
        family, _, d = built(name, spectral_norm=True)
        assert any(k.endswith("_u") for k in d.collect_params())
        with autograd.record():
            out = d(mx.nd.zeros((2, 1, 28, 28)))
        assert out.shape == (2, 1)


def test_dcgan28_refuses_sizes_it_cannot_build():
    from gluon_gan.errors import GluonGanError
    with pytest.raises(GluonGanError, match="divisible by 4"):
        create_family("dcgan28", (1, 30, 30))


def test_grey_dcgan28_generator_backpropagates_at_batch_32():
    family, g, _ = built("dcgan28")
    family.hybridize(g)
    z = mx.nd.random.normal(shape=(32, 100))
    with autograd.record():
        out = g(z)
    out.backward()
    grad = g.collect_params()[g.prefix + "dense0_weight"].grad().asnumpy()
    assert out.shape == (32, 1, 28, 28) and np.isfinite(grad).all() and np.abs(grad).max() > 0
