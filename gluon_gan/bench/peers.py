"""The peers gluon-gan is timed against, and the machine it is timed on.

A peer is a measuring instrument, never a dependency: a script run by another
Python (a virtualenv with torch, or torch and Keras 3) in a subprocess, which
prints its result as the last number(s) of its output. The scripts live outside
the package (``shared/bench/`` for the issue's peers, ``scripts/peers/`` for
the PyTorch generator), so nothing here imports torch or Keras.

The machine side: its CPU model, its load, the instruction-set cap the run
was given (``--cpu-isa avx2`` makes an AVX-512 machine behave like an AVX2-only
one for oneDNN, PyTorch, MKL and OpenBLAS alike), what each library actually
used, and the best float32 matrix-multiply rate NumPy's BLAS reaches, the
FLOP ceiling a training step is held against.
"""
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np

from ..errors import GluonGanError

# The environment that caps every library of a run at an instruction set (set before any of them loads).
ISA_ENV = {
    "avx2": {"DNNL_MAX_CPU_ISA": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2",
             "MKL_ENABLE_INSTRUCTIONS": "AVX2", "OPENBLAS_CORETYPE": "Haswell"},
}
ISA_KEYS = ("DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE")


class PeerError(GluonGanError):
    """A peer script failed or printed no number: the message has the command and its last error line."""


def run_peer(cmd, env=None, timeout=1800):
    """Run ``cmd`` and return the numbers on the last line of its output (a peer prints its result last)."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PeerError("%s: %s" % (" ".join(cmd), err)) from None
    lines = out.stdout.strip().splitlines()
    if out.returncode or not lines:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise PeerError("%s failed (exit %d): %s" % (" ".join(cmd), out.returncode, last))
    try:
        return [float(v) for v in lines[-1].split()]
    except ValueError:
        raise PeerError("%s printed %r where a number was expected" % (" ".join(cmd), lines[-1])) from None


def torch_dcgan_cmd(python, bench_dir, batch_size, iters):
    """The PyTorch dcgan example's loop (2 warm-up iterations, then ``iters`` timed): training images/s."""
    return [python, os.path.join(bench_dir, "torch_dcgan.py"), str(batch_size), str(iters + 2)]


def keras_dcgan28_cmd(python, bench_dir, iters):
    """The GAN notes' small DCGAN in their own Keras code (batch 32, 5 warm-up iterations): images/s."""
    return [python, os.path.join(bench_dir, "keras_dcgan28.py"), str(iters)]


def torch_style_cmd(python, bench_dir, size, steps):
    """Style transfer the PyTorch way (VGG-19 to conv5_1, Adam on the pixels): seconds per step."""
    return [python, os.path.join(bench_dir, "torch_style.py"), str(size), str(steps)]


def torch_generator_cmd(python, script, batch_size, iters):
    """The PyTorch dcgan example's generator, eval mode, no autograd: images/s at ``batch_size``, batch-1 ms."""
    return [python, script, str(batch_size), str(iters)]


def keras_env():
    """Keras 3 on the torch backend, the one the notes' code is timed on."""
    return dict(os.environ, KERAS_BACKEND="torch")


# ---- the machine ---------------------------------------------------------------------------------------------

def cpu_model():
    """The CPU's model name as the kernel reports it (what ``lscpu`` shows)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average():
    """The 1-minute load average (what ``uptime`` shows first), or None where the OS has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def isa_cap(environ=None):
    """``{variable: value}`` of the instruction-set caps set for this run (empty: each library's own choice)."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in ISA_KEYS if k in environ}


def _verbose_isa(cmd, env):
    """The ``isa:`` line oneDNN prints in verbose mode, run by ``cmd``; None if it printed none."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"isa:([^\n]+)", out.stdout + out.stderr)
    return match.group(1).strip() if match else None


MXNET_CONV = ("import mxnet as mx; x = mx.nd.ones((1, 8, 8, 8)); w = mx.nd.ones((8, 8, 3, 3)); "
              "mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=8, no_bias=True).wait_to_read()")
TORCH_CONV = ("import torch; torch.nn.functional.conv2d(torch.ones(8, 64, 32, 32), torch.ones(64, 64, 3, 3)); "
              "print('capability:', torch.backends.cpu.get_cpu_capability())")


def mxnet_isa():
    """The instruction set MXNet's oneDNN runs its kernels with, as it reports it (``DNNL_VERBOSE=1``)."""
    return _verbose_isa([sys.executable, "-c", MXNET_CONV], dict(os.environ, DNNL_VERBOSE="1"))


def torch_isa(python):
    """PyTorch's oneDNN instruction set and ATen's CPU capability under ``python`` (a peer's interpreter)."""
    env = dict(os.environ, DNNL_VERBOSE="1", ONEDNN_VERBOSE="1")
    try:
        out = subprocess.run([python, "-c", TORCH_CONV], capture_output=True, text=True, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.stdout + out.stderr
    isa = re.search(r"isa:([^\n]+)", text)
    cap = re.search(r"capability: (\S+)", text)
    return "oneDNN %s, ATen %s" % (isa.group(1).strip() if isa else "?", cap.group(1) if cap else "?")


def openblas_core():
    """The kernel family NumPy's OpenBLAS picked (``OPENBLAS_VERBOSE=2``: e.g. Haswell, SkylakeX), or None."""
    out = subprocess.run([sys.executable, "-c", "import numpy"], capture_output=True, text=True,
                         env=dict(os.environ, OPENBLAS_VERBOSE="2"), timeout=120)
    match = re.search(r"Core: (\S+)", out.stdout + out.stderr)
    return match.group(1) if match else None


def sgemm_gflops(n=2048, repeats=5):
    """Best float32 matrix-multiply rate of NumPy's BLAS over ``repeats`` n x n products: the FLOP ceiling."""
    rs = np.random.RandomState(0)
    a, b = rs.rand(n, n).astype(np.float32), rs.rand(n, n).astype(np.float32)
    a @ b
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best
