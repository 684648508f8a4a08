"""Two PNG grids (MXNet's, the ONNX example's) must be the same picture: same size, every channel within TOLERANCE.

numpy + pillow only (it runs in the example's environment, without MXNet). One grey level: the float32
pictures differ by ~1e-5 (docs/export.md), and a value that close to a rounding boundary may round either way.
"""
import sys

import numpy as np
from PIL import Image

TOLERANCE = 1  # grey levels of 255


def main(want_path, got_path):
    want = np.asarray(Image.open(want_path).convert("RGB"), dtype=np.int16)
    got = np.asarray(Image.open(got_path).convert("RGB"), dtype=np.int16)
    if want.shape != got.shape:
        sys.exit("FAIL %s: %s, MXNet's grid %s" % (got_path, got.shape, want.shape))
    diff = np.abs(want - got)
    print("%s: max |diff| %d grey levels, %d of %d values differ (tolerance %d)"
          % (got_path, diff.max(), int((diff > 0).sum()), diff.size, TOLERANCE))
    if diff.max() > TOLERANCE or want.std() == 0:
        sys.exit("FAIL %s differs from %s" % (got_path, want_path))


if __name__ == "__main__":
    main(*sys.argv[1:3])
