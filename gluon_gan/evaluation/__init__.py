"""How good the samples are: FID/KID, diversity, and each data set's yardstick.

- :mod:`.fid`: the Fréchet distance and KID maths on feature vectors (NumPy only)
- :mod:`.features`: the extractor registry (Inception-v3, pixels, random convolutions)
- :mod:`.fashion_classifier`: the project's Fashion-MNIST classifier and its ``fashion`` extractor
- :mod:`.fashion_quality`: the Fashion-MNIST yardstick's numbers and per-epoch log
- :mod:`.diversity`: pairwise distances, the mode-collapse signal logged every epoch
- :mod:`.scores`: :func:`evaluate`, a loaded generator against real images
- :mod:`.yardsticks`: which of these judges each data set

Importing the package registers every built-in extractor and yardstick.
"""
from . import fashion_classifier, yardsticks  # noqa: F401  (they register the "fashion" extractor and yardstick)
from .features import FEATURES, FeatureExtractor, get_extractor, register_features  # noqa: F401
from .scores import evaluate  # noqa: F401
from .yardsticks import get_yardstick, register_yardstick  # noqa: F401
