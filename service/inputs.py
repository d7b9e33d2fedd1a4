"""The text a caller sends: checked (not blank, within its limit) and normalised before the
service works on it."""

from __future__ import annotations

import unicodedata

from service.errors import InvalidInput

#: Longest claim accepted by default, in characters (``Settings.max_claim_chars``).
MAX_CLAIM_CHARS = 2_000


def require_text(
    value: object, what: str, limit: int, *, field: tuple[str | int, ...] | None = None
) -> str:
    """Return ``value`` if it is a non-blank string of at most ``limit`` characters.

    :param what: how the message names the value ("claim", "premise").
    :param field: where the value was given (default ``(what,)``); see
        :class:`~service.errors.InvalidInput`.
    :raises InvalidInput: naming ``what`` and the problem.
    """
    field = (what,) if field is None else field
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty", field=field)
    if len(value) > limit:
        raise InvalidInput(
            f"{what} is {len(value):,} characters long; the limit is {limit:,}", field=field
        )
    return value


def normalise_claim(claim: str) -> str:
    """NFC, whitespace runs collapsed to one space, stripped: the form that is checked and
    cached, so trivially different spellings of a claim share one cache entry."""
    return unicodedata.normalize("NFC", " ".join(claim.split()))
