"""Natural-language inference with a sequence-classification cross-encoder.

Any Hugging Face NLI checkpoint works (a local directory or a hub id). Checkpoints
disagree on the order of their labels, so the order is read from ``config.id2label``
by name, never assumed from position.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from models.checkpoints import read_temperature
from models.labels import LABEL_ALIASES, NLI_LABELS

logger = logging.getLogger(__name__)

#: Pairs tokenised and length-sorted together: big enough that batches pad little, small
#: enough that the token lists of a corpus-wide sweep never sit in memory all at once.
_SORT_CHUNK = 4096

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
        name = LABEL_ALIASES.get(str(raw_name).strip().lower())
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

    The constructor is cheap; :meth:`load` (idempotent) reads the weights, and with
    ``backend="onnx"`` builds the int8 ONNX graph the first time (seconds; cached under
    ``onnx_cache_dir``, see :mod:`models.onnx_nli`).

    :param model_name_or_path: local checkpoint directory or hub id; ``None`` means the
        shipped checkpoint.
    :param device: torch device; ``None`` picks CUDA when available, else CPU. The ONNX
        backend runs on CPU only.
    :param batch_size: pairs per forward pass.
    :param max_length: tokens per pair; longer pairs are truncated (longest side first).
    :param backend: ``"torch"`` (the checkpoint as it is, float32) or ``"onnx"`` (fused,
        int8-quantised ONNX Runtime graph: the fast path on CPU).
    :param onnx_cache_dir: where the ONNX graphs are cached; ``None`` means
        ``~/.cache/factcheck/onnx``.
    :param num_threads: ONNX backend: batches scored side by side, each on one ONNX Runtime
        thread; ``None`` means the CPUs this process may use.
    :raises ValueError: unknown ``backend``.
    """

    BACKENDS = ("torch", "onnx")

    def __init__(
        self,
        model_name_or_path: str | None = None,
        device: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        backend: str = "torch",
        onnx_cache_dir: str | Path | None = None,
        num_threads: int | None = None,
    ) -> None:
        if backend not in self.BACKENDS:
            raise ValueError(f"unknown NLI backend {backend!r}; choose one of {self.BACKENDS}")
        self.model_name_or_path = model_name_or_path or default_nli_path()
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.backend = backend
        self.onnx_cache_dir = Path(onnx_cache_dir) if onnx_cache_dir is not None else None
        self.num_threads = num_threads
        self._model = None
        self._session = None
        self._pool: ThreadPoolExecutor | None = None
        self._workers = 1
        self._input_names: list[str] = []
        self._tokenizer = None
        self._tokenizer_lock = threading.Lock()
        self._label_ids: tuple[int, int, int] | None = None
        self.temperature = 1.0

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
        if self._model is not None or self._session is not None:
            return self
        from transformers import AutoConfig, AutoTokenizer

        path = Path(self.model_name_or_path)
        if self.model_name_or_path == default_nli_path() and not (path / "config.json").exists():
            raise FileNotFoundError(
                f"the shipped NLI checkpoint is missing from {path}; reinstall factcheck "
                "or set FACTCHECK_NLI_MODEL to a checkpoint directory or hub id"
            )
        logger.info("loading NLI model %s (%s backend)", self.model_name_or_path, self.backend)
        # Labels first: a checkpoint without NLI labels fails before any weight is read.
        config = AutoConfig.from_pretrained(self.model_name_or_path)
        label_ids = resolve_label_ids(config.id2label)
        tokenizer = AutoTokenizer.from_pretrained(self.model_name_or_path)
        if self.backend == "onnx":
            self._load_onnx()
        else:
            self._load_torch()
        self._tokenizer, self._label_ids = tokenizer, label_ids
        self.temperature = read_temperature(path)
        return self

    def _load_torch(self) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        # fp16 checkpoints are stored that way to stay small; CPU inference runs in fp32.
        model = AutoModelForSequenceClassification.from_pretrained(
            self.model_name_or_path, dtype=torch.float32
        )
        if self.device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        model.to(self.device)
        model.eval()
        self._model = model

    def _load_onnx(self) -> None:
        from models.onnx_nli import available_cpus, make_session, onnx_model_path

        if self.device not in (None, "cpu"):
            raise ValueError(f"the onnx NLI backend runs on CPU, not {self.device!r}")
        self.device = "cpu"
        model_file = onnx_model_path(self.model_name_or_path, self.onnx_cache_dir)
        # Batches run side by side, one ONNX Runtime thread each: on a few cores this beats
        # splitting every operator across threads (no per-operator synchronisation).
        self._workers = self.num_threads or available_cpus()
        session = make_session(model_file, num_threads=1)
        self._input_names = [i.name for i in session.get_inputs()]
        if self._workers > 1:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="nli-onnx")
        self._session = session

    def _batch_size_for(self, n: int) -> int:
        """Pairs per batch for ``n`` pairs: ``batch_size``, or fewer so that every ONNX
        worker gets a batch when there are few pairs (one claim's evidence)."""
        if self._pool is None:
            return self.batch_size
        return max(1, min(self.batch_size, -(-n // self._workers)))

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Logits float32 ``[batch, n_labels]`` (checkpoint order) of one padded batch."""
        if self._session is not None:
            inputs = {name: feeds[name] for name in self._input_names}
            return np.asarray(self._session.run(["logits"], inputs)[0], dtype=np.float32)
        import torch

        with torch.inference_mode():
            inputs = {k: torch.from_numpy(v).to(self.device) for k, v in feeds.items()}
            return self._model(**inputs).logits.float().cpu().numpy()

    def predict_pairs(
        self, pairs: Sequence[tuple[str, str]], show_progress_bar: bool | None = None
    ) -> np.ndarray:
        """Score (premise, hypothesis) pairs.

        Identical pairs are scored once. Pairs are tokenised together and sorted by token
        count, so each batch pads only to its own longest pair.

        :returns: float32 array ``[len(pairs), 3]`` of probabilities in :data:`NLI_LABELS`
            order (entailment, neutral, contradiction); each row sums to 1. Duplicate pairs
            get identical rows.
        """
        from tqdm.auto import tqdm

        self.load()
        if len(pairs) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        unique: dict[tuple[str, str], int] = {}
        inverse = np.fromiter(
            (unique.setdefault((p, h), len(unique)) for p, h in pairs),
            dtype=np.int64,
            count=len(pairs),
        )
        texts = list(unique)
        if show_progress_bar is None:
            show_progress_bar = logger.getEffectiveLevel() <= logging.INFO and len(texts) > 256
        pad_id = self._tokenizer.pad_token_id or 0
        columns = list(self.label_ids)
        probs = np.empty((len(texts), 3), dtype=np.float32)
        chunks = range(0, len(texts), _SORT_CHUNK)
        sizes = [self._batch_size_for(min(_SORT_CHUNK, len(texts) - c)) for c in chunks]
        total = sum(-(-min(_SORT_CHUNK, len(texts) - c) // b) for c, b in zip(chunks, sizes))
        with tqdm(total=total, desc="NLI batches", disable=not show_progress_bar) as bar:
            for chunk, batch_size in zip(chunks, sizes):
                part = texts[chunk : chunk + _SORT_CHUNK]
                with self._tokenizer_lock:  # fast tokenizers are not safe to share by threads
                    encoded = self._tokenizer(
                        [p for p, _ in part],
                        [h for _, h in part],
                        truncation="longest_first",
                        max_length=self.max_length,
                        return_attention_mask=False,
                    )
                ids = encoded["input_ids"]
                type_ids = encoded.get("token_type_ids")
                lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
                order = np.argsort(lengths, kind="stable")
                batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]

                def score(idx: np.ndarray, ids=ids, type_ids=type_ids, lengths=lengths):
                    feeds = _pad_right(ids, type_ids, idx, int(lengths[idx].max()), pad_id)
                    return idx, _softmax(self._forward(feeds) / self.temperature)[:, columns]

                runner = self._pool.map if self._pool is not None else map
                for idx, batch_probs in runner(score, batches):
                    probs[chunk + idx] = batch_probs
                    bar.update()
        return probs[inverse]

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Like :meth:`predict_pairs`, one ``{"entailment": p, "neutral": p, "contradiction": p}``
        dict per pair."""
        return [dict(zip(NLI_LABELS, map(float, row))) for row in self.predict_pairs(pairs)]


def _pad_right(
    ids: Sequence[Sequence[int]],
    type_ids: Sequence[Sequence[int]] | None,
    idx: np.ndarray,
    length: int,
    pad_id: int,
) -> dict[str, np.ndarray]:
    """int64 ``[len(idx), length]`` inputs of the pairs ``idx``, padded on the right (the
    fused ONNX attention derives sequence lengths from a right-padded mask)."""
    input_ids = np.full((len(idx), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(idx), length), dtype=np.int64)
    types = np.zeros((len(idx), length), dtype=np.int64)
    for row, i in enumerate(idx):
        n = len(ids[i])
        input_ids[row, :n] = ids[i]
        mask[row, :n] = 1
        if type_ids is not None:
            types[row, :n] = type_ids[i]
    feeds = {"input_ids": input_ids, "attention_mask": mask}
    if type_ids is not None:
        feeds["token_type_ids"] = types
    return feeds


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
