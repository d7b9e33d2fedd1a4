"""``POST /check`` latency through HTTP: ``factcheck serve`` in a subprocess over a fresh data
directory, cold (every claim new) then warm (every claim cached), and its peak memory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.bench.plan import BenchError, Echo
from evaluation.bench.processes import (
    child_pids,
    cmdline,
    free_port,
    link_tree,
    log_error,
    peak_rss_mb,
    pids_working_in,
    stop,
    tally,
)
from service.settings import Settings


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000.0, q)), 2)


def bench_http(
    settings: Settings,
    checkpoint: str,
    onnx_cache_dir: Path,
    claims: Sequence[str],
    warm_repeats: int,
    top_k: int,
    echo: Echo,
    startup_timeout_s: float = 300.0,
) -> dict[str, Any]:
    """Start ``factcheck serve`` on a free port over a fresh data directory (seeded on
    start, embedded Redis), then time ``POST /check``: each claim once (cold: cache empty),
    then every claim ``warm_repeats`` times more (warm: cache hits)."""
    import httpx
    from tqdm.auto import tqdm

    result: dict[str, Any] = {"check_status": "not measured"}
    workdir = Path(tempfile.mkdtemp(prefix="factcheck-bench-http-"))
    data_dir = workdir / "data"
    data_dir.mkdir()
    if onnx_cache_dir.is_dir():  # reuse the graphs built for the NLI section
        link_tree(onnx_cache_dir, data_dir / "onnx")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FACTCHECK_REDIS_URL")}
    env.update(
        FACTCHECK_DATA_DIR=str(data_dir),
        FACTCHECK_SEEDS_DIR=str(settings.seeds_dir),
        FACTCHECK_NLI_MODEL=checkpoint,
        FACTCHECK_NLI_BACKEND=settings.nli_backend,
        FACTCHECK_TOP_K=str(top_k),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "serve.log"
    command = [sys.executable, "-c", "from service.cli import main; main()"]
    command += ["--quiet", "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    helpers: list[tuple[int, bytes | None]] = []
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        with httpx.Client(base_url=base, timeout=120.0) as client:
            while True:
                if proc.poll() is not None:
                    tail = log_path.read_text(errors="replace").strip().splitlines()[-1:]
                    reason = f"factcheck serve exited with status {proc.returncode}"
                    result["check_status"] = f"not measured ({reason}: {' '.join(tail)})"
                    echo(f"/check: {result['check_status']}")
                    return result
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > startup_timeout_s:
                    result["check_status"] = (
                        f"not measured (server not ready after {startup_timeout_s:.0f} s)"
                    )
                    echo(f"/check: {result['check_status']}")
                    return result
                time.sleep(0.25)
            result["server_start_s"] = round(time.perf_counter() - started, 2)

            def post(claim: str) -> tuple[float, str | None]:
                t0 = time.perf_counter()
                response = client.post("/check", json={"claim": claim, "top_k": top_k})
                elapsed = time.perf_counter() - t0
                if response.status_code != 200:
                    raise BenchError(
                        f"POST /check answered {response.status_code}: {response.text[:200]}"
                    )
                return elapsed, response.json().get("cache")

            # The embedded Redis (it detaches, so found by its working directory, which lies in
            # the server's data directory): measured, and stopped with the server.
            found = set(child_pids(proc.pid)) | set(pids_working_in(workdir))
            helpers = [(pid, cmdline(pid)) for pid in sorted(found - {proc.pid})]
            try:
                first, _ = post("The bench sends this claim first, to load what loads lazily.")
                cold = [post(c) for c in tqdm(claims, desc="/check cold", unit="req")]
                warm_claims = list(claims) * warm_repeats
                warm = [post(c) for c in tqdm(warm_claims, desc="/check warm", unit="req")]
            except (BenchError, httpx.HTTPError) as exc:
                result["check_status"] = f"not measured ({exc}{log_error(log_path)})"
                echo(f"/check: {result['check_status']}")
                return result
            result["check_first_ms"] = round(first * 1000, 2)
        result.update(
            check_status="measured",
            check_top_k=top_k,
            check_requests_cold=len(cold),
            check_requests_warm=len(warm),
            check_p50_ms_cold=percentile_ms([t for t, _ in cold], 50),
            check_p95_ms_cold=percentile_ms([t for t, _ in cold], 95),
            check_p50_ms_warm=percentile_ms([t for t, _ in warm], 50),
            check_p95_ms_warm=percentile_ms([t for t, _ in warm], 95),
            check_cache_cold=tally(c for _, c in cold),
            check_cache_warm=tally(c for _, c in warm),
        )
        result["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
        children = [peak_rss_mb(child) for child, _ in helpers]
        result["server_children_peak_rss_mb"] = [mb for mb in children if mb is not None]
        echo(
            f"/check: cold p50 {result['check_p50_ms_cold']} ms, warm p50 "
            f"{result['check_p50_ms_warm']} ms; server peak RSS {result['server_peak_rss_mb']} MiB"
        )
        return result
    finally:
        stop(proc, helpers)
        shutil.rmtree(workdir, ignore_errors=True)
