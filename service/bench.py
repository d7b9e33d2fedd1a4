"""``factcheck bench``: the project's inference path against the naive one, in one run.

It lives in ``service/`` because it measures the service as it is deployed (the factory's
NLI model, the engine's corpus sweep, ``factcheck serve`` over HTTP with its embedded
Redis); model quality belongs to ``evaluation/``. Sections:

* **nli**: pairs/s of ``sentence_transformers.CrossEncoder(checkpoint).predict`` with its
  defaults (the naive baseline) and of :class:`~models.nli.NliModel` with the ONNX backend,
  timed alternately on the same distinct pairs, with the accuracy of both (SNLI dev
  accuracy, news-pair macro-F1) so that speed is never bought silently with accuracy;
* **embed**: sentences/s of :meth:`~models.embedder.Embedder.embed`;
* **http**: ``POST /check`` latency p50/p95 against ``factcheck serve`` in a subprocess on
  a temporary data directory, cold (every claim new) then warm (every claim cached), and
  the server's peak memory;
* **sweep**: corpus-wide contradiction sweep over synthetic corpora of 1×, 10× and 100× the
  seed corpus: candidate pairs (at most n·k) and NLI time, each timed separately.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from evaluation.datasets import DatasetError, NliExample, read_claims, read_pairs
from evaluation.metrics import label_metrics
from models.nli import NLI_LABELS, NliModel, default_nli_path, resolve_label_ids
from service.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

SECTIONS = ("nli", "embed", "http", "sweep")
NEWS_PAIRS = PROJECT_ROOT / "evaluation" / "data" / "news_pairs.jsonl"
CLAIMS = PROJECT_ROOT / "evaluation" / "data" / "claims.jsonl"

Echo = Callable[[str], None]


class BenchError(ValueError):
    """The benchmark cannot run as asked (missing data, bad option)."""


@dataclass(frozen=True)
class BenchPlan:
    """Sizes of one run; :meth:`full` is what the figures in docs/performance.md use."""

    nli_pairs: int
    accuracy_pairs: int
    rounds: int
    embed_sentences: int
    cold_requests: int
    warm_repeats: int
    multipliers: tuple[int, ...]

    @classmethod
    def full(cls) -> BenchPlan:
        return cls(2_000, 1_000, 3, 2_000, 40, 5, (1, 10, 100))

    @classmethod
    def quick(cls) -> BenchPlan:
        return cls(400, 400, 1, 400, 12, 3, (1, 5, 20))


# -- data -----------------------------------------------------------------------------------


def distinct_pairs(
    examples: Sequence[NliExample], limit: int | None = None
) -> list[tuple[str, str, str]]:
    """Distinct (premise, hypothesis, label) triples, in file order: throughput is measured
    on pairs that are never repeated."""
    seen: set[tuple[str, str]] = set()
    out = []
    for ex in examples:
        if (ex.premise, ex.hypothesis) in seen:
            continue
        seen.add((ex.premise, ex.hypothesis))
        out.append((ex.premise, ex.hypothesis, ex.label))
        if limit is not None and len(out) >= limit:
            break
    return out


def seed_sentences(seeds_dir: Path) -> list[str]:
    from service.articles import read_articles
    from service.claims import extract_claims

    return [c.text for a in read_articles([seeds_dir]) for c in extract_claims(a.id, a.text)]


def generated_pairs(sentences: Sequence[str], n: int, seed: int = 13) -> list[tuple[str, str]]:
    """``n`` distinct (a, b) pairs of different sentences, and perturbed variants of them
    when the sentences alone do not give ``n`` pairs."""
    rng = random.Random(seed)
    names = name_pool(sentences)
    pairs: dict[tuple[str, str], None] = {}
    attempts = 0
    while len(pairs) < n and attempts < 50 * n:
        attempts += 1
        a, b = rng.sample(list(sentences), 2)
        if attempts > len(sentences) ** 2:
            b = perturb_sentence(b, rng, names)
        pairs.setdefault((a, b))
    return list(pairs)


# -- synthetic corpora ----------------------------------------------------------------------

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_CAPITALISED = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b")
_OPENERS = (
    "According to officials, ",
    "Reports say that ",
    "On Tuesday, ",
    "Separately, ",
    "Sources said that ",
    "Earlier this week, ",
)


def name_pool(sentences: Sequence[str]) -> list[str]:
    """Capitalised words found inside the sentences (names, places), most frequent first."""
    counts: dict[str, int] = {}
    for sentence in sentences:
        for name in _CAPITALISED.findall(sentence):
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda k: -counts[k])[:60] or ["Smith"]


def perturb_sentence(sentence: str, rng: random.Random, names: Sequence[str]) -> str:
    """A variant of ``sentence``: other numbers, some names swapped, sometimes an opener or
    its two halves around a comma swapped."""

    def new_number(match: re.Match) -> str:
        width = len(re.sub(r"\D", "", match.group()))
        return str(
            rng.randint(10 ** (width - 1), 10**width - 1) if width > 1 else rng.randint(2, 9)
        )

    out = _NUMBER.sub(new_number, sentence)
    out = _CAPITALISED.sub(lambda m: rng.choice(names) if rng.random() < 0.5 else m.group(), out)
    if "," in out and rng.random() < 0.3:
        head, tail = out.rstrip(".").split(",", 1)
        if tail.strip():
            out = f"{tail.strip()[0].upper()}{tail.strip()[1:]}, {head[0].lower()}{head[1:]}."
    if rng.random() < 0.4:
        out = rng.choice(_OPENERS) + out[0].lower() + out[1:]
    return out


def synthetic_corpus(seeds_dir: Path, multiplier: int, seed: int = 13) -> list:
    """``multiplier`` × the seed articles: the seeds themselves, then perturbed copies
    (every sentence perturbed), each a new article with its own content-hash id."""
    from service.articles import make_article, read_articles
    from service.claims import extract_claims

    seeds = read_articles([seeds_dir])
    sentences = {a.id: [c.text for c in extract_claims(a.id, a.text)] for a in seeds}
    names = name_pool([s for texts in sentences.values() for s in texts])
    rng = random.Random(seed)
    articles, ids = list(seeds), {a.id for a in seeds}
    for copy in range(1, multiplier):
        for seed_article in seeds:
            text = " ".join(perturb_sentence(s, rng, names) for s in sentences[seed_article.id])
            article = make_article(
                text, title=f"{seed_article.title or seed_article.source} (variant {copy})"
            )
            if article.id not in ids:
                ids.add(article.id)
                articles.append(article)
    return articles


# -- metrics --------------------------------------------------------------------------------


def label_scores(gold: Sequence[str], probs: np.ndarray) -> dict[str, Any]:
    """:func:`evaluation.metrics.label_metrics` of the argmax of ``[n, 3]`` scores in
    :data:`NLI_LABELS` order against gold label names."""
    gold_ids = [NLI_LABELS.index(label) for label in gold]
    return label_metrics(gold_ids, np.asarray(probs).argmax(axis=1), NLI_LABELS)


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000.0, q)), 2)


# -- CPU contention ------------------------------------------------------------------------


class ForeignCpu:
    """Share of the machine's CPU time that other processes used while the block ran:
    timings taken on a busy machine say little, so the report shows it next to them."""

    def __enter__(self) -> ForeignCpu:
        self.share: float | None = None
        self._start = (_busy_s(), _own_cpu_s(), time.perf_counter())
        return self

    def __exit__(self, *exc) -> None:
        busy, own, wall = _busy_s(), _own_cpu_s(), time.perf_counter()
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


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


# -- NLI throughput -------------------------------------------------------------------------


class CrossEncoderBaseline:
    """``CrossEncoder(checkpoint).predict`` with its defaults; scores are its logits with
    the columns reordered to :data:`NLI_LABELS` by the checkpoint's ``id2label``."""

    def __init__(self, checkpoint: str) -> None:
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(checkpoint, device="cpu")
        self.columns = list(resolve_label_ids(self.model.model.config.id2label))

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        logits = self.model.predict(list(pairs), show_progress_bar=False)
        return np.asarray(logits, dtype=np.float32)[:, self.columns]


