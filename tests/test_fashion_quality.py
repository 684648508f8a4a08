"""The Fashion-MNIST yardstick: coverage and KL by hand, FD of identical sets, training, cached weights."""
import os
import shutil

import mxnet as mx
import numpy as np
import pytest

from gluon_gan.evaluation import fashion_classifier as fc, fashion_quality as fq
from gluon_gan.data import fashion_mnist as fm
from gluon_gan.errors import GluonGanError
from gluon_gan.training.sampling import RunGenerator, draw
from gluon_gan.evaluation.features import FEATURES, get_extractor


def easy_images(per_class, seed):
    """Ten trivially separable classes: a bright 6x6 square at a class-specific place, on noise."""
    rs = np.random.RandomState(seed)
    images = rs.randint(0, 60, (10 * per_class, 28, 28)).astype(np.uint8)
    labels = np.repeat(np.arange(10), per_class).astype(np.uint8)
    for i, c in enumerate(labels):
        r, q = 3 + 13 * (c // 5), 1 + 5 * (c % 5)
        images[i, r:r + 6, q:q + 6] = 255
    order = rs.permutation(len(labels))
    return images[order], labels[order]


@pytest.fixture(scope="module")
def easy_data(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("easy-fashion"))
    for split, per_class, seed in (("train", 30, 0), ("test", 10, 1)):
        images, labels = easy_images(per_class, seed)
        fm.write_idx(os.path.join(folder, fm.SPLITS[split][0] + ".gz"), images)
        fm.write_idx(os.path.join(folder, fm.SPLITS[split][1]), labels)
    return folder


@pytest.fixture(scope="module")
def trained(easy_data, tmp_path_factory):
    """(params path, net, test accuracy): the classifier trained on the easy set and saved."""
    path = str(tmp_path_factory.mktemp("cache") / "classifier.params")
    net, acc = fc.train_and_save(path, data_dir=easy_data, epochs=3, batch_size=20, progress=False)
    return path, net, acc


def test_kl_and_coverage_against_hand_computations():
    assert fq.kl_from_uniform(np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-12)
    assert fq.kl_from_uniform([1] + [0] * 9) == pytest.approx(np.log(10))
    assert fq.kl_from_uniform([0.5, 0.5] + [0] * 8) == pytest.approx(np.log(5))  # 2 · 0.5 · log(0.5 · 10)
    hist = [0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01]
    want = sum(p * np.log(10 * p) for p in hist)
    assert fq.kl_from_uniform(hist) == pytest.approx(want)
    assert fq.coverage(hist) == 6  # 0.05 counts, 0.04 does not
    probs = np.eye(10)[[0, 0, 0, 1, 2, 2, 9, 9, 9, 9]] * 0.6 + 0.04
    np.testing.assert_allclose(fq.class_histogram(probs), [0.3, 0.1, 0.2, 0, 0, 0, 0, 0, 0, 0.4])
    assert fq.mean_confidence(probs) == pytest.approx(0.64)


def test_classifier_input_averages_channels_and_resizes():
    rs = np.random.RandomState(0)
    rgb = rs.uniform(-1, 1, (2, 3, 56, 56)).astype(np.float32)
    got = fc.to_classifier_input(mx.nd.array(rgb)).asnumpy()
    want = rgb.mean(axis=1).reshape(2, 28, 2, 28, 2).mean(axis=(2, 4))[:, None]
    np.testing.assert_allclose(got, want, atol=1e-6)
    grey = mx.nd.array(rs.uniform(-1, 1, (2, 1, 28, 28)))
    assert fc.to_classifier_input(grey) is grey
    assert fc.to_classifier_input(mx.nd.zeros((2, 3, 64, 64))).shape == (2, 1, 28, 28)


def test_classifier_learns_an_easy_set_and_weights_round_trip(trained, easy_data):
    path, net, acc = trained
    assert acc >= 0.9
    images, labels = fm.load_fashion_mnist("test", data_dir=easy_data)
    assert fc.accuracy(net, images, labels) == acc
    loaded = fc.load_classifier(path, train_if_missing=False)
    x = images.astype(np.float32) / 127.5 - 1
    f1, p1 = fc.classify(net, x)
    f2, p2 = fc.classify(loaded, x)
    assert f1.shape == (100, 128) and p1.shape == (100, 10)
    np.testing.assert_allclose(f2, f1, atol=1e-5)
    np.testing.assert_allclose(p2, p1, atol=1e-6)
    # uint8 data and [-1, 1] floats are the same input
    np.testing.assert_allclose(fc.classify(net, images)[0], f1, atol=1e-5)


def test_missing_weights_are_an_error_when_training_is_off(tmp_path):
    with pytest.raises(GluonGanError, match="classifier not found: .*train_classifier.py"):
        fc.load_classifier(str(tmp_path / "none.params"), train_if_missing=False)
    want = tmp_path / "fashion-mnist" / ("classifier-%s.params" % fc.CLASSIFIER_VERSION)
    assert fc.classifier_path(str(tmp_path)) == str(want)


def test_quality_of_the_real_set_itself(trained, easy_data):
    path, net, _ = trained
    images, labels = fm.load_fashion_mnist("train", data_dir=easy_data)
    x = images.astype(np.float32) / 127.5 - 1
    feats, _ = fc.classify(net, x)
    reference = fq.Reference(*fq.fid.gaussian_stats(feats), floor=1.5, num_train=300, num_test=0)
    result = fq.fashion_quality(x, net, reference)
    assert result["fid"] == pytest.approx(0.0, abs=1e-6) and result["fid_floor"] == 1.5
    assert result["num_images"] == 300 and result["classes_covered"] == 10
    assert result["kl_uniform"] < 0.02 and sum(result["class_histogram"]) == pytest.approx(1.0)
    assert 0.5 < result["confidence"] <= 1
    # one class repeated: coverage 1, KL log(10)
    one = fq.fashion_quality(np.repeat(x[labels[:] == 3][:1], 20, axis=0), net)
    assert one["classes_covered"] == 1 and one["kl_uniform"] == pytest.approx(np.log(10), abs=1e-9)
    assert one["fid"] is None
    text = fq.format_quality(result)
    assert "floor 1.500" in text and "10/10" in text and "Ankle boot" in text


def test_reference_is_computed_once_and_cached(trained, easy_data, tmp_path):
    path, net, _ = trained
    params = str(tmp_path / "classifier.params")
    shutil.copy(path, params)
    data = str(tmp_path / "data")
    shutil.copytree(easy_data, data)
    ref = fq.load_reference(net, params, data_dir=data)
    assert ref.floor > 0 and ref.num_train == 300 and ref.num_test == 100 and ref.cov.shape == (128, 128)
    shutil.rmtree(data)  # the second call must not need the data
    again = fq.load_reference(net, params, data_dir=data)
    assert again.floor == ref.floor
    np.testing.assert_array_equal(again.cov, ref.cov)


def test_fashion_feature_extractor_is_registered(trained):
    path, net, _ = trained
    assert "fashion" in FEATURES
    extractor = get_extractor("fashion", params=path, batch_size=7)
    x = np.random.RandomState(0).uniform(-1, 1, (10, 3, 64, 64)).astype(np.float32)
    feats = extractor(x)
    want = net.body(fc.to_classifier_input(mx.nd.array(x))).asnumpy()
    assert feats.shape == (10, 128)
    np.testing.assert_allclose(feats, want, atol=1e-5)
    assert extractor.identity().startswith("fashion:%s:" % fc.CLASSIFIER_VERSION)


def test_generated_images_come_through_the_family(trained):
    from gluon_gan.families import create_family
    _, net, _ = trained
    family = create_family("mlp", (1, 28, 28))
    netG = family.build_generator()
    family.initialize(netG, mx.cpu())
    images = draw(RunGenerator(family, netG), 25, seed=3, batch_size=10)
    assert images.shape == (25, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    np.testing.assert_array_equal(images, draw(RunGenerator(family, netG), 25, seed=3, batch_size=10))
    assert fq.fashion_quality(images, net)["num_images"] == 25


def test_quality_log_writes_a_row_per_epoch_and_forgets_rows_after_a_resume(trained, easy_data, tmp_path):
    from types import SimpleNamespace
    from gluon_gan.families import create_family
    path, _, _ = trained
    cache = str(tmp_path / "cache")
    os.makedirs(os.path.dirname(fc.classifier_path(cache)))
    shutil.copy(path, fc.classifier_path(cache))
    family = create_family("dcgan28", (1, 28, 28))
    netG = family.build_generator()
    family.initialize(netG, mx.cpu())
    trainer = SimpleNamespace(family=family, netG=netG, ctx=[mx.cpu()])
    csv_path = str(tmp_path / "fashion_quality.csv")
    callback = fq.FashionQualityLog(csv_path, count=40, cache_dir=cache, data_dir=easy_data, batch_size=16)
    callback.on_train_begin(trainer, 0)
    assert callback.floor > 0
    for epoch in range(3):
        callback.on_epoch_end(trainer, epoch)
    rows = fq.read_quality_log(csv_path)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[0]["fid"] == rows[1]["fid"] > 0  # same G, same fixed latents
    assert rows[0]["fid_floor"] == pytest.approx(callback.floor, rel=1e-5)
    assert sum(rows[0]["share_%d" % c] for c in range(10)) == pytest.approx(1.0)
    fq.FashionQualityLog(csv_path, count=40, cache_dir=cache, data_dir=easy_data).on_train_begin(trainer, 1)
    assert [r["epoch"] for r in fq.read_quality_log(csv_path)] == [1]


def test_a_fashion_mnist_run_is_measured_from_its_generator_file(trained, easy_data, tmp_path):
    from gluon_gan import experiment
    from gluon_gan.experiment import TrainConfig
    from gluon_gan.experiment import train
    from gluon_gan.training import sampling
    path, net, _ = trained
    cache = str(tmp_path / "cache")
    os.makedirs(os.path.dirname(fc.classifier_path(cache)))
    shutil.copy(path, fc.classifier_path(cache))
    out = str(tmp_path / "run")  # the data set's own callback writes fashion_quality.csv
    train(TrainConfig(model="mlp", dataset="fashion-mnist", data_dir=easy_data, cache_dir=cache, out=out, epochs=2,
                      batch_size=100, seed=1, quality_samples=30))
    rows = fq.read_quality_log(os.path.join(out, "fashion_quality.csv"))
    assert [r["epoch"] for r in rows] == [1, 2] and all(r["fid"] > r["fid_floor"] > 0 for r in rows)
    params = os.path.join(out, "Generator.params")
    result = fq.evaluate_generator(experiment.load_generator(params), num=30, seed=2, cache_dir=cache, data_dir=easy_data)
    gen = experiment.load_generator(params)
    images = sampling.generate(gen, sampling.latent(30, gen.latent_shape, 2))
    assert gen.latent_shape == (23,) and images.shape == (30, 1, 28, 28)
    want = fq.fashion_quality(images, net, fq.load_reference(net, fc.classifier_path(cache), data_dir=easy_data))
    assert result.pop("class_histogram") == pytest.approx(want.pop("class_histogram"))
    assert result == pytest.approx(want) and result["fid"] > result["fid_floor"] > 0


def test_evaluate_prints_and_records_the_yardstick_for_a_fashion_run(trained, easy_data, tmp_path, capsys):
    import json
    from conftest import load_script
    from gluon_gan.experiment import TrainConfig
    from gluon_gan.experiment import train
    path, _, _ = trained
    cache = str(tmp_path / "cache")
    os.makedirs(os.path.dirname(fc.classifier_path(cache)))
    shutil.copy(path, fc.classifier_path(cache))
    out = str(tmp_path / "run")
    train(TrainConfig(model="dcgan28", dataset="fashion-mnist", data_dir=easy_data, cache_dir=cache, out=out,
                      epochs=1, batch_size=150, seed=1, quality_samples=0))
    assert not os.path.exists(os.path.join(out, "fashion_quality.csv"))  # --quality-samples 0: no per-epoch log
    params, record = os.path.join(out, "Generator.params"), str(tmp_path / "q.json")
    load_script("evaluate").main(["--params", params, "--num-fake", "20", "--num-real", "20", "--kid-subsets", "2",
                                  "--kid-subset-size", "10", "--cache-dir", cache, "--json", record, "--ctx", "cpu"])
    printed = capsys.readouterr().out
    [saved] = json.load(open(record))
    quality = saved["fashion_quality"]
    assert saved["features"] == "fashion" and quality["num_images"] == 20  # the run's data chose both
    assert "floor %.3f" % quality["fid_floor"] in printed and "classes covered" in printed
    assert saved["params"] == os.path.abspath(params)


def test_train_classifier_script_prints_the_test_accuracy(easy_data, tmp_path, capsys):
    from conftest import load_script
    out = str(tmp_path / "clf.params")
    load_script("train_classifier").main(["--data-dir", easy_data, "--out", out, "--epochs", "2", "--batch-size",
                                          "20", "--ctx", "cpu"])
    printed = capsys.readouterr().out
    assert printed.startswith("test accuracy ") and out in printed
    assert float(printed.split()[2]) >= 0.9
    assert fc.load_classifier(out, train_if_missing=False) is not None
