"""What the library reads and writes: weights and checkpoints, the tutorial's legacy files, per-run logs, pictures.

The bottom layer beside :mod:`gluon_gan.nn`: it knows files, not GANs.
"""
