"""Data sets by name -> uint8 (N, C, H, W) arrays -> shuffled [-1, 1] batches.

- :mod:`.datasets`: the registry (``--dataset NAME``) and the built-in sets
- :mod:`.images`: decoding, the tutorial's resize, the decoded-image cache, :class:`ImageBatches`
- :mod:`.download`: LFW fetched with resume and checksums, archives extracted safely
- :mod:`.fashion_mnist`, :mod:`.cartoon_faces`: the other built-in sources
"""
from .datasets import DATASETS, Dataset, get_dataset, load_training_images, register_dataset  # noqa: F401
from .images import ImageBatches, default_cache_dir, load_image_folder, to_unit_range  # noqa: F401