def bench_nli(
    checkpoint: str,
    project: NliModel,
    pairs: Sequence[tuple[str, str]],
    gold: Sequence[str],
    news: Sequence[tuple[str, str, str]],
    rounds: int,
    accuracy_pairs: int,
    echo: Echo,
) -> dict[str, Any]:
    """Time baseline and project alternately on ``pairs``; accuracy of both.

    :param gold: labels of the first pairs (SNLI); empty when there is no SNLI data.
    """
    from tqdm.auto import tqdm

    baseline = CrossEncoderBaseline(checkpoint)
    warm = [("A man is playing a guitar.", "Someone is making music.")] * 4 + [
        ("Two dogs run through a field of tall grass.", "The animals are asleep.")
    ] * 4
    baseline.predict(warm)
    project.predict_pairs(warm)
    times: dict[str, list[float]] = {"baseline": [], "project": []}
    outputs: dict[str, np.ndarray] = {}
    runners = {"baseline": baseline.predict, "project": project.predict_pairs}
    steps = [(r, name) for r in range(rounds) for name in runners]
    with ForeignCpu() as contention:
        for _round, name in tqdm(steps, desc="NLI throughput", unit="run"):
            start = time.perf_counter()
            probs = runners[name](pairs)
            times[name].append(time.perf_counter() - start)
            outputs.setdefault(name, probs)
    result: dict[str, Any] = {
        "nli_pairs": len(pairs),
        "nli_rounds": rounds,
        "nli_other_cpu_share": contention.share,
    }
    for name in runners:
        seconds = statistics.median(times[name])
        result[f"nli_seconds_{name}"] = round(seconds, 3)
        result[f"nli_pairs_per_s_{name}"] = round(len(pairs) / seconds, 1)
    result["speedup"] = round(
        result["nli_pairs_per_s_project"] / result["nli_pairs_per_s_baseline"], 2
    )
    n_acc = min(accuracy_pairs, len(gold))
    result["accuracy_pairs"] = n_acc
    for name in runners:
        result[f"accuracy_{name}"] = (
            round(label_scores(gold[:n_acc], outputs[name][:n_acc])["accuracy"], 4)
            if n_acc
            else None
        )
    news_pairs = [(p, h) for p, h, _ in news]
    news_gold = [label for _, _, label in news]
    result["news_pairs"] = len(news)
    for name, run in runners.items():
        result[f"news_macro_f1_{name}"] = round(
            label_scores(news_gold, run(news_pairs))["macro_f1"], 4
        )
    agree = outputs["baseline"].argmax(axis=1) == outputs["project"].argmax(axis=1)
    result["label_agreement"] = round(float(np.mean(agree)), 4)
    echo(
        f"NLI: baseline {result['nli_pairs_per_s_baseline']} pairs/s, project "
        f"{result['nli_pairs_per_s_project']} pairs/s, speedup {result['speedup']}×"
    )
    return result


