"""The StyleGAN-style generator (Karras et al. 2019) in Gluon blocks; the ``stylegan`` family wires it into runs."""
from .blocks import AdaIN, ConstantInput, NoiseInjection  # noqa: F401
from .generator import MappingNetwork, StyleGenerator, StyleLayer, feature_widths, layer_resolutions  # noqa: F401
