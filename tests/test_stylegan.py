"""The StyleGAN family's maths: AdaIN, noise, style mixing, truncation, EMA, w average, R1, figures."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import nn

from gradcheck import autograd_input_gradient

from gluon_gan.files import checkpoint
from gluon_gan.nn import penalty
from gluon_gan.errors import GluonGanError
from gluon_gan.families import create_family
from gluon_gan.training.losses import get_loss
from gluon_gan.nn.layers import EqConv2D, EqDense, PixelNorm
from gluon_gan.families.stylegan import AdaIN, StyleGenerator
from gluon_gan.training import ema as shared_ema
from gluon_gan.families.stylegan import family as ema_lib
from gluon_gan.families.stylegan.figures import style_groups
from gluon_gan.families.stylegan.inputs import crossover_mask, mixing_mask, truncation_psi

TINY = dict(image_size=16, nz=6, w_dim=5, mapping_layers=2, fmap_base=64, fmap_max=4)


def tiny_generator(noise=True, nc=3, **kw):
    options = dict(TINY, **kw)
    g = StyleGenerator(nc=nc, noise=noise, resolution=options.pop("image_size"), **options)
    g.initialize(mx.init.Normal(0.02))
    # Move every parameter off its init (styles at identity, zero noise weights) so nothing is trivially zero.
    rs = np.random.RandomState(1)
    for name, p in g._collect_params_with_prefix().items():
        if not name.endswith("noise.weight"):
            p.set_data(p.data() + mx.nd.array(0.3 * rs.normal(size=p.shape)))
    return g


def inputs(g, n=3, seed=0, mix=None, psi=None, z=None, z2=None, noises=None):
    rs = np.random.RandomState(seed)
    L = g.num_layers
    z = rs.normal(size=(n, g.nz, 1, 1)) if z is None else z
    z2 = rs.normal(size=(n, g.nz, 1, 1)) if z2 is None else z2
    mix = np.zeros((n, L)) if mix is None else mix
    psi = np.ones((n, L)) if psi is None else psi
    if noises is None:
        noises = [rs.normal(size=s) for s in g.noise_shapes(n)]
    return [mx.nd.array(a) for a in [z, z2, mix, psi] + list(noises)]


# ---------------------------------------------------------------- blocks

def test_adain_maps_have_the_style_mean_and_std():
    rs = np.random.RandomState(0)
    x = rs.normal(3.0, 2.5, size=(2, 3, 5, 4))
    scale = np.array([[0.5, 2.0, -1.5], [3.0, 0.1, 1.0]])
    bias = np.array([[1.0, -2.0, 0.0], [0.3, 4.0, -1.0]])
    out = AdaIN(3, (5, 4))(mx.nd.array(x), mx.nd.array(scale), mx.nd.array(bias)).asnumpy()
    np.testing.assert_allclose(out.mean(axis=(2, 3)), bias, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(2, 3)), np.abs(scale), rtol=1e-5)
    # and the map itself: the standardised input, scaled and shifted (hand computation)
    standard = (x - x.mean(axis=(2, 3), keepdims=True)) / x.std(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(out, standard * scale[:, :, None, None] + bias[:, :, None, None], rtol=1e-4,
                               atol=1e-5)


def test_pixel_norm_and_equalised_layers_match_numpy():
    rs = np.random.RandomState(0)
    z = rs.normal(size=(4, 7))
    out = PixelNorm(7)(mx.nd.array(z).reshape((4, 7, 1, 1))).asnumpy()
    np.testing.assert_allclose((out ** 2).mean(axis=1), 1.0, rtol=1e-5)
    dense = EqDense(3, in_units=7, gain=2.0, lr_mul=0.5, bias_init=1.0)
    dense.initialize()
    w, b = dense.weight.data().asnumpy(), dense.bias.data().asnumpy()
    np.testing.assert_allclose(b * 0.5, 1.0)  # the effective bias starts at bias_init
    np.testing.assert_allclose(dense(mx.nd.array(z)).asnumpy(), z @ (w * 2.0 * 0.5 / np.sqrt(7)).T + b * 0.5,
                               rtol=1e-5)
    conv = EqConv2D(2, 1, in_channels=3, gain=3.0)
    conv.initialize()
    x = rs.normal(size=(2, 3, 4, 4))
    w = conv.weight.data().asnumpy()[:, :, 0, 0] * 3.0 / np.sqrt(3)
    np.testing.assert_allclose(conv(mx.nd.array(x)).asnumpy(), np.einsum("oc,nchw->nohw", w, x), rtol=1e-5,
                               atol=1e-6)


def test_generator_shapes_widths_and_resolutions():
    g = tiny_generator()
    assert g.layer_resolutions == [4, 4, 8, 8, 16, 16]
    assert g(*inputs(g)).shape == (3, 3, 16, 16)
    out = g(*inputs(g)).asnumpy()
    assert np.abs(out).max() <= 1.0  # tanh: images in [-1, 1]
    with pytest.raises(ValueError, match="power-of-two"):
        StyleGenerator(resolution=24)


def test_hybridized_equals_imperative():
    g = tiny_generator()
    g.w_avg.set_data(mx.nd.array(np.linspace(-1, 1, g.w_dim)))
    mix = crossover_mask(mx.nd.array([[2], [4], [6]]), g.num_layers).asnumpy()
    psi = np.full((3, g.num_layers), 0.7)
    x = inputs(g, mix=mix, psi=psi)
    imperative = g(*x).asnumpy()
    g.hybridize(static_alloc=True, static_shape=True)
    np.testing.assert_allclose(g(*x).asnumpy(), imperative, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g(*x).asnumpy(), imperative, rtol=1e-6, atol=1e-7)  # the cached graph again


# ---------------------------------------------------------------- noise

def test_zero_noise_weights_ignore_the_noise():
    g = tiny_generator()  # noise weights are still at their init, zero
    a = g(*inputs(g, seed=1)[:4], *inputs(g, seed=2)[4:])
    b = g(*inputs(g, seed=1)[:4], *inputs(g, seed=3)[4:])
    assert np.array_equal(a.asnumpy(), b.asnumpy())


def test_noise_changes_only_what_its_weights_reach():
    g = tiny_generator()
    layer, channel = 2, 1
    weight = np.zeros(g.layers[layer].noise.weight.shape)
    weight[channel] = 0.8
    g.layers[layer].noise.weight.set_data(mx.nd.array(weight))
    x = inputs(g)
    y = list(x)
    rs = np.random.RandomState(9)
    y[4 + layer] = x[4 + layer].copy()
    y[4 + layer][0] = mx.nd.array(rs.normal(size=y[4 + layer][0].shape))  # a new draw for sample 0 only
    y[4 + 0] = mx.nd.array(rs.normal(size=x[4].shape))  # layer 0's noise has zero weights: no effect
    fa, fb = g.trace(*x), g.trace(*y)
    for l in range(layer):
        assert np.array_equal(fa[l].asnumpy(), fb[l].asnumpy())
    diff = np.abs(fa[layer].asnumpy() - fb[layer].asnumpy())
    assert diff[0, channel].max() > 1e-3  # the weighted channel of the redrawn sample moves ...
    diff[0, channel] = 0
    assert diff.max() == 0  # ... and nothing else in that layer does (AdaIN works per sample and map)
    image_diff = np.abs(fa[-1].asnumpy() - fb[-1].asnumpy()).reshape(3, -1).max(axis=1)
    assert image_diff[0] > 0 and image_diff[1] == 0 and image_diff[2] == 0  # samples never interact


# ---------------------------------------------------------------- style mixing

def test_mixing_crossover_separates_the_two_latents():
    g = tiny_generator(noise=False)
    k = 3
    mix = crossover_mask(mx.nd.full((3, 1), k), g.num_layers).asnumpy()
    np.testing.assert_array_equal(mix[0], [0, 0, 0, 1, 1, 1])
    base = g.trace(*inputs(g, mix=mix, seed=0))
    rs = np.random.RandomState(5)
    other_z2 = g.trace(*inputs(g, mix=mix, seed=0, z2=rs.normal(size=(3, g.nz, 1, 1))))
    other_z1 = g.trace(*inputs(g, mix=mix, seed=0, z=rs.normal(size=(3, g.nz, 1, 1))))
    for l in range(k):  # layers before the crossover only ever see w1
        assert np.array_equal(base[l].asnumpy(), other_z2[l].asnumpy())
        assert np.abs(base[l].asnumpy() - other_z1[l].asnumpy()).max() > 1e-3
    for l in range(k, g.num_layers + 1):  # from the crossover on, w2 matters
        assert np.abs(base[l].asnumpy() - other_z2[l].asnumpy()).max() > 1e-3
    # without mixing, z2 is ignored entirely
    plain = g(*inputs(g, seed=0)).asnumpy()
    assert np.array_equal(plain, g(*inputs(g, seed=0, z2=rs.normal(size=(3, g.nz, 1, 1)))).asnumpy())


def test_mixing_mask_draws_per_sample_crossovers():
    L = 6
    assert mixing_mask(50, L, 0.0, mx.cpu()).asnumpy().sum() == 0
    always = mixing_mask(400, L, 1.0, mx.cpu()).asnumpy()
    crossovers = L - always.sum(axis=1)
    assert set(crossovers) == set(range(1, L))  # k in 1 .. L-1, each reached
    np.testing.assert_array_equal(always, (np.arange(L)[None, :] >= crossovers[:, None]))  # a step per row
    share = (mixing_mask(2000, L, 0.9, mx.cpu()).asnumpy().sum(axis=1) > 0).mean()
    assert 0.87 < share < 0.93


# ---------------------------------------------------------------- truncation

def test_truncation_pulls_styles_to_the_average_w():
    g = tiny_generator(noise=False)
    avg = np.linspace(-1, 1, g.w_dim).astype(np.float32)
    g.w_avg.set_data(mx.nd.array(avg))
    x = inputs(g, n=4)
    w = g.mapping(x[0]).asnumpy()
    L = g.num_layers
    styles = lambda psi: [s.asnumpy() for s in g.layer_styles(mx.nd, x[0], x[1], x[2], psi, g.w_avg.data())]  # noqa
    for s in styles(truncation_psi(4, L, 1.0)):
        assert np.array_equal(s, w)  # psi = 1 is the identity, exactly
    for s in styles(truncation_psi(4, L, 0.0)):
        assert np.array_equal(s, np.tile(avg, (4, 1)))  # psi = 0 is the average, exactly
    half = styles(truncation_psi(4, L, 0.5, layers=2))
    np.testing.assert_allclose(half[0], 0.5 * w + 0.5 * avg, rtol=1e-6)
    assert np.array_equal(half[2], w)  # after the first 2 layers: untouched
    # psi = 0: the same image whatever z is
    images = g(*inputs(g, n=4, psi=np.zeros((4, L)))).asnumpy()
    assert np.array_equal(images, np.repeat(images[:1], 4, axis=0))


def test_family_sampling_inputs_truncate_and_are_deterministic():
    family = create_family("stylegan", (3, 16, 16), dict(TINY))
    g = tiny_generator()
    for layer in g.layers:  # noise that matters
        layer.noise.weight.set_data(mx.nd.ones(layer.noise.weight.shape))
    g.w_avg.set_data(mx.nd.array(np.linspace(-1, 1, g.w_dim)))
    z = mx.nd.random.normal(shape=(4, g.nz, 1, 1))
    first = g(*family.sampling_inputs(z)).asnumpy()
    np.testing.assert_array_equal(first, g(*family.sampling_inputs(z)).asnumpy())  # same z, same picture
    np.testing.assert_array_equal(first[2:], g(*family.sampling_inputs(z[2:])).asnumpy())  # in any batch
    w_only = create_family("stylegan", (3, 16, 16), dict(TINY, noise=False))
    g_plain = tiny_generator(noise=False)
    g_plain.w_avg.set_data(mx.nd.array(np.linspace(-1, 1, g.w_dim)))
    avg = g_plain(*w_only.sampling_inputs(z, truncation=0.0)).asnumpy()
    assert np.array_equal(avg, np.repeat(avg[:1], 4, axis=0))
    with pytest.raises(GluonGanError, match="truncation"):
        family.sampling_inputs(z, temperature=2)


# ---------------------------------------------------------------- EMA and the average w

def test_ema_update_maths_and_decay_ramp():
    g, ema = tiny_generator(), tiny_generator()
    rs = np.random.RandomState(4)
    for p in ema.collect_params().values():
        p.set_data(mx.nd.array(rs.normal(size=p.shape)))
    before = {k: p.data().asnumpy() for k, p in ema._collect_params_with_prefix().items()}
    source = {k: p.data().asnumpy() for k, p in g._collect_params_with_prefix().items()}
    shared_ema.update_ema(ema, g, 0.9)
    after = {k: p.data().asnumpy() for k, p in ema._collect_params_with_prefix().items()}
    for k in after:
        expected = source[k] if k == "w_avg" else 0.9 * before[k] + 0.1 * source[k]
        np.testing.assert_allclose(after[k], expected, rtol=1e-6, atol=1e-7, err_msg=k)
    assert shared_ema.ema_decay(0.999, 0) == pytest.approx(0.1)
    assert shared_ema.ema_decay(0.999, 8) == pytest.approx(0.5)
    assert shared_ema.ema_decay(0.999, 10 ** 6) == 0.999



def test_ema_decay_zero_keeps_no_copy_and_draws_with_g():
    family = create_family("stylegan", (3, 16, 16), dict(TINY, ema_decay=0))
    g = family.initialize(family.build_generator(), mx.cpu())
    family.extras = family.extra_networks(g, mx.cpu())
    assert family.extras == {} and family.sampling_generator(g) is g


def test_w_average_moves_towards_the_mean_w():
    g = tiny_generator()
    g.w_avg.set_data(mx.nd.ones(g.w_dim))
    mx.random.seed(3)
    batch_mean = g.mapping(mx.nd.random.normal(shape=(16, g.nz, 1, 1))).mean(axis=0).asnumpy()
    mx.random.seed(3)
    ema_lib.update_w_avg(g, 16, 0.9)
    np.testing.assert_allclose(g.w_avg.data().asnumpy(), 0.9 + 0.1 * batch_mean, rtol=1e-6)
    assert g.w_avg.grad_req == "null"


def test_callback_updates_w_avg_then_ema_and_state_round_trips(tmp_path):
    family = create_family("stylegan", (3, 16, 16), dict(TINY))
    g = family.build_generator()
    family.initialize(g, mx.cpu())
    family.extras = family.extra_networks(g, mx.cpu())
    ema = family.extras["Generator_ema.params"]
    assert family.sampling_generator(g) is ema
    for p in g.collect_params().values():  # "a training step"
        p.set_data(p.data() + 1)

    class Stub:
        netG, iterations, d_steps = g, 1, 1
    before = {k: p.data().asnumpy() for k, p in ema._collect_params_with_prefix().items()}
    (callback,) = family.callbacks({})
    callback.on_iteration(Stub, 0, 0, 8, None, None)
    Stub.iterations = 2
    Stub.d_steps = 2  # iteration 2 of a d_steps=2 run was a D-only step: nothing moves
    callback.on_iteration(Stub, 0, 1, 8, None, None)
    assert family.state() == {"ema_updates": 1, "d_updates": 2}
    for k, p in ema._collect_params_with_prefix().items():
        target = g._collect_params_with_prefix()[k].data().asnumpy()
        expected = target if k == "w_avg" else 0.1 * before[k] + 0.9 * target  # decay 0.1 on the first update
        np.testing.assert_allclose(p.data().asnumpy(), expected, rtol=1e-6, atol=1e-6, err_msg=k)
    assert np.abs(g.w_avg.data().asnumpy()).max() > 0  # moved off zero, and saved with G:
    checkpoint.save_parameters(g, str(tmp_path / "G.params"))
    fresh = family.build_generator()
    checkpoint.load_parameters(fresh, str(tmp_path / "G.params"))
    np.testing.assert_array_equal(fresh.w_avg.data().asnumpy(), g.w_avg.data().asnumpy())
    other = create_family("stylegan", (3, 16, 16), dict(TINY))
    other.load_state(family.state())
    assert other.ema_updates == 1 and other.d_updates == 2


# ---------------------------------------------------------------- R1

def _critic(dtype="float64"):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(3, 4, 2, 1, in_channels=2), nn.LeakyReLU(0.2), nn.Conv2D(2, 3, 2, 1, in_channels=3),
            nn.Activation("tanh"), nn.Flatten(), nn.Dense(1, in_units=8))
    net.initialize(mx.init.Normal(0.5))
    net.cast(dtype)
    return net


def test_r1_value_matches_autograd_and_its_weight_gradient_matches_finite_differences():
    net = _critic()
    rs = np.random.RandomState(1)
    real = mx.nd.array(rs.normal(size=(3, 2, 7, 7)), dtype="float64")
    r1 = penalty.R1Penalty(net, gamma=10.0)
    expected = 5.0 * (autograd_input_gradient(net, real) ** 2).reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(r1(real).asnumpy(), expected, rtol=1e-6)
    with autograd.record():
        total = r1(real).sum()
    total.backward()
    h, checked = 1e-3, 0
    for p in net.collect_params().values():
        grad, value = p.grad().asnumpy(), p.data().asnumpy()
        for index in list(np.ndindex(*p.shape))[::max(1, value.size // 4)]:
            at = []
            for step in (2, 1, -1, -2):
                moved = value.copy()
                moved[index] += step * h
                p.set_data(mx.nd.array(moved, dtype="float64"))
                at.append(r1(real).sum().asscalar())
            p.set_data(mx.nd.array(value, dtype="float64"))
            numeric = (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * h)
            assert grad[index] == pytest.approx(numeric, rel=1e-4, abs=1e-6), (p.name, index)
            checked += 1
    assert checked >= 15


def test_family_r1_regulariser_on_a_batchnorm_free_discriminator():
    plain = create_family("stylegan", (1, 16, 16), dict(TINY, ndf=4), loss=get_loss("bce"))
    assert plain.regularizer(None, None, None) is None
    assert any(isinstance(b, nn.BatchNorm) for b in plain.build_discriminator()._children.values())
    family = create_family("stylegan", (1, 16, 16), dict(TINY, ndf=4, r1_gamma=2.0), loss=get_loss("bce"))
    d = family.build_discriminator()
    assert not any(isinstance(b, nn.BatchNorm) for b in d._children.values())
    family.initialize(d, mx.cpu())
    family.hybridize(d)
    x = mx.nd.random.normal(shape=(2, 1, 16, 16))
    value = family.regularizer(d, (x,), (x,))
    assert value.shape == (2,)
    np.testing.assert_allclose(value.asnumpy(), (autograd_input_gradient(d, x) ** 2).reshape(2, -1).sum(axis=1),
                               rtol=1e-4)


# ---------------------------------------------------------------- the family around it

def test_training_inputs_have_a_fixed_layout_and_shapes():
    family = create_family("stylegan", (1, 16, 16), dict(TINY))
    z = mx.nd.random.normal(shape=(5,) + family.latent_shape)
    x = family.training_inputs(z)
    assert len(x) == 4 + 6 and [a.shape for a in x[4:]] == [(5, 1, r, r) for r in (4, 4, 8, 8, 16, 16)]
    assert x[2].shape == (5, 6) and x[3].asnumpy().min() == 1.0
    g = family.build_generator()
    family.initialize(g, mx.cpu())
    assert family.images(g(*x)).shape == (5, 1, 16, 16)
    assert len(create_family("stylegan", (1, 16, 16), dict(TINY, noise=False)).training_inputs(z)) == 4


def test_options_are_checked():
    with pytest.raises(GluonGanError, match="power-of-two"):
        create_family("stylegan", (3, 24, 24), {})
    with pytest.raises(GluonGanError, match="mixing"):
        create_family("stylegan", (3, 32, 32), {"mixing": 1.5})
    assert create_family("stylegan", (3, 32, 32), {}).train_shape(create_family("stylegan", (3, 32, 32)).options,
                                                                  (1, 28, 28)) == (1, 32, 32)


def test_style_groups_split_coarse_middle_fine():
    assert style_groups([4, 4, 8, 8, 16, 16, 32, 32]) == {"coarse": [0, 1, 2, 3], "middle": [4, 5], "fine": [6, 7]}
    groups = style_groups([4, 4, 8, 8, 16, 16, 32, 32, 64, 64])
    assert groups["middle"] == [4, 5, 6, 7] and groups["fine"] == [8, 9]


def test_figures_write_the_three_pictures(tmp_path):
    import matplotlib.pyplot as plt
    family = create_family("stylegan", (3, 16, 16), dict(TINY))
    g = family.build_generator()
    family.initialize(g, mx.cpu())
    paths = family.figures(g, str(tmp_path / "run"), seed=1)
    assert sorted(p.rsplit("_", 1)[1] for p in paths) == ["mixing.png", "noise.png", "truncation.png"]
    shapes = {p.rsplit("_", 1)[1]: plt.imread(p).shape[:2] for p in paths}
    cell = 64 + 2  # 16x16 pictures enlarged 4x
    assert shapes["mixing.png"] == ((1 + 3 * 3) * cell + 2, 6 * cell + 2)  # header + 3 groups x 3 rows; 1 + 5 cols
    assert shapes["noise.png"] == (3 * cell + 2, 9 * cell + 2)               # 3 rows of 8 draws + the std map
    assert shapes["truncation.png"] == (4 * cell + 2, 9 * cell + 2)          # 4 latents x psi 1 .. 0
    strip = plt.imread(str(tmp_path / "run_truncation.png"))[..., :3]
    last = [strip[2 + r * cell:r * cell + cell, 2 + 8 * cell:9 * cell] for r in range(4)]
    assert all(np.array_equal(last[0], c) for c in last[1:])  # psi = 0: the average w (noise weights are 0 at init)
    assert not np.array_equal(strip[2:cell, 2:cell], strip[2 + cell:2 * cell, 2:cell])  # psi = 1: two faces


# ---------------------------------------------------------------- end to end: train.py's loop, generate.py

def test_a_trained_run_draws_with_its_ema_truncation_and_figures(tmp_path):
    import os
    from conftest import load_script, write_images
    from gluon_gan.experiment import TrainConfig
    from gluon_gan.experiment import train
    folder = str(tmp_path / "data")
    write_images(folder, 8, size=(12, 12), seed=2)
    out = str(tmp_path / "run")
    train(TrainConfig(model="stylegan", dataset="folder", data_dir=folder, cache_dir=str(tmp_path / "cache"), out=out,
                      epochs=1, batch_size=4, seed=3, log_interval=1,
                      model_options=dict(TINY, image_size=8, ndf=4)))
    assert os.path.isfile(os.path.join(out, "Generator_ema.params"))
    gen = __import__("gluon_gan.experiment", fromlist=["load_generator"]).load_generator(
        os.path.join(out, "Generator.params"))
    assert gen.family.sampling_generator(gen.net) is gen.family.extras["Generator_ema.params"]
    ema = {k: v.asnumpy() for k, v in mx.nd.load(os.path.join(out, "Generator_ema.params")).items()}
    trained = {k: v.asnumpy() for k, v in mx.nd.load(os.path.join(out, "Generator.params")).items()}
    assert not np.allclose(ema["layers.1.conv.weight"], trained["layers.1.conv.weight"])  # a real average ...
    np.testing.assert_array_equal(ema["w_avg"], trained["w_avg"])                          # ... w_avg copied
    grid = str(tmp_path / "pics" / "style.png")
    load_script("generate").main(["--params", os.path.join(out, "Generator.params"), "--num", "4", "--out", grid,
                                  "--ctx", "cpu", "--truncation", "0.5", "--figures"])
    for suffix in ("", "_mixing", "_noise", "_truncation"):
        assert os.path.getsize(str(tmp_path / "pics" / ("style%s.png" % suffix))) > 0


def test_lazy_r1_runs_every_kth_d_step_with_k_times_the_weight():
    every = create_family("stylegan", (1, 8, 8), dict(TINY, image_size=8, ndf=4, r1_gamma=2.0), loss=get_loss("bce"))
    lazy = create_family("stylegan", (1, 8, 8), dict(TINY, image_size=8, ndf=4, r1_gamma=2.0, r1_interval=3),
                         loss=get_loss("bce"))
    d = every.initialize(every.build_discriminator(), mx.cpu())
    x = (mx.nd.random.normal(shape=(2, 1, 8, 8)),)
    base = every.regularizer(d, x, x).asnumpy()
    seen = []
    for step in range(6):
        value = lazy.regularizer(d, x, x)
        seen.append(None if value is None else value.asnumpy())
        lazy.after_discriminator_step()
    assert [v is None for v in seen] == [False, True, True, False, True, True]
    np.testing.assert_allclose(seen[0], 3 * base, rtol=1e-6)
    np.testing.assert_allclose(seen[3], 3 * base, rtol=1e-6)
