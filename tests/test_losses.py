"""Every loss's maths against hand computations, its accuracy, WGAN clipping, spectral norm and the exact penalty."""
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import nn

from conftest import load_script
from gradcheck import autograd_input_gradient
from gluon_gan.files import checkpoint
from gluon_gan.nn import penalty, spectral
from gluon_gan.errors import GluonGanError
from gluon_gan.training.losses import LOSSES, GANLoss, clip_weights, get_loss, register_loss
from gluon_gan.training.accuracy import BinaryAccuracy, PairwiseAccuracy
from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import initialize
from gluon_gan.training import GANTrainer, make_trainer

REAL = np.array([2.0, 0.5, -1.5])   # D's outputs on real images
FAKE = np.array([0.5, -3.0, 1.0])   # ... and on fakes
relu = lambda x: np.maximum(x, 0)  # noqa: E731
softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731

# Per-sample D and G losses, written out from the papers' formulas.
HAND = {
    "bce": (softplus(-REAL) + softplus(FAKE), softplus(-FAKE)),
    "lsgan": (0.5 * (REAL - 1) ** 2 + 0.5 * FAKE ** 2, 0.5 * (FAKE - 1) ** 2),
    "wgan": (FAKE - REAL, -FAKE),
    "hinge": (relu(1 - REAL) + relu(1 + FAKE), -FAKE),
    "wgan-gp": (FAKE - REAL, -FAKE),  # + the penalty, tested below
    # G's side uses the real scores of the D step before it (the test computes d first)
    "relativistic-hinge": (relu(1 - (REAL - FAKE.mean())) + relu(1 + (FAKE - REAL.mean())),
                           relu(1 - (FAKE - REAL.mean())) + relu(1 + (REAL - FAKE.mean()))),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_loss_values_match_hand_computation(name):
    loss = get_loss(name)
    real, fake = mx.nd.array(REAL).reshape((3, 1, 1, 1)), mx.nd.array(FAKE).reshape((3, 1, 1, 1))  # D's shape
    d, g = loss.d_loss(real, fake), loss.g_loss(fake)
    assert d.shape == (3,) and g.shape == (3,)  # per sample: the Trainer divides the sum by the batch
    np.testing.assert_allclose(d.asnumpy(), HAND[name][0], rtol=1e-5)
    np.testing.assert_allclose(g.asnumpy(), HAND[name][1], rtol=1e-5)


def test_every_registered_loss_has_a_hand_computed_case():
    assert set(LOSSES) == set(HAND)


def test_hinge_margins_and_lsgan_targets():
    # Beyond its margin a sample costs nothing: real at 1.5 and fake at -2 are "done".
    d = get_loss("hinge").d_loss(mx.nd.array([1.5, 0.2]), mx.nd.array([-2.0, 0.3]))
    np.testing.assert_allclose(d.asnumpy(), [0.0, 0.8 + 1.3], rtol=1e-6)
    # LSGAN is zero exactly on its targets b=1 (real) and a=0 (fake), and G's target is c=1.
    ls = get_loss("lsgan")
    assert ls.d_loss(mx.nd.array([1.0]), mx.nd.array([0.0])).asscalar() == 0
    assert ls.g_loss(mx.nd.array([1.0])).asscalar() == 0


def _accuracy(metric, real, fake):
    metric.update([mx.nd.ones(len(real)), mx.nd.zeros(len(fake))], [mx.nd.array(real), mx.nd.array(fake)])
    return metric.get()[1]


def test_accuracy_meaning_per_loss():
    real, fake = [0.7, 0.3, -0.2], [0.6, 0.1, -1.0]
    # bce and hinge: the sign (logit 0 is sigmoid 0.5; hinge margins are +-1). Right: 0.7, 0.3 | -1.0 -> 3/6
    for name in ("bce", "hinge"):
        assert _accuracy(get_loss(name).metric(), real, fake) == pytest.approx(3 / 6)
    # lsgan: above 0.5, halfway between the targets 0 and 1. Right: 0.7 | 0.1, -1.0 -> 3/6 (different samples)
    metric = get_loss("lsgan").metric()
    assert isinstance(metric, BinaryAccuracy) and metric.threshold == 0.5
    assert _accuracy(metric, [0.7, 0.3, -0.2], [0.6, 0.1, -1.0]) == pytest.approx(3 / 6)
    assert _accuracy(get_loss("lsgan").metric(), [0.4], [0.45]) == pytest.approx(1 / 2)  # 0.4 is "fake"
    # Wasserstein critics: pairs (real, fake) ranked right. real 3, 1; fake 2, 0, 1:
    # 3 beats all three; 1 beats 0, ties 1 (half), loses to 2 -> (3 + 1.5) / 6
    for name in ("wgan", "wgan-gp"):
        assert isinstance(get_loss(name).metric(), PairwiseAccuracy)
        assert _accuracy(get_loss(name).metric(), [3, 1], [2, 0, 1]) == pytest.approx(4.5 / 6)
        # a constant shift of the critic changes neither its losses nor this accuracy
        assert _accuracy(get_loss(name).metric(), [103, 101], [102, 100, 101]) == pytest.approx(4.5 / 6)


def test_pairwise_accuracy_accumulates_pairs_not_samples():
    metric = PairwiseAccuracy()
    metric.update([mx.nd.ones(1), mx.nd.zeros(1)], [mx.nd.array([1.0]), mx.nd.array([0.0])])  # 1 of 1 pair
    metric.update([mx.nd.ones(2), mx.nd.zeros(2)], [mx.nd.array([0.0, 0.0]), mx.nd.array([1.0, 1.0])])  # 0 of 4
    assert metric.get()[1] == pytest.approx(1 / 5)
    metric.reset()
    assert np.isnan(metric.get()[1])


def test_trainer_uses_the_losses_metric():
    g, d = initialize(Generator(nz=4, ngf=4), mx.cpu()), initialize(Discriminator(ndf=4, norm="none"), mx.cpu())
    assert isinstance(GANTrainer(g, d, get_loss("wgan-gp"), [mx.cpu()], nz=4).metric, PairwiseAccuracy)
    assert GANTrainer(g, d, get_loss("lsgan"), [mx.cpu()], nz=4).metric.threshold == 0.5


# ---------------------------------------------------------------- WGAN: clipping and the paper's optimiser

def test_wgan_clips_trainable_weights_but_not_batchnorm_statistics():
    d = initialize(Discriminator(ndf=4), mx.cpu())
    params = d.collect_params()
    stats = {k: p for k, p in params.items() if p.grad_req == "null"}
    assert stats and all(k.endswith(("running_mean", "running_var")) for k in stats)
    for p in stats.values():
        p.set_data(mx.nd.full(p.shape, 5.0))
    get_loss("wgan").after_d_step(d)
    for k, p in params.items():
        value = p.data().asnumpy()
        if k in stats:
            assert (value == 5.0).all(), k  # a known bug elsewhere: clipping the running variance to 0.01
        else:
            assert np.abs(value).max() <= 0.01 + 1e-9, k
    gammas = [p.data().asnumpy() for k, p in params.items() if k.endswith("gamma")]
    assert gammas and all((g == np.float32(0.01)).all() for g in gammas)  # BatchNorm's scale is a weight: 1 -> 0.01


def test_clip_weights_covers_every_context():
    net = nn.Dense(3, in_units=2, bias_initializer=mx.init.Constant(-0.5))
    net.initialize(mx.init.Constant(0.5), ctx=[mx.cpu(0), mx.cpu(1)])
    clip_weights(net, 0.1)
    for arr in net.weight.list_data():
        assert (arr.asnumpy() == np.float32(0.1)).all()
    for arr in net.bias.list_data():
        assert (arr.asnumpy() == np.float32(-0.1)).all()


def test_wgan_defaults_rmsprop_5e5_and_five_critic_steps_unless_the_user_sets_them():
    g, d = initialize(Generator(nz=4, ngf=4), mx.cpu()), initialize(Discriminator(ndf=4), mx.cpu())
    loss = get_loss("wgan")
    trainer = GANTrainer(g, d, loss, [mx.cpu()], nz=4)
    for t in (trainer.trainerG, trainer.trainerD):
        assert type(t._optimizer).__name__ == "RMSProp" and t.learning_rate == pytest.approx(5e-5)
    assert trainer.d_steps == 5
    trainer = GANTrainer(g, d, loss, [mx.cpu()], nz=4, lr=1e-4, lr_d=3e-4, d_steps=2)
    assert type(trainer.trainerD._optimizer).__name__ == "RMSProp"
    assert trainer.trainerG.learning_rate == pytest.approx(1e-4)
    assert trainer.trainerD.learning_rate == pytest.approx(3e-4)
    assert trainer.d_steps == 2
    # the tutorial's Adam for the others; a given beta1 reaches it
    adam = make_trainer(d, "d", get_loss("bce"), lr=None, beta1=0.3)
    assert type(adam._optimizer).__name__ == "Adam" and adam.learning_rate == pytest.approx(2e-4)
    assert adam._optimizer.beta1 == 0.3
    gp = make_trainer(d, "d", get_loss("wgan-gp"))
    assert (gp.learning_rate, gp._optimizer.beta1, gp._optimizer.beta2) == (pytest.approx(1e-4), 0.0, 0.9)


# ---------------------------------------------------------------- a loss of your own

def test_a_user_loss_is_one_small_class():
    """The example of docs/losses.md, verbatim."""
    softplus = lambda x: mx.nd.Activation(x, act_type="softrelu")  # noqa: E731

    @register_loss
    class MinimaxLoss(GANLoss):
        """Goodfellow et al.'s original G loss, log(1 - D(G(z))), which saturates when D wins."""
        name = "minimax"        # python scripts/train_lfw.py --loss minimax
        threshold = 0.0         # the logged accuracy: a logit above 0 counts as "real"

        def d_loss(self, real_out, fake_out):            # per sample, from D's raw outputs
            return softplus(-real_out.reshape((-1,))) + softplus(fake_out.reshape((-1,)))

        def g_loss(self, fake_out):                       # log(1 - sigmoid(D)) = -softplus(D)
            return -softplus(fake_out.reshape((-1,)))
    try:
        loss = get_loss("minimax")
        np.testing.assert_allclose(loss.g_loss(mx.nd.array(FAKE)).asnumpy(),
                                   np.log(1 - 1 / (1 + np.exp(-FAKE))), rtol=1e-5)
        np.testing.assert_allclose(loss.d_loss(mx.nd.array(REAL), mx.nd.array(FAKE)).asnumpy(), HAND["bce"][0],
                                   rtol=1e-5)
        assert "minimax" in load_script("train_lfw").parse_args(["--loss", "minimax"])[0].loss
        g, d = initialize(Generator(nz=4, ngf=4), mx.cpu()), initialize(Discriminator(ndf=4), mx.cpu())
        trainer = GANTrainer(g, d, loss, [mx.cpu()], nz=4)
        dl, gl = trainer.step(mx.nd.random.uniform(-1, 1, (2, 3, 64, 64)))
        assert np.isfinite(dl.asscalar()) and np.isfinite(gl.asscalar())
    finally:
        del LOSSES["minimax"]
    with pytest.raises(GluonGanError, match="unknown loss 'nope'"):
        get_loss("nope")


# ---------------------------------------------------------------- spectral normalisation

def _sigma_max(w):
    return np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0]


