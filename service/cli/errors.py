"""Errors on the command line: the one place where they become a one-line ``Error: ...``
and exit status 1, never a traceback.

Every ``factcheck`` command is a :class:`FactcheckCommand` (the group makes them so), and so
is ``evaluate`` when run alone (``python -m evaluation``).
"""

from __future__ import annotations

from typing import Any

import click

from models.nli import LabelMappingError
from service.errors import FactcheckError

#: Errors that carry a message meant for the user. Domain errors of the service and the
#: evaluation (datasets, the regression gate, the benchmark) are all FactcheckErrors.
USER_ERRORS: tuple[type[Exception], ...] = (FactcheckError, LabelMappingError, FileNotFoundError)


def as_click_error(exc: Exception) -> click.ClickException:
    """The one-line form of a user error or of any other ``OSError``."""
    if isinstance(exc, OSError) and not isinstance(exc, USER_ERRORS):
        return click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}")
    return click.ClickException(str(exc))


class FactcheckCommand(click.Command):
    """A command whose user errors end it with a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (*USER_ERRORS, OSError) as exc:
            raise as_click_error(exc) from None


class FactcheckGroup(click.Group):
    """A group whose commands are :class:`FactcheckCommand` by default."""

    command_class = FactcheckCommand
