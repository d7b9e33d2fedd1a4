"""One bench run: the chosen sections in order, every figure from this one run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.bench.corpus import bench_corpus
from evaluation.bench.data import cold_claims, distinct_pairs, generated_pairs, seed_sentences
from evaluation.bench.embed import bench_embed
from evaluation.bench.http import bench_http
from evaluation.bench.machine import machine_info
from evaluation.bench.nli import bench_nli
from evaluation.bench.plan import NEWS_PAIRS, SECTIONS, BenchError, BenchPlan, Echo
from evaluation.datasets import read_pairs
from models.nli import default_nli_path
from service.container import Services


def run_bench(
    services: Services,
    *,
    nli_data: Path | None,
    plan: BenchPlan,
    sections: Sequence[str] = SECTIONS,
    echo: Echo = print,
) -> dict[str, Any]:
    """Run the chosen sections with the models of ``services`` (the NLI backend is the one
    their settings name).

    :param nli_data: folder holding ``snli_dev.jsonl``; ``None``: news pairs plus pairs
        generated from the seed sentences, and no SNLI accuracy.
    :raises BenchError: missing data.
    :raises ModelUnavailable: the NLI model cannot be loaded.
    """
    settings = services.settings
    if not NEWS_PAIRS.exists():
        raise BenchError(f"{NEWS_PAIRS}: news pairs missing")
    checkpoint = settings.nli_model or default_nli_path()
    start = time.perf_counter()
    nli = services.nli
    results: dict[str, Any] = {
        "machine": machine_info(),
        "checkpoint": checkpoint,
        "nli_backend": nli.backend,
        "nli_load_s": round(time.perf_counter() - start, 2),
        "nli_batch_size": nli.batch_size,
        "quick": plan == BenchPlan.quick(),
    }
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
            sentences = list(dict.fromkeys(s for pair in pairs for s in pair))
            results.update(bench_embed(services.embedder, sentences[: plan.embed_sentences], echo))

    if "http" in sections:
        claims = cold_claims(settings.seeds_dir, plan.cold_requests)
        onnx_cache_dir = settings.data_dir / "onnx"
        results.update(
            bench_http(settings, checkpoint, onnx_cache_dir, claims, plan.warm_repeats, 8, echo)
        )
    else:
        results["check_status"] = "not measured (section not selected)"

    if "ingest" in sections or "sweep" in sections:
        results.update(bench_corpus(services, plan.multipliers, echo, sweep="sweep" in sections))
    return results
