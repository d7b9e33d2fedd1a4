"""Claims: the sentences of an article that state something, with offsets and speakers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pysbd


@dataclass(frozen=True)
class Claim:
    """One sentence of an article.

    ``start``/``end`` are character offsets into the article's original text, so
    ``article.text[start:end] == text``. ``context`` is the whole quotation when the claim
    is one sentence of a quotation of several (see :func:`split_quotation`): a sentence such
    as "We have channels opened for sharing information." says with whom only there.
    """

    article_id: str
    index: int
    text: str
    start: int
    end: int
    speaker: str | None = None
    context: str | None = None


#: Bump whenever :func:`extract_claims` would return different claims for the same text:
#: stores built by an older version re-extract their articles when opened.
CLAIMS_VERSION = 2


# Whole-sentence boilerplate, matched against the stripped sentence.
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^advertisement\.?$",
        r"^(image|photo|picture|video)\s*(credit)?\s*:",
        r"^\(?(photo|image)\s+(by|credit|courtesy)\b",
        r"©|\bcopyright\b|\ball rights reserved\b",
        r"^leave a (reply|comment)\.?$",
        r"^your email address will not be published",
        r"^(published|updated|last updated|first published)\b.*\d",
        r"^(reported|written|edited)\s+by\b",
        r"^by\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}$",
        r"^(read more|also read|related|share this|follow us)\b",
    )
]

_ATTRIBUTION_VERBS = (
    r"said|says|stated|states|added|adds|told|wrote|writes|announced|asserted|claimed|"
    r"pointed out|denied|confirmed|insisted|argued|noted|explained|warned|reported"
)
# Words that may make up a speaker phrase besides capitalised names.
_SPEAKER_WORDS = (
    r"the|a|an|its|their|and|of|for|spokes\w*|officials?|sources?|report|envoy|diplomats?|"
    r"ministers?|ministry|press|secretary|newspaper|government|embassy|group|authors?|president"
)
_NAME = r"[A-Z][\w.'’-]*"
_SPEAKER = rf"(?:(?:{_NAME}|{_SPEAKER_WORDS})\s+){{0,6}}(?:{_NAME}|{_SPEAKER_WORDS})"

_SPEAKER_PATTERNS = [
    # "..., said Dmitry Peskov, the press secretary" / '," said the Russian diplomat using ...'
    re.compile(rf"[,\"”]\s*(?:{_ATTRIBUTION_VERBS})\s+(?P<speaker>{_SPEAKER})"),
    # "According to Gohel and Bailey, ..."
    re.compile(r"\b[Aa]ccording to (?P<speaker>(?:[\w.’'-]+\s+){0,5}[\w.’'-]+)"),
    # "Zabihullah Mujahid, a spokesman for the Taliban, denied ..."
    re.compile(
        rf"(?P<speaker>{_NAME}(?:\s+{_NAME})+),\s+(?:a|an|the)\s[^,]{{3,60}},\s+(?:{_ATTRIBUTION_VERBS})\b"
    ),
    # "Kabulov said", "a Taliban spokesperson said", "the Russian Embassy in Washington wrote"
    re.compile(rf"(?P<speaker>{_SPEAKER})\s+(?:in\s+{_NAME}\s+)?(?:{_ATTRIBUTION_VERBS})\b"),
]
_ROLE_NOUNS = (
    r"spokes|official|envoy|diplomat|minister|secretary|source|bank|agency|police|court|"
    r"ministry|department|council|office|committee|government|embassy|army|military"
)
_SPEAKER_STOP = re.compile(r"\s+(?:using|who|which|in|on|at|to|that|while|as)\b.*$")
_LEADING_FILLER = re.compile(r"^(?:and|but|meanwhile|however|previously|earlier)\s+", re.IGNORECASE)
_NOT_SPEAKERS = {"it", "he", "she", "they", "we", "this", "that", "there", "report", "the report"}


def find_speaker(sentence: str) -> str | None:
    """The party a sentence attributes its content to, if it names one.

    >>> find_speaker("It has not been made aware, said Dmitry Peskov, the press secretary.")
    'Dmitry Peskov'
    """
    for pattern in _SPEAKER_PATTERNS:
        for match in pattern.finditer(sentence):
            speaker = _SPEAKER_STOP.sub("", match.group("speaker")).strip(" ,.\"“”'")
            speaker = _LEADING_FILLER.sub("", speaker)
            words = speaker.split()
            # A speaker phrase names someone: it needs a capitalised word or a role noun.
            if not words or speaker.lower() in _NOT_SPEAKERS:
                continue
            if not any(w[0].isupper() for w in words) and not re.search(_ROLE_NOUNS, speaker):
                continue
            return speaker
    return None


def is_boilerplate(sentence: str) -> bool:
    """Whether a sentence is page furniture rather than a claim (ads, credits, datelines...)."""
    text = sentence.strip()
    if any(p.search(text) for p in _BOILERPLATE):
        return True
    # Questions and one- or two-word fragments state nothing that can be checked.
    return text.endswith("?") or len(text.split()) < 3


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str) -> Iterator[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, whitespace trimmed.

    Lines are split first, since plain-text articles put headlines, subheads and credits on
    lines of their own without final punctuation; pysbd then splits each line.
    """
    for line in re.finditer(r"[^\n]+", text):
        line_text = line.group()
        if not line_text.strip():
            continue
        for span in _segmenter().segment(line_text):
            raw = line_text[span.start : span.end]
            left = len(raw) - len(raw.lstrip())
            right = len(raw.rstrip())
            if right > left:
                yield line.start() + span.start + left, line.start() + span.start + right


