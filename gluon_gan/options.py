"""Options written once: a dataclass field with ``metadata`` is both a setting and its command-line flag.

``add_dataclass_arguments(parser, cls)`` turns each field into ``--field-name``
(type, default and help from the field), and ``values_from_args`` reads them
back, so a setting is never spelled out again in argparse and in the copy
between the two. Metadata keys: ``help``; ``choices`` (a list, or a callable
returning one, for registries filled at import time); ``min`` (an inclusive
lower bound, checked with a one-line parser error); ``positive`` (> 0);
``flag`` (another flag name) with ``const`` (the value the flag stores, for
switches such as ``--keep-last-batch``); ``cli=False`` keeps a field off the
command line.
"""
import argparse
import dataclasses
import difflib
import json
import typing

from .errors import GluonGanError

_TYPES = {int: int, float: float, str: str, "int": int, "float": float, "str": str}


def _base_type(field):
    tp = field.type
    if typing.get_origin(tp) is typing.Union:  # Optional[X]
        tp = [a for a in typing.get_args(tp) if a is not type(None)][0]
    if tp in (bool, "bool"):
        return bool
    return _TYPES.get(tp, str)


def cli_fields(cls):
    return [f for f in dataclasses.fields(cls) if f.metadata.get("cli", True) and "help" in f.metadata]


def flag_name(field):
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def add_dataclass_arguments(parser, cls, defaults=None, skip=()):
    """Add one flag per documented field of dataclass ``cls``; ``defaults`` overrides the field defaults shown."""
    defaults = dict(defaults or {})
    for field in cli_fields(cls):
        if field.name in skip:
            continue
        meta = field.metadata
        default = defaults.get(field.name, field.default if field.default is not dataclasses.MISSING else None)
        kind = _base_type(field)
        help_text = meta["help"]
        if "const" in meta:
            parser.add_argument(flag_name(field), dest=field.name, action="store_const", const=meta["const"],
                                default=default, help=help_text)
        elif kind is bool:
            action = "store_false" if default else "store_true"
            parser.add_argument(flag_name(field), dest=field.name, action=action, default=default, help=help_text)
        else:
            choices = meta.get("choices")
            if callable(choices):
                choices = choices()
            if field.name in defaults and default is not None:  # a command's own default replaces the generic text
                help_text = help_text.split(" (default")[0].split("; default")[0] + " (default: %(default)s)"
            elif default is not None and "default" not in help_text:
                help_text += " (default: %(default)s)"
            parser.add_argument(flag_name(field), dest=field.name, type=kind, default=default, choices=choices,
                                help=help_text, metavar=None if choices else field.name.upper())
    return parser


def check_bounds(parser, cls, args):
    """``parser.error`` (one line, exit 2) for a value below a field's ``min`` or not ``positive``."""
    for field in cli_fields(cls):
        value = getattr(args, field.name, None)
        if value is None:
            continue
        if "min" in field.metadata and value < field.metadata["min"]:
            parser.error("%s must be at least %s" % (flag_name(field), field.metadata["min"]))
        if field.metadata.get("positive") and not value > 0:
            parser.error("%s must be positive" % flag_name(field))


def values_from_args(cls, args, skip=()):
    """``{field: value}`` of ``cls``'s flags as parsed into ``args``."""
    return {f.name: getattr(args, f.name) for f in cli_fields(cls) if f.name not in skip and hasattr(args, f.name)}


def check_values(cls, values, where, allowed=()):
    """One-line error for a key of ``values`` that no field of ``cls`` has (nor ``allowed``), or a value of the
    wrong type (``None`` only where the default is ``None``); ``where`` names the source (``--config FILE``)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            raise GluonGanError("%s: no setting is called %r%s" % (
                where, key, "; did you mean %r?" % close[0] if close else " (known: %s)" % ", ".join(sorted(fields))))
        if value is None and field.default is None:
            continue
        kind = dict if field.type in (dict, "dict") else _base_type(field)
        ok = {bool: lambda v: isinstance(v, bool), int: lambda v: isinstance(v, int) and not isinstance(v, bool),
              float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}.get(kind, lambda v: isinstance(v, kind))
        if not ok(value):
            raise GluonGanError("%s: %r must be %s, not %s" % (
                where, key, {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
                             dict: "an object"}[kind], json_text(value)))


def json_text(value):
    """``value`` as it would look in a JSON file, shortened, for error messages."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def option(default, help, **meta):
    """A dataclass field that is also a documented flag: ``nz: int = option(100, "latent size", min=1)``."""
    meta["help"] = help
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the module docstring's line breaks in ``--help``."""
