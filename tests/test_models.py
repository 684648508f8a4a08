import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon import nn

from gluon_gan.families.dcgan import Discriminator, Generator
from gluon_gan.nn.init import count_parameters, initialize
from tutorial_reference import tutorial_discriminator, tutorial_generator

# Hand counts for nz=100, ngf=ndf=64, nc=3: conv weights (in*out*4*4) plus BatchNorm gamma+beta.
G_LEARNED = (100 * 512 + 512 * 256 + 256 * 128 + 128 * 64 + 64 * 3) * 16 + 2 * (512 + 256 + 128 + 64)
D_LEARNED = (3 * 64 + 64 * 128 + 128 * 256 + 256 * 512 + 512 * 1) * 16 + 2 * (128 + 256 + 512)


def _layers(net):
    return list(net._children.values())


def test_parameter_counts_match_the_tutorial_by_hand():
    assert G_LEARNED == 3576704 and D_LEARNED == 2765568
    g, d = initialize(Generator(), mx.cpu()), initialize(Discriminator(), mx.cpu())
    assert count_parameters(g) == G_LEARNED
    assert count_parameters(d) == D_LEARNED
    # BatchNorm running mean+var come on top
    assert count_parameters(g, include_running_stats=True) == G_LEARNED + 2 * (512 + 256 + 128 + 64)


def test_generator_layers_are_the_tutorials():
    layers = _layers(Generator())
    kinds = [type(l).__name__ for l in layers]
    assert kinds == ["Conv2DTranspose", "BatchNorm", "Activation"] * 4 + ["Conv2DTranspose", "Activation"]
    convs = [l for l in layers if isinstance(l, nn.Conv2DTranspose)]
    assert [c._channels for c in convs] == [512, 256, 128, 64, 3]
    assert [c._kwargs["kernel"] for c in convs] == [(4, 4)] * 5
    assert [c._kwargs["stride"] for c in convs] == [(1, 1)] + [(2, 2)] * 4
    assert [c._kwargs["pad"] for c in convs] == [(0, 0)] + [(1, 1)] * 4
    assert all(c._kwargs["no_bias"] for c in convs)
    acts = [l._act_type for l in layers if isinstance(l, nn.Activation)]
    assert acts == ["relu"] * 4 + ["tanh"]


def test_discriminator_layers_are_the_tutorials():
    layers = _layers(Discriminator())
    kinds = [type(l).__name__ for l in layers]
    assert kinds == (["Conv2D", "LeakyReLU"] + ["Conv2D", "BatchNorm", "LeakyReLU"] * 3 + ["Conv2D"])
    convs = [l for l in layers if isinstance(l, nn.Conv2D)]
    assert [c._channels for c in convs] == [64, 128, 256, 512, 1]
    assert [c._kwargs["stride"] for c in convs] == [(2, 2)] * 4 + [(1, 1)]
    assert [c._kwargs["pad"] for c in convs] == [(1, 1)] * 4 + [(0, 0)]
    assert all(c._kwargs["no_bias"] and c._kwargs["kernel"] == (4, 4) for c in convs)
    assert all(l._alpha == 0.2 for l in layers if isinstance(l, nn.LeakyReLU))
    # no sigmoid anywhere: the output is a raw logit
    assert not any(isinstance(l, nn.Activation) for l in layers)


def test_shapes_and_output_range():
    g, d = initialize(Generator(), mx.cpu()), initialize(Discriminator(), mx.cpu())
    img = g(mx.nd.random.normal(shape=(2, 100, 1, 1)))
    assert img.shape == (2, 3, 64, 64)
    assert img.min().asscalar() >= -1 and img.max().asscalar() <= 1
    assert d(img).shape == (2, 1, 1, 1)


def test_checkpoints_interchange_with_the_tutorials_networks(tmp_path):
    """Same keys and shapes as the tutorial's nn.Sequential, so the same outputs from the same file."""
    ours = initialize(Generator(ngf=8), mx.cpu())
    path = str(tmp_path / "g.params")
    ours.save_parameters(path)
    ref = tutorial_generator(ngf=8)
    ref.load_parameters(path)
    z = mx.nd.random.normal(shape=(3, 100, 1, 1))
    np.testing.assert_allclose(ref(z).asnumpy(), ours(z).asnumpy(), rtol=1e-6, atol=1e-6)

    ref_d = tutorial_discriminator(ndf=8)
    ref_d.initialize(mx.init.Normal(0.02))
    x = mx.nd.random.uniform(-1, 1, (2, 3, 64, 64))
    ref_d(x)
    dpath = str(tmp_path / "d.params")
    ref_d.save_parameters(dpath)
    ours_d = Discriminator(ndf=8)
    ours_d.load_parameters(dpath)
    np.testing.assert_allclose(ours_d(x).asnumpy(), ref_d(x).asnumpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("net_cls, shape", [(Generator, (2, 100, 1, 1)), (Discriminator, (2, 3, 64, 64))])
def test_hybridized_equals_imperative(net_cls, shape):
    net = initialize(net_cls(), mx.cpu())
    x = mx.nd.random.normal(shape=shape)
    expected = net(x).asnumpy()
    net.hybridize(static_alloc=True, static_shape=True)
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_normal_002_initialisation():
    g = initialize(Generator(), mx.cpu())
    params = g.collect_params()
    w = params[[k for k in params if k.endswith("weight")][1]].data().asnumpy()  # 512x256x4x4
    assert abs(w.mean()) < 1e-3
    assert w.std() == pytest.approx(0.02, rel=0.01)
    gammas = [p.data().asnumpy() for k, p in params.items() if k.endswith("gamma")]
    betas = [p.data().asnumpy() for k, p in params.items() if k.endswith("beta")]
    assert all((x == 1).all() for x in gammas) and all((x == 0).all() for x in betas)


def test_discriminator_without_batchnorm():
    d = Discriminator(norm="none")
    assert not any(isinstance(l, nn.BatchNorm) for l in _layers(d))
    with pytest.raises(ValueError):
        Discriminator(norm="layer")


@pytest.mark.parametrize("size, nc", [(8, 3), (32, 1), (128, 3)])
def test_other_power_of_two_sizes_and_channels_keep_the_pattern(size, nc):
    g = initialize(Generator(nz=6, ngf=4, nc=nc, size=size), mx.cpu())
    d = initialize(Discriminator(ndf=4, nc=nc, size=size), mx.cpu())
    stages = {8: 1, 32: 3, 128: 5}[size]  # stride-2 stages between 4x4 and the size
    convs = [l for l in _layers(g) if isinstance(l, nn.Conv2DTranspose)]
    assert [c._channels for c in convs] == [4 * 2 ** k for k in reversed(range(stages))] + [nc]
    img = g(mx.nd.random.normal(shape=(2, 6, 1, 1)))
    assert img.shape == (2, nc, size, size) and d(img).shape == (2, 1, 1, 1)
    with pytest.raises(ValueError, match="power-of-two"):
        Generator(size=48)
