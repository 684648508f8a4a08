"""The model-family registry: ``--model NAME`` -> a :class:`~gluon_gan.training.family.ModelFamily` subclass."""
import dataclasses

from ..errors import GluonGanError

FAMILIES = {}


def register_family(cls):
    """Class decorator: make ``cls`` selectable as ``--model <cls.name>``."""
    if not cls.name or cls.Options is None or not dataclasses.is_dataclass(cls.Options):
        raise ValueError("a registered family needs a name and an Options dataclass")
    FAMILIES[cls.name] = cls
    return cls


def get_family_class(name):
    try:
        return FAMILIES[name]
    except KeyError:
        raise GluonGanError("unknown model family %r; choose from %s" % (name, ", ".join(sorted(FAMILIES)))) from None


def make_options(name, values=None):
    """The family's ``Options`` from a dict (a run record, parsed flags); unknown keys are a one-line error."""
    cls = get_family_class(name)
    values = dict(values or {})
    known = {f.name for f in dataclasses.fields(cls.Options)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise GluonGanError("model family %s has no option %r (it has: %s)"
                            % (name, unknown[0], ", ".join(sorted(known)) or "none"))
    return cls.Options(**values)


def create_family(name, image_shape, options=None, loss=None, spectral_norm=False):
    """An instance of family ``name`` for ``image_shape``; ``options`` is a dict or the family's dataclass."""
    cls = get_family_class(name)
    if not isinstance(options, cls.Options):
        options = make_options(name, options)
    return cls(image_shape, options, loss=loss, spectral_norm=spectral_norm)
