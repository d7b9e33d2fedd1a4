"""NLI throughput: the naive baseline (``CrossEncoder.predict``) against the project's
:class:`~models.nli.NliModel`, timed alternately on the same distinct pairs, with the
accuracy of both so that speed is never bought silently with accuracy."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from evaluation.bench.machine import ForeignCpu
from evaluation.bench.plan import Echo
from models.labels import LABEL2ID, NLI_LABELS
from models.metrics import label_metrics
from models.nli import NliModel, resolve_label_ids


def label_scores(gold: Sequence[str], probs: np.ndarray) -> dict[str, Any]:
    """:func:`models.metrics.label_metrics` of the argmax of ``[n, 3]`` scores in
    :data:`NLI_LABELS` order against gold label names."""
    gold_ids = [LABEL2ID[label] for label in gold]
    return label_metrics(gold_ids, np.asarray(probs).argmax(axis=1), NLI_LABELS)


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
