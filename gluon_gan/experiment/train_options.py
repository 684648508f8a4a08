"""The command line of a training run, generated from :class:`~gluon_gan.experiment.TrainConfig` and the family.

Parsing happens in two passes: the first finds ``--model`` (and ``--config``),
the second builds the full parser with that family's own options, because
families may share an option's name with another default (``--nz``). ``--help``
shows the common settings and the chosen family's options.
``--config RUN/config.json`` makes a recorded run's settings the defaults, so it
re-runs that run; any flag given beside it still wins.
"""
import argparse
import dataclasses

from .. import families
from ..errors import GluonGanError
from ..files.records import read_json
from .config import TrainConfig, config_from_record
from ..options import HelpFormatter, add_dataclass_arguments, check_bounds, values_from_args

NOT_FROM_RECORD = ("out", "resume")  # a re-run chooses its own directory and whether it continues one


def _read_config_file(path):
    record = read_json(path, "--config")
    if not isinstance(record, dict):
        raise GluonGanError("--config %s is not a JSON run record" % path)
    return config_from_record(record)


def parse_train_args(argv=None, description=None, model=None, defaults=None, skip=(), skip_options=()):
    """Parse a training command line into ``(TrainConfig, args)``.

    ``model`` fixes the family (``train_lfw.py``); ``defaults`` replaces
    TrainConfig defaults; ``skip`` and ``skip_options`` leave common settings
    and family options off this command line.
    """
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model")
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    defaults = dict(defaults or {})
    option_defaults = {}
    if known.config:
        recorded = _read_config_file(known.config)
        defaults.update((f.name, getattr(recorded, f.name)) for f in dataclasses.fields(TrainConfig)
                        if f.name not in NOT_FROM_RECORD and f.name != "model_options")
        option_defaults = dict(recorded.model_options)
    name = model or known.model or defaults.get("model") or TrainConfig.model
    cls = families.get_family_class(name)
    if known.config and recorded.model != name:
        option_defaults = {}  # another family's options do not apply

    parser = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    if not model:
        parser.add_argument("--config", metavar="RUN/config.json",
                            help="re-run a recorded run: its settings become the defaults (flags still win)")
    add_dataclass_arguments(parser, TrainConfig, defaults, skip=tuple(skip) + (("model",) if model else ()))
    group = parser.add_argument_group("options of --model %s (%s)" % (name, cls.summary or name))
    add_dataclass_arguments(group, cls.Options, option_defaults, skip=skip_options)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    check_bounds(parser, TrainConfig, args)
    check_bounds(parser, cls.Options, args)
    values = values_from_args(TrainConfig, args, skip=("model",))
    config = TrainConfig(**dict(defaults, **values))
    config.model = name
    config.model_options = dict(option_defaults, **values_from_args(cls.Options, args, skip=skip_options))
    return config, args