# An opening quotation mark, the quoted words, and the closing mark (or the end of the
# sentence: a quotation that runs on into the next paragraph is left open).
_QUOTATION = re.compile(r"[\"“](?P<inner>[^\"“”]+)(?:[\"”]|$)")


def split_quotation(sentence: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of ``sentence`` with a quotation of several sentences split at
    its sentence boundaries; ``[(0, len(sentence))]`` when there is nothing to split.

    pysbd keeps a quotation together, so '"We have channels. They don't recognise Isil,"
    said the diplomat.' is one segment holding two claims. Each inner sentence becomes a span
    of its own; the last one keeps the closing mark and the attribution after it, and a
    first span loses the opening mark it would otherwise leave unmatched.
    """
    cuts: list[int] = []
    for match in _QUOTATION.finditer(sentence):
        inner = match.group("inner")
        offset = match.start("inner")
        for span in _segmenter().segment(inner)[1:]:
            lead = len(inner[span.start : span.end]) - len(inner[span.start : span.end].lstrip())
            cuts.append(offset + span.start + lead)
    if not cuts:
        return [(0, len(sentence))]
    spans = []
    for start, end in zip([0, *cuts], [*cuts, len(sentence)]):
        part = sentence[start:end]
        left, right = len(part) - len(part.lstrip()), len(part.rstrip())
        if part[left:right][:1] in '"“' and not re.search('["”]', part[left + 1 : right]):
            left += 1
            left += len(part[left:right]) - len(part[left:right].lstrip())
        if right > left:
            spans.append((start + left, start + right))
    return spans


def extract_claims(article_id: str, text: str) -> list[Claim]:
    """Split an article into claims, dropping boilerplate and repeated sentences (such as a
    headline printed twice).

    A quotation of several sentences gives one claim per sentence, each attributed to the
    speaker of the whole quotation.
    """
    claims: list[Claim] = []
    seen: set[str] = set()
    for seg_start, seg_end in split_sentences(text):
        segment = text[seg_start:seg_end]
        speaker = find_speaker(segment)
        spans = split_quotation(segment)
        context = segment if len(spans) > 1 else None
        for start, end in spans:
            sentence = segment[start:end]
            key = " ".join(sentence.split()).lower()
            if key in seen or is_boilerplate(sentence):
                continue
            seen.add(key)
            claims.append(
                Claim(
                    article_id=article_id,
                    index=len(claims),
                    text=sentence,
                    start=seg_start + start,
                    end=seg_start + end,
                    speaker=speaker,
                    context=context,
                )
            )
    return claims