@pytest.mark.parametrize("make, plain, x_shape", [
    (lambda: spectral.SNDense(6, in_units=5), lambda: nn.Dense(6, in_units=5), (2, 5)),
    (lambda: spectral.SNConv2D(8, 3, 1, 1, in_channels=3), lambda: nn.Conv2D(8, 3, 1, 1, in_channels=3), (2, 3, 5, 5)),
])
def test_spectral_norm_gives_unit_largest_singular_value(make, plain, x_shape):
    layer = make()
    layer.initialize(mx.init.Normal(1.0))
    w = layer.weight.data().asnumpy()
    assert _sigma_max(w) > 2  # far from normalised to begin with
    spectral.power_iteration(layer, steps=50)
    normalized = layer.normalized_weight(mx.nd, layer.weight.data(), layer.u.data()).asnumpy()
    assert _sigma_max(normalized) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(normalized, w / _sigma_max(w), rtol=1e-4, atol=1e-6)
    # the layer computes exactly the plain layer with the normalised weight, imperative and hybridized
    reference = plain()
    reference.initialize()
    reference.weight.set_data(mx.nd.array(normalized))
    reference.bias.set_data(layer.bias.data())
    x = mx.nd.random.normal(shape=x_shape)
    imperative = layer(x).asnumpy()
    np.testing.assert_allclose(imperative, reference(x).asnumpy(), rtol=1e-4, atol=1e-5)
    layer.hybridize()
    np.testing.assert_allclose(layer(x).asnumpy(), imperative, rtol=1e-5, atol=1e-6)


