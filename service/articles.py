"""Articles: reading plain-text news articles from files, folders or stdin."""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from service.errors import ArticleError

#: Largest article accepted, in characters (the API enforces the same limit).
MAX_ARTICLE_CHARS = 200_000

METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Article:
    """One news article as plain text.

    ``id`` is a content hash, so ingesting the same text twice yields the same article.
    """

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    outlet: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def article_id(text: str) -> str:
    """Stable id of an article: the first 16 hex digits of the SHA-256 of its text."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def validate_text(text: str, *, what: str = "text", max_chars: int = MAX_ARTICLE_CHARS) -> str:
    """Return ``text`` if it is a non-empty article within ``max_chars``.

    :raises ArticleError: naming ``what`` and the problem.
    """
    if "\x00" in text:
        raise ArticleError(f"{what}: looks like a binary file (contains NUL bytes)")
    if not text.strip():
        raise ArticleError(f"{what}: is empty")
    if len(text) > max_chars:
        raise ArticleError(f"{what}: is {len(text):,} characters long; the limit is {max_chars:,}")
    return text


#: Bidirectional overrides, embeddings and isolates, and the marks: they can make a title
#: read differently from what it says, so they never go into a stored title.
_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)


def clean_title(title: str | None) -> str | None:
    """``title`` without control characters (NUL, escapes...) and bidirectional-override
    characters, whitespace collapsed; ``None`` when nothing visible is left."""
    if title is None:
        return None
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in title
        if ch not in _BIDI_CONTROLS and (ch.isspace() or unicodedata.category(ch) != "Cc")
    )
    kept = " ".join(kept.split())
    return kept or None


def make_article(
    text: str,
    *,
    title: str | None = None,
    source: str | None = None,
    url: str | None = None,
    published: str | None = None,
    outlet: str | None = None,
    max_chars: int = MAX_ARTICLE_CHARS,
) -> Article:
    """Validate ``text`` and wrap it as an :class:`Article` with its content-hash id."""
    validate_text(text, what=source or "text", max_chars=max_chars)
    return Article(
        id=article_id(text),
        text=text,
        title=clean_title(title),
        source=source,
        url=url,
        published=published,
        outlet=outlet,
    )


def read_article_file(
    path: Path, metadata: dict | None = None, *, max_chars: int = MAX_ARTICLE_CHARS
) -> Article:
    """Read one UTF-8 plain-text article.

    :raises ArticleError: the file is missing, unreadable, binary, not UTF-8, empty or too long.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ArticleError(f"{path}: is a directory") from None
    except OSError as exc:
        raise ArticleError(f"{path}: cannot be read ({exc.strerror})") from None
    # Checked on bytes so a huge file is refused before decoding it.
    if len(raw) > 4 * max_chars:
        raise ArticleError(f"{path}: is {len(raw):,} bytes; the limit is {max_chars:,} characters")
    if b"\x00" in raw:
        raise ArticleError(f"{path}: looks like a binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path}: is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    meta = metadata or {}
    return make_article(
        text,
        title=meta.get("title"),
        source=path.name,
        url=meta.get("url"),
        published=meta.get("published"),
        outlet=meta.get("outlet"),
        max_chars=max_chars,
    )


def _folder_metadata(folder: Path) -> dict:
    meta_path = folder / METADATA_FILE
    if not meta_path.exists():
        return {}
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArticleError(f"{meta_path}: is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ArticleError(f"{meta_path}: must map file names to metadata objects")
    return data


def iter_article_paths(paths: Iterable[Path]) -> Iterator[tuple[Path, dict]]:
    """Expand folders into their ``*.txt`` files (sorted), with per-file metadata if the
    folder has a ``metadata.json``."""
    for path in paths:
        if path.is_dir():
            metadata = _folder_metadata(path)
            files = sorted(path.glob("*.txt"))
            if not files:
                raise ArticleError(f"{path}: folder holds no .txt articles")
            for file in files:
                yield file, metadata.get(file.name, {})
        else:
            yield path, {}


def read_articles(
    paths: Iterable[Path | str], *, max_chars: int = MAX_ARTICLE_CHARS
) -> list[Article]:
    """Read articles from files and folders; ``-`` reads one article from stdin."""
    articles = []
    for raw_path in paths:
        if str(raw_path) == "-":
            data = sys.stdin.buffer.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ArticleError(
                    f"stdin: is not UTF-8 text (invalid byte at offset {exc.start})"
                ) from None
            articles.append(make_article(text, source="stdin", max_chars=max_chars))
            continue
        for path, meta in iter_article_paths([Path(raw_path)]):
            articles.append(read_article_file(path, meta, max_chars=max_chars))
    return articles