# -- embeddings -----------------------------------------------------------------------------


def bench_embed(embedder, sentences: Sequence[str], echo: Echo) -> dict[str, Any]:
    embedder.embed(list(sentences[:16]))
    start = time.perf_counter()
    embedder.embed(list(sentences), show_progress_bar=True)
    seconds = time.perf_counter() - start
    result = {
        "embed_sentences": len(sentences),
        "embed_sentences_per_s": round(len(sentences) / seconds, 1),
    }
    echo(f"embeddings: {result['embed_sentences_per_s']} sentences/s")
    return result


# -- HTTP /check ----------------------------------------------------------------------------


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


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a folder, hard-linking files where the file system allows it."""

    def link_or_copy(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link_or_copy, dirs_exist_ok=True)


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
        _link_tree(onnx_cache_dir, data_dir / "onnx")
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
            helpers = [(pid, _cmdline(pid)) for pid in sorted(found - {proc.pid})]
            try:
                first, _ = post("The bench sends this claim first, to load what loads lazily.")
                cold = [post(c) for c in tqdm(claims, desc="/check cold", unit="req")]
                warm_claims = list(claims) * warm_repeats
                warm = [post(c) for c in tqdm(warm_claims, desc="/check warm", unit="req")]
            except (BenchError, httpx.HTTPError) as exc:
                result["check_status"] = f"not measured ({exc}{_log_error(log_path)})"
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
            check_cache_cold=_tally(c for _, c in cold),
            check_cache_warm=_tally(c for _, c in warm),
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
        _stop(proc, helpers)
        shutil.rmtree(workdir, ignore_errors=True)


def _tally(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


def _log_error(log_path: Path) -> str:
    """``; server log: <last error line>`` from the server's log, if it has one."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in lines if re.search(r"Error\b|Exception\b", line)]
    return f"; server log: {errors[-1][:300]}" if errors else ""


