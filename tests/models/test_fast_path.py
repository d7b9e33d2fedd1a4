"""The ONNX fast path (``NliModel(backend="onnx")``) against the PyTorch path: same labels
and close probabilities, the graph built once per checkpoint, duplicate pairs scored once,
labels mapped by name. Speed is proven by ``factcheck bench``, not here (its smoke tests are
in tests/evaluation/test_bench.py); the tiny checkpoints come from tests/conftest.py."""

from __future__ import annotations

import json
import os

os.environ["HF_HUB_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.nli import SHIPPED_CHECKPOINT_DIR, NliModel  # noqa: E402
from models.onnx_nli import onnx_model_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NEWS_PAIRS = ROOT / "evaluation" / "data" / "news_pairs.jsonl"

#: Varied pairs: image captions, numbers, negation, attribution, long news sentences.
HAND_PAIRS = [
    ("A man is playing a guitar on stage.", "A man is playing an instrument."),
    ("A woman is sleeping in her bed.", "A woman is running a marathon."),
    ("A man is walking down the street.", "The man is on his way to work."),
    ("Two children are swimming in a lake.", "Kids are in the water."),
    ("Nobody is in the kitchen.", "A chef is cooking in the kitchen."),
    ("The government raised taxes by 10 percent in 2019.", "Taxes went up in 2019."),
    ("The government raised taxes by 10 percent in 2019.", "Taxes fell in 2019."),
    (
        "Twenty US troops were killed in Afghanistan in 2019.",
        "Thirty US troops died there in 2019.",
    ),
    ("The embassy in Kabul was closed on Monday.", "The embassy in Kabul was open on Monday."),
    ("The minister visited the border on Tuesday.", "The minister inspected new fences."),
    (
        "Peskov said Russia was not planning to negotiate with the Taliban.",
        "The Kremlin plans talks with the Taliban.",
    ),
    ("A dog catches a frisbee in the park.", "An animal is outdoors."),
]


def news_pairs(n: int) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in NEWS_PAIRS.read_text().splitlines() if line.strip()]
    return [(r["premise"], r["hypothesis"]) for r in rows[:n]]


PAIRS = HAND_PAIRS + news_pairs(18)

