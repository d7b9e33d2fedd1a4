"""Issue 12: the embedded Redis is one server per data file. An orphan from a killed run is
adopted (never a second server on the same file), a dead one comes back however often the
cache is polled, and nothing is left in the temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from service.store.embedded_redis import EmbeddedRedis, _process_alive
from service.store.redis_cache import RedisCache


def _redis_servers_for(db_path) -> list[int]:
    """redis-server processes working in the data file's folder (it changes into --dir)."""
    import psutil

    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if (
                "redis-server" in (process.info["name"] or "")
                and process.status() != psutil.STATUS_ZOMBIE
                and process.cwd() == str(db_path.parent)
            ):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


def test_second_user_of_a_data_file_shares_the_server_and_only_the_owner_stops_it(tmp_path):
    db = tmp_path / "redis" / "cache.rdb"
    first = EmbeddedRedis(db).start()
    second = EmbeddedRedis(db).start()
    try:
        assert first.pid == second.pid > 0
        assert first.owner and not second.owner
        assert _redis_servers_for(db) == [first.pid]
        second.stop()
        assert first.alive(), "a user that does not own the server must leave it running"
    finally:
        first.stop()
    assert not first.alive()
    assert not first.socket_dir.exists(), "the socket folder is left in /tmp"
    assert not first.pid_path.exists()


def test_orphan_of_a_killed_run_is_adopted_not_duplicated(tmp_path):
    db = tmp_path / "redis" / "cache.rdb"
    script = textwrap.dedent(
        f"""
        import os, signal
        from service.store.embedded_redis import EmbeddedRedis
        server = EmbeddedRedis({str(db)!r}).start()
        server_client = __import__("redis").Redis(unix_socket_path=str(server.socket_path))
        server_client.set("kept", b"yes")
        print(server.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    orphan = int(run.stdout.split()[0])
    assert _process_alive(orphan), "the orphan should outlive the killed run"
    server = EmbeddedRedis(db).start()
    try:
        assert server.pid == orphan and server.owner
        assert _redis_servers_for(db) == [orphan], "a second server on the same data file"
        import redis

        assert redis.Redis(unix_socket_path=str(server.socket_path)).get("kept") == b"yes"
    finally:
        server.stop()
    assert not _process_alive(orphan), "the adopted orphan is stopped by its new owner"
    assert not server.socket_dir.exists()


@pytest.mark.parametrize("poll_every_s", [0.2, 1.0])
def test_dead_embedded_redis_is_back_within_seconds_however_often_it_is_polled(
    tmp_path, poll_every_s
):
    server = EmbeddedRedis(tmp_path / "redis" / "cache.rdb").start()
    cache = RedisCache(server.url, ttl_s=60, timeout_ms=200, retry_after_s=5, embedded=server)
    try:
        assert cache.ping()
        os.kill(server.pid, signal.SIGKILL)
        killed = time.monotonic()
        answered = False
        while time.monotonic() - killed < 10:
            if cache.ping():
                answered = True
                break
            time.sleep(poll_every_s)
        assert answered, "the embedded Redis was not restarted within 10 s"
        assert cache.set_json("factcheck:test", {"ok": 1})
        assert cache.get_json("factcheck:test", "check") == {"ok": 1}
    finally:
        cache.close()
        server.stop()
    assert not server.socket_dir.exists()
