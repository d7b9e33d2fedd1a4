"""What a bench run measures and how much: the sections, the sizes, the data files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from service.errors import FactcheckError
from service.settings import PROJECT_ROOT

#: What a run can measure, in the order it measures it (``--only`` picks some).
SECTIONS = ("nli", "embed", "http", "ingest", "sweep")
NEWS_PAIRS = PROJECT_ROOT / "evaluation" / "data" / "news_pairs.jsonl"
CLAIMS = PROJECT_ROOT / "evaluation" / "data" / "claims.jsonl"

Echo = Callable[[str], None]


class BenchError(FactcheckError, ValueError):
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
