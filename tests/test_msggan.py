"""MSG-GAN: G emits every scale, D takes every scale in, and gradients reach every scale's output."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd

from gradcheck import finite_difference_check

from gluon_gan.nn import penalty
from gluon_gan.errors import GluonGanError
from gluon_gan.families import create_family
from gluon_gan.training.losses import get_loss

TINY = {"image_size": 16, "widths": "6,5,4", "nz": 5}


def _family(loss="hinge", **options):
    return create_family("msggan", (3, 16, 16), dict(TINY, **options), loss=get_loss(loss))


def _built(hybrid=False):
    fam = _family()
    g, d = fam.build_generator(), fam.build_discriminator()
    for net in (g, d):
        fam.initialize(net, mx.cpu())
        if hybrid:
            fam.hybridize(net)
    return fam, g, d


@pytest.mark.parametrize("hybrid", [False, True])
def test_generator_emits_every_scale_and_discriminator_takes_them(hybrid):
    fam, g, d = _built(hybrid)
    out = g(mx.nd.random.normal(shape=(2, 5, 1, 1)))
    assert isinstance(out, (tuple, list)) and [o.shape for o in out] == [(2, 3, s, s) for s in (4, 8, 16)]
    assert fam.fake_inputs(out) == tuple(out)  # a hybridized G returns a list
    assert d(*out).shape == (2, 1)
    np.testing.assert_array_equal(fam.images(out).asnumpy(), np.clip(out[-1].asnumpy(), -1, 1))


def test_discriminator_uses_every_scale():
    """D's score has a non-zero gradient with respect to each scale's image, and changes when any one changes."""
    _, _, d = _built()
    scales = [mx.nd.random.normal(shape=(2, 3, s, s)) for s in (4, 8, 16)]
    for x in scales:
        x.attach_grad()
    with autograd.record():
        score = d(*scales)
    score.backward()
    base = score.asnumpy()
    for i, x in enumerate(scales):
        assert np.abs(x.grad.asnumpy()).max() > 1e-4, i
        moved = [s.copy() for s in scales]
        moved[i] += 0.5
        assert np.abs(d(*moved).asnumpy() - base).max() > 1e-5, i
    with pytest.raises(GluonGanError, match="takes 3 images"):
        d(*scales[1:])


@pytest.mark.parametrize("hybrid", [False, True])
def test_gradients_reach_every_scale_output_of_the_generator(hybrid):
    """G's loss back-propagates into every "to RGB" layer: each one feeds only its own scale's image."""
    fam, g, d = _built(hybrid)
    loss = get_loss("hinge")
    with autograd.record():
        g_loss = loss.g_loss(d(*fam.fake_inputs(g(mx.nd.random.normal(shape=(3, 5, 1, 1))))))
    g_loss.backward()
    for i, to_rgb in enumerate(g.to_rgb):
        assert np.abs(to_rgb.weight.grad().asnumpy()).max() > 1e-6, i
    for i, block in enumerate(g.blocks):
        assert all(np.abs(p.grad().asnumpy()).max() > 0 for p in block.collect_params().values()), i


def _pool(x, k):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))


def test_real_inputs_are_the_average_pooled_pyramid():
    fam = _family()
    x = np.random.RandomState(0).uniform(-1, 1, size=(2, 3, 16, 16)).astype(np.float32)
    pyramid = fam.real_inputs(mx.nd.array(x))
    assert [p.shape[2] for p in pyramid] == [4, 8, 16]
    for p, k in zip(pyramid, (4, 2, 1)):
        np.testing.assert_allclose(p.asnumpy(), _pool(x, k), rtol=1e-5, atol=1e-6)


def test_one_training_step_moves_every_scale_and_bad_options_are_one_line_errors():
    fam, g, d = _built(hybrid=True)
    loss = get_loss("hinge")
    trainer = mx.gluon.Trainer(g.collect_params(), "adam", {"learning_rate": 1e-2})
    before = [rgb.weight.data().asnumpy().copy() for rgb in g.to_rgb]
    with autograd.record():
        g_loss = loss.g_loss(d(*fam.fake_inputs(g(mx.nd.random.normal(shape=(3, 5, 1, 1))))))
    g_loss.backward()
    trainer.step(3)
    assert all(not np.array_equal(b, rgb.weight.data().asnumpy()) for b, rgb in zip(before, g.to_rgb))
    with pytest.raises(GluonGanError, match="power-of-two"):
        create_family("msggan", (3, 24, 24), dict(TINY, image_size=24))
    with pytest.raises(GluonGanError, match="--widths"):
        create_family("msggan", (3, 16, 16), dict(TINY, widths="a,b"))


@pytest.mark.parametrize("loss", [None, "relativistic-hinge", "wgan-gp"])
def test_trains_through_the_common_loop_and_samples_from_its_record(tmp_path, image_folder, loss):
    from conftest import load_script
    from gluon_gan.experiment import load_generator
    out = tmp_path / "run"
    load_script("train").main(["--model", "msggan", "--data-dir", image_folder, "--cache-dir", str(tmp_path / "c"),
                               "--image-size", "8", "--widths", "6,4", "--nz", "5", "--batch-size", "8",
                               "--epochs", "1", "--out", str(out)] + (["--loss", loss] if loss else []))
    import json
    record = json.load(open(str(out / "config.json")))
    assert record["loss"] == (loss or "hinge") and record["family"]["name"] == "msggan"
    netG = load_generator(str(out / "Generator.params"))
    images = netG(mx.nd.random.normal(shape=(2, 5, 1, 1))).asnumpy()
    assert images.shape == (2, 3, 8, 8) and images.min() >= -1 and images.max() <= 1 and images.std() > 0


def test_relativistic_hinge_needs_the_real_scores_of_a_d_step():
    loss = get_loss("relativistic-hinge")
    with pytest.raises(GluonGanError, match="needs a discriminator step first"):
        loss.g_loss(mx.nd.array([0.5, 1.0]))
    loss.d_loss(mx.nd.array([[2.0], [0.0]]), mx.nd.array([[0.5], [1.0]]))
    # real mean 1, fake mean 0.75: G's per-sample terms relu(1 - (f - 1)) + relu(1 + (r - 0.75))
    np.testing.assert_allclose(loss.g_loss(mx.nd.array([0.5, 1.0])).asnumpy(), [1.5 + 2.25, 1.0 + 0.25], rtol=1e-6)


def test_figure_shows_every_scale(tmp_path):
    from PIL import Image
    fam, g, _ = _built()
    (path,) = fam.figures(g, str(tmp_path / "fig"), count=4)
    assert np.asarray(Image.open(path)).shape[:2] == (3 * 18 + 2, 4 * 18 + 2)


# ---------------------------------------------------------------- the exact gradient penalty over every scale

def _critic(group=0, dtype="float32"):
    fam = create_family("msggan", (3, 16, 16), dict(TINY, mbstd_group=group), loss=get_loss("wgan-gp"))
    d = fam.initialize(fam.build_discriminator(), mx.cpu())
    d.cast(dtype)
    return d


def _autograd_scale_gradients(d, xs):
    xs = [x.copy() for x in xs]
    for x in xs:
        x.attach_grad()
    with autograd.record(train_mode=False):
        score = d(*xs)
    score.backward()
    return [x.grad.asnumpy() for x in xs]


@pytest.mark.parametrize("group", [0, 2])
def test_input_gradient_of_every_scale_equals_autograd(group):
    d = _critic(group)
    xs = tuple(mx.nd.random.normal(shape=(4, 3, s, s)) for s in (4, 8, 16))
    score, backward = d.taped_forward(mx.nd, xs, lambda p: p.data())
    np.testing.assert_array_equal(score.asnumpy(), d(*xs).asnumpy())
    for ours, ref in zip(backward(mx.nd.ones_like(score)), _autograd_scale_gradients(d, xs)):
        assert np.abs(ref).max() > 1e-4
        np.testing.assert_allclose(ours.asnumpy(), ref, rtol=1e-4, atol=1e-6 * np.abs(ref).max())


@pytest.mark.parametrize("hybrid", [False, True])
def test_penalty_takes_the_norm_over_all_scales(hybrid):
    d = _critic()
    pen = penalty.GradientPenalty(d)
    if hybrid:
        d.hybridize(static_alloc=True, static_shape=True)
        pen.hybridize(static_alloc=True, static_shape=True)
    rs = np.random.RandomState(0)
    reals, fakes = (tuple(mx.nd.array(rs.normal(size=(3, 3, s, s))) for s in (4, 8, 16)) for _ in range(2))
    eps = mx.nd.array(rs.uniform(size=(3, 1, 1, 1)))
    x_hats = [eps * r + (1 - eps) * f for r, f in zip(reals, fakes)]
    grads = _autograd_scale_gradients(d, x_hats)
    norms = np.sqrt(sum((g ** 2).reshape(3, -1).sum(axis=1) for g in grads))
    np.testing.assert_allclose(pen(reals, fakes, eps).asnumpy(), 10 * (norms - 1) ** 2, rtol=1e-4)


def test_penalty_parameter_gradient_matches_central_differences():
    d = _critic(group=2, dtype="float64")
    rs = np.random.RandomState(2)
    reals, fakes = (tuple(mx.nd.array(rs.normal(size=(4, 3, s, s)), dtype="float64") for s in (4, 8, 16))
                    for _ in range(2))
    eps = mx.nd.array(rs.uniform(size=(4, 1, 1, 1)), dtype="float64")
    pen = penalty.GradientPenalty(d)
    with autograd.record():
        total = pen(reals, fakes, eps).sum()
    total.backward()
    checked, skipped = finite_difference_check(  # as in tests/test_progan.py: see tests/gradcheck.py
        d.collect_params().values(), lambda: pen(reals, fakes, eps).sum().asscalar(), per_parameter=2)
    assert checked >= 30 and skipped <= 2, (checked, skipped)
