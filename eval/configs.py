"""The named configurations ``reportqa eval --compare`` runs side by side over the same questions.

``default`` is the product as configured; ``dense`` and ``bm25`` switch fusion off in favour of one retriever;
``baseline-llamaindex`` is the 20-line LlamaIndex pipeline of ``eval/baseline.py`` over the same corpus and embedder
(retrieval only: it has no answerer, so its answer metrics are left empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rag.errors import ReportQAError
from rag.settings import Settings


@dataclass(frozen=True)
class EvalConfig:
    """One configuration: ``engine`` ones answer through ``rag.engine.Engine``, ``baseline`` ones only retrieve."""

    name: str
    description: str
    kind: Literal["engine", "baseline"] = "engine"
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def answers(self) -> bool:
        """Whether this configuration composes answers (and so has answer, citation and refusal metrics)."""
        return self.kind == "engine"

    def settings(self, base: Settings) -> Settings:
        """The settings this configuration runs with, derived from the ones given to the evaluation."""
        return base.with_overrides(**self.overrides) if self.overrides else base


CONFIGS: dict[str, EvalConfig] = {
    config.name: config
    for config in (
        EvalConfig("default", "the product with the settings as given (by default dense + BM25 fused by rank)"),
        EvalConfig("dense", "dense vectors only (Chroma)", overrides={"retrieval": {"fusion": "dense"}}),
        EvalConfig("bm25", "BM25 over jieba tokens only", overrides={"retrieval": {"fusion": "bm25"}}),
        EvalConfig(
            "baseline-llamaindex",
            "SimpleDirectoryReader + default SentenceSplitter + VectorStoreIndex over Chroma, same embedder "
            "(retrieval only)",
            kind="baseline",
        ),
    )
}


def get_config(name: str) -> EvalConfig:
    """The configuration called ``name``.

    Raises:
        ReportQAError: no configuration has that name (the message lists the names; the CLI shows it as one line).
    """
    try:
        return CONFIGS[name]
    except KeyError:
        raise ReportQAError(f"unknown configuration: {name!r}; choose one of {', '.join(CONFIGS)}") from None
