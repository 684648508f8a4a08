"""Style transfer: losses against NumPy, VGG loading from model-zoo files, both optimisers, the CLI's errors."""
import os

import mxnet as mx
import numpy as np
import pytest
from conftest import load_script

from gluon_gan.errors import GluonGanError
from gluon_gan.style_transfer import images, losses, vgg
from gluon_gan.style_transfer.objective import StyleObjective
from gluon_gan.style_transfer.optimize import adam, lbfgs
from gluon_gan.style_transfer.transfer import StyleSettings, stylise

NARROW = [4, 4, 6, 6, 8]  # channels per block of the tiny VGG-shaped test networks
DEFAULT_OUTPUTS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1"]


def narrow_channels(depth=19):
    return {name: NARROW[int(name[4]) - 1] for name in vgg.layer_names(depth)}


def small_net(outputs=DEFAULT_OUTPUTS, pooling="max"):
    net = vgg.VGGFeatures(outputs, channels=narrow_channels(), pooling=pooling)
    mx.random.seed(1)
    net.initialize()
    for p in net.collect_params().values():
        p.grad_req = "null"
    return net


def nd(a):
    return mx.nd.array(a, dtype="float32")


def np_gram(f):
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w).astype(np.float64)
    return np.einsum("ncm,ndm->ncd", flat, flat) / (h * w)


# ---- losses against NumPy --------------------------------------------------------------------------------

def test_gram_matrix_matches_numpy():
    f = np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32)
    np.testing.assert_allclose(losses.gram(nd(f)).asnumpy(), np_gram(f), rtol=1e-5, atol=1e-6)
    # entry (0, 1) by hand: the mean over the 20 positions of channel 0 times channel 1
    assert np.isclose(losses.gram(nd(f)).asnumpy()[0, 0, 1], np.mean(f[0, 0] * f[0, 1]), rtol=1e-5)


def test_one_image_gram_and_its_gradient_match_numpy():
    """One image takes the FullyConnected path (features as data and weight): value and gradient by hand."""
    rs = np.random.RandomState(3)
    f, r = rs.randn(1, 3, 4, 5).astype(np.float32), rs.randn(3, 3).astype(np.float32)
    x = nd(f)
    x.attach_grad()
    with mx.autograd.record():
        g = losses.gram(x)
        weighted = mx.nd.sum(g * nd(r[None]))
    weighted.backward()
    np.testing.assert_allclose(g.asnumpy(), np_gram(f), rtol=1e-5, atol=1e-6)
    flat = f.reshape(3, 20).astype(np.float64)
    expected = ((r + r.T) @ flat / 20).reshape(f.shape)  # d/dF sum(R * F F^T / M) = (R + R^T) F / M
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    # a batch goes through batch_dot; both paths agree image by image
    pair = rs.randn(2, 3, 4, 5).astype(np.float32)
    np.testing.assert_allclose(losses.gram(nd(pair)).asnumpy()[1], losses.gram(nd(pair[1:])).asnumpy()[0],
                               rtol=1e-5, atol=1e-6)


def test_content_and_style_losses_match_numpy():
    rs = np.random.RandomState(1)
    f, p = rs.randn(1, 4, 6, 7).astype(np.float32), rs.randn(1, 4, 6, 7).astype(np.float32)
    a = np_gram(rs.randn(1, 4, 3, 3))
    assert np.isclose(losses.content_loss(nd(f), nd(p)).asscalar(), np.mean((f - p) ** 2), rtol=1e-5)
    assert np.isclose(losses.style_loss(nd(f), nd(a)).asscalar(), np.mean((np_gram(f) - a) ** 2), rtol=1e-5)
    assert losses.content_loss(nd(f), nd(f)).asscalar() == 0.0
    assert losses.style_loss(nd(f), losses.gram(nd(f))).asscalar() == 0.0


