"""Model families by name (``--model NAME``), one module each, the way losses are registered.

- :mod:`.registry`: :func:`register_family`, :func:`create_family`, ``FAMILIES``
- :mod:`.dcgan`: the tutorial's Generator and Discriminator, and the ``dcgan`` family
- :mod:`.notes`: the GAN notes' ``mlp`` and ``dcgan28`` (Keras ports)
- :mod:`.growing`, :mod:`.pyramid`: networks that grow from 4x4, shared by :mod:`.progan` and :mod:`.msggan`
- :mod:`.stylegan`: the style-based generator (its blocks, inputs, figures) and its ``family``

A family is a :class:`~gluon_gan.training.family.ModelFamily` subclass decorated
with :func:`register_family`; importing this package imports the built-in ones
(they import the registry, never this package). See ``docs/families.md``.
"""
from . import dcgan, msggan, notes, progan  # noqa: F401  (the built-in families register themselves)
from .registry import FAMILIES, create_family, get_family_class, make_options, register_family  # noqa: F401
from .stylegan import family as _stylegan  # noqa: F401
