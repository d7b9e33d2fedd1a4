"""PairCache: an NLI pair scorer that remembers its answers in Redis, and the model version
that keys them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from service.scoring import ScoringGate
from service.store.redis_cache import KEY_PREFIX, CacheObserver, RedisCache

#: Pairs scored per turn in the scoring pool: a long request (a 200,000-character draft)
#: gives way to others between chunks instead of holding the model for a minute.
CHUNK_PAIRS = 64


def checkpoint_fingerprint(name_or_path: str) -> str:
    """A version string of a model: ``<name>@<12 hex digits>``.

    The digits are the checkpoint's content digest (:func:`models.onnx_nli.checkpoint_digest`:
    config, calibration and weights, the one checkpoint hash of the project), so retraining
    or recalibrating a checkpoint in place gives a new version (and new cache keys). A hub id
    that is not a local directory, or a folder without weights, is returned as is.
    """
    from models.onnx_nli import checkpoint_digest  # imports torch: only when asked

    path = Path(name_or_path)
    if not path.is_dir():
        return name_or_path
    try:
        return f"{path.name}@{checkpoint_digest(path)[:12]}"
    except FileNotFoundError:
        return name_or_path


def _pair_key(model_version: str, premise: str, hypothesis: str) -> str:
    blob = "\x1f".join((model_version, premise, hypothesis)).encode("utf-8", "surrogatepass")
    return f"{KEY_PREFIX}pair:{hashlib.sha256(blob).hexdigest()}"


class PairCache:
    """A pair scorer (``pairs -> float32 [n, 3]`` in NLI_LABELS order) that remembers its
    answers in Redis: one MGET per batch, only the misses (each distinct pair once) go to
    ``scorer``, and they are written back in one pipeline.

    Calls to ``scorer`` go through ``gate`` (a bounded pool, one model call at a time by
    default, since a model's tokenizer is not safe to share between threads), in chunks of
    :data:`CHUNK_PAIRS`. With ``cache=None`` or Redis down, every pair goes to the model.

    :param scorer: e.g. ``NliModel.predict_pairs``.
    :param model_version: part of every key, e.g. :func:`checkpoint_fingerprint` of the model.
    """

    def __init__(
        self,
        scorer,
        cache: RedisCache | None,
        *,
        model_version: str,
        observer: CacheObserver | None = None,
        gate: ScoringGate | None = None,
    ) -> None:
        self.scorer = scorer
        self.cache = cache
        self.model_version = model_version
        self.observer = observer if observer is not None else getattr(cache, "observer", None)
        self.gate = gate or ScoringGate(1, max_waiting=1_000_000, wait_timeout_s=86_400.0)

    def __call__(self, pairs: Sequence[tuple[str, str]], *, background: bool = False) -> np.ndarray:
        """Probabilities of ``pairs``; ``background``: give way to requests (the sweep).

        :raises Overloaded: the scoring pool's queue is full (requests only).
        """
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not len(pairs):
            return out
        keys = [_pair_key(self.model_version, p, h) for p, h in pairs]
        unique = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        values = self.cache.get_many(unique) if self.cache is not None else None
        for key, raw in zip(unique, values or []):
            if raw is not None and len(raw) == 12:
                found[key] = np.frombuffer(raw, dtype=np.float32)
        missing = [k for k in unique if k not in found]
        if missing:
            first = {}
            for key, pair in zip(keys, pairs):
                first.setdefault(key, pair)
            for start in range(0, len(missing), CHUNK_PAIRS):
                chunk = missing[start : start + CHUNK_PAIRS]
                with self.gate.slot(background=background):
                    probs = np.asarray(self.scorer([first[k] for k in chunk]), dtype=np.float32)
                for key, row in zip(chunk, probs):
                    found[key] = row
            if self.cache is not None:
                self.cache.set_many({k: found[k].tobytes() for k in missing})
        if self.observer is not None:
            self.observer.cache_lookup("pair", len(unique) - len(missing), len(missing))
            if missing:
                self.observer.pairs_scored(len(missing))
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out
