import os
import subprocess
import sys

import mxnet as mx
import pytest

from conftest import ROOT
from gluon_gan.errors import GluonGanError
from gluon_gan.runtime import parse_contexts, usable_cores


def _omp_after_import(env):
    code = "import gluon_gan, os; print(os.environ['OMP_NUM_THREADS'])"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_threads_default_to_the_usable_cores_before_mxnet_loads():
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    assert _omp_after_import(env) == str(usable_cores())


def test_a_users_thread_count_wins():
    assert _omp_after_import(dict(os.environ, OMP_NUM_THREADS="1")) == "1"


@pytest.mark.parametrize("spec, expected", [
    ("cpu", [mx.cpu(0)]),
    ("cpu:0,cpu:1", [mx.cpu(0), mx.cpu(1)]),
    ("auto", [mx.cpu()] if mx.context.num_gpus() == 0 else [mx.gpu(0)]),
    (None, [mx.cpu()] if mx.context.num_gpus() == 0 else [mx.gpu(0)]),
])
def test_parse_contexts(spec, expected):
    assert parse_contexts(spec) == expected


@pytest.mark.parametrize("spec, message", [
    ("tpu", "bad --ctx"), ("cpu:x", "bad --ctx"), ("cpu:0,cpu:0", "twice"),
    ("gpu:%d" % (mx.context.num_gpus() + 1), "GPU"),
])
def test_parse_contexts_errors(spec, message):
    with pytest.raises(GluonGanError, match=message):
        parse_contexts(spec)


def test_onednn_obeys_dnnl_max_cpu_isa_as_ci_relies_on():
    """.ci/run reruns the suite under DNNL_MAX_CPU_ISA=AVX2 to act as an AVX2-only CPU: make sure oneDNN listens."""
    code = ("import mxnet as mx\n"
            "x = mx.nd.ones((2, 3, 8, 8))\n"
            "mx.nd.Convolution(x, mx.nd.ones((4, 3, 3, 3)), no_bias=True, kernel=(3, 3), num_filter=4).wait_to_read()")
    env = dict(os.environ, DNNL_VERBOSE="1", DNNL_MAX_CPU_ISA="AVX2")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120).stdout
    isa = [line for line in out.splitlines() if line.startswith("dnnl_verbose,info,cpu,isa:")]
    assert isa and "AVX-512" not in isa[0] and "AMX" not in isa[0], out[:2000]