def _stop(proc: subprocess.Popen, helpers: Sequence[tuple[int, bytes | None]] = ()) -> None:
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
    for pid, cmdline in helpers:
        if _cmdline(pid) == cmdline:  # still the same process, not a recycled pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


# -- corpus sweep ---------------------------------------------------------------------------


class CountingScorer:
    """Wraps a pair scorer; counts the pairs it is given and the seconds it spends."""

    def __init__(self, scorer: Callable[..., np.ndarray], progress: bool = True) -> None:
        self.scorer = scorer
        self.progress = progress
        self.pairs = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # this process's CPU time: less sensitive to other load

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        start, cpu = time.perf_counter(), _own_cpu_s()
        out = self.scorer(pairs, show_progress_bar=self.progress and len(pairs) > 256)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += _own_cpu_s() - cpu
        self.pairs += len(pairs)
        return out


def bench_sweep(
    settings: Settings, embedder, nli: NliModel, multipliers: Sequence[int], echo: Echo
) -> dict[str, Any]:
    """Contradiction sweep over synthetic corpora of each size in ``multipliers``."""
    from service.claims import extract_claims
    from service.corpus import CorpusStore
    from service.engine import FactChecker
    from service.factory import engine_params

    params = engine_params(settings)
    rows = []
    contention = ForeignCpu().__enter__()
    for multiplier in multipliers:
        articles = synthetic_corpus(settings.seeds_dir, multiplier)
        with tempfile.TemporaryDirectory(prefix="factcheck-bench-sweep-") as tmp:
            start = time.perf_counter()
            claims = [extract_claims(a.id, a.text) for a in articles]
            texts = [c.text for group in claims for c in group]
            vectors = embedder.embed(texts, show_progress_bar=len(texts) > 256)
            store = CorpusStore(Path(tmp) / "corpus.sqlite3", embedder_name=embedder.name)
            offset = 0
            for article, group in zip(articles, claims):
                store.add(article, group, vectors[offset : offset + len(group)])
                offset += len(group)
            scorer = CountingScorer(nli.predict_pairs)
            engine = FactChecker(store, embedder, scorer, params).warm_up()
            ingest_s = time.perf_counter() - start
            start = time.perf_counter()
            pairs, _groups = engine.candidate_pairs()
            candidates_s = time.perf_counter() - start
            start = time.perf_counter()
            found = engine.contradictions()
            sweep_s = time.perf_counter() - start
            store.close()
        n = engine.claim_count
        row = {
            "multiplier": multiplier,
            "articles": len(articles),
            "claims": n,
            "k": params.top_k,
            "candidate_pairs": len(pairs),
            "pair_bound": n * params.top_k,
            "nli_pairs_scored": scorer.pairs,
            "ingest_s": round(ingest_s, 2),
            "candidates_s": round(candidates_s, 3),
            "nli_s": round(scorer.seconds, 2),
            "nli_cpu_s": round(scorer.cpu_seconds, 2),
            "sweep_s": round(sweep_s, 2),
            "contradictions": len(found),
        }
        rows.append(row)
        echo(
            f"sweep {multiplier}×: {n} claims, {len(pairs)} candidate pairs "
            f"(bound {n * params.top_k}), {scorer.pairs} NLI pairs in {row['nli_s']} s"
        )
    contention.__exit__(None, None, None)
    result: dict[str, Any] = {"sweep": rows, "sweep_other_cpu_share": contention.share}
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        n_ratio = b["claims"] / a["claims"]
        time_ratio = b["sweep_s"] / a["sweep_s"] if a["sweep_s"] else float("inf")
        result.update(
            sweep_n_ratio=round(n_ratio, 2),
            sweep_time_ratio=round(time_ratio, 2),
            sweep_nli_time_ratio=round(b["nli_s"] / a["nli_s"], 2) if a["nli_s"] else None,
            sweep_nli_cpu_ratio=(
                round(b["nli_cpu_s"] / a["nli_cpu_s"], 2) if a["nli_cpu_s"] else None
            ),
            sweep_pairs_ratio=round(b["nli_pairs_scored"] / max(a["nli_pairs_scored"], 1), 2),
            sweep_within_bound=all(r["candidate_pairs"] <= r["pair_bound"] for r in rows),
            sweep_at_most_linear=time_ratio <= n_ratio,
        )
    return result


