"""Every family's generator exported (ONNX and MXNet's symbol pair) and run outside the network: the same pictures.

Each test makes a tiny run on disk (random weights, BatchNorm statistics and
noise strengths included, so every parameter matters), exports it with
``export_run`` as ``scripts/export.py`` does, and compares with what the
library draws from the same run (``sampling.generate``, which feeds the
family's own sampling inputs): the ONNX file run by ``onnx.reference`` (plain
numpy), fed by ``examples/onnx_generate.py``'s input rules, and the symbol pair
loaded with ``SymbolBlock.imports``. Kernels differ (oneDNN vs numpy), hence 1e-5 (StyleGAN: see ``TOLERANCES``).

With ``GLUON_GAN_ONNX_EXAMPLE_DIR`` set (``.ci/run``), the export test also
leaves files, latents and MXNet's grids there for ``.ci/onnx_example``.
"""
import importlib.util
import json
import os
import sys
import warnings

import mxnet as mx
import numpy as np
import pytest

from conftest import ROOT, load_script
from gluon_gan import families
from gluon_gan.errors import GluonGanError
from gluon_gan.experiment import load_generator
from gluon_gan.files import plotting, rundir
from gluon_gan.training import sampling

onnx = pytest.importorskip("onnx")  # the [test] extra installs it
from onnx.reference import ReferenceEvaluator as _ReferenceEvaluator  # noqa: E402
from onnx.reference.ops.op_conv_transpose import ConvTranspose as _ReferenceConvTranspose  # noqa: E402
from onnx.reference.ops.op_resize import Resize as _ReferenceResize  # noqa: E402

from gluon_gan.export import export_run, read_metadata  # noqa: E402
from gluon_gan.export.onnx import check_operators  # noqa: E402

TOLERANCE = 1e-5
# The equalised-learning-rate families' float32 pictures carry more rounding (deeper stacks of unnormalised
# convolutions; StyleGAN's AdaIN divides by each map's standard deviation): on these networks MXNet's float32
# pictures are up to 1.0e-5 (progan, msggan) and 1.9e-5 (stylegan) off a float64 evaluation of the same ONNX
# graph, ONNX's float32 ones 6e-6 and 7e-6, so the two may differ by about their sum (measured: up to 1.0e-5 on
# an AVX2 CPU, 2.6e-5; docs/export.md).
TOLERANCES = {"progan": 5e-5, "msggan": 5e-5, "stylegan": 5e-5}
EXAMPLE_DIR = os.environ.get("GLUON_GAN_ONNX_EXAMPLE_DIR")

# name -> (family, image shape, options, phase for progan, sampling options)
CASES = {
    "dcgan-grey8": ("dcgan", (1, 8, 8), {"nz": 6, "ngf": 4, "image_size": 8}),
    "dcgan16": ("dcgan", (3, 16, 16), {"nz": 6, "ngf": 4, "image_size": 16}),
    "dcgan32": ("dcgan", (3, 32, 32), {"nz": 6, "ngf": 2, "image_size": 32}),
    "mlp": ("mlp", (1, 28, 28), {"nz": 5}),
    "dcgan28": ("dcgan28", (1, 28, 28), {"nz": 6}),
    "progan": ("progan", (3, 16, 16), {"nz": 6, "image_size": 16, "widths": "6,4,3"}),
    "msggan": ("msggan", (3, 16, 16), {"nz": 6, "image_size": 16, "widths": "6,4,3"}),
    "stylegan": ("stylegan", (3, 16, 16), {"image_size": 16, "nz": 6, "w_dim": 5, "mapping_layers": 2,
                                           "fmap_base": 32, "fmap_max": 4, "truncation_layers": 3}),
    "stylegan-no-noise": ("stylegan", (1, 8, 8), {"image_size": 8, "nz": 4, "w_dim": 4, "mapping_layers": 1,
                                                  "fmap_base": 16, "fmap_max": 3, "noise": False}),
}


class ConvTranspose(_ReferenceConvTranspose):
    """onnx.reference's own ConvTranspose, group by group: onnx 1.14's refuses ``group`` > 1 (ONNX allows it, and
    StyleGAN's nearest upsampling and AdaIN use it; onnxruntime runs it natively)."""

    op_domain = ""

    def _run(self, X, W, B=None, group=None, **attrs):
        if not group or group == 1:
            return super()._run(X, W, B, group=1, **attrs)
        biases = np.split(B, group) if B is not None else [None] * group
        parts = [super(ConvTranspose, self)._run(x, w, b, group=1, **attrs)[0]
                 for x, w, b in zip(np.split(X, group, axis=1), np.split(W, group, axis=0), biases)]
        return (np.concatenate(parts, axis=1),)


