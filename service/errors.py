"""Domain errors: what the service raises when a request cannot be served as asked.

They carry a message meant for the user and never an HTTP status or an exit code: the API
turns them into responses in one exception handler (``service/api/errors.py``) and the
command line into a one-line ``Error: ...`` in one place (``service/cli/errors.py``).
"""

from __future__ import annotations


class FactcheckError(Exception):
    """Base of every error whose message is meant for the user."""


class InvalidInput(FactcheckError, ValueError):
    """A value the service cannot work with (empty, too long, too many...).

    :param field: where the value was given, e.g. ``("claim",)`` or
        ``("pairs", 3, "premise")``; the API prefixes it with ``"body"``.
    """

    default_field: tuple[str | int, ...] = ()

    def __init__(self, message: str, *, field: tuple[str | int, ...] | None = None) -> None:
        super().__init__(message)
        self.field = tuple(field) if field is not None else self.default_field


class ArticleError(InvalidInput):
    """An article could not be read: missing, unreadable, binary, not UTF-8, empty or too long."""

    default_field = ("text",)


class NotFound(FactcheckError, LookupError):
    """Something asked for by id does not exist."""


class ArticleNotFound(NotFound):
    """No article with this id in the corpus."""

    def __init__(self, article_id: str) -> None:
        super().__init__("article not found")
        self.article_id = article_id


class CorpusError(FactcheckError, RuntimeError):
    """The corpus store is unusable (for example, built with a different embedder)."""


class StorageFull(CorpusError):
    """The corpus cannot be written: the disk is full or the data directory read-only.
    Nothing stored is lost; reads go on."""


class ModelUnavailable(FactcheckError, RuntimeError):
    """A configured model cannot be loaded (missing checkpoint, no NLI labels...)."""


class Overloaded(FactcheckError, RuntimeError):
    """Too much scoring is queued already: try again after ``retry_after_s`` seconds."""

    def __init__(self, message: str, *, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TooLarge(InvalidInput):
    """A request over one of its budgets (sentences per /flag...): 413, naming the limit."""


class TokenLimit(InvalidInput):
    """A text longer than the NLI model reads (in tokens of its tokenizer): 422, naming
    the limit; scoring it would silently cut it."""
