"""The text a caller sends: checked (not blank, within its limit) and normalised before the
service works on it."""

from __future__ import annotations

import unicodedata

from service.errors import InvalidInput

#: Longest claim accepted by default, in characters (``Settings.max_claim_chars``).
MAX_CLAIM_CHARS = 2_000

#: Longest claim ``verify`` accepts, in characters: it is read next to a document window by
#: a cross-encoder of a few hundred tokens, so it must be one claim, not a paragraph.
MAX_VERIFY_CLAIM_CHARS = 1_000

#: Longest document ``verify`` reads, in characters (as ``Settings.max_text_chars``).
MAX_DOCUMENT_CHARS = 200_000

#: Characters outside the categories below that still render as nothing: Hangul fillers,
#: the blank Braille pattern, the combining grapheme joiner and the variation selectors.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
#: Control, format (zero-width space, joiners, BOM, soft hyphen...) and separator characters.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def has_visible_text(value: str) -> bool:
    """Whether ``value`` holds a character that shows: whitespace, zero-width and other
    invisible characters alone count as empty."""
    return any(
        not (
            ch.isspace()
            or ch in _BLANK_LOOKALIKES
            or unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        )
        for ch in value
    )


def require_text(
    value: object, what: str, limit: int, *, field: tuple[str | int, ...] | None = None
) -> str:
    """Return ``value`` if it is a string of at most ``limit`` characters that holds a
    visible character (:func:`has_visible_text`).

    :param what: how the message names the value ("claim", "premise").
    :param field: where the value was given (default ``(what,)``); see
        :class:`~service.errors.InvalidInput`.
    :raises InvalidInput: naming ``what`` and the problem.
    """
    field = (what,) if field is None else field
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty", field=field)
    if not has_visible_text(value):
        raise InvalidInput(f"{what} is empty: it holds only invisible characters", field=field)
    if len(value) > limit:
        raise InvalidInput(
            f"{what} is {len(value):,} characters long; the limit is {limit:,}", field=field
        )
    return value


def normalise_claim(claim: str) -> str:
    """NFC, whitespace runs collapsed to one space, stripped: the form that is checked and
    cached, so trivially different spellings of a claim share one cache entry."""
    return unicodedata.normalize("NFC", " ".join(claim.split()))