def test_spectral_discriminator_iterates_in_training_only_and_saves_u(tmp_path):
    d = initialize(Discriminator(ndf=4, spectral_norm=True), mx.cpu())
    assert d.norm == "batch" and all(isinstance(l, spectral.SNConv2D) for l in d if isinstance(l, nn.Conv2D))
    d.hybridize(static_alloc=True, static_shape=True)
    x = mx.nd.random.normal(shape=(2, 3, 64, 64))
    u0 = d[0].u.data().asnumpy().copy()
    d(x)  # inference: u untouched
    assert np.array_equal(d[0].u.data().asnumpy(), u0)
    with autograd.record():
        d(x)
    u1 = d[0].u.data().asnumpy()
    assert not np.array_equal(u1, u0) and np.linalg.norm(u1) == pytest.approx(1.0, abs=1e-5)
    path = str(tmp_path / "d.params")
    checkpoint.save_parameters(d, path)
    assert "0.u" in checkpoint.read_parameter_shapes(path)
    fresh = initialize(Discriminator(ndf=4, spectral_norm=True), mx.cpu())
    checkpoint.load_parameters(fresh, path)
    np.testing.assert_array_equal(fresh[0].u.data().asnumpy(), u1)
    np.testing.assert_allclose(fresh(x).asnumpy(), d(x).asnumpy(), rtol=1e-5, atol=1e-6)
    plain = str(tmp_path / "plain.params")
    checkpoint.save_parameters(initialize(Discriminator(ndf=4), mx.cpu()), plain)
    with pytest.raises(GluonGanError, match="lacks parameter '0.u'"):
        checkpoint.load_parameters(initialize(Discriminator(ndf=4, spectral_norm=True), mx.cpu()), plain)