def test_style_loss_gradient_matches_numpy():
    """The style loss's one-product backward (symmetric dL/dG) equals the full (dG + dGᵀ) F / M by hand."""
    rs = np.random.RandomState(4)
    f = rs.randn(1, 3, 4, 5).astype(np.float32)
    b = rs.randn(3, 3)
    a = (b + b.T).astype(np.float32)[None]  # a symmetric target, as every Gram matrix is
    x = nd(f)
    x.attach_grad()
    with mx.autograd.record():
        loss = losses.style_loss(x, nd(a))
    loss.backward()
    g = np_gram(f)[0]
    flat = f.reshape(3, 20).astype(np.float64)
    dg = 2 * (g - a[0]) / 9  # d mean((G - A)^2) / dG
    assert np.isclose(loss.asscalar(), np.mean((g - a[0]) ** 2), rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), ((dg + dg.T) @ flat / 20).reshape(f.shape), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("power", [1, 2])
def test_variation_loss_matches_numpy(power):
    x = np.random.RandomState(2).rand(1, 3, 5, 6).astype(np.float32)
    down, right = np.abs(np.diff(x, axis=2)) ** power, np.abs(np.diff(x, axis=3)) ** power
    expected = (down.sum() + right.sum()) / (down.size + right.size)  # 3*4*6 + 3*5*5 pairs
    assert down.size + right.size == 147
    assert np.isclose(losses.variation_loss(nd(x), power).asscalar(), expected, rtol=1e-5)


def test_variation_loss_is_zero_for_a_flat_image():
    flat = np.ones((1, 3, 8, 9), np.float32) * np.array([0.2, 0.5, 0.9], np.float32).reshape(1, 3, 1, 1)
    assert losses.variation_loss(nd(flat), 2).asscalar() == 0.0
    assert losses.variation_loss(nd(flat), 1).asscalar() == 0.0


def test_losses_do_not_change_with_size_for_a_repeated_pattern():
    """Tiling a feature map 2x2 keeps the Gram matrix, content and style losses: weights mean the same at any size."""
    rs = np.random.RandomState(3)
    f, p = rs.randn(1, 3, 4, 4).astype(np.float32), rs.randn(1, 3, 4, 4).astype(np.float32)
    a = np_gram(rs.randn(1, 3, 4, 4))
    big_f, big_p = np.tile(f, (1, 1, 2, 2)), np.tile(p, (1, 1, 2, 2))
    np.testing.assert_allclose(losses.gram(nd(big_f)).asnumpy(), losses.gram(nd(f)).asnumpy(), rtol=1e-5)
    assert np.isclose(losses.style_loss(nd(big_f), nd(a)).asscalar(), losses.style_loss(nd(f), nd(a)).asscalar(),
                      rtol=1e-5)
    assert np.isclose(losses.content_loss(nd(big_f), nd(big_p)).asscalar(),
                      losses.content_loss(nd(f), nd(p)).asscalar(), rtol=1e-5)


# ---- the objective and the optimisers --------------------------------------------------------------------

def pictures(size=32, seed=4):
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size] / float(size)
    content = np.stack([xx, yy, 0.5 + 0.4 * np.sin(6 * xx)], axis=2).astype(np.float32)
    style = rs.rand(size, size, 3).astype(np.float32)
    style[:, ::4, 0] = 1.0
    return content, style


def objective_for(net, content, style, **weights):
    obj = StyleObjective(net, {"conv4_2": 1.0}, {n: 1.0 for n in ["conv1_1", "conv2_1", "conv3_1", "conv4_1",
                                                                    "conv5_1"]}, **weights)
    obj.set_content(images.to_batch(content))
    obj.set_styles([(images.to_batch(style), 1.0)])
    return obj


def test_content_loss_is_zero_at_the_content_image():
    content, style = pictures()
    obj = objective_for(small_net(), content, style)
    _, parts = obj.losses(images.to_batch(content))
    assert parts["content"].asscalar() == 0.0
    assert parts["style"].asscalar() > 0.0