#: Gap between the fp32 top two probabilities above which int8 must keep the label.
CLEAR_MARGIN = 0.5


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory) -> Path:
    """One ONNX cache for the session, so each checkpoint's graph is built once."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def shipped_both(onnx_cache: Path) -> tuple[NliModel, NliModel]:
    """The shipped checkpoint through PyTorch and through ONNX Runtime."""
    if not (SHIPPED_CHECKPOINT_DIR / "config.json").exists():
        pytest.skip("the shipped NLI checkpoint is not there yet")
    torch_model = NliModel(backend="torch").load()
    onnx_model = NliModel(backend="onnx", onnx_cache_dir=onnx_cache).load()
    return torch_model, onnx_model


# -- the shipped checkpoint ----------------------------------------------------------------


def test_fast_path_gives_the_torch_labels_and_probabilities(shipped_both) -> None:
    """Same label wherever the fp32 decision is clear; probabilities close in aggregate.

    int8 activations are quantised per tensor at run time, and how far a pair moves depends
    on the CPU's int8 kernels (AVX2 vs AVX-512 VNNI) and the ONNX Runtime build: a pair the
    model hesitates on (two labels near 0.5) can move by 0.3 and change label on one machine
    and not on another. So labels are compared only where the fp32 top label leads the
    runner-up by CLEAR_MARGIN, four times the largest drift of the shipped model here (0.12,
    AVX-512 VNNI); the accuracy cost of int8 is measured by ``factcheck bench``.
    """
    torch_model, onnx_model = shipped_both
    expected = torch_model.predict_pairs(PAIRS)
    got = onnx_model.predict_pairs(PAIRS)
    assert got.shape == (len(PAIRS), 3) and got.dtype == np.float32
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    ranked = np.sort(expected, axis=1)
    clear = (ranked[:, -1] - ranked[:, -2]) >= CLEAR_MARGIN
    assert clear.sum() >= len(PAIRS) // 3, "too few clear pairs to compare labels on"
    assert list(got[clear].argmax(axis=1)) == list(expected[clear].argmax(axis=1))
    per_pair = np.abs(got - expected).max(axis=1)
    assert float(np.abs(got - expected).mean()) <= 0.05, per_pair.round(3)
    assert float((per_pair <= 0.1).mean()) >= 0.7, per_pair.round(3)


def test_fast_path_reads_labels_from_the_config(shipped_both) -> None:
    torch_model, onnx_model = shipped_both
    assert onnx_model.label_ids == torch_model.label_ids


def test_graph_is_built_once_per_checkpoint(shipped_both, onnx_cache: Path) -> None:
    built = onnx_model_path(str(SHIPPED_CHECKPOINT_DIR), onnx_cache)
    mtime = built.stat().st_mtime_ns
    again = NliModel(backend="onnx", onnx_cache_dir=onnx_cache).load()
    assert onnx_model_path(str(SHIPPED_CHECKPOINT_DIR), onnx_cache) == built
    assert built.stat().st_mtime_ns == mtime
    assert again.predict_pairs(PAIRS[:2]).shape == (2, 3)


# -- tiny checkpoints: dedupe and label order ---------------------------------------------


def test_duplicates_are_scored_once_in_order(tiny_checkpoints, onnx_cache: Path) -> None:
    model = NliModel(str(tiny_checkpoints["canonical"]), backend="onnx", onnx_cache_dir=onnx_cache)
    model.load()
    rows_seen = []
    forward = model._forward

    def counting(feeds):
        rows_seen.append(len(feeds["input_ids"]))
        return forward(feeds)

    model._forward = counting
    a, b, c = PAIRS[0], PAIRS[1], PAIRS[2]
    out = model.predict_pairs([a, b, a, c, b, a])
    assert sum(rows_seen) == 3
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[0], out[5])
    np.testing.assert_array_equal(out[1], out[4])
    unique = model.predict_pairs([a, b, c])
    np.testing.assert_array_equal(out, unique[[0, 1, 0, 2, 1, 0]])
    assert model.predict_pairs([]).shape == (0, 3)


def test_chunked_tokenisation_keeps_rows_in_place(tiny_checkpoints, monkeypatch) -> None:
    import models.nli

    model = NliModel(str(tiny_checkpoints["canonical"]), backend="torch", batch_size=2)
    whole = model.predict_pairs(PAIRS)
    monkeypatch.setattr(models.nli, "_SORT_CHUNK", 3)
    np.testing.assert_allclose(model.predict_pairs(PAIRS), whole, atol=1e-5)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_label_order_follows_id2label(tiny_checkpoints, onnx_cache: Path, backend: str) -> None:
    canonical = NliModel(str(tiny_checkpoints["canonical"]), backend="torch")
    permuted = NliModel(
        str(tiny_checkpoints["permuted"]), backend=backend, onnx_cache_dir=onnx_cache
    )
    assert permuted.label_ids == (1, 2, 0)
    expected = canonical.predict_pairs(PAIRS)
    got = permuted.predict_pairs(PAIRS)
    # The bias makes entailment > neutral > contradiction on average: a swapped column shows.
    assert list(expected.mean(axis=0).argsort()) == [2, 1, 0]
    np.testing.assert_allclose(got, expected, atol=1e-5 if backend == "torch" else 0.05)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.9


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown NLI backend"):
        NliModel(backend="tensorrt")


def test_onnx_backend_refuses_a_gpu(tiny_checkpoints, onnx_cache: Path) -> None:
    model = NliModel(
        str(tiny_checkpoints["canonical"]), device="cuda", backend="onnx", onnx_cache_dir=onnx_cache
    )
    with pytest.raises(ValueError, match="runs on CPU"):
        model.load()