# -- the whole run --------------------------------------------------------------------------


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


def run_bench(
    settings: Settings,
    *,
    nli_data: Path | None,
    plan: BenchPlan,
    sections: Sequence[str] = SECTIONS,
    echo: Echo = click.echo,
) -> dict[str, Any]:
    """Run the chosen sections; every figure of a section comes from this one run.

    :param nli_data: folder holding ``snli_dev.jsonl``; ``None``: news pairs plus pairs
        generated from the seed sentences, and no SNLI accuracy.
    :raises BenchError: missing data.
    :raises FileNotFoundError: missing checkpoint.
    """
    from models.embedder import Embedder

    checkpoint = settings.nli_model or default_nli_path()
    if not Path(checkpoint).exists() and checkpoint == default_nli_path():
        raise FileNotFoundError(
            f"the shipped NLI checkpoint is missing from {checkpoint}; set FACTCHECK_NLI_MODEL "
            "or pass --model"
        )
    if not NEWS_PAIRS.exists():
        raise BenchError(f"{NEWS_PAIRS}: news pairs missing")
    onnx_cache_dir = settings.data_dir / "onnx"
    results: dict[str, Any] = {
        "machine": machine_info(),
        "checkpoint": checkpoint,
        "nli_backend": settings.nli_backend,
        "quick": plan == BenchPlan.quick(),
    }
    nli = NliModel(
        checkpoint,
        batch_size=settings.nli_batch_size,
        backend="onnx",
        onnx_cache_dir=onnx_cache_dir,
    )
    start = time.perf_counter()
    nli.load()
    results["onnx_load_s"] = round(time.perf_counter() - start, 2)
    results["nli_batch_size"] = nli.batch_size
    embedder = None
    news = distinct_pairs(read_pairs(NEWS_PAIRS).examples)

    if "nli" in sections or "embed" in sections:
        if nli_data is not None:
            snli = distinct_pairs(read_pairs(nli_data / "snli_dev.jsonl").examples, plan.nli_pairs)
            pairs = [(p, h) for p, h, _ in snli]
            gold = [label for _, _, label in snli]
            results["nli_data"] = str(nli_data / "snli_dev.jsonl")
        else:
            news_only = [(p, h) for p, h, _ in news]
            extra = generated_pairs(seed_sentences(settings.seeds_dir), plan.nli_pairs)
            pairs = list(dict.fromkeys(news_only + extra))[: plan.nli_pairs]
            gold = []
            results["nli_data"] = "news pairs + pairs generated from the seed sentences"
        if "nli" in sections:
            results.update(
                bench_nli(
                    checkpoint, nli, pairs, gold, news, plan.rounds, plan.accuracy_pairs, echo
                )
            )
        if "embed" in sections:
            embedder = Embedder(settings.embedder_model).load()
            sentences = list(dict.fromkeys(s for pair in pairs for s in pair))
            results.update(bench_embed(embedder, sentences[: plan.embed_sentences], echo))

    if "http" in sections:
        claims = cold_claims(settings.seeds_dir, plan.cold_requests)
        results.update(
            bench_http(settings, checkpoint, onnx_cache_dir, claims, plan.warm_repeats, 8, echo)
        )
    else:
        results["check_status"] = "not measured (section not selected)"

    if "sweep" in sections:
        embedder = embedder or Embedder(settings.embedder_model).load()
        results.update(bench_sweep(settings, embedder, nli, plan.multipliers, echo))
    return results