# ---------------------------------------------------------------- the exact gradient penalty

def _critic(dtype="float32", sn=False, init=0.5, leaky=True):
    conv = spectral.SNConv2D if sn else nn.Conv2D
    net = nn.HybridSequential()
    net.add(conv(3, 4, 2, 1, in_channels=2),  # 7x7 -> 3x3: odd sizes, so the transposed conv must be cropped
            nn.LeakyReLU(0.2) if leaky else nn.Activation("relu"),
            conv(4, 3, 2, 1, in_channels=3, use_bias=False), nn.Activation("tanh"),  # 3x3 -> 2x2
            nn.Flatten(), nn.Dense(3, in_units=16), nn.Activation("relu"), nn.Dense(1, in_units=3))
    net.initialize(mx.init.Normal(init))
    net.cast(dtype)
    if sn:
        spectral.power_iteration(net, steps=5)
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_input_gradient_equals_autograd(dtype):
    net = _critic(dtype)
    x = mx.nd.random.normal(shape=(4, 2, 7, 7)).astype(dtype)
    ours = penalty.input_gradient(net, x).asnumpy()
    ref = autograd_input_gradient(net, x)
    assert np.abs(ref).max() > 1e-3
    # float64 is limited by MXNet's float64 LeakyReLU, which rounds to float32 precision
    np.testing.assert_allclose(ours, ref, rtol=1e-4 if dtype == "float32" else 1e-7,
                               atol=1e-6 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("sn", [False, True])
def test_input_gradient_of_the_dcgan_critic_equals_autograd(sn):
    d = initialize(Discriminator(ndf=4, norm="none", spectral_norm=sn), mx.cpu())
    x = mx.nd.random.normal(shape=(2, 3, 64, 64))
    with autograd.record():  # one training forward, so spectral norm's u is iterated as in training
        d(x)
    ref = autograd_input_gradient(d, x)
    np.testing.assert_allclose(penalty.input_gradient(d, x).asnumpy(), ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())



def test_input_gradient_of_equalised_layers_with_a_learning_rate_multiplier():
    """The taped forward runs an equalised layer's bias times lr_mul too, so it differentiates what D computes."""
    from gluon_gan.nn.layers import EqConv2D, EqDense
    net = nn.HybridSequential()
    net.add(EqConv2D(3, 3, 2, 1, in_channels=2, lr_mul=0.1, bias_init=0.5), nn.LeakyReLU(0.2), nn.Flatten(),
            EqDense(1, in_units=48, lr_mul=0.1, bias_init=-0.3))
    net.initialize()
    rs = np.random.RandomState(2)
    for p in net.collect_params().values():  # biases as large as the weights' output, so they move the kinks
        p.set_data(p.data() + mx.nd.array(10 * rs.normal(size=p.shape)))
    x = mx.nd.array(rs.normal(size=(3, 2, 7, 7)))
    conv, dense = net[0], net[3]
    plain = nn.Conv2D(3, 3, 2, 1, in_channels=2)
    plain.initialize()
    plain.weight.set_data(conv.weight.data() * 0.1 * np.sqrt(2 / 18))
    plain.bias.set_data(conv.bias.data() * 0.1)
    h = mx.nd.LeakyReLU(plain(x), slope=0.2).reshape((3, -1)).asnumpy()
    by_hand = h @ (dense.weight.data().asnumpy() * 0.1 * np.sqrt(2 / 48)).T + dense.bias.data().asnumpy() * 0.1
    np.testing.assert_allclose(net(x).asnumpy(), by_hand, rtol=1e-4, atol=1e-5)
    score, grad = penalty.critic_and_input_gradient(mx.nd, net, x)
    np.testing.assert_allclose(score.asnumpy(), by_hand, rtol=1e-4, atol=1e-5)
    ref = autograd_input_gradient(net, x)
    assert np.abs(ref).max() > 1e-3
    np.testing.assert_allclose(grad.asnumpy(), ref, rtol=1e-4, atol=1e-6)


def _penalty_value(net, real, fake, eps):
    return penalty.GradientPenalty(net)(real, fake, eps)


def test_penalty_value_matches_autograd_and_a_hand_computed_linear_critic():
    net = _critic("float64")
    real = mx.nd.random.normal(shape=(3, 2, 7, 7)).astype("float64")
    fake = mx.nd.random.normal(shape=(3, 2, 7, 7)).astype("float64")
    eps = mx.nd.array([[0.2], [0.5], [0.9]], dtype="float64").reshape((3, 1, 1, 1))
    x_hat = eps * real + (1 - eps) * fake
    norms = np.sqrt((autograd_input_gradient(net, x_hat) ** 2).reshape(3, -1).sum(axis=1))
    np.testing.assert_allclose(_penalty_value(net, real, fake, eps).asnumpy(), 10 * (norms - 1) ** 2, rtol=1e-9)
    # A linear critic D(x) = w.x + b has gradient w everywhere: penalty 10 (|w| - 1)^2 for every sample.
    lin = nn.Dense(1, in_units=2)
    lin.initialize()
    lin.weight.set_data(mx.nd.array([[3.0, 4.0]]))
    value = _penalty_value(lin, mx.nd.random.normal(shape=(2, 2)), mx.nd.random.normal(shape=(2, 2)),
                           mx.nd.array([[0.3], [0.8]]))
    np.testing.assert_allclose(value.asnumpy(), [10 * (5 - 1) ** 2] * 2, rtol=1e-6)


def _flat_params(net):
    return [p for p in net.collect_params().values() if p.grad_req != "null"]


@pytest.mark.parametrize("sn, leaky, rel", [(False, True, 1e-4), (True, True, 1e-4), (False, False, 1e-8)])
def test_penalty_parameter_gradient_matches_central_differences(sn, leaky, rel):
    net = _critic("float64", sn=sn, leaky=leaky)
    rs = np.random.RandomState(1)
    real = mx.nd.array(rs.normal(size=(2, 2, 7, 7)), dtype="float64")
    fake = mx.nd.array(rs.normal(size=(2, 2, 7, 7)), dtype="float64")
    eps = mx.nd.array(rs.uniform(size=(2, 1, 1, 1)), dtype="float64")
    pen = penalty.GradientPenalty(net)
    with autograd.record():
        total = pen(real, fake, eps).sum()
    total.backward()
    # Fourth-order central differences with h = 1e-3 (the stencil's own error, O(h^4), is negligible).
    # MXNet's float64 LeakyReLU rounds its output to float32 precision (~1e-8), which limits the agreement
    # with it to ~1e-5; with ReLU in its place everything is float64 and the agreement is far tighter.
    h = 1e-3
    checked = 0
    for p in _flat_params(net):
        grad = p.grad().asnumpy()
        value = p.data().asnumpy()
        for index in list(np.ndindex(*p.shape))[::max(1, value.size // 6)]:  # a spread of entries per tensor
            at = []
            for step in (2, 1, -1, -2):
                moved = value.copy()
                moved[index] += step * h
                p.set_data(mx.nd.array(moved, dtype="float64"))
                at.append(pen(real, fake, eps).sum().asscalar())
            p.set_data(mx.nd.array(value, dtype="float64"))
            numeric = (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * h)
            assert grad[index] == pytest.approx(numeric, rel=rel, abs=rel * 1e-2), (p.name, index)
            checked += 1
    assert checked >= 25  # every tensor of every layer, weights and biases


def test_hybridized_float32_penalty_agrees_with_float64():
    """MXNet's float32 CPU kernels (MKL-DNN) run a different code path than float64: same numbers, same grads."""
    results = []
    for dtype, hybrid in (("float64", False), ("float32", True)):
        mx.random.seed(5)
        net = _critic(dtype)
        rs = np.random.RandomState(2)
        real, fake = (mx.nd.array(rs.normal(size=(3, 2, 7, 7)), dtype=dtype) for _ in range(2))
        eps = mx.nd.array(rs.uniform(size=(3, 1, 1, 1)), dtype=dtype)
        pen = penalty.GradientPenalty(net)
        if hybrid:
            net.hybridize(static_alloc=True, static_shape=True)
            pen.hybridize(static_alloc=True, static_shape=True)
        with autograd.record():
            value = pen(real, fake, eps)
        value.backward()
        results.append((value.asnumpy(), [p.grad().asnumpy() for p in _flat_params(net)]))
    (v64, g64), (v32, g32) = results
    np.testing.assert_allclose(v32, v64, rtol=1e-4)
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4 * np.abs(b).max())


def test_penalty_refuses_batchnorm_and_unknown_layers():
    with pytest.raises(GluonGanError, match="without BatchNorm"):
        penalty.GradientPenalty(Discriminator(ndf=4))
    net = nn.HybridSequential()
    net.add(nn.Dense(2), nn.ELU())
    with pytest.raises(GluonGanError, match="cannot differentiate ELU"):
        penalty.GradientPenalty(net)
    with pytest.raises(GluonGanError, match="cannot differentiate Activation"):  # softrelu inside a Dense
        penalty.GradientPenalty(nn.Dense(2, activation="softrelu"))
    fused = nn.Dense(3, activation="tanh", in_units=2)  # an activation inside the layer is handled
    fused.initialize()
    x = mx.nd.random.normal(shape=(4, 2))
    np.testing.assert_allclose(penalty.input_gradient(fused, x).asnumpy(), autograd_input_gradient(fused, x),
                               rtol=1e-5, atol=1e-7)


def test_wgan_gp_step_adds_the_penalty_to_the_critic_loss():
    """A linear critic makes the penalty constant, so the step's D loss is known before it runs."""
    g = nn.HybridSequential()
    g.add(nn.Dense(2, in_units=3))
    critic = nn.HybridSequential()
    critic.add(nn.Dense(1, in_units=2))
    for net in (g, critic):
        net.initialize()
    critic[0].weight.set_data(mx.nd.array([[0.6, 0.0]]))
    real = mx.nd.array([[1.0, 2.0], [3.0, -1.0]])
    trainer = GANTrainer(g, critic, get_loss("wgan-gp"), [mx.cpu()], nz=3)
    mx.random.seed(7)
    z = trainer.noise(2)
    expected = (critic(g(z)).mean() - critic(real).mean()).asscalar() + 10 * (0.6 - 1) ** 2
    mx.random.seed(7)
    d_loss, _ = trainer.step(real)
    assert d_loss.asscalar() == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------- every loss trains the DCGAN from the script

@pytest.mark.parametrize("loss, extra", [(name, []) for name in sorted(LOSSES)] + [("hinge", ["--spectral-norm"])])
def test_train_script_runs_every_loss(tmp_path, image_folder, loss, extra):
    out = str(tmp_path / "run")
    load_script("train_lfw").main(["--data-dir", image_folder, "--cache-dir", str(tmp_path / "cache"), "--out", out,
                                   "--epochs", "1", "--ngf", "8", "--ndf", "8", "--batch-size", "4",
                                   "--loss", loss, "--log-interval", "2"] + extra)
    state = checkpoint.read_state(os.path.join(out, "checkpoint"))
    assert state["epoch"] == 1 and state["config"]["loss"] == loss
    rows = open(os.path.join(out, "metrics.csv")).read().splitlines()[1:]
    assert len(rows) == 3 and all(np.isfinite(float(v)) for r in rows for v in r.split(",")[4:7])
    keys = checkpoint.read_parameter_shapes(os.path.join(out, "discriminator.params"))
    has_bn = any(k.endswith("gamma") for k in keys)
    assert has_bn == (loss != "wgan-gp" and not extra)  # WGAN-GP and spectral norm drop D's BatchNorm
    assert any(k.endswith(".u") for k in keys) == bool(extra)