class Resize(_ReferenceResize):
    """onnx.reference's Resize, with its nearest upsampling by whole factors as ``np.repeat``: the same numbers
    (half-pixel centres round to the source pixel, see ``test_the_fast_resize_is_the_reference_one``), but the
    reference computes every output pixel in Python (a minute for one 16x16 batch)."""

    op_domain = ""

    def _run(self, X, roi=None, scales=None, sizes=None, mode=None, coordinate_transformation_mode=None,
             nearest_mode=None, **attrs):
        whole = scales is not None and sizes is None and np.all(scales == np.round(scales)) and scales[:2].tolist() \
            == [1, 1]
        if mode == "nearest" and coordinate_transformation_mode in (None, "half_pixel") and nearest_mode in \
                (None, "round_prefer_floor") and whole and roi is None and not attrs.get("antialias") \
                and attrs.get("axes") is None:
            return (X.repeat(int(scales[2]), axis=2).repeat(int(scales[3]), axis=3),)
        return super()._run(X, roi, scales, sizes, mode=mode, nearest_mode=nearest_mode,
                            coordinate_transformation_mode=coordinate_transformation_mode, **attrs)


def ReferenceEvaluator(model):
    return _ReferenceEvaluator(model, new_ops=[ConvTranspose, Resize])


def test_the_fast_resize_is_the_reference_one():
    from onnx import helper
    x = np.random.RandomState(0).normal(size=(1, 2, 3, 3)).astype(np.float32)
    for factor in (2, 4):
        node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest",
                                coordinate_transformation_mode="half_pixel")
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x.shape)],
                                  [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                                  [onnx.numpy_helper.from_array(np.array([1, 1, factor, factor], np.float32),
                                                                "scales")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
        want = _ReferenceEvaluator(model).run(None, {"x": x})[0]
        np.testing.assert_array_equal(ReferenceEvaluator(model).run(None, {"x": x})[0], want)


def load_example():
    spec = importlib.util.spec_from_file_location("onnx_generate", os.path.join(ROOT, "examples", "onnx_generate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = load_example()


def randomize(net, seed):
    """Every parameter moved off its initial value (biases, noise strengths and constants too), so a weight the
    export dropped or mixed up shows; weights at least at He's scale, so pictures span a trained net's range."""
    rs = np.random.RandomState(seed)
    for name, param in sorted(net.collect_params().items()):
        if name.endswith(("_alpha", "_stage", "running_mean", "running_var")):
            continue  # a growing network's phase (set_phase); BatchNorm's statistics (calibrate)
        value = param.data().asnumpy()
        std = value.std()
        if value.ndim >= 2 and std > 0:
            value = value * max(1.0, 1.0 / np.sqrt(np.prod(value.shape[1:])) / std)
        spread = 0.2 * value.std() if value.std() > 0 else 0.5 * (np.abs(value).mean() or 0.4)  # constants: more
        value = value + rs.normal(0, spread, param.shape)
        param.set_data(mx.nd.array(value))


def calibrate(family, net, steps=20):
    """BatchNorm's running statistics near the activations' own, as after training (MXNet updates them in
    the backward pass)."""
    z = mx.nd.array(sampling.latent(16, family.latent_shape, seed=9))
    for _ in range(steps):
        with mx.autograd.record():
            out = net(*family.training_inputs(z))
        mx.autograd.backward(list(out) if isinstance(out, (list, tuple)) else out)


def make_run(folder, family_name, image_shape, options, phase=None, seed=0):
    """A run directory: Generator.params (and the family's extras, e.g. an EMA copy, with other weights) + config.json."""
    os.makedirs(folder, exist_ok=True)
    family = families.create_family(family_name, image_shape, options)
    netG = family.initialize(family.build_generator(), mx.cpu())
    randomize(netG, seed)
    if phase is not None:
        netG.set_phase(*phase)
    calibrate(family, netG)
    netG.save_parameters(os.path.join(folder, family.g_file))
    for i, (name, extra) in enumerate(sorted(family.extra_networks(netG, mx.cpu()).items())):
        randomize(extra, seed + 1 + i)
        if phase is not None:
            extra.set_phase(*phase)
        extra.save_parameters(os.path.join(folder, name))
    with open(os.path.join(folder, rundir.CONFIG), "w") as f:
        json.dump({"family": family.record(), "image_shape": list(image_shape)}, f)
    return os.path.join(folder, family.g_file)


def onnx_images(path, z, truncation=1.0):
    model = onnx.load(path)
    inputs = read_metadata(model)["inputs"]
    return ReferenceEvaluator(model).run(["image"], example.feeds(inputs, z, truncation))[0], model


def symbol_images(prefix, inputs, z, truncation=1.0):
    feeds = example.feeds(inputs, z, truncation)
    names = [i["name"] for i in inputs]
    with warnings.catch_warnings():  # imports' own fresh input variables carry no type; it then takes float32
        warnings.filterwarnings("ignore", message="Cannot decide type for the following arguments")
        net = mx.gluon.SymbolBlock.imports(prefix + "-symbol.json", names, prefix + "-0000.params")
    return net(*[mx.nd.array(feeds[n]) for n in names]).asnumpy()


def export_and_compare(tmp_path, case, batch=None, phase=None, truncation=1.0, n=3):
    family_name, shape, options = CASES[case]
    params = make_run(str(tmp_path / "run"), family_name, shape, options, phase)
    onnx_path, prefix = str(tmp_path / "g.onnx"), str(tmp_path / "g")
    written = export_run(str(tmp_path / "run"), onnx_path=onnx_path, symbol_prefix=prefix, batch=batch)
    assert written == [prefix + "-symbol.json", prefix + "-0000.params", onnx_path]

    gen = load_generator(params)
    z = sampling.latent(batch or n, gen.latent_shape, seed=5)
    options = {} if truncation == 1.0 else {"truncation": truncation}
    want = sampling.generate(gen, z, **options)
    got, model = onnx_images(onnx_path, z, truncation)
    meta = read_metadata(model)
    assert got.shape == want.shape == (len(z),) + shape
    onnx_diff = float(np.abs(got - want).max())
    tolerance = TOLERANCES.get(family_name, TOLERANCE)
    assert onnx_diff <= tolerance, (case, onnx_diff)
    sym_diff = float(np.abs(symbol_images(prefix, meta["inputs"], z, truncation) - want).max())
    assert sym_diff <= TOLERANCE, (case, sym_diff)  # MXNet both: the same kernels
    assert want.std() > 0.01  # pictures, not a constant a broken export could match by luck
    print("%s: onnx %.2e, symbol %.2e" % (case, onnx_diff, sym_diff))
    return gen, meta, z, want, onnx_path


@pytest.mark.parametrize("case", ["dcgan-grey8", "dcgan16", "dcgan32", "mlp", "dcgan28", "msggan",
                                  "stylegan-no-noise"])
def test_export_draws_what_mxnet_draws(case, tmp_path):
    gen, meta, _, _, _ = export_and_compare(tmp_path, case)
    family_name, shape, _ = CASES[case]
    assert meta["family"] == family_name and meta["model"]["name"] == family_name
    assert meta["outputs"] == [dict(meta["outputs"][0], name="image", shape=[None] + list(shape), range=[-1, 1])]
    assert meta["inputs"][0]["name"] == "z" and meta["inputs"][0]["shape"] == [None] + list(gen.latent_shape)
    assert meta["versions"]["mxnet"] == mx.__version__


def test_progan_exports_its_final_resolution_and_a_run_stopped_mid_fade_in(tmp_path):
    stages = 3
    export_and_compare(tmp_path / "grown", "progan", phase=(stages - 1, 1.0))
    _, meta, _, want, _ = export_and_compare(tmp_path / "fading", "progan", phase=(1, 0.25))
    # mid fade-in at 8x8 the pictures are drawn at the final 16x16, each pixel a 2x2 block
    assert want.shape[2:] == (16, 16) and np.array_equal(want[:, :, ::2, ::2], want[:, :, 1::2, 1::2])
    assert meta["weights"] == "Generator_ema.params"


def test_stylegan_exports_the_ema_generator_with_noise_and_truncation_as_inputs(tmp_path):
    gen, meta, z, want, onnx_path = export_and_compare(tmp_path, "stylegan", truncation=0.6)
    assert meta["weights"] == "Generator_ema.params"
    layers = gen.family.num_layers
    kinds = [(i["name"], i["kind"]) for i in meta["inputs"]]
    graph = onnx.load(onnx_path).graph
    assert [i.name for i in graph.input] == [name for name, _ in kinds] and graph.output[0].name == "image"
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert kinds == [("z", "latent"), ("psi", "truncation")] + [("noise_%d" % l, "noise") for l in range(layers)]
    assert meta["inputs"][1]["layers"] == 3 and meta["inputs"][1]["shape"] == [None, layers]
    # the EMA copy, not G: G's own pictures differ
    own = gen.family.images(gen.net(*gen.family.sampling_inputs(mx.nd.array(z), truncation=0.6))).asnumpy()
    assert np.abs(own - want).max() > 0.1
    # deterministic, and the noise really is an input: other noise, other pictures
    model = onnx.load(onnx_path)
    feeds = example.feeds(meta["inputs"], z, 0.6)
    evaluator = ReferenceEvaluator(model)
    np.testing.assert_array_equal(evaluator.run(["image"], feeds)[0], evaluator.run(["image"], feeds)[0])
    feeds["noise_5"] = feeds["noise_5"] * -1
    assert np.abs(evaluator.run(["image"], feeds)[0] - want).max() > 1e-3
    if EXAMPLE_DIR:  # for .ci/onnx_example: onnxruntime must draw MXNet's grid from these files
        leave_example(gen, "stylegan", onnx_path, {"truncation": 0.6}, ["--truncation", "0.6"])


def test_a_fixed_batch_export_and_the_example_grid(tmp_path):
    gen, meta, z, want, onnx_path = export_and_compare(tmp_path, "dcgan16", batch=4)
    assert meta["inputs"][0]["shape"][0] == 4 and meta["outputs"][0]["shape"][0] == 4
    model = onnx.load(onnx_path)
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == [4, 6, 1, 1]
    assert [i.name for i in model.graph.input] == ["z"] and [o.name for o in model.graph.output] == ["image"]
    # the example's grid is plotting's grid
    np.testing.assert_array_equal(example.grid(want), plotting.make_grid(want))
    if EXAMPLE_DIR:
        leave_example(gen, "dcgan16", onnx_path, {}, [])


def leave_example(gen, name, onnx_path, sample_options, args, num=18):
    """``NAME.onnx``, ``NAME.latents.npy``, MXNet's grid ``NAME.mxnet.png`` of them, and ``NAME.args``: the
    example's arguments that draw as MXNet did. 18 latents: a fixed-batch file of 4 runs 5 times, the last padded."""
    import shutil
    os.makedirs(EXAMPLE_DIR, exist_ok=True)
    base = os.path.join(EXAMPLE_DIR, name)
    z = sampling.latent(num, gen.latent_shape, seed=11)
    shutil.copyfile(onnx_path, base + ".onnx")
    np.save(base + ".latents.npy", z)
    plotting.save_image_grid(sampling.generate(gen, z, **sample_options), base + ".mxnet.png")
    with open(base + ".args", "w") as f:
        f.write(" ".join(args))


def test_a_bare_params_file_without_a_record_exports_as_the_tutorials_dcgan(tmp_path):
    family = families.create_family("dcgan", (3, 8, 8), {"nz": 5, "ngf": 2, "image_size": 8})
    netG = family.initialize(family.build_generator(), mx.cpu())
    path = str(tmp_path / "weights.params")
    netG.save_parameters(path)
    export_run(path, onnx_path=str(tmp_path / "g.onnx"))
    z = sampling.latent(2, (5, 1, 1), seed=1)
    got, model = onnx_images(str(tmp_path / "g.onnx"), z)
    np.testing.assert_allclose(got, sampling.generate(load_generator(path), z), atol=TOLERANCE, rtol=0)
    assert read_metadata(model)["weights"] == "weights.params"


# ---- errors: one line each ------------------------------------------------------------------------------

def test_export_script_writes_and_explains_bad_input(tmp_path, capsys):
    script = load_script("export")
    make_run(str(tmp_path / "run"), *CASES["mlp"])
    assert script.main([str(tmp_path / "run"), "--onnx", str(tmp_path / "new" / "m.onnx")]) is None
    assert os.path.isfile(str(tmp_path / "new" / "m.onnx"))  # its folder made
    from gluon_gan import cli
    assert cli.run(script.main, [str(tmp_path / "nowhere"), "--onnx", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err
    assert "error: no generator weights at" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        script.parse_args([str(tmp_path / "run")])  # nothing to write
    with pytest.raises(SystemExit):
        script.parse_args([str(tmp_path / "run"), "--onnx", "x.onnx", "--batch", "0"])
    assert script.parse_args([str(tmp_path / "run"), "--onnx", "x", "--batch", "dynamic"]).batch is None


def test_without_onnx_installed_the_error_names_the_install_command(tmp_path, monkeypatch):
    make_run(str(tmp_path / "run"), *CASES["mlp"])
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    with pytest.raises(GluonGanError, match=r'onnx package: pip install -e "\.\[onnx\]"'):
        export_run(str(tmp_path / "run"), onnx_path=str(tmp_path / "m.onnx"))
    assert not os.path.exists(str(tmp_path / "m.onnx"))
    # the symbol pair needs no onnx
    export_run(str(tmp_path / "run"), symbol_prefix=str(tmp_path / "m"))
    assert os.path.isfile(str(tmp_path / "m-symbol.json"))


def test_an_operator_that_does_not_export_is_named_with_the_reason():
    x = mx.sym.var("z")
    with pytest.raises(GluonGanError, match=r"cannot export operator erf \(node oops\) to ONNX: MXNet .* no converter"):
        check_operators(mx.sym.erf(x, name="oops").tojson())
    with pytest.raises(GluonGanError, match=r"operator _random_normal .* random operator"):
        check_operators((x + mx.sym.random.normal(shape=(1,), name="noise")).tojson())
    check_operators(mx.sym.rsqrt(x).tojson())  # MXNet lacks it; we convert it
