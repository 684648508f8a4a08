"""The mode-collapse benchmark: mixtures, metrics against hand computations, and the script in --quick mode."""
import math
import re

import numpy as np
import pytest

from conftest import load_script
from gluon_gan.bench import mode_collapse as toy


def test_ring_has_eight_distinct_modes_on_the_unit_circle():
    modes = toy.ring_modes()
    assert modes.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(modes[:, 0], modes[:, 1]), 1.0)
    angles = np.degrees(np.arctan2(modes[:, 1], modes[:, 0])) % 360
    np.testing.assert_allclose(angles, np.arange(8) * 45.0, atol=1e-9)  # k/8, not linspace(0, 2pi, 8)
    gaps = np.hypot(*(modes[:, None] - modes[None]).transpose(2, 0, 1))[~np.eye(8, dtype=bool)]
    assert gaps.min() == pytest.approx(2 * math.sin(math.pi / 8))  # no duplicated mode


def test_grid_is_25_modes_two_apart():
    modes = toy.grid_modes()
    assert modes.shape == (25, 2)
    assert sorted(set(modes[:, 0])) == [-4, -2, 0, 2, 4] and len({tuple(m) for m in modes}) == 25
    assert toy.MIXTURES["grid"][1] == 0.05 and toy.MIXTURES["ring"][1] == 0.01


def test_sample_mixture_has_the_right_spread_and_weights():
    modes, std = toy.MIXTURES["grid"]
    x = toy.sample_mixture(modes, std, 50000, np.random.RandomState(0))
    nearest = np.argmin(((x[:, None] - modes[None]) ** 2).sum(2), axis=1)
    offsets = x - modes[nearest]
    assert offsets.std() == pytest.approx(std, rel=0.02)
    assert np.bincount(nearest, minlength=25).min() > 50000 / 25 * 0.9
    metrics = toy.mode_metrics(x[:2500], modes, std)  # real data scores as it should
    assert metrics["modes"] == 25 and metrics["hq"] > 0.98 and metrics["reverse_kl"] < 0.02


def test_metrics_on_samples_placed_exactly_on_the_modes():
    modes, std = toy.MIXTURES["ring"]
    every = np.repeat(modes, 10, axis=0)
    assert toy.mode_metrics(every, modes, std) == {"modes": 8, "hq": 1.0, "reverse_kl": 0.0}
    one = np.repeat(modes[:1], 40, axis=0)  # total collapse onto one mode: KL(p||uniform) = log 8
    assert toy.mode_metrics(one, modes, std) == {"modes": 1, "hq": 1.0, "reverse_kl": pytest.approx(math.log(8))}


def test_high_quality_means_strictly_within_three_std_of_the_nearest_mode():
    modes, std = toy.MIXTURES["grid"]
    inside = modes[:2] + [[2.99 * std, 0], [0, -2.99 * std]]
    outside = modes[2:4] + [[3.01 * std, 0], [0, 3.01 * std]]
    far = np.array([[1.0, 1.0]])  # halfway between four modes: low quality, captures nothing
    m = toy.mode_metrics(np.vstack([inside, outside, far]), modes, std)
    assert m["hq"] == pytest.approx(2 / 5) and m["modes"] == 2  # only high-quality samples capture modes
    assert m["reverse_kl"] == pytest.approx(math.log(25 / 2))  # two modes, half each


def test_reverse_kl_of_known_histograms():
    # p = (1/2, 1/4, 1/4, 0) against uniform over 4: 1/2 log 2 + 2 * 1/4 log 1 = log(2)/2
    assert toy.reverse_kl([2, 1, 1, 0]) == pytest.approx(math.log(2) / 2)
    assert toy.reverse_kl([5, 5, 5, 5]) == 0.0
    assert math.isnan(toy.reverse_kl([0, 0, 0]))  # no high-quality sample: undefined


def test_mean_and_standard_error():
    assert toy.mean_and_stderr([1.0, 2.0, 3.0]) == (2.0, pytest.approx(1 / math.sqrt(3)))
    assert toy.mean_and_stderr([4.0]) == (4.0, 0.0)


def test_summarize_groups_runs_by_loss_and_mixture():
    runs = [dict(loss="hinge", mixture="ring", seed=s, modes=m, hq=h, reverse_kl=k, seconds=1.0)
            for s, (m, h, k) in enumerate([(8, 0.9, 0.1), (6, 0.7, 0.3)])]
    s = toy.summarize(runs)[("hinge", "ring")]
    assert s["modes"] == (7.0, 1.0) and s["hq"][0] == pytest.approx(0.8) and s["runs"] == 2


def test_training_is_deterministic_and_uses_the_library_losses():
    config = toy.ToyConfig(loss="wgan-gp", mixture="ring", iterations=12, width=8, batch_size=16, samples=200)
    a, samples_a, _ = toy.train_toy(config)
    b, samples_b, _ = toy.train_toy(config)
    np.testing.assert_equal(a, b)  # NaN-aware: 12 iterations may leave no high-quality sample
    assert np.array_equal(samples_a, samples_b)
    assert samples_a.shape == (200, 2) and np.isfinite(samples_a).all()


def test_benchmark_quick_mode_prints_a_sane_table(capsys):
    main = load_script("benchmark_modes").main
    main(["--quick", "--losses", "hinge", "wgan-gp"])  # one loss of each kind keeps this to seconds
    out = capsys.readouterr().out
    rows = [l for l in out.splitlines() if l.startswith("| ")]
    assert rows[0].startswith("| loss | ring: modes (of 8) | ring: HQ % | ring: reverse KL | grid: modes (of 25)")
    ours = {r.split(" | ")[0][2:]: r for r in rows[1:] if not r.startswith("| *")}
    assert sorted(ours) == ["hinge", "wgan-gp"]
    for name, row in ours.items():
        cells = [c.strip() for c in row.strip("| ").split(" | ")[1:]]
        assert len(cells) == 6
        values = [tuple(float(v) for v in c.split(" ± ")) for c in cells]
        limits = [8, 100, None, 25, 100, None]
        for (mean, se), limit in zip(values, limits):
            assert math.isnan(mean) or (0 <= mean and (limit is None or mean <= limit) and se >= 0), (name, row)
    published = [r for r in rows if r.startswith("| *")]
    assert len(published) == 2
    assert "| 17.3 | 94.8 | 0.70 |" in published[0] and "| 24.8 | 93.6 | 0.04 |" in published[1]
    assert re.search(r"2 seeds per cell, 2500 samples each", out)
