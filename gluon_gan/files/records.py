"""A run's JSON files (its record ``config.json``, ``evaluation.json``): read with one-line errors, written atomically."""
import json

from ..errors import GluonGanError
from .atomic import atomic_write


def read_json(path, what="JSON file"):
    """The JSON in ``path``; a missing, unreadable or damaged file is a one-line error naming it as ``what``."""
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as err:
        raise GluonGanError("cannot read %s %s: %s" % (what, path, err.strerror or err)) from None
    except ValueError:
        raise GluonGanError("%s %s is not valid JSON (damaged or truncated)" % (what, path)) from None


def write_json(path, obj):
    """``obj`` as indented, key-sorted JSON, atomically (run records, evaluation results)."""
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
    return atomic_write(path, write)
