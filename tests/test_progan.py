"""Progressive growing: equalised layers, minibatch stddev, the fade-in, the schedule and the exact penalty."""
import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import nn

from gradcheck import autograd_input_gradient, finite_difference_check

from gluon_gan.nn import penalty
from gluon_gan.errors import GluonGanError
from gluon_gan.families import create_family
from gluon_gan.families.progan import Schedule
from gluon_gan.families.growing import ProgressiveDiscriminator, ProgressiveGenerator, per_stage, stage_count
from gluon_gan.nn.layers import EqConv2D, EqDense, MinibatchStdDev, PixelNorm, downsample, upsample
from gluon_gan.training.losses import get_loss

TINY = {"image_size": 16, "widths": "6,5,4", "nz": 5, "fade_images": 8, "stable_images": 8}


def _pool(x, k):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))


def _up(x, k):
    return x.repeat(k, axis=2).repeat(k, axis=3)


def _nets(widths=(6, 5, 4), dtype="float32", group=0):
    g = ProgressiveGenerator(5, list(widths), nc=3)
    d = ProgressiveDiscriminator(list(widths), nc=3, group_size=group)
    for net in (g, d):
        net.initialize()
        net.cast(dtype)
    return g, d


# ---------------------------------------------------------------- the blocks

def test_equalised_runtime_scale_is_he_constant_by_hand():
    conv = EqConv2D(8, 3, 1, 1, in_channels=4)
    dense = EqDense(5, in_units=7)
    rgb = EqConv2D(3, 1, in_channels=16, gain=1.0)
    assert conv.runtime_scale == pytest.approx(math.sqrt(2 / (4 * 3 * 3)))
    assert dense.runtime_scale == pytest.approx(math.sqrt(2 / 7))
    assert rgb.runtime_scale == pytest.approx(1 / 4)
    # Every layer of a grown critic, fan-ins written out: from RGB 3*1*1; the 4x4 block (6+1 stddev)*3*3, 6*4*4,
    # its dense 6 (gain 1); the 8x8 block 5*3*3 twice; the 16x16 block 4*3*3 twice.
    _, d = _nets()
    scales = [l.runtime_scale for l in _eq_layers(d)]
    expected = ([math.sqrt(2 / 3)] * 3 + [math.sqrt(2 / 63), math.sqrt(2 / 96), 1 / math.sqrt(6)]
                + [math.sqrt(2 / 45)] * 2 + [math.sqrt(2 / 36)] * 2)
    np.testing.assert_allclose(sorted(scales), sorted(expected), rtol=1e-12)
    # N(0, 1) weights, zero bias, and the forward is the plain layer with the scaled weight
    conv.initialize()
    big = EqConv2D(64, 3, in_channels=64)
    big.initialize(mx.init.Normal(0.02))  # a global init does not override the layer's own N(0, 1)
    w = big.weight.data().asnumpy()
    assert abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02 and (big.bias.data().asnumpy() == 0).all()
    plain = nn.Conv2D(8, 3, 1, 1, in_channels=4)
    plain.initialize()
    plain.weight.set_data(conv.weight.data() * math.sqrt(2 / 36))
    x = mx.nd.random.normal(shape=(2, 4, 5, 5))
    np.testing.assert_allclose(conv(x).asnumpy(), plain(x).asnumpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="input size"):
        EqDense(3)


def _eq_layers(block):
    found = [block] if isinstance(block, (EqConv2D, EqDense)) else []
    for child in block._children.values():
        found += _eq_layers(child)
    return found