def cold_claims(seeds_dir: Path, n: int) -> list[str]:
    """``n`` distinct claims: the project's test claims, then perturbed seed sentences."""
    claims = [case.claim for case in read_claims(CLAIMS)] if CLAIMS.exists() else []
    if len(claims) < n:
        rng = random.Random(7)
        sentences = seed_sentences(seeds_dir)
        names = name_pool(sentences)
        while len(claims) < n:
            claims.append(perturb_sentence(rng.choice(sentences), rng, names))
    return list(dict.fromkeys(claims))[:n]


# -- report ---------------------------------------------------------------------------------


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        value = f"{value:,.4g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value}{unit}"


def format_report(results: dict[str, Any]) -> str:
    """The human-readable table of a :func:`run_bench` result."""
    m = results.get("machine", {})
    lines = [
        f"factcheck bench{' --quick' if results.get('quick') else ''}: {m.get('cpu')}, "
        f"{m.get('cpus')} CPUs; torch {m.get('torch')}, onnxruntime {m.get('onnxruntime')}",
        f"checkpoint {results.get('checkpoint')}",
        "",
    ]
    if "speedup" in results:
        lines += [
            f"NLI on {results['nli_pairs']} distinct pairs ({results.get('nli_data')}), "
            f"median of {results['nli_rounds']} runs",
            f"  {'':<34}{'pairs/s':>10}{'SNLI acc':>10}{'news F1':>10}",
        ]
        for name, title in (
            ("baseline", "CrossEncoder.predict (torch fp32)"),
            ("project", "NliModel onnx (fused int8)"),
        ):
            lines.append(
                f"  {title:<34}{_fmt(results[f'nli_pairs_per_s_{name}']):>10}"
                f"{_fmt(results[f'accuracy_{name}']):>10}"
                f"{_fmt(results[f'news_macro_f1_{name}']):>10}"
            )
        share = results.get("nli_other_cpu_share")
        if share is not None:
            busy = "  (BUSY MACHINE: figures unreliable)" if share > 0.05 else ""
            lines.append(f"  other processes used {share:.0%} of the CPU meanwhile{busy}")
        lines.append(
            f"  speedup {results['speedup']}×; labels agree on "
            f"{results['label_agreement']:.1%} of pairs; accuracy on "
            f"{results['accuracy_pairs']} SNLI pairs, macro-F1 on {results['news_pairs']} "
            "news pairs"
        )
        lines.append("")
    if "embed_sentences_per_s" in results:
        lines += [
            f"embeddings: {_fmt(results['embed_sentences_per_s'])} sentences/s "
            f"({results['embed_sentences']} sentences)",
            "",
        ]
    if results.get("check_status") == "measured":
        lines += [
            f"POST /check (top_k {results['check_top_k']}, seed corpus, embedded Redis)",
            f"  cold ({results['check_requests_cold']} new claims):   p50 "
            f"{results['check_p50_ms_cold']} ms  p95 {results['check_p95_ms_cold']} ms  "
            f"cache {results['check_cache_cold']}",
            f"  warm ({results['check_requests_warm']} repeats):      p50 "
            f"{results['check_p50_ms_warm']} ms  p95 {results['check_p95_ms_warm']} ms  "
            f"cache {results['check_cache_warm']}",
            f"  first request {results['check_first_ms']} ms; server ready after "
            f"{results['server_start_s']} s; server peak RSS "
            f"{_fmt(results['server_peak_rss_mb'], ' MiB')} (children: "
            f"{results['server_children_peak_rss_mb']} MiB)",
            "",
        ]
    else:
        lines += [f"POST /check: {results.get('check_status')}", ""]
    if results.get("sweep"):
        lines.append("corpus sweep (contradictions over the whole corpus)")
        lines.append(
            f"  {'size':>5}{'claims':>8}{'pairs':>8}{'n·k':>8}{'NLI pairs':>11}"
            f"{'cand. s':>9}{'NLI s':>8}{'NLI cpu s':>10}{'sweep s':>9}{'found':>7}"
        )
        for r in results["sweep"]:
            lines.append(
                f"  {str(r['multiplier']) + '×':>5}{r['claims']:>8}{r['candidate_pairs']:>8}"
                f"{r['pair_bound']:>8}{r['nli_pairs_scored']:>11}{r['candidates_s']:>9.3f}"
                f"{r['nli_s']:>8.1f}{r.get('nli_cpu_s', float('nan')):>10.1f}{r['sweep_s']:>9.1f}"
                f"{r['contradictions']:>7}"
            )
        if "sweep_n_ratio" in results:
            a, b = results["sweep"][-2]["multiplier"], results["sweep"][-1]["multiplier"]
            lines.append(
                f"  {b}×/{a}×: claims ×{results['sweep_n_ratio']}, NLI pairs "
                f"×{results['sweep_pairs_ratio']}, sweep time ×{results['sweep_time_ratio']} "
                + ("(no faster than linear)" if results["sweep_at_most_linear"] else "(FASTER)")
                + f", NLI CPU time ×{results.get('sweep_nli_cpu_ratio')}"
            )
        share = results.get("sweep_other_cpu_share")
        if share is not None:
            lines.append(f"  other processes used {share:.0%} of the CPU meanwhile")
    return "\n".join(lines).rstrip() + "\n"


