"""Token budgets: what the service does with a text the NLI model would cut.

The model cuts a pair longer than it reads without a word of warning, and a claim cut that
way is answered as some other claim. So a claim (a hypothesis) longer than its budget is
refused, naming the limit (:class:`TokenBudget`), and a long sentence of a draft or a
document is read in pieces that fit (:meth:`models.tokens.TokenCounter.windows`).
"""

from __future__ import annotations

from models.tokens import TokenCounter
from service.errors import TokenLimit


class TokenBudget(TokenCounter):
    """A :class:`~models.tokens.TokenCounter` that refuses texts over a budget with a
    :class:`~service.errors.TokenLimit` naming the limit and the setting that sets it."""

    def require(
        self,
        text: str,
        what: str,
        limit: int,
        setting: str,
        *,
        field: tuple[str | int, ...] | None = None,
    ) -> int:
        """``text``'s token count, if it is at most ``limit``.

        :raises TokenLimit: naming ``what``, its length, the limit and the setting.
        """
        tokens = self.count(text)
        if tokens > limit:
            raise TokenLimit(
                f"{what} is {tokens:,} tokens long; the NLI model reads at most {limit:,} "
                f"tokens of it ({setting}): shorten it or split it into several",
                field=(what,) if field is None else field,
            )
        return tokens

    def require_pairs(self, pairs: list[tuple[str, str]], field: str) -> None:
        """:raises TokenLimit: naming the first pair longer than the model reads
        (``pair_tokens``, special tokens included), at ``(field, i)``."""
        for i, tokens in enumerate(self.pair_counts(pairs)):
            if tokens > self.pair_tokens:
                raise TokenLimit(
                    f"pair {i} is {tokens:,} tokens long (premise, hypothesis and "
                    f"{self.special_tokens} special tokens); the NLI model reads at most "
                    f"{self.pair_tokens:,} tokens a pair: shorten the premise or the hypothesis",
                    field=(field, i),
                )
