"""The corpus store: articles, their claims and claim embeddings in one SQLite file.

SQLite gives atomic, concurrent-safe writes and survives restarts, so embeddings are
computed once per claim; the vector index is built from the stored vectors at start-up and
then kept in step article by article (:mod:`service.live_corpus`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.articles import Article
from service.claims import CLAIMS_VERSION, Claim
from service.errors import CorpusError, StorageFull

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT, source TEXT, url TEXT, published TEXT, outlet TEXT,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS claims (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    speaker TEXT,
    embedding BLOB NOT NULL,
    context TEXT,
    UNIQUE (article_id, idx)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Every pair the sweep scored (not only the contradictions, which are the rows with
-- label 'contradiction' and on_topic 1), in the direction its label was read from.
CREATE TABLE IF NOT EXISTS contradictions (
    lo INTEGER NOT NULL REFERENCES claims(rowid) ON DELETE CASCADE,
    hi INTEGER NOT NULL REFERENCES claims(rowid) ON DELETE CASCADE,
    premise INTEGER NOT NULL,
    similarity REAL NOT NULL,
    entailment REAL NOT NULL, neutral REAL NOT NULL, contradiction REAL NOT NULL,
    label TEXT NOT NULL DEFAULT 'contradiction',
    on_topic INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (lo, hi)
);
"""

_CLAIM_COLUMNS = "c.rowid, c.article_id, c.idx, c.text, c.start, c.end, c.speaker, c.context"


@dataclass(frozen=True)
class SweptPair:
    """An output of the contradiction sweep: a candidate pair of claims (keys) scored
    with ``label`` when ``premise`` is read as the premise of ``hypothesis``, the
    probabilities of that direction, and whether the two are on the same topic. A
    contradiction is a pair labelled ``contradiction`` and on the same topic."""

    premise: int
    hypothesis: int
    similarity: float
    probabilities: tuple[float, float, float]
    label: str = "contradiction"
    on_topic: bool = True


