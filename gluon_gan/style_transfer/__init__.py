"""Neural style transfer (Gatys et al. 2016): optimise an image to match one picture's content and another's style.

- :mod:`.vgg`: VGG-16/19 features under the paper's layer names, from model-zoo weight files
- :mod:`.losses`: Gram matrix, content, style and variation losses (size-normalised means)
- :mod:`.objective`: the weighted total and its gradient with respect to the image
- :mod:`.optimize`: L-BFGS (scipy driven by MXNet gradients) and Adam
- :mod:`.images`: loading, resizing, saving, luminance-only colour handling
- :mod:`.transfer`: the whole run: coarse-to-fine levels, initial image, colours
"""
from .losses import content_loss, gram, style_loss, variation_loss  # noqa: F401
from .transfer import StyleSettings, stylise  # noqa: F401
from .vgg import VGGFeatures, layer_names, load_vgg_features  # noqa: F401
