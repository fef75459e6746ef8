"""The one exception type a student ever sees.

Validators in ``tools/`` and ``knowledge/`` raise :class:`UserInputError` with a message written
for a student: what was wrong and the accepted form. Every front end catches it and shows the
message on one line (the CLI exits with status 2); anything else is a bug and is logged.
"""


class UserInputError(ValueError):
    """Bad input from a user; ``str(err)`` is safe and helpful to show as-is."""


class NotAllowed(UserInputError):
    """The caller may not do this (e.g. change server notes without the trusted role)."""
