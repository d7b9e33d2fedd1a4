"""The data a bench run measures on: distinct labelled pairs, pairs and claims generated
from the seed sentences, and synthetic corpora of N times the seed corpus."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from evaluation.bench.plan import CLAIMS
from evaluation.datasets import NliExample, read_claims
from service.articles import Article, make_article, read_articles
from service.claims import extract_claims


def distinct_pairs(
    examples: Sequence[NliExample], limit: int | None = None
) -> list[tuple[str, str, str]]:
    """Distinct (premise, hypothesis, label) triples, in file order: throughput is measured
    on pairs that are never repeated."""
    seen: set[tuple[str, str]] = set()
    out = []
    for ex in examples:
        if (ex.premise, ex.hypothesis) in seen:
            continue
        seen.add((ex.premise, ex.hypothesis))
        out.append((ex.premise, ex.hypothesis, ex.label))
        if limit is not None and len(out) >= limit:
            break
    return out


def seed_sentences(seeds_dir: Path) -> list[str]:

    return [c.text for a in read_articles([seeds_dir]) for c in extract_claims(a.id, a.text)]


def generated_pairs(sentences: Sequence[str], n: int, seed: int = 13) -> list[tuple[str, str]]:
    """``n`` distinct (a, b) pairs of different sentences, and perturbed variants of them
    when the sentences alone do not give ``n`` pairs."""
    rng = random.Random(seed)
    names = name_pool(sentences)
    pairs: dict[tuple[str, str], None] = {}
    attempts = 0
    while len(pairs) < n and attempts < 50 * n:
        attempts += 1
        a, b = rng.sample(list(sentences), 2)
        if attempts > len(sentences) ** 2:
            b = perturb_sentence(b, rng, names)
        pairs.setdefault((a, b))
    return list(pairs)


_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_CAPITALISED = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b")
_OPENERS = (
    "According to officials, ",
    "Reports say that ",
    "On Tuesday, ",
    "Separately, ",
    "Sources said that ",
    "Earlier this week, ",
)


def name_pool(sentences: Sequence[str]) -> list[str]:
    """Capitalised words found inside the sentences (names, places), most frequent first."""
    counts: dict[str, int] = {}
    for sentence in sentences:
        for name in _CAPITALISED.findall(sentence):
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda k: -counts[k])[:60] or ["Smith"]


def perturb_sentence(sentence: str, rng: random.Random, names: Sequence[str]) -> str:
    """A variant of ``sentence``: other numbers, some names swapped, sometimes an opener or
    its two halves around a comma swapped."""

    def new_number(match: re.Match) -> str:
        width = len(re.sub(r"\D", "", match.group()))
        return str(
            rng.randint(10 ** (width - 1), 10**width - 1) if width > 1 else rng.randint(2, 9)
        )

    out = _NUMBER.sub(new_number, sentence)
    out = _CAPITALISED.sub(lambda m: rng.choice(names) if rng.random() < 0.5 else m.group(), out)
    if "," in out and rng.random() < 0.3:
        head, tail = out.rstrip(".").split(",", 1)
        if tail.strip():
            out = f"{tail.strip()[0].upper()}{tail.strip()[1:]}, {head[0].lower()}{head[1:]}."
    if rng.random() < 0.4:
        out = rng.choice(_OPENERS) + out[0].lower() + out[1:]
    return out


def synthetic_corpus(seeds_dir: Path, multiplier: int, seed: int = 13) -> list[Article]:
    """``multiplier`` × the seed articles: the seeds themselves, then perturbed copies
    (every sentence perturbed), each a new article with its own content-hash id."""
    seeds = read_articles([seeds_dir])
    sentences = {a.id: [c.text for c in extract_claims(a.id, a.text)] for a in seeds}
    names = name_pool([s for texts in sentences.values() for s in texts])
    rng = random.Random(seed)
    articles, ids = list(seeds), {a.id for a in seeds}
    for copy in range(1, multiplier):
        for seed_article in seeds:
            text = " ".join(perturb_sentence(s, rng, names) for s in sentences[seed_article.id])
            article = make_article(
                text, title=f"{seed_article.title or seed_article.source} (variant {copy})"
            )
            if article.id not in ids:
                ids.add(article.id)
                articles.append(article)
    return articles


def cold_claims(seeds_dir: Path, n: int) -> list[str]:
    """``n`` distinct claims: the project's test claims, then perturbed seed sentences."""
    claims = [case.claim for case in read_claims(CLAIMS)] if CLAIMS.exists() else []
    if len(claims) < n:
        rng = random.Random(7)
        sentences = seed_sentences(seeds_dir)
        names = name_pool(sentences)
        while len(claims) < n:
            claims.append(perturb_sentence(rng.choice(sentences), rng, names))
    return list(dict.fromkeys(claims))[:n]