# -- command line ---------------------------------------------------------------------------


@click.command("bench")
@click.option("--quick", is_flag=True, help="Smaller sizes (400 pairs, corpora 1×/5×/20×).")
@click.option("--json", "as_json", is_flag=True, help="Also write bench.json into --out.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/bench"),
    show_default=True,
    help="Folder for bench.txt (the table) and bench.json.",
)
@click.option(
    "--data",
    "nli_data",
    type=click.Path(path_type=Path),
    help="Folder holding snli_dev.jsonl (the SNLI data; `make bench` passes it) [default: "
    "the news pairs plus pairs generated from the seed sentences].",
)
@click.option(
    "--model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="NLI checkpoint folder [default: FACTCHECK_NLI_MODEL, else the shipped one].",
)
@click.option(
    "--only",
    default=",".join(SECTIONS),
    show_default=True,
    help="Comma-separated sections to run.",
)
@click.pass_context
def bench_command(
    ctx: click.Context,
    quick: bool,
    as_json: bool,
    out: Path,
    nli_data: Path | None,
    model: Path | None,
    only: str,
) -> None:
    """Measure speed and accuracy: NLI pairs/s against CrossEncoder.predict, embeddings/s,
    POST /check latency (cold and warm) and peak memory of `factcheck serve`, and the corpus
    sweep at 1×, 10× and 100× the seed corpus. Takes 10-15 minutes on two cores; --quick a few."""
    from service.cli import USER_ERRORS

    sections = tuple(s.strip() for s in only.split(",") if s.strip())
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown or not sections:
        raise click.ClickException(
            f"unknown section(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(SECTIONS)}"
        )
    if nli_data is not None:
        if not nli_data.is_dir():
            raise click.ClickException(f"{nli_data}: no such folder")
        if not (nli_data / "snli_dev.jsonl").is_file():
            raise click.ClickException(f"{nli_data}: holds no snli_dev.jsonl")
    settings: Settings = ctx.obj["settings"]
    if model is not None:
        settings = settings.model_copy(update={"nli_model": str(model.resolve())})
    plan = BenchPlan.quick() if quick else BenchPlan.full()
    try:
        results = run_bench(settings, nli_data=nli_data, plan=plan, sections=sections)
    except (BenchError, DatasetError, *USER_ERRORS) as exc:
        raise click.ClickException(str(exc)) from None
    report = format_report(results)
    click.echo("")
    click.echo(report, nl=False)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.txt").write_text(report, encoding="utf-8")
        if as_json:
            (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"written to {out}")
