"""Growing corpora: synthetic corpora of N times the seed corpus, each ingested article by
article through the service API (:meth:`~service.checks.CheckService.ingest`), then swept
for contradictions. Reports how ingest time and sweep time grow with the corpus."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.bench.data import synthetic_corpus
from evaluation.bench.machine import ForeignCpu, own_cpu_s
from evaluation.bench.plan import Echo
from service.container import Services


class CountingScorer:
    """Wraps a pair scorer; counts the pairs it is given and the seconds it spends."""

    def __init__(self, scorer: Callable[..., np.ndarray], progress: bool = True) -> None:
        self.scorer = scorer
        self.progress = progress
        self.pairs = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # this process's CPU time: less sensitive to other load

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        start, cpu = time.perf_counter(), own_cpu_s()
        out = self.scorer(pairs, show_progress_bar=self.progress and len(pairs) > 256)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += own_cpu_s() - cpu
        self.pairs += len(pairs)
        return out


def _ratio(b: float, a: float) -> float | None:
    return round(b / a, 2) if a else None


def bench_corpus(
    services: Services, multipliers: Sequence[int], echo: Echo, *, sweep: bool = True
) -> dict[str, Any]:
    """For each size in ``multipliers``: a fresh corpus in a temporary folder (same models,
    no cache), its articles added one by one through the service API, then, with
    ``sweep``, the corpus-wide contradiction sweep.

    :returns: ``ingest`` rows (articles, claims, seconds, ms per article for the first and
        last tenth of the articles) with the growth from the second-largest to the largest
        size (``ingest_growth_vs_linear``: the time ratio over the article ratio; 1.0 is
        linear); with ``sweep``, ``sweep`` rows and their growth likewise.
    """
    settings = services.settings
    params_k = settings.top_k
    ingest_rows, sweep_rows = [], []
    with ForeignCpu() as contention:
        for multiplier in multipliers:
            articles = synthetic_corpus(settings.seeds_dir, multiplier)
            scorer = CountingScorer(services.nli.predict_pairs)
            with tempfile.TemporaryDirectory(prefix="factcheck-bench-corpus-") as tmp:
                fresh = settings.model_copy(update={"data_dir": Path(tmp)})
                with services.sharing_models(
                    fresh, scorer=scorer, use_cache=False, seed_if_empty=False
                ) as corpus:
                    checks = corpus.checks
                    seconds = []
                    for article in articles:
                        start = time.perf_counter()
                        checks.ingest([article])
                        seconds.append(time.perf_counter() - start)
                    tenth = max(len(seconds) // 10, 1)
                    info = checks.corpus_info()
                    ingest_rows.append(
                        {
                            "multiplier": multiplier,
                            "articles": info.articles,
                            "claims": info.claims,
                            "ingest_s": round(sum(seconds), 2),
                            "ingest_ms_per_article": round(1000 * sum(seconds) / len(seconds), 1),
                            "ingest_ms_first_tenth": round(1000 * np.mean(seconds[:tenth]), 1),
                            "ingest_ms_last_tenth": round(1000 * np.mean(seconds[-tenth:]), 1),
                        }
                    )
                    echo(
                        f"ingest {multiplier}×: {info.articles} articles one by one in "
                        f"{ingest_rows[-1]['ingest_s']} s"
                    )
                    if sweep:
                        sweep_rows.append(_sweep(corpus, multiplier, scorer, params_k, echo))
    result: dict[str, Any] = {"ingest": ingest_rows, "ingest_other_cpu_share": contention.share}
    if len(ingest_rows) >= 2:
        a, b = ingest_rows[-2], ingest_rows[-1]
        n_ratio = b["articles"] / a["articles"]
        time_ratio = b["ingest_s"] / a["ingest_s"] if a["ingest_s"] else float("inf")
        result.update(
            ingest_n_ratio=round(n_ratio, 2),
            ingest_time_ratio=round(time_ratio, 2),
            ingest_growth_vs_linear=round(time_ratio / n_ratio, 2),
        )
    if sweep:
        result.update(_sweep_summary(sweep_rows, contention.share))
    return result


def _sweep(
    corpus: Services, multiplier: int, scorer: CountingScorer, k: int, echo: Echo
) -> dict[str, Any]:
    engine = corpus.engine
    start = time.perf_counter()
    pairs, _groups = engine.candidate_pairs()
    candidates_s = time.perf_counter() - start
    start = time.perf_counter()
    found = engine.contradictions()
    sweep_s = time.perf_counter() - start
    n = engine.claim_count
    row = {
        "multiplier": multiplier,
        "claims": n,
        "k": k,
        "candidate_pairs": len(pairs),
        "pair_bound": n * k,
        "nli_pairs_scored": scorer.pairs,
        "candidates_s": round(candidates_s, 3),
        "nli_s": round(scorer.seconds, 2),
        "nli_cpu_s": round(scorer.cpu_seconds, 2),
        "sweep_s": round(sweep_s, 2),
        "contradictions": len(found),
    }
    echo(
        f"sweep {multiplier}×: {n} claims, {len(pairs)} candidate pairs "
        f"(bound {n * k}), {scorer.pairs} NLI pairs in {row['nli_s']} s"
    )
    return row


def _sweep_summary(rows: list[dict[str, Any]], other_cpu_share: float | None) -> dict[str, Any]:
    result: dict[str, Any] = {"sweep": rows, "sweep_other_cpu_share": other_cpu_share}
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        n_ratio = b["claims"] / a["claims"]
        time_ratio = b["sweep_s"] / a["sweep_s"] if a["sweep_s"] else float("inf")
        result.update(
            sweep_n_ratio=round(n_ratio, 2),
            sweep_time_ratio=round(time_ratio, 2),
            sweep_nli_time_ratio=_ratio(b["nli_s"], a["nli_s"]),
            sweep_nli_cpu_ratio=_ratio(b["nli_cpu_s"], a["nli_cpu_s"]),
            sweep_pairs_ratio=round(b["nli_pairs_scored"] / max(a["nli_pairs_scored"], 1), 2),
            sweep_within_bound=all(r["candidate_pairs"] <= r["pair_bound"] for r in rows),
            sweep_at_most_linear=time_ratio <= n_ratio,
        )
    return result
