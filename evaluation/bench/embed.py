"""Embedding throughput: sentences per second of the service's embedder."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from evaluation.bench.plan import Echo


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
