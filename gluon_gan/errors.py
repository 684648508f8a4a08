"""The one exception type that command-line tools turn into a one-line message.

Raise :class:`GluonGanError` for anything a user can fix (a missing file, a bad
flag, a dead URL); let programming errors propagate with their traceback.
"""


class GluonGanError(Exception):
    """A user-facing failure; ``str(err)`` is the whole message, on one line."""
