"""The peer runner and the machine probes behind scripts/benchmark.py (no torch or Keras needed)."""
import sys

import pytest

from gluon_gan.bench import peers


def test_run_peer_reads_the_numbers_on_the_last_line():
    assert peers.run_peer([sys.executable, "-c", "print('log line'); print('12.5 3')"]) == [12.5, 3.0]


@pytest.mark.parametrize("code, message", [("import sys; sys.exit('no torch here')", "no torch here"),
                                           ("print('done')", "where a number was expected"),
                                           ("pass", "no output")])
def test_run_peer_failures_name_the_command_and_the_reason(code, message):
    with pytest.raises(peers.PeerError, match=message):
        peers.run_peer([sys.executable, "-c", code])


def test_isa_cap_reports_only_the_caps_that_are_set():
    env = dict(peers.ISA_ENV["avx2"], PATH="/bin")
    assert peers.isa_cap(env) == {"DNNL_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2",
                                  "MKL_ENABLE_INSTRUCTIONS": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}
    assert peers.isa_cap({"PATH": "/bin"}) == {}


def test_peer_commands_pass_the_sizes_the_scripts_expect():
    assert peers.torch_dcgan_cmd("py", "b", 64, 10) == ["py", "b/torch_dcgan.py", "64", "12"]  # + 2 warm-up
    assert peers.keras_dcgan28_cmd("py", "b", 50) == ["py", "b/keras_dcgan28.py", "50"]
    assert peers.torch_style_cmd("py", "b", 256, 5) == ["py", "b/torch_style.py", "256", "5"]
    assert peers.keras_env()["KERAS_BACKEND"] == "torch"


def test_machine_probes():
    assert peers.cpu_model()
    assert peers.sgemm_gflops(n=64, repeats=2) > 0
    assert peers.mxnet_isa()  # oneDNN names the instruction set it runs