def _np_stddev(x, group):
    n = x.shape[0]
    g = group or n
    y = x.reshape(g, n // g, *x.shape[1:])                        # sample i*M + m is in group m
    sd = np.sqrt(((y - y.mean(axis=0)) ** 2).mean(axis=0) + 1e-8)  # (M, C, H, W)
    stat = sd.mean(axis=(1, 2, 3))                                # (M,)
    feature = np.tile(stat, g)[:, None, None, None] * np.ones((n, 1) + x.shape[2:])
    return np.concatenate([x, feature], axis=1)


@pytest.mark.parametrize("group", [0, 2, 4])
def test_minibatch_stddev_equals_numpy_and_its_input_gradient_autograd(group):
    x = np.random.RandomState(3).normal(size=(4, 3, 2, 2))
    layer = MinibatchStdDev(group)
    out = layer(mx.nd.array(x, dtype="float64")).asnumpy()
    np.testing.assert_allclose(out, _np_stddev(x, group), rtol=1e-12)
    layer.hybridize()
    np.testing.assert_allclose(layer(mx.nd.array(x, dtype="float64")).asnumpy(), out, rtol=1e-12)
    # backward of a weighted sum: the taped rule against autograd (cross-sample terms included)
    weights = mx.nd.array(np.random.RandomState(4).normal(size=(4, 4, 2, 2)), dtype="float64")
    xa = mx.nd.array(x, dtype="float64")
    xa.attach_grad()
    with autograd.record():
        y = (MinibatchStdDev(group)(xa) * weights).sum()
    y.backward()
    _, back = MinibatchStdDev(group).taped_forward(mx.nd, mx.nd.array(x, dtype="float64"))
    np.testing.assert_allclose(back(weights).asnumpy(), xa.grad.asnumpy(), rtol=1e-9, atol=1e-12)


def test_pixel_norm_gives_unit_rms_features():
    x = mx.nd.random.normal(shape=(2, 5, 3, 3)) * 7
    x[0, :, 0, 0] = 0  # an all-zero pixel stays zero (the epsilon)
    y = PixelNorm(5)(x).asnumpy()
    xs = x.asnumpy()
    np.testing.assert_allclose(y, xs / np.sqrt((xs ** 2).mean(axis=1, keepdims=True) + 1e-8), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.sqrt((y ** 2).mean(axis=1))[1], 1, rtol=1e-5)



def test_upsample_by_grouped_convolution_equals_upsampling_forward_and_backward():
    rs = np.random.RandomState(5)
    x = mx.nd.array(rs.normal(size=(2, 3, 4, 5)))
    g = mx.nd.array(rs.normal(size=(2, 3, 8, 10)))
    results = []
    for channels in (None, 3):  # UpSampling, then the grouped transposed convolution StyleGAN uses
        xa = x.copy()
        xa.attach_grad()
        with autograd.record():
            y = upsample(mx.nd, xa, 2, channels)
        y.backward(g)
        results.append((y.asnumpy(), xa.grad.asnumpy()))
    xs, gs = x.asnumpy(), g.asnumpy()
    for y, grad in results:
        np.testing.assert_array_equal(y, xs.repeat(2, axis=2).repeat(2, axis=3))
        np.testing.assert_allclose(grad, gs.reshape(2, 3, 4, 2, 5, 2).sum(axis=(3, 5)), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- the fade-in

def test_generator_fade_in_is_exactly_the_old_path_at_0_and_the_new_block_at_1():
    g, _ = _nets()
    z = mx.nd.random.normal(shape=(3, 5, 1, 1))
    for stage in (1, 2):
        g.set_phase(stage - 1, 1.0)
        previous = g(z).asnumpy()
        g.set_phase(stage, 0.0)
        faded = g(z).asnumpy()
        assert faded.shape[2] == 4 << stage
        np.testing.assert_array_equal(faded, _up(previous, 2))
        g.set_phase(stage, 1.0)
        h = z
        for i in range(stage):
            h = g.blocks[i](h)
        np.testing.assert_array_equal(g(z).asnumpy(), g.to_rgb[stage](g.blocks[stage](h)).asnumpy())
        g.set_phase(stage, 0.25)
        np.testing.assert_allclose(g(z).asnumpy(), 0.25 * g.to_rgb[stage](g.blocks[stage](h)).asnumpy()
                                   + 0.75 * _up(previous, 2), rtol=1e-5, atol=1e-6)


def test_discriminator_fade_in_is_exactly_the_old_input_path_at_0_and_the_new_block_at_1():
    _, d = _nets()
    x = mx.nd.random.normal(shape=(3, 3, 16, 16))
    for stage in (2, 1):
        size = 4 << stage
        xs = mx.nd.array(_pool(x.asnumpy(), 16 // size))
        d.set_phase(stage - 1, 1.0)
        previous = d(downsample(mx.nd, xs)).asnumpy()  # MXNet's own pooling, as D's old path: bit for bit
        d.set_phase(stage, 0.0)
        np.testing.assert_array_equal(d(xs).asnumpy(), previous)
        d.set_phase(stage, 1.0)
        h = d.blocks[stage](d.from_rgb[stage](xs))
        for i in reversed(range(stage)):
            h = d.blocks[i](h)
        np.testing.assert_array_equal(d(xs).asnumpy(), h.asnumpy())


def test_stage_change_retraces_the_graph_and_freezes_unused_stages():
    g, d = _nets()
    for net in (g, d):
        net.hybridize(static_alloc=True, static_shape=True)
    z = mx.nd.random.normal(shape=(2, 5, 1, 1))
    for stage, alpha in ((0, 1.0), (1, 0.5), (1, 1.0), (2, 0.3), (2, 1.0)):
        g.set_phase(stage, alpha)
        d.set_phase(stage, alpha)
        out = g(z)
        assert out.shape == (2, 3, 4 << stage, 4 << stage) and d(out).shape == (2, 1)
        used_rgb = {stage} | ({stage - 1} if alpha < 1 else set())
        for net, rgb in ((g, g.to_rgb), (d, d.from_rgb)):
            assert [list(layer.collect_params().values())[0].grad_req for layer in rgb] == \
                ["write" if i in used_rgb else "null" for i in range(3)]
            assert [all(p.grad_req == "write" for p in block.collect_params().values()) for block in net.blocks] == \
                [i <= stage for i in range(3)]
            assert not any(p.grad_req == "write" for block in net.blocks[stage + 1:]
                           for p in block.collect_params().values())
    # a hybridized graph gives what the imperative one does at the same phase
    g2, _ = _nets()
    params = g._collect_params_with_prefix()
    for key, p in g2._collect_params_with_prefix().items():
        p.set_data(params[key].data())
    g2.set_phase(2, 0.3)
    g.set_phase(2, 0.3)
    np.testing.assert_allclose(g(z).asnumpy(), g2(z).asnumpy(), rtol=1e-5, atol=1e-6)


def test_a_saved_network_takes_up_its_stage_and_alpha(tmp_path):
    g, _ = _nets()
    g.set_phase(1, 0.375)
    path = str(tmp_path / "g.params")
    g.save_parameters(path)
    fresh, _ = _nets()
    assert fresh.current_stage == 2
    fresh.load_parameters(path)
    assert (fresh.current_stage, fresh.current_alpha) == (1, 0.375)
    z = mx.nd.random.normal(shape=(2, 5, 1, 1))
    np.testing.assert_array_equal(fresh(z).asnumpy(), g(z).asnumpy())


# ---------------------------------------------------------------- the exact gradient penalty

@pytest.mark.parametrize("stage, alpha, group", [(0, 1.0, 0), (1, 0.4, 2), (2, 0.7, 0), (2, 1.0, 4)])
def test_input_gradient_through_the_growing_critic_equals_autograd(stage, alpha, group):
    _, d = _nets(group=group)
    d.set_phase(stage, alpha)
    x = mx.nd.random.normal(shape=(4, 3, 4 << stage, 4 << stage))
    ref = autograd_input_gradient(d, x)
    assert np.abs(ref).max() > 1e-4
    np.testing.assert_allclose(penalty.input_gradient(d, x).asnumpy(), ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())


def test_penalty_parameter_gradient_through_the_fade_in_matches_central_differences():
    _, d = _nets(widths=(3, 2), dtype="float64", group=2)
    d.set_phase(1, 0.6)
    rs = np.random.RandomState(1)
    real, fake = (mx.nd.array(rs.normal(size=(4, 3, 8, 8)), dtype="float64") for _ in range(2))
    eps = mx.nd.array(rs.uniform(size=(4, 1, 1, 1)), dtype="float64")
    pen = penalty.GradientPenalty(d)
    with autograd.record():
        total = pen(real, fake, eps).sum()
    total.backward()
    # Fourth-order central differences; the stddev of a small group curves sharply and a LeakyReLU kink may sit
    # within a step, so a second, smaller step is tried before calling a mismatch (tests/gradcheck.py).
    checked, skipped = finite_difference_check([p for p in d.collect_params().values() if p.grad_req == "write"],
                                               lambda: pen(real, fake, eps).sum().asscalar(), per_parameter=3)
    assert checked >= 35 and skipped <= 2, (checked, skipped)  # weights and biases of every layer in use


def test_hybridized_penalty_follows_the_critic_through_a_stage_change():
    _, d = _nets()
    pen = penalty.GradientPenalty(d)
    d.hybridize(static_alloc=True, static_shape=True)
    pen.hybridize(static_alloc=True, static_shape=True)
    rs = np.random.RandomState(2)
    for stage, alpha in ((1, 0.5), (2, 0.5), (2, 1.0)):
        d.set_phase(stage, alpha)
        size = 4 << stage
        real, fake = (mx.nd.array(rs.normal(size=(2, 3, size, size))) for _ in range(2))
        eps = mx.nd.array(rs.uniform(size=(2, 1, 1, 1)))
        x_hat = eps * real + (1 - eps) * fake
        norms = np.sqrt((autograd_input_gradient(d, x_hat) ** 2).reshape(2, -1).sum(axis=1))
        np.testing.assert_allclose(pen(real, fake, eps).asnumpy(), 10 * (norms - 1) ** 2, rtol=1e-4)


# ---------------------------------------------------------------- the family

def test_schedule_in_images_shown_by_hand():
    s = Schedule(3, fade_images=10, stable_images=20, batch_sizes=[8, 4, 2])
    # stage 0: 0..19 stable; stage 1: 20..29 fade, 30..49 stable; stage 2: 50..59 fade, then stable for ever
    for shown, expected in [(0, (0, 1.0)), (19, (0, 1.0)), (20, (1, 0.0)), (25, (1, 0.5)), (30, (1, 1.0)),
                            (49, (1, 1.0)), (50, (2, 0.0)), (57, (2, 0.7)), (60, (2, 1.0)), (10 ** 6, (2, 1.0))]:
        assert s.phase(shown) == pytest.approx(expected), shown
    assert [s.batch_size(n) for n in (0, 25, 55)] == [8, 4, 2]
    assert [r["starts_at_image"] for r in s.record()] == [0, 20, 50]
    assert Schedule(2, 0, 5, [1, 1]).phase(5) == (1, 1.0)  # no fade-in at all
    assert per_stage("8,4", 4, "x") == [8, 4, 4, 4]
    with pytest.raises(GluonGanError, match="comma-separated"):
        per_stage("8;4", 2, "--widths")
    with pytest.raises(GluonGanError, match="power-of-two"):
        stage_count(48)


def _family(**options):
    return create_family("progan", (3, 16, 16), dict(TINY, **options), loss=get_loss("wgan-gp"))


def test_real_inputs_are_pooled_and_blended_like_the_paper_and_images_upsampled():
    fam = _family()
    x = np.random.RandomState(0).uniform(-1, 1, size=(2, 3, 16, 16)).astype(np.float32)
    fam.images_shown = 8 + 2  # stage 1, alpha 0.25
    (real,) = fam.real_inputs(mx.nd.array(x))
    at8 = _pool(x, 2)
    np.testing.assert_allclose(real.asnumpy(), 0.25 * at8 + 0.75 * _up(_pool(at8, 2), 2), rtol=1e-5, atol=1e-6)
    fam.images_shown = 0
    np.testing.assert_allclose(fam.real_inputs(mx.nd.array(x))[0].asnumpy(), _pool(x, 4), rtol=1e-5, atol=1e-6)
    small = mx.nd.array(np.array([[[[0.5, -3.0], [2.0, 0.0]]]]))
    np.testing.assert_array_equal(fam.images(small).asnumpy(), _up(np.array([[[[0.5, -1], [1, 0]]]]), 8))


def test_family_moves_its_networks_and_batches_follow_the_schedule():
    fam = _family(batch_sizes="4,2,1")
    g, d = fam.build_generator(), fam.build_discriminator()
    for net in (g, d):
        fam.initialize(net, mx.cpu())
    assert (g.current_stage, d.current_stage) == (0, 0)
    images = np.random.RandomState(0).randint(0, 256, (13, 3, 16, 16)).astype(np.uint8)
    batches = fam.make_batches(images, 99, seed=3)
    assert len(batches) == 4
    sizes = []
    for x in batches.epoch(0):
        sizes.append(x.shape[0])
        fam.advance(x.shape[0])
    # 8 images at 4x4 in batches of 4, then the 8x8 fade-in 2 a batch; the 13th image would not fill one
    assert sizes == [4, 4, 2, 2]
    assert (g.current_stage, d.current_stage, g.current_alpha) == (1, 1, 0.5)
    assert fam.state() == {"images_shown": 12, "resolution": 8, "alpha": 0.5, "ema_updates": 0}
    assert len(batches) == 6 + 1  # a pass from here: six batches of 2 reach 16x16 (24 shown), then one of 1
    fresh = _family(batch_sizes="4,2,1")
    fresh.load_state({"images_shown": 12})
    g2 = fresh.build_generator()
    assert (g2.current_stage, g2.current_alpha) == (1, 0.5)
    record = fam.record()
    assert record["schedule"][1] == {"resolution": 8, "batch_size": 2, "fade_in_images": 8, "stable_images": 8,
                                     "starts_at_image": 8}


def test_drift_term_only_for_wasserstein_critics_and_the_papers_wgan_gp_settings():
    fam = _family()
    assert fam.loss.name == "wgan-gp" and fam.loss.d_steps == 1  # the paper: one critic step per G step
    assert fam.loss.optimizer_defaults("d") == ("adam", {"learning_rate": 1e-3, "beta1": 0.0, "beta2": 0.99,
                                                         "epsilon": 1e-8})
    d = fam.build_discriminator()
    fam.initialize(d, mx.cpu())
    x = mx.nd.random.normal(shape=(3, 3, 4, 4))
    np.testing.assert_allclose(fam.regularizer(d, (x,), None).asnumpy(),
                               0.001 * d(x).asnumpy().reshape(-1) ** 2, rtol=1e-6)
    hinge = create_family("progan", (3, 16, 16), TINY, loss=get_loss("hinge"))
    assert hinge.regularizer(d, (x,), None) is None
    with pytest.raises(GluonGanError, match="--mbstd-group 4 needs every batch to be a multiple of it .got 6"):
        _family(mbstd_group=4, batch_sizes="8,6").make_batches(np.zeros((20, 3, 16, 16), np.uint8), 8)
    with pytest.raises(GluonGanError, match="fewer than one batch of 32"):  # else the 8x8 stage would never end
        _family(batch_sizes="4,32").make_batches(np.zeros((20, 3, 16, 16), np.uint8), 8)
    with pytest.raises(GluonGanError, match="--keep-last-batch"):
        _family(mbstd_group=4).make_batches(np.zeros((20, 3, 16, 16), np.uint8), 8, last_batch="keep")
    with pytest.raises(GluonGanError, match="spectral"):
        create_family("progan", (3, 16, 16), TINY, spectral_norm=True).build_discriminator()


# ---------------------------------------------------------------- through the common loop

def test_resume_mid_fade_in_equals_an_uninterrupted_run(tmp_path, image_folder, caplog):
    """24 images: epoch 1 shows 16 at 4x4 (batches of 8), then 8 of the 8x8 fade-in (batches of 4): alpha 0.5."""
    import logging
    from conftest import load_script
    from gluon_gan.files import checkpoint
    from gluon_gan.experiment import load_generator
    train = load_script("train").main
    common = ["--model", "progan", "--data-dir", image_folder, "--cache-dir", str(tmp_path / "cache"), "--seed", "3",
              "--image-size", "8", "--widths", "6,4", "--nz", "5", "--fade-images", "16", "--stable-images", "16",
              "--batch-sizes", "8,4", "--log-interval", "1"]
    with caplog.at_level(logging.INFO):
        train(common + ["--out", str(tmp_path / "straight"), "--epochs", "3"])
    assert "epoch 0 iter 2: progan 8x8 fade-in alpha=0.000 (16 images shown)" in caplog.text
    train(common + ["--out", str(tmp_path / "resumed"), "--epochs", "1"])
    state = checkpoint.read_state(str(tmp_path / "resumed" / "checkpoint"))
    # 2 steps of 8 at 4x4 and 2 of 4 in the fade-in, each with a G update (the paper's one critic step)
    assert state["family_state"] == {"images_shown": 24, "resolution": 8, "alpha": 0.5, "ema_updates": 4}
    train(common + ["--out", str(tmp_path / "resumed"), "--epochs", "3", "--resume"])
    for name in ("Generator.params", "discriminator.params", "Generator_ema.params"):
        a, b = (mx.nd.load(str(tmp_path / run / name)) for run in ("straight", "resumed"))
        assert set(a) == set(b)
        for key in a:
            np.testing.assert_allclose(b[key].asnumpy(), a[key].asnumpy(), rtol=1e-5, atol=1e-7, err_msg=key)
    final = checkpoint.read_state(str(tmp_path / "resumed" / "checkpoint"))["family_state"]
    assert final == {"images_shown": 72, "resolution": 8, "alpha": 1.0, "ema_updates": 4 + 6 + 6}
    # the saved generator knows its stage; pictures come from the EMA copy saved beside it
    netG = load_generator(str(tmp_path / "resumed" / "Generator.params"))
    assert netG.net.current_stage == 1 and netG(mx.nd.random.normal(shape=(2, 5, 1, 1))).shape == (2, 3, 8, 8)
    ema = netG.family.sampling_generator(netG.net)
    assert ema is not netG.net and ema.current_stage == 1


def test_figure_shows_every_resolution_at_the_final_size(tmp_path):
    from PIL import Image
    fam = _family()
    g = fam.initialize(fam.build_generator(), mx.cpu())
    fam.load_state({"images_shown": 10 ** 6})  # fully grown
    (path,) = fam.figures(g, str(tmp_path / "fig"), count=4)
    picture = np.asarray(Image.open(path))
    assert picture.shape[:2] == (3 * 18 + 2, 4 * 18 + 2)  # rows 4x4, 8x8, 16x16, each shown at 16 px
    row = lambda r: picture[2 + r * 18:2 + r * 18 + 16, 2:18, :3].astype(int)  # noqa: E731
    assert (row(0)[::4, ::4].repeat(4, 0).repeat(4, 1) == row(0)).all()  # the 4x4 row is blocky
    assert not (row(2)[::4, ::4].repeat(4, 0).repeat(4, 1) == row(2)).all()
    assert (g.current_stage, g.current_alpha) == (2, 1.0)  # put back
    fam.load_state({"images_shown": 8 + 4})  # mid 8x8 fade-in: the 16x16 stage is not drawn
    (path,) = fam.figures(g, str(tmp_path / "fig"), count=4)
    assert np.asarray(Image.open(path)).shape[:2] == (2 * 18 + 2, 4 * 18 + 2)
    assert (g.current_stage, g.current_alpha) == (1, 0.5)


def test_ema_copy_follows_g_by_the_ramped_decay_and_grows_with_it():
    from gluon_gan.training.ema import EMA_FILE, ema_decay, update_ema
    fam = _family()
    g = fam.initialize(fam.build_generator(), mx.cpu())
    fam.extras = fam.extra_networks(g, mx.cpu())
    ema = fam.extras[EMA_FILE]
    assert fam.sampling_generator(g) is ema
    key = "blocks.0.conv.weight"
    before = ema._collect_params_with_prefix()[key].data().asnumpy().copy()
    np.testing.assert_array_equal(before, g._collect_params_with_prefix()[key].data().asnumpy())  # starts at G
    g._collect_params_with_prefix()[key].set_data(mx.nd.array(before + 1))
    assert ema_decay(0.999, 0) == pytest.approx(0.1) and ema_decay(0.999, 10 ** 6) == 0.999
    update_ema(ema, g, ema_decay(0.999, 0))
    np.testing.assert_allclose(ema._collect_params_with_prefix()[key].data().asnumpy(), before + 0.9, rtol=1e-5,
                               atol=1e-6)
    fam.load_state({"images_shown": 8 + 4})  # both networks move to the 8x8 fade-in
    assert (ema.current_stage, ema.current_alpha) == (1, 0.5) == (g.current_stage, g.current_alpha)
    assert create_family("progan", (3, 16, 16), dict(TINY, ema_decay=0)).extra_networks(g, mx.cpu()) == {}
