"""Claim vectors: how a claim is embedded for retrieval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.embedder import Embedder
from service.claims import Claim


def embed_claims(embedder: Embedder, claims: Sequence[Claim]) -> np.ndarray:
    """Unit vectors ``[len(claims), dim]`` for retrieval.

    A claim split from a quotation (``claim.context``) is embedded as the normalised mean of
    its own vector and its quotation's: "We have channels opened for sharing information."
    alone says nothing of who shares with whom, so on its own vector it would not be found
    next to the rebuttal it contradicts.
    """
    vectors = embedder.embed([c.text for c in claims])
    quoted = [i for i, c in enumerate(claims) if c.context]
    if quoted:
        # the sentences of one quotation share it: embed each quotation once
        contexts = list(dict.fromkeys(claims[i].context for i in quoted))
        context_vectors = embedder.embed(contexts)
        row = {context: k for k, context in enumerate(contexts)}
        mixed = vectors[quoted] + context_vectors[[row[claims[i].context] for i in quoted]]
        vectors[quoted] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return vectors
