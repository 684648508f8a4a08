#!/usr/bin/env python
"""Export a trained generator for use outside this library: ONNX, or MXNet's deployable symbol pair.

  export.py runs/lfw --onnx faces.onnx                  any runtime: onnxruntime, a web service, a phone
  export.py runs/lfw --symbol faces                     faces-symbol.json + faces-0000.params for MXNet's
                                                        serving and C++ predict API (SymbolBlock.imports)
  export.py runs/x/Generator.params --onnx g.onnx --batch 16     a fixed batch of 16 (default: any batch)

The run record (config.json beside the weights) says what to build, as for
generate.py; families that keep an EMA generator export it. The exported model
is deterministic: StyleGAN's noise images and truncation psi are inputs. The
ONNX file's metadata lists its inputs, output, value range and family; draw
from it without MXNet with examples/onnx_generate.py. See docs/export.md.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def batch_size(text):
    """``--batch``: a positive integer, or ``dynamic``."""
    if text == "dynamic":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a positive integer or 'dynamic', not %r" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1, not %d" % value)
    return value


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN_OR_PARAMS",
                   help="a run directory, or a generator's .params file with its config.json beside it")
    p.add_argument("--onnx", metavar="FILE", help="write an ONNX model here (needs: pip install -e \".[onnx]\")")
    p.add_argument("--symbol", metavar="PREFIX", help="write PREFIX-symbol.json and PREFIX-0000.params")
    p.add_argument("--batch", type=batch_size, default=None, metavar="N|dynamic",
                   help="the ONNX model's batch size (default: dynamic, any batch)")
    p.add_argument("--ctx", default="cpu", help="device to load the weights on (default: %(default)s)")
    args = p.parse_args(argv)
    if not args.onnx and not args.symbol:
        p.error("nothing to write: give --onnx FILE and/or --symbol PREFIX")
    return args


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan.export import export_run
    from gluon_gan.runtime import parse_contexts
    start = time.time()
    written = export_run(args.run, onnx_path=args.onnx, symbol_prefix=args.symbol, batch=args.batch,
                         ctx=parse_contexts(args.ctx)[0])
    print("wrote %s in %.1f s" % (", ".join(written), time.time() - start))


if __name__ == "__main__":
    sys.exit(cli.run(main))
