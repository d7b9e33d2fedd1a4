"""Texts measured the way the NLI model reads them: token counts and token-bounded pieces.

The NLI model reads a (premise, hypothesis) pair of at most ``pair_tokens`` tokens (its
``max_length``) and cuts anything longer, longest side first, without a word of warning.
:class:`TokenCounter` lets a caller see that coming: count a text's tokens with the
checkpoint's own tokenizer, or cut a long text into pieces that fit. What to do about a text
that does not fit (refuse it, read it in pieces) is the caller's policy
(:mod:`service.tokens`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A piece of a text: ``text[start:end]``, at most the budget's tokens long."""

    start: int
    end: int


class TokenCounter:
    """Counts tokens with the NLI checkpoint's tokenizer; cheap to build, the tokenizer is
    read on first use (:meth:`load`, idempotent, tens of milliseconds).

    :param model_name_or_path: the NLI checkpoint (its tokenizer files).
    :param pair_tokens: the most tokens the model reads per pair, special tokens included
        (``NliModel.max_length``).
    """

    def __init__(self, model_name_or_path: str, pair_tokens: int) -> None:
        self.model_name_or_path = model_name_or_path
        self.pair_tokens = pair_tokens
        self._tokenizer = None
        self._special = 3  # [CLS] a [SEP] b [SEP]; read from the tokenizer on load
        # Fast tokenizers are not safe to share between threads (models/nli.py, too).
        self._lock = threading.Lock()

    def load(self) -> TokenCounter:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            with self._lock:
                if self._tokenizer is None:
                    tokenizer = AutoTokenizer.from_pretrained(self.model_name_or_path)
                    self._special = tokenizer.num_special_tokens_to_add(pair=True)
                    self._tokenizer = tokenizer
        return self

    def _offsets(self, text: str) -> list[tuple[int, int]]:
        """Character offsets of each token of ``text`` (no special tokens)."""
        self.load()
        with self._lock:
            encoded = self._tokenizer(  # type: ignore[misc]
                text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
            )
        return [tuple(span) for span in encoded["offset_mapping"]]

    def count(self, text: str) -> int:
        """Tokens of ``text`` alone (no special tokens)."""
        return len(self._offsets(text))

    def counts(self, texts: list[str]) -> list[int]:
        """:meth:`count` of each text, tokenised in one batch."""
        if not texts:
            return []
        self.load()
        with self._lock:
            encoded = self._tokenizer(  # type: ignore[misc]
                texts, add_special_tokens=False, return_attention_mask=False, verbose=False
            )
        return [len(ids) for ids in encoded["input_ids"]]

    def room_beside(self, hypothesis_tokens: int) -> int:
        """Tokens left for a premise read next to a hypothesis of ``hypothesis_tokens``."""
        self.load()
        return self.pair_tokens - self._special - hypothesis_tokens

    @property
    def special_tokens(self) -> int:
        """Special tokens the model adds to a pair (``[CLS] a [SEP] b [SEP]``: 3)."""
        self.load()
        return self._special

    def pair_counts(self, pairs: list[tuple[str, str]]) -> list[int]:
        """Tokens of each (premise, hypothesis) pair as the model reads it, special tokens
        included."""
        counts = self.counts([text for pair in pairs for text in pair])
        return [counts[2 * i] + counts[2 * i + 1] + self.special_tokens for i in range(len(pairs))]

    def windows(self, text: str, max_tokens: int) -> list[Span]:
        """``text`` cut into consecutive pieces of at most ``max_tokens`` tokens each, cut
        before a word where the piece holds a word start, so that no token is left out (one
        piece, from its first token to its last, when it fits).

        Offsets are into ``text``; whitespace between two pieces belongs to neither.
        """
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        offsets = self._offsets(text)
        if not offsets:
            return []
        spans, first = [], 0
        while first < len(offsets):
            last = min(first + max_tokens, len(offsets))  # one past the piece's last token
            if last < len(offsets):
                # Cut before a token that starts a word (whitespace before it), if any.
                for cut in range(last, first, -1):
                    if offsets[cut][0] > offsets[cut - 1][1]:
                        last = cut
                        break
            spans.append(Span(offsets[first][0], offsets[last - 1][1]))
            first = last
        return spans
