"""The three NLI labels: the one table every package reads.

Every probability array in this project has its columns in :data:`NLI_LABELS` order, and
checkpoints the project trains write ``id2label`` = :data:`ID2LABEL`.
"""

from __future__ import annotations

from typing import Literal

NLI_LABELS: tuple[str, str, str] = ("entailment", "neutral", "contradiction")
NliLabel = Literal["entailment", "neutral", "contradiction"]
ID2LABEL: dict[int, str] = dict(enumerate(NLI_LABELS))
LABEL2ID: dict[str, int] = {label: i for i, label in ID2LABEL.items()}

#: Spellings seen in public checkpoints, mapped to the canonical label.
LABEL_ALIASES: dict[str, str] = {
    "entailment": "entailment",
    "entail": "entailment",
    "entailed": "entailment",
    "neutral": "neutral",
    "contradiction": "contradiction",
    "contradict": "contradiction",
    "contradictory": "contradiction",
}
