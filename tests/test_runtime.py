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
