"""The server under test as a process: a free port, its peak memory, the helper processes
it starts (the embedded Redis), and stopping all of them."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a process in MiB; ``None`` off Linux."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def pids_working_in(folder: Path) -> list[int]:
    """Processes whose working directory lies inside ``folder`` (Linux /proc)."""
    inside = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            target = os.readlink(cwd)
        except OSError:
            continue
        if target == str(folder) or target.startswith(f"{folder}/"):
            inside.append(int(cwd.parent.name))
    return inside


def link_tree(src: Path, dst: Path) -> None:
    """Copy a folder, hard-linking files where the file system allows it."""

    def link_or_copy(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link_or_copy, dirs_exist_ok=True)


def tally(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


def log_error(log_path: Path) -> str:
    """``; server log: <last error line>`` from the server's log, if it has one."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in lines if re.search(r"Error\b|Exception\b", line)]
    return f"; server log: {errors[-1][:300]}" if errors else ""


def stop(proc: subprocess.Popen, helpers: Sequence[tuple[int, bytes | None]] = ()) -> None:
    """Stop the server (its process group), then any helper process of it that outlived
    it (the embedded Redis runs in a session of its own)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for pid, started_as in helpers:
        if cmdline(pid) == started_as:  # still the same process, not a recycled pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)


def cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