_INSERT_CLAIM = (
    "INSERT INTO claims (article_id, idx, text, start, end, speaker, context, embedding)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _claim_row(claim: Claim, vector: np.ndarray) -> tuple:
    return (
        claim.article_id,
        claim.index,
        claim.text,
        claim.start,
        claim.end,
        claim.speaker,
        claim.context,
        np.asarray(vector, dtype=np.float32).tobytes(),
    )


def id_hash(article_id: str) -> int:
    """64 bits of an article id's SHA-256: XORed together, they digest a set of ids."""
    return int.from_bytes(hashlib.sha256(article_id.encode()).digest()[:8], "big")


@dataclass(frozen=True)
class StoredClaim:
    """A claim with its row id in the store (the key in the vector index)."""

    key: int
    claim: Claim


class CorpusStore:
    """Articles, claims and float32 claim embeddings persisted in ``<data_dir>/corpus.sqlite3``.

    :param path: the SQLite file.
    :param embedder_name: name of the embedder whose vectors are stored; a store built by a
        different embedder is refused rather than mixed.
    """

    def __init__(self, path: Path, embedder_name: str) -> None:
        self.path = Path(path)
        self.embedder_name = embedder_name
        # Writes go through one connection, one transaction at a time.
        self._lock = threading.Lock()
        # Reads go through connections of their own (WAL: a reader sees the last commit and
        # never waits for a writer), so /health and requests never queue behind an ingest's
        # or the sweep's transaction. The lock guards the list of idle ones, nothing else.
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise self._unusable(exc) from None
        self._check_embedder()

    def _unusable(self, exc: BaseException) -> CorpusError:
        """The one-line error for a store that cannot be opened or written."""
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, PermissionError) or "readonly" in text or "unable to open" in text:
            return StorageFull(
                f"cannot write the corpus store {self.path} ({text}); make "
                f"{self.path.parent} writable or set FACTCHECK_DATA_DIR to another folder"
            )
        if "disk is full" in text or "No space left" in text:
            return StorageFull(
                f"the disk holding {self.path} is full ({text}); free some space: nothing "
                "stored was lost"
            )
        return CorpusError(
            f"{self.path} is not a usable corpus store ({text}); move it aside (re-ingest "
            "the articles into a new one) or restore it from a backup"
        )

    def state(self) -> str:
        """``ok``, or what is wrong with the store (for /health): ``read-only``,
        ``disk full`` (less than 1 MB free), or the error reading it."""
        import shutil

        try:
            with self._reading() as conn:
                conn.execute("SELECT value FROM meta WHERE key='ids_xor'").fetchone()
        except sqlite3.Error as exc:
            return f"unreadable: {exc}"
        if not os.access(self.path.parent, os.W_OK) or not os.access(self.path, os.W_OK):
            return "read-only"
        try:
            if shutil.disk_usage(self.path.parent).free < 1_000_000:
                return "disk full"
        except OSError:
            pass
        return "ok"

    def _migrate(self) -> None:
        """Bring a store written by an older factcheck up to the current schema."""
        with self._transaction() as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(claims)")}
            if "context" not in columns:
                conn.execute("ALTER TABLE claims ADD COLUMN context TEXT")
            if "swept" not in columns:
                # 0 until the contradiction sweep has paired the claim with the corpus.
                conn.execute("ALTER TABLE claims ADD COLUMN swept INTEGER NOT NULL DEFAULT 0")
            pair_columns = {row[1] for row in conn.execute("PRAGMA table_info(contradictions)")}
            if "label" not in pair_columns:
                conn.execute(
                    "ALTER TABLE contradictions ADD COLUMN label TEXT NOT NULL "
                    "DEFAULT 'contradiction'"
                )
                conn.execute(
                    "ALTER TABLE contradictions ADD COLUMN on_topic INTEGER NOT NULL DEFAULT 1"
                )
                # Earlier sweeps kept the contradictions only: sweep again (NLI answers come
                # from the pair cache) to record every scored pair with its label.
                conn.execute("UPDATE claims SET swept=0")
            if conn.execute("SELECT 1 FROM meta WHERE key='ids_xor'").fetchone() is None:
                digest = 0
                for (article_id,) in conn.execute("SELECT id FROM articles"):
                    digest ^= id_hash(article_id)
                conn.execute("INSERT INTO meta VALUES ('ids_xor', ?)", (f"{digest:016x}",))
            if conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
                # An empty store holds no claims of an older extractor.
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('claims_version', ?)",
                    (str(CLAIMS_VERSION),),
                )

    def _check_embedder(self) -> None:
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='embedder'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('embedder', ?)", (self.embedder_name,))
            elif row[0] != self.embedder_name:
                raise CorpusError(
                    f"{self.path} was built with embedder {row[0]!r}, not {self.embedder_name!r}; "
                    "use another data directory or delete this file to re-ingest"
                )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock, self._conn:
                yield self._conn
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise self._unusable(exc) from exc

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection for the duration of one read: an idle one, or a new one."""
        with self._readers_lock:
            conn = self._readers.pop() if self._readers else None
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA query_only=ON")
        try:
            yield conn
        finally:
            with self._readers_lock:
                keep = not self._closed and len(self._readers) < _IDLE_READERS
                if keep:
                    self._readers.append(conn)
            if not keep:
                conn.close()

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self._conn.close()

    # -- writes -----------------------------------------------------------------------

    @staticmethod
    def _toggle_id(conn: sqlite3.Connection, article_id: str) -> None:
        """Add or remove ``article_id`` from the digest of the stored ids (inside the write
        transaction, so concurrent writers never lose an update)."""
        row = conn.execute("SELECT value FROM meta WHERE key='ids_xor'").fetchone()
        digest = int(row[0], 16) ^ id_hash(article_id)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('ids_xor', ?)", (f"{digest:016x}",))

    def add(
        self, article: Article, claims: list[Claim], embeddings: np.ndarray
    ) -> list[int] | None:
        """Store an article with its claims and their embeddings ``[len(claims), dim]``.

        :returns: the claims' keys (row ids, in ``claims`` order), or ``None`` (and nothing
            changes) if an article with this id is stored already.
        """
        if len(claims) != len(embeddings):
            raise ValueError(f"{len(claims)} claims but {len(embeddings)} embeddings")
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO articles (id, title, source, url, published, outlet, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    article.id,
                    article.title,
                    article.source,
                    article.url,
                    article.published,
                    article.outlet,
                    article.text,
                ),
            )
            if cursor.rowcount == 0:
                return None
            keys = [
                conn.execute(_INSERT_CLAIM, _claim_row(c, v)).lastrowid
                for c, v in zip(claims, embeddings)
            ]
            self._toggle_id(conn, article.id)
            return keys

    def replace_claims(self, article_id: str, claims: list[Claim], embeddings: np.ndarray) -> None:
        """Swap a stored article's claims for ``claims`` (re-extraction), in one transaction."""
        if len(claims) != len(embeddings):
            raise ValueError(f"{len(claims)} claims but {len(embeddings)} embeddings")
        with self._transaction() as conn:
            conn.execute("DELETE FROM claims WHERE article_id=?", (article_id,))
            conn.executemany(_INSERT_CLAIM, [_claim_row(c, v) for c, v in zip(claims, embeddings)])

    @property
    def claims_version(self) -> int | None:
        """The :data:`~service.claims.CLAIMS_VERSION` that extracted the stored claims."""
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='claims_version'").fetchone()
        return None if row is None else int(row[0])

    @claims_version.setter
    def claims_version(self, version: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('claims_version', ?)", (str(version),)
            )

    def delete(self, article_id: str) -> bool:
        """Remove an article and its claims. :returns: whether it existed."""
        with self._transaction() as conn:
            if conn.execute("DELETE FROM articles WHERE id=?", (article_id,)).rowcount == 0:
                return False
            self._toggle_id(conn, article_id)
            return True

    # -- reads ------------------------------------------------------------------------

    def __contains__(self, article_id: str) -> bool:
        with self._reading() as conn:
            row = conn.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone()
        return row is not None

    def count_articles(self) -> int:
        with self._reading() as conn:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def get_article(self, article_id: str) -> Article | None:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT id, text, title, source, url, published, outlet FROM articles WHERE id=?",
                (article_id,),
            ).fetchone()
        return None if row is None else Article(*row)

    def list_articles(self, limit: int = 100, offset: int = 0) -> list[Article]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, text, title, source, url, published, outlet FROM articles"
                " ORDER BY added_at, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [Article(*row) for row in rows]

    def article_ids(self) -> set[str]:
        with self._reading() as conn:
            return {row[0] for row in conn.execute("SELECT id FROM articles")}

    def titles(self, article_ids: Iterable[str] | None = None) -> dict[str, str | None]:
        """Article id → title, of every article or of ``article_ids`` (texts not read)."""
        with self._reading() as conn:
            if article_ids is None:
                rows = conn.execute("SELECT id, title FROM articles").fetchall()
            else:
                rows = [
                    row
                    for chunk in _chunks(list(article_ids))
                    for row in conn.execute(
                        f"SELECT id, title FROM articles WHERE id IN ({_marks(chunk)})", chunk
                    )
                ]
        return dict(rows)

    def load_claims(
        self, article_ids: Iterable[str] | None = None
    ) -> tuple[list[StoredClaim], np.ndarray]:
        """Stored claims and their embeddings as float32 ``[n_claims, dim]``, in key order:
        all of them, or those of ``article_ids``."""
        select = (
            "SELECT rowid, article_id, idx, text, start, end, speaker, context, embedding"
            " FROM claims"
        )
        with self._reading() as conn:
            if article_ids is None:
                rows = conn.execute(f"{select} ORDER BY rowid").fetchall()
            else:
                rows = sorted(
                    (
                        row
                        for chunk in _chunks(list(article_ids))
                        for row in conn.execute(
                            f"{select} WHERE article_id IN ({_marks(chunk)})", chunk
                        )
                    ),
                    key=lambda row: row[0],
                )
        claims = [StoredClaim(row[0], Claim(*row[1:7], context=row[7])) for row in rows]
        if not rows:
            return claims, np.zeros((0, 0), dtype=np.float32)
        vectors = np.stack([np.frombuffer(row[8], dtype=np.float32) for row in rows])
        return claims, vectors

    # -- the contradiction sweep's inputs and outputs ---------------------------------

    def unswept_keys(self, limit: int) -> list[int]:
        """The next batch of claims the sweep has not paired yet (oldest first)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT rowid FROM claims WHERE swept=0 ORDER BY rowid LIMIT ?", (limit,)
            ).fetchall()
        return [row[0] for row in rows]

    def sweep_progress(self) -> tuple[int, int]:
        """``(claims not swept yet, all claims)``."""
        with self._reading() as conn:
            row = conn.execute("SELECT COALESCE(SUM(swept=0), 0), COUNT(*) FROM claims").fetchone()
        return int(row[0]), int(row[1])

    def save_sweep(self, keys: Iterable[int], found: Iterable[SweptPair]) -> None:
        """Record one finished unit of the sweep in one transaction: its scored pairs,
        and its claims as swept (claims deleted meanwhile take their pairs with them)."""
        keys = list(keys)
        with self._transaction() as conn:
            live = {
                row[0]
                for chunk in _chunks(keys)
                for row in conn.execute(
                    f"SELECT rowid FROM claims WHERE rowid IN ({_marks(chunk)})", chunk
                )
            }
            for pair in found:
                lo, hi = sorted((pair.premise, pair.hypothesis))
                known = conn.execute(
                    "SELECT COUNT(*) FROM claims WHERE rowid IN (?, ?)", (lo, hi)
                ).fetchone()[0]
                if known != 2:
                    continue
                conn.execute(
                    "INSERT OR REPLACE INTO contradictions (lo, hi, premise, similarity,"
                    " entailment, neutral, contradiction, label, on_topic)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        lo,
                        hi,
                        pair.premise,
                        pair.similarity,
                        *map(float, pair.probabilities),
                        pair.label,
                        int(pair.on_topic),
                    ),
                )
            conn.executemany("UPDATE claims SET swept=1 WHERE rowid=?", [(k,) for k in live])

    def swept_contradictions(self) -> list[tuple]:
        """Every stored contradiction: ``((premise, its title), (hypothesis, its title),
        similarity, probabilities)``, most probable first."""
        return [row[:4] for row in self.swept_pairs("contradiction")]

    def swept_pairs(self, label: str | None = None) -> list[tuple]:
        """The pairs the sweep scored with ``label`` (``None``: all of them), most probable
        for that label first (for all: most contradicting first): ``((premise, its title),
        (hypothesis, its title), similarity, probabilities, label, on_topic)``. The
        contradictions are the on-topic ones only; other labels are listed on topic or not.
        """
        order = {"entailment": "entailment", "neutral": "neutral"}.get(label or "", "contradiction")
        where, args = "", ()
        if label is not None:
            where = "WHERE x.label = ?" + (
                " AND x.on_topic = 1" if label == "contradiction" else ""
            )
            args = (label,)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT x.premise, x.lo, x.hi, x.similarity,"
                " x.entailment, x.neutral, x.contradiction, x.label, x.on_topic"
                f" FROM contradictions x {where} ORDER BY x.{order} DESC, x.lo, x.hi",
                args,
            ).fetchall()
            keys = sorted({k for row in rows for k in row[1:3]})
            claims = {}
            for chunk in _chunks(keys):
                for row in conn.execute(
                    f"SELECT {_CLAIM_COLUMNS}, a.title FROM claims c JOIN articles a"
                    f" ON a.id = c.article_id WHERE c.rowid IN ({_marks(chunk)})",
                    chunk,
                ):
                    claims[row[0]] = (Claim(*row[1:7], context=row[7]), row[8])
        out = []
        for premise, lo, hi, similarity, e, n, c, pair_label, on_topic in rows:
            if lo not in claims or hi not in claims:
                continue
            hypothesis = hi if premise == lo else lo
            out.append(
                (
                    claims[premise],
                    claims[hypothesis],
                    similarity,
                    (e, n, c),
                    pair_label,
                    bool(on_topic),
                )
            )
        return out

    def version(self) -> str:
        """A digest of the embedder, the claim extractor's version and the set of stored
        article ids: it changes whenever the corpus does, is the same across restarts (and
        after adding then deleting an article) for the same corpus, and costs one row read:
        the ids' digest is kept up to date by every write."""
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='ids_xor'").fetchone()
        return self.version_of(int(row[0], 16) if row else 0)

    def version_of(self, ids_digest: int) -> str:
        """The :meth:`version` of a corpus whose ids XOR to ``ids_digest`` (see :func:`id_hash`):
        how an in-memory copy of the corpus tells its own version."""
        material = [self.embedder_name, CLAIMS_VERSION, f"{ids_digest:016x}"]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()[:16]


#: Idle read connections kept for reuse (more are opened while more threads read at once).
_IDLE_READERS = 4

#: SQLite's default limit on ``?`` parameters per statement is 999.
_CHUNK = 900


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))
