#!/usr/bin/env python
"""Write RUN_DIR/report.html: the run's sample grids, diversity, FID/KID, curves and settings, viewable offline.

Images are linked relatively (open the page from inside the run directory); --embed puts them inside
the page instead, for one self-contained file.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gluon_gan  # noqa: E402,F401  (sets threading before mxnet loads)
from gluon_gan import cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", nargs="?", default=os.path.join("runs", "lfw"),
                   help="a directory written by train_lfw.py (default: %(default)s)")
    p.add_argument("--embed", action="store_true", help="embed the images (base64) for a single portable file")
    p.add_argument("--out", help="where to write the page (default: RUN_DIR/report.html)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cli.setup_logging()
    from gluon_gan.experiment.report import write_report
    path = write_report(args.run_dir, embed=args.embed, path=args.out)
    print("wrote %s (%.0f kB)" % (path, os.path.getsize(path) / 1e3))


if __name__ == "__main__":
    sys.exit(cli.run(main))
