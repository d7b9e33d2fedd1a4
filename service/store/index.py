"""ClaimIndex: nearest-neighbour search over L2-normalised claim embeddings (usearch HNSW)."""

from __future__ import annotations

import numpy as np

# onnxruntime must be loaded before usearch: the other order segfaults when the ONNX NLI
# backend starts (seen with usearch 2.26 and onnxruntime 1.31).
import onnxruntime  # noqa: F401, I001
from usearch.index import Index

#: Below this many vectors the search is exact (brute force is cheaper than the graph).
EXACT_SEARCH_BELOW = 5_000


class ClaimIndex:
    """Inner-product (= cosine, for normalised vectors) index keyed by claim key.

    :param dim: embedding dimension.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._index = Index(ndim=dim, metric="ip", dtype="f32", connectivity=16)

    def __len__(self) -> int:
        return len(self._index)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Add ``vectors`` float32 ``[n, dim]`` under integer ``keys`` ``[n]``."""
        if len(keys):
            self._index.add(np.asarray(keys, dtype=np.uint64), np.asarray(vectors, np.float32))

    def remove(self, keys: list[int]) -> None:
        for key in keys:
            self._index.remove(int(key))

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest stored claims of each query.

        :param vectors: float32 ``[n_queries, dim]``, L2-normalised.
        :returns: ``(keys, similarities)``, each ``[n_queries, k]``; similarity is cosine in
            [-1, 1]; missing neighbours (fewer than ``k`` stored) have key -1 and similarity -inf.
        """
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        n = len(vectors)
        keys = np.full((n, k), -1, dtype=np.int64)
        sims = np.full((n, k), -np.inf, dtype=np.float32)
        if n == 0 or len(self._index) == 0 or k == 0:
            return keys, sims
        matches = self._index.search(vectors, k, exact=len(self._index) < EXACT_SEARCH_BELOW)
        # usearch answers a one-row query with Matches (1-d), several rows with BatchMatches.
        rows = [matches] if n == 1 else [matches[row] for row in range(n)]
        for row, found in enumerate(rows):
            count = len(found.keys)
            keys[row, :count] = found.keys
            sims[row, :count] = 1.0 - found.distances
        return keys, sims
