"""Natural-language inference with a sequence-classification cross-encoder.

Any Hugging Face NLI checkpoint works (a local directory or a hub id). Checkpoints
disagree on the order of their labels, so the order is read from ``config.id2label``
by name, never assumed from position.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

#: Column order of every probability array this module returns.
NLI_LABELS: tuple[str, str, str] = ("entailment", "neutral", "contradiction")

#: Spellings seen in public checkpoints, mapped to the canonical label.
_LABEL_ALIASES = {
    "entailment": "entailment",
    "entail": "entailment",
    "entailed": "entailment",
    "neutral": "neutral",
    "contradiction": "contradiction",
    "contradict": "contradiction",
    "contradictory": "contradiction",
}

#: Directory of the project's own checkpoint inside the installed package.
SHIPPED_CHECKPOINT_DIR = Path(__file__).resolve().parent / "nli-minilm-l6"


class LabelMappingError(ValueError):
    """A checkpoint's ``id2label`` does not name all three NLI labels."""


def default_nli_path() -> str:
    """Path of the NLI checkpoint shipped with the project (see ``models/README.md``)."""
    return str(SHIPPED_CHECKPOINT_DIR)


def resolve_label_ids(id2label: Mapping[int | str, str]) -> tuple[int, int, int]:
    """Map a checkpoint's ``id2label`` to the logit index of each of :data:`NLI_LABELS`.

    :returns: ``(entailment_id, neutral_id, contradiction_id)``.
    :raises LabelMappingError: when a label is missing or named twice; generic names such
        as ``LABEL_0`` are refused rather than guessed from position.
    """
    found: dict[str, int] = {}
    for raw_id, raw_name in id2label.items():
        name = _LABEL_ALIASES.get(str(raw_name).strip().lower())
        if name is None:
            continue
        if name in found:
            raise LabelMappingError(f"label {name!r} appears twice in id2label {dict(id2label)}")
        found[name] = int(raw_id)
    missing = [label for label in NLI_LABELS if label not in found]
    if missing:
        raise LabelMappingError(
            f"id2label {dict(id2label)} does not name {missing}; "
            "an NLI checkpoint must label its outputs entailment / neutral / contradiction"
        )
    return found["entailment"], found["neutral"], found["contradiction"]


class NliModel:
    """A three-way NLI cross-encoder.

    The constructor is cheap; :meth:`load` (idempotent) reads the weights.

    :param model_name_or_path: local checkpoint directory or hub id; ``None`` means the
        shipped checkpoint.
    :param device: torch device; ``None`` picks CUDA when available, else CPU.
    :param batch_size: pairs per forward pass.
    :param max_length: tokens per pair; longer pairs are truncated (longest side first).
    """

    def __init__(
        self,
        model_name_or_path: str | None = None,
        device: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
    ) -> None:
        self.model_name_or_path = model_name_or_path or default_nli_path()
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self._model = None
        self._tokenizer = None
        self._label_ids: tuple[int, int, int] | None = None

    @property
    def name(self) -> str:
        """A short, stable name for cache keys and responses."""
        path = Path(self.model_name_or_path)
        return path.name if path.exists() else self.model_name_or_path

    @property
    def label_ids(self) -> tuple[int, int, int]:
        """Logit index of entailment, neutral and contradiction, in that order."""
        self.load()
        assert self._label_ids is not None
        return self._label_ids

    def load(self) -> NliModel:
        if self._model is not None:
            return self
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(self.model_name_or_path)
        if self.model_name_or_path == default_nli_path() and not (path / "config.json").exists():
            raise FileNotFoundError(
                f"the shipped NLI checkpoint is missing from {path}; reinstall factcheck "
                "or set FACTCHECK_NLI_MODEL to a checkpoint directory or hub id"
            )
        logger.info("loading NLI model %s", self.model_name_or_path)
        tokenizer = AutoTokenizer.from_pretrained(self.model_name_or_path)
        # fp16 checkpoints are stored that way to stay small; CPU inference runs in fp32.
        model = AutoModelForSequenceClassification.from_pretrained(
            self.model_name_or_path, torch_dtype=torch.float32
        )
        self._label_ids = resolve_label_ids(model.config.id2label)
        if self.device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        model.to(self.device)
        model.eval()
        self._tokenizer, self._model = tokenizer, model
        return self

    def predict_pairs(
        self, pairs: Sequence[tuple[str, str]], show_progress_bar: bool | None = None
    ) -> np.ndarray:
        """Score (premise, hypothesis) pairs.

        Pairs are sorted by length so each batch pads only to its own longest pair.

        :returns: float32 array ``[len(pairs), 3]`` of probabilities in :data:`NLI_LABELS`
            order (entailment, neutral, contradiction); each row sums to 1.
        """
        import torch
        from tqdm.auto import tqdm

        self.load()
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not pairs:
            return out
        if show_progress_bar is None:
            show_progress_bar = logger.getEffectiveLevel() <= logging.INFO and len(pairs) > 256
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        columns = list(self.label_ids)
        starts = range(0, len(order), self.batch_size)
        with torch.inference_mode():
            for start in tqdm(starts, desc="NLI batches", disable=not show_progress_bar):
                idx = order[start : start + self.batch_size]
                encoded = self._tokenizer(
                    [pairs[i][0] for i in idx],
                    [pairs[i][1] for i in idx],
                    padding=True,
                    truncation="longest_first",
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                logits = self._model(**encoded).logits.float()
                probs = torch.softmax(logits, dim=-1)[:, columns].cpu().numpy()
                out[idx] = probs
        return out

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Like :meth:`predict_pairs`, one ``{"entailment": p, "neutral": p, "contradiction": p}``
        dict per pair."""
        return [dict(zip(NLI_LABELS, map(float, row))) for row in self.predict_pairs(pairs)]
