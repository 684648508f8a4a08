import json
import subprocess
import sys

import pytest


from conftest import ROOT
from gluon_gan.bench import throughput as benchmark
from gluon_gan.families.dcgan import Discriminator, Generator

# Forward multiply-adds per image, by hand (nz=100, ngf=ndf=64).
G_MACS = [100 * 512 * 16 * 1,            # 1x1 -> 4x4: one input pixel scatters 4x4x512 per input channel
          512 * 256 * 16 * 4 * 4,        # 4x4 input pixels
          256 * 128 * 16 * 8 * 8,
          128 * 64 * 16 * 16 * 16,
          64 * 3 * 16 * 32 * 32]
D_MACS = [3 * 64 * 16 * 32 * 32, 64 * 128 * 16 * 16 * 16, 128 * 256 * 16 * 8 * 8,
          256 * 512 * 16 * 4 * 4, 512 * 1 * 16 * 1 * 1]


def test_conv_macs_by_hand():
    assert benchmark.conv_macs(Generator(), 1) == G_MACS
    assert benchmark.conv_macs(Discriminator(), 64) == D_MACS


def test_loop_flops_by_hand():
    G, D = sum(G_MACS), sum(D_MACS)
    d_step = G + 2 * (3 * D - D_MACS[0])
    g_step = 2 * D + 2 * G - G_MACS[0]  # D forward + input grads only: its weight grads are skipped
    assert benchmark.loop_flops_per_image(Generator(), Discriminator()) == 2 * (d_step + g_step)
    assert benchmark.loop_flops_per_image(Generator(), Discriminator(), d_weight_grad_in_g_step=True) == \
        2 * (d_step + g_step + D)
    assert benchmark.tutorial_flops_per_image(Generator(), Discriminator()) == 2 * (9 * D + 4 * G)


def test_benchmark_script_json_contract():
    proc = subprocess.run([sys.executable, "scripts/benchmark.py", "--batch-size", "4", "--iters", "2",
                           "--repeats", "1", "--skip-generate", "--num-jpegs", "5", "--json",
                           "--skip-dcgan28", "--skip-style", "--skip-generation", "--families"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["train_images_per_s"] > 0 and result["batch_size"] == 4
    assert result["gflop_per_image"] == round(benchmark.loop_flops_per_image(Generator(), Discriminator()) / 1e9, 3)
    assert 0 < result["data_fraction_of_step"] < 1
    assert any(l.startswith("| DCGAN training step") for l in lines)


PEER_OUTPUT = {"torch_dcgan.py": "5.0", "keras_dcgan28.py": "20.0", "torch_style.py": "4.0",
               "torch_generator.py": "100.0 2.0"}


def test_benchmark_script_puts_each_peer_beside_ours(tmp_path):
    """Stub peers print fixed numbers: each ratio in the JSON is ours over theirs (theirs over ours for s/step)."""
    for name, number in PEER_OUTPUT.items():
        (tmp_path / name).write_text("print('warming up')\nprint('%s')\n" % number)
    proc = subprocess.run([sys.executable, "scripts/benchmark.py", "--batch-size", "2", "--iters", "1",
                           "--repeats", "2", "--dcgan28-iters", "1", "--style-size", "32", "--style-steps", "1",
                           "--families", "progan", "--family-iters", "1", "--skip-data", "--skip-generate",
                           "--bench-dir", str(tmp_path), "--peer-generator", str(tmp_path / "torch_generator.py"),
                           "--compare-torch", sys.executable, "--compare-keras", sys.executable, "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    r = json.loads(lines[-1])
    assert r["peer_dcgan_images_per_s"] == 5.0 and r["peer_dcgan28_images_per_s"] == 20.0
    assert r["peer_style_s_per_step"] == 4.0 and r["peer_generation_images_per_s"] == 100.0
    ratios = r["ratios"]

    def close(value):
        return pytest.approx(value, rel=5e-3)  # the JSON rounds the medians and the ratios apart
    assert ratios["dcgan"] == close(r["dcgan_images_per_s"] / 5.0)
    assert ratios["dcgan28"] == close(r["dcgan28_images_per_s"] / 20.0)
    assert ratios["style"] == close(4.0 / r["style_s_per_step"])
    assert ratios["generation_latency"] == close(2.0 / r["generation_latency_ms"])
    # each repeat's own ratio, ours over the peer timed right after it
    assert r["repeat_ratios"]["dcgan"] == [close(v / 5.0) for v in r["train_repeats"]]
    assert set(r["repeat_ratios"]) == {"dcgan", "dcgan28", "style"} and all(
        len(v) == 2 for v in r["repeat_ratios"].values())
    assert set(r["families_images_per_s"]) == {"progan"} and r["families_images_per_s"]["progan"] > 0
    assert 0 < r["fraction_of_peak"] < 1 and r["sgemm_peak_gflops"] > 0 and len(r["sgemm_repeats"]) == 2
    assert r["cpu"] and r["mxnet_isa"]
    assert sum(l.count("PyTorch") for l in lines) >= 3


def test_a_failing_peer_is_one_clear_line(tmp_path):
    (tmp_path / "torch_dcgan.py").write_text("import sys\nsys.exit('torch is not installed here')\n")
    proc = subprocess.run([sys.executable, "scripts/benchmark.py", "--batch-size", "2", "--iters", "1",
                           "--repeats", "1", "--skip-dcgan28", "--skip-style", "--skip-generation", "--families",
                           "--skip-data", "--skip-generate", "--bench-dir", str(tmp_path),
                           "--compare-torch", sys.executable],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "torch is not installed here" in proc.stderr and "Traceback" not in proc.stderr


def test_time_families_trains_each_family_through_the_loop():
    from gluon_gan.bench.throughput import time_families
    from gluon_gan.families import FAMILIES
    tiny = {"dcgan": {"nz": 4, "ngf": 2, "ndf": 2},
            "stylegan": {"nz": 4, "w_dim": 4, "mapping_layers": 1, "fmap_base": 8, "fmap_max": 2, "ndf": 2,
                         "mbstd_group": 2}}
    results = time_families(["dcgan", "stylegan"], (1, 8, 8), batch_size=2, iters=2, repeats=2, options=tiny)
    assert set(results) == {"dcgan", "stylegan"} <= set(FAMILIES)
    for median, rates in results.values():
        assert len(rates) == 2 and median > 0


def test_timing_leaves_the_training_log_as_it_found_it():
    import logging
    from gluon_gan.bench.throughput import time_families
    logger = logging.getLogger("gluon_gan.experiment.monitor")
    before = logger.level
    time_families(["dcgan"], (3, 8, 8), batch_size=2, iters=1, repeats=1, options={"dcgan": {"ngf": 2, "ndf": 2,
                                                                                           "image_size": 8}})
    assert logger.level == before  # a later training run in the same process logs its lines again
