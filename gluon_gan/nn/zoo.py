"""What the MXNet model zoo's ImageNet networks expect of their input: RGB in [0, 1], then per-channel mean/std.

Inception-v3 (FID) and VGG (style transfer) both normalise with these, so they live below both.
"""
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
