import json
import subprocess
import sys


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
    g_step = 3 * D + 2 * G - G_MACS[0]
    assert benchmark.loop_flops_per_image(Generator(), Discriminator()) == 2 * (d_step + g_step)
    assert benchmark.loop_flops_per_image(Generator(), Discriminator(), d_weight_grad_in_g_step=False) == \
        2 * (d_step + g_step - D)
    assert benchmark.tutorial_flops_per_image(Generator(), Discriminator()) == 2 * (9 * D + 4 * G)


def test_benchmark_script_json_contract():
    proc = subprocess.run([sys.executable, "scripts/benchmark.py", "--batch-size", "4", "--iters", "2",
                           "--repeats", "1", "--skip-generate", "--num-jpegs", "5", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["train_images_per_s"] > 0 and result["batch_size"] == 4
    assert result["gflop_per_image"] == round(benchmark.loop_flops_per_image(Generator(), Discriminator()) / 1e9, 3)
    assert 0 < result["data_fraction_of_step"] < 1
    assert any(l.startswith("| library loop: training") for l in lines)


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