def test_blended_style_targets_are_the_weighted_mean_of_grams():
    content, style = pictures()
    other = pictures(seed=5)[1][::-1].copy()
    net = small_net()
    obj = objective_for(net, content, style)
    obj.set_styles([(images.to_batch(style), 3.0), (images.to_batch(other), 1.0)])
    feats = dict(zip(net.outputs, net(images.to_batch(style))))
    feats_other = dict(zip(net.outputs, net(images.to_batch(other))))
    expected = 0.75 * np_gram(feats["conv3_1"].asnumpy()) + 0.25 * np_gram(feats_other["conv3_1"].asnumpy())
    np.testing.assert_allclose(obj.style_targets["conv3_1"].asnumpy(), expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_few_steps_lower_the_total_loss(optimizer):
    if optimizer == "lbfgs":
        pytest.importorskip("scipy")
    content, style = pictures()
    obj = objective_for(small_net(), content, style, style_weight=1e3, variation_weight=1.0)
    start = images.to_batch(content)
    before, _, _ = obj.loss_and_gradient(start)
    seen = []
    callback = lambda step, image, parts: seen.append(step)  # noqa: E731
    if optimizer == "lbfgs":
        result = lbfgs(obj, start, steps=5, callback=callback)
    else:
        result = adam(obj, start, steps=5, learning_rate=0.02, callback=callback)
    evaluations = obj.evaluations - 1  # the one just above
    after, _, _ = obj.loss_and_gradient(result)
    assert after < 0.8 * before, (before, after)
    assert seen == [1, 2, 3, 4, 5]
    assert evaluations >= 5 if optimizer == "lbfgs" else evaluations == 5
    assert result.shape == start.shape
    assert 0.0 <= result.min().asscalar() and result.max().asscalar() <= 1.0


def test_gradient_matches_a_finite_difference():
    """MXNet's image gradient (what L-BFGS is fed) is the slope of the loss it reports."""
    content, style = pictures()
    obj = objective_for(small_net(), content, style, style_weight=10.0, variation_weight=1.0)
    x = images.to_batch(np.random.RandomState(6).rand(*content.shape))
    _, _, grad = obj.loss_and_gradient(x)
    direction = grad / mx.nd.norm(grad)  # along the gradient the slope is |grad|, large against float32 noise
    eps = 1e-3
    plus, _, _ = obj.loss_and_gradient(x + eps * direction)
    minus, _, _ = obj.loss_and_gradient(x - eps * direction)
    assert np.isclose((plus - minus) / (2 * eps), mx.nd.norm(grad).asscalar(), rtol=0.03)


def test_coarse_to_fine_and_kept_colours():
    content, style = pictures(size=48)
    content = images.resize(content, 36, 48)
    settings = StyleSettings(size=64, levels=2, steps=2, keep_colours=True, style_weight=1e3)
    calls = []
    result = stylise(small_net(), content, [(style, 1.0)], settings,
                     callback=lambda level, step, steps, image, parts: calls.append((level, image.shape[2:])))
    assert settings.level_sizes() == [32, 64]
    assert calls[0] == (1, (24, 32)) and calls[-1] == (2, (48, 64))
    assert result.shape == (48, 64, 3)
    # luminance-only transfer: the chrominance (I, Q) is the content's, upsampled
    expected_iq = images.rgb_to_yiq(images.resize(content, 48, 64))[..., 1:]
    inside = (result > 0.02).all(axis=2) & (result < 0.98).all(axis=2)  # where clipping did not bend colours
    assert inside.mean() > 0.5
    np.testing.assert_allclose(images.rgb_to_yiq(result)[..., 1:][inside], expected_iq[inside], atol=2e-3)


def test_match_luminance_takes_the_contents_mean_and_spread():
    content, style = pictures()
    matched = images.match_luminance(style * 0.5, content)
    yc = images.luminance(content)[..., 0]
    assert np.isclose(matched[..., 0].mean(), yc.mean(), atol=1e-3)
    assert np.isclose(matched[..., 0].std(), yc.std(), rtol=0.02)
    assert (matched[..., 0] == matched[..., 2]).all()


@pytest.mark.parametrize("bad, message", [
    (dict(size=8), "--size 8 is too small"),
    (dict(size=20000), "--size 20000 is too large: at most 8192"),
    (dict(size=64, levels=3), "would start at 16 pixels"),
    (dict(init="zeros"), "--init"),
    (dict(steps=0), "--steps"),
])
def test_bad_settings_are_one_line_errors(bad, message):
    with pytest.raises(GluonGanError, match=message):
        StyleSettings(**bad).check()


# ---- VGG layer names and model-zoo files -----------------------------------------------------------------

@pytest.mark.parametrize("depth", [16, 19])
def test_paper_layer_names_sit_on_the_zoo_convolutions(depth):
    from mxnet.gluon.model_zoo import vision
    features = getattr(vision, "vgg%d" % depth)().features
    positions = vgg.zoo_positions(depth)
    assert list(positions)[:3] == ["conv1_1", "conv1_2", "conv2_1"]
    assert list(positions)[-1] == "conv5_%d" % (4 if depth == 19 else 3)
    convs = [i for i, block in enumerate(features) if isinstance(block, mx.gluon.nn.Conv2D)]
    assert sorted(positions.values()) == convs
    assert positions["conv4_2"] == (21 if depth == 19 else 19)


@pytest.fixture(scope="module")
def zoo_file(tmp_path_factory):
    """A randomly initialised, narrow zoo ``VGG`` (VGG-19 layout) saved exactly as the model zoo saves it."""
    from mxnet.gluon.model_zoo.vision.vgg import VGG, vgg_spec
    mx.random.seed(2)
    net = VGG(vgg_spec[19][0], NARROW, classes=2)
    net.initialize()
    net(mx.nd.zeros((1, 3, 32, 32)))
    path = str(tmp_path_factory.mktemp("zoo") / "vgg19-test.params")
    net.save_parameters(path)
    return net, path


def test_a_zoo_vgg19_file_loads_by_name_and_gives_its_features(zoo_file):
    zoo, path = zoo_file
    net = vgg.load_vgg_features(["conv1_1", "conv4_2"], params=path)
    x = np.random.RandomState(8).rand(1, 3, 32, 40).astype(np.float32)
    conv1_1, conv4_2 = net(nd(x))
    normalised = (x - np.array(vgg.IMAGENET_MEAN).reshape(1, 3, 1, 1)) / np.array(vgg.IMAGENET_STD).reshape(1, 3, 1,
                                                                                                            1)
    h = nd(normalised)
    expected = {}
    for i, block in enumerate(zoo.features[:vgg.zoo_positions()["conv4_2"] + 2]):
        h = block(h)
        expected[i] = h
    np.testing.assert_allclose(conv1_1.asnumpy(), expected[1].asnumpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(conv4_2.asnumpy(), expected[22].asnumpy(), rtol=1e-4, atol=1e-5)
    assert net.conv4_2.weight.shape == (6, 6, 3, 3)


def test_the_older_zoo_naming_loads_too(zoo_file, tmp_path):
    zoo, path = zoo_file
    legacy = str(tmp_path / "vgg19-legacy.params")
    zoo.collect_params(".*conv.*").save(legacy, strip_prefix=zoo.prefix)  # conv0_weight, conv0_bias, ...
    assert "conv15_weight" in mx.nd.load(legacy)
    a = vgg.load_vgg_features(["conv5_1"], params=path)
    b = vgg.load_vgg_features(["conv5_1"], params=legacy)
    x = nd(np.random.RandomState(9).rand(1, 3, 32, 32))
    np.testing.assert_array_equal(a(x)[0].asnumpy(), b(x)[0].asnumpy())
    with pytest.raises(GluonGanError, match="has 16 convolutions, more than VGG-16's 13"):
        vgg.load_vgg_features(["conv1_1"], depth=16, params=legacy)


def one_line(err):
    text = str(err.value)
    assert "\n" not in text
    return text


def test_wrong_weight_files_give_one_clear_line(zoo_file, tmp_path):
    _, path = zoo_file
    with pytest.raises(GluonGanError, match=r"does not fit VGG-16: it lacks conv4_1's parameters \(features.17") as e:
        vgg.load_vgg_features(["conv1_1"], depth=16, params=path)  # a VGG-19 file: position 17 is a ReLU there
    one_line(e)
    garbage = tmp_path / "vgg19-garbage.params"
    garbage.write_bytes(b"not an ndarray file" * 10)
    with pytest.raises(GluonGanError, match="not a readable MXNet .params file") as e:
        vgg.load_vgg_features(["conv1_1"], params=str(garbage))
    one_line(e)
    other = str(tmp_path / "Generator.params")
    mx.nd.save(other, {"0.weight": mx.nd.zeros((100, 512, 4, 4))})
    with pytest.raises(GluonGanError, match="is not a model-zoo VGG-19 file") as e:
        vgg.load_vgg_features(["conv1_1"], params=other)
    one_line(e)
    with pytest.raises(GluonGanError, match="VGG weights not found: .*nowhere.params") as e:
        vgg.load_vgg_features(["conv1_1"], params=str(tmp_path / "nowhere.params"))
    one_line(e)


def test_missing_zoo_cache_names_the_expected_file(tmp_path, monkeypatch):
    from mxnet.gluon.model_zoo.model_store import short_hash
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    expected = os.path.join(str(tmp_path), "models", "vgg19-%s.params" % short_hash("vgg19"))
    with pytest.raises(GluonGanError) as e:
        vgg.find_vgg_params(19)
    assert expected in one_line(e) and "--random-weights" in str(e.value)
    os.makedirs(os.path.dirname(expected))
    mx.nd.save(expected, {})
    assert vgg.find_vgg_params(19) == expected


def test_layer_lists_parse_with_weights_and_reject_unknown_names():
    assert vgg.parse_layers("conv1_1, conv4_2:0.5") == {"conv1_1": 1.0, "conv4_2": 0.5}
    with pytest.raises(GluonGanError, match="VGG-16 has no layer 'conv5_4'"):
        vgg.parse_layers("conv5_4", depth=16)
    with pytest.raises(GluonGanError, match="bad weight"):
        vgg.parse_layers("conv1_1:heavy")


def test_average_pooling_changes_deep_features_only():
    x = nd(np.random.RandomState(10).rand(1, 3, 32, 32))
    a, b = small_net(["conv1_1", "conv2_1"], "max"), small_net(["conv1_1", "conv2_1"], "avg")
    (a1, a2), (b1, b2) = a(x), b(x)
    np.testing.assert_array_equal(a1.asnumpy(), b1.asnumpy())
    assert not np.allclose(a2.asnumpy(), b2.asnumpy())


# ---- the command line ------------------------------------------------------------------------------------

@pytest.fixture
def pictures_on_disk(tmp_path):
    content, style = pictures(size=40)
    paths = str(tmp_path / "content.png"), str(tmp_path / "style.png")
    images.save_image(content, paths[0])
    images.save_image(style, paths[1])
    return paths


def run_cli(argv, capsys):
    from gluon_gan import cli
    code = cli.run(load_script("style_transfer").main, argv)
    return code, capsys.readouterr().err.strip()


@pytest.mark.parametrize("case, message", [
    ("missing content", "error: content image not found: "),
    ("missing style", "error: style image not found: "),
    ("unreadable content", "error: cannot read content image "),
    ("small size", "error: --size 16 is too small"),
    ("bad size", "error: argument --size: invalid int value: 'big'"),
    ("missing weights", "error: VGG-19 weights not found: looked for "),
])
def test_cli_errors_are_one_line(case, message, pictures_on_disk, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "mxnet_home"))
    content, style = pictures_on_disk
    argv = ["--content", content, "--style", style, "--out", str(tmp_path / "out.png"), "--size", "32"]
    if case == "missing content":
        argv[1] = str(tmp_path / "nope.jpg")
    elif case == "missing style":
        argv[3] = str(tmp_path / "nope.jpg")
    elif case == "unreadable content":
        (tmp_path / "text.png").write_text("this is not a picture")
        argv[1] = str(tmp_path / "text.png")
    elif case == "small size":
        argv[-1] = "16"
    elif case == "bad size":
        argv[-1] = "big"
    code, err = run_cli(argv, capsys)
    assert code == 2
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1, err
    assert not os.path.exists(str(tmp_path / "out.png"))


def test_cli_runs_end_to_end_on_a_zoo_file_with_snapshots(zoo_file, pictures_on_disk, tmp_path, capsys):
    pytest.importorskip("scipy")  # the default optimiser is L-BFGS
    _, params = zoo_file
    content, style = pictures_on_disk
    out = str(tmp_path / "result.png")
    code, err = run_cli(["--content", content, "--style", style, style, "--style-blend", "2", "1", "--out", out,
                         "--size", "48", "--steps", "4", "--vgg-params", params, "--snapshot-every", "2",
                         "--log-every", "2", "--ctx", "cpu"], capsys)
    assert code == 0, err
    from PIL import Image
    assert Image.open(out).size == (48, 48)
    assert os.path.isfile(str(tmp_path / "result.step0002.png"))
    assert os.path.isfile(str(tmp_path / "result.step0004.png"))


def test_cli_random_weights_are_labelled_in_the_name_and_log(pictures_on_disk, tmp_path, capsys, caplog):
    content, style = pictures_on_disk
    code, err = run_cli(["--content", content, "--style", style, "--out", str(tmp_path / "result.png"),
                         "--size", "32", "--steps", "1", "--random-weights", "--optimizer", "adam",
                         "--style-layers", "conv1_1,conv2_1", "--content-layers", "conv2_2"], capsys)
    assert code == 0, err
    assert os.path.isfile(str(tmp_path / "result.random-weights.png"))
    assert not os.path.exists(str(tmp_path / "result.png"))
    assert any("RANDOM WEIGHTS" in r.getMessage() for r in caplog.records)


def test_initial_images_and_style_scale():
    from gluon_gan.style_transfer.transfer import _style_at, initial_image
    content = pictures(size=40)[0]
    noise = initial_image(content, "noise", 0.5, seed=3)
    assert noise.shape == content.shape and 0.0 <= noise.min() and noise.max() <= 1.0
    np.testing.assert_array_equal(initial_image(content, "noise", 0.5, seed=3), noise)  # seeded
    np.testing.assert_allclose(initial_image(content, "blend", 0.25, seed=3), 0.75 * content + 0.25 * noise,
                               rtol=1e-6)
    np.testing.assert_array_equal(initial_image(content, "content", 0.5, seed=3), content)
    style = np.zeros((60, 90, 3), np.float32)
    assert _style_at(style, 128 * 0.5).shape == (43, 64, 3)  # --style-scale 0.5 at a 128-pixel level
    assert _style_at(style, 10).shape[1] == images.MIN_SIZE  # never below what conv5 needs


def test_normalised_layers_make_the_losses_independent_of_the_networks_scale():
    """Doubling every response scales content losses by 4 and style losses by 16, unless layers are normalised."""
    content, style = pictures()
    net = small_net()

    class Doubled:
        outputs = net.outputs

        def __call__(self, x):
            return [2 * f for f in net(x)]

    x = images.to_batch(np.random.RandomState(11).rand(*content.shape))
    plain = {}
    for normalise in (False, True):
        for name, model in (("net", net), ("doubled", Doubled())):
            obj = objective_for(model, content, style, normalise_layers=normalise)
            plain[normalise, name] = {k: v.asscalar() for k, v in obj.losses(x)[1].items()}
    assert np.isclose(plain[False, "doubled"]["content"], 4 * plain[False, "net"]["content"], rtol=1e-4)
    assert np.isclose(plain[False, "doubled"]["style"], 16 * plain[False, "net"]["style"], rtol=1e-4)
    for part in ("content", "style"):
        assert np.isclose(plain[True, "doubled"][part], plain[True, "net"][part], rtol=1e-4)
    # and the normalised content loss is the relative error of conv4_2, by hand
    f, p = net(x)[net.outputs.index("conv4_2")].asnumpy(), net(images.to_batch(content))[net.outputs.index("conv4_2")].asnumpy()
    assert np.isclose(plain[True, "net"]["content"], np.mean((f - p) ** 2) / np.mean(p ** 2), rtol=1e-4)
