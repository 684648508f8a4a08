"""One run end to end, and its directory: the top of the library, where data, family, loss, yardstick and
callbacks are wired together.

- :mod:`.config`: :class:`TrainConfig` (every setting, each also a flag), :func:`resolve`, the run record
- :mod:`.run`: :func:`train`, from a config to a trained run directory
- :mod:`.load`: :func:`load_generator`, a trained generator back from ``Generator.params``
- :mod:`.train_options`: the command line generated from :class:`TrainConfig` and the family's options
- :mod:`.monitor`, :mod:`.progressbar`, :mod:`.snapshots`, :mod:`.tensorboard`: what a run logs and keeps
- :mod:`.initial_weights`: ``--init-generator``/``--init-discriminator``
- :mod:`.report`: ``report.html`` from a run directory
"""
from .config import TrainConfig, config_from_record, read_record, resolve  # noqa: F401
from .load import generator_shape_from_params, load_generator  # noqa: F401
from .run import build_networks, load_images, train  # noqa: F401
