"""The machine a bench run measures on: its CPU and library versions, and how much of the
CPU other processes took meanwhile (timings taken on a busy machine say little)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any


class ForeignCpu:
    """Share of the machine's CPU time that other processes used while the block ran:
    timings taken on a busy machine say little, so the report shows it next to them."""

    def __enter__(self) -> ForeignCpu:
        self.share: float | None = None
        self._start = (_busy_s(), own_cpu_s(), time.perf_counter())
        return self

    def __exit__(self, *exc) -> None:
        busy, own, wall = _busy_s(), own_cpu_s(), time.perf_counter()
        if busy is None or self._start[0] is None:
            return
        from models.onnx_nli import available_cpus

        foreign = (busy - self._start[0]) - (own - self._start[1])
        capacity = (wall - self._start[2]) * (os.cpu_count() or available_cpus())
        self.share = round(max(0.0, foreign) / capacity, 3) if capacity > 0 else None


def _busy_s() -> float | None:
    """CPU seconds all processes have spent (Linux /proc/stat), or ``None``."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields]
    busy = sum(ticks[:3]) + sum(ticks[5:8])  # user nice system, irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def machine_info() -> dict[str, Any]:
    import onnxruntime
    import torch

    from models.onnx_nli import available_cpus

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": available_cpus(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "torch_threads": torch.get_num_threads(),
    }
