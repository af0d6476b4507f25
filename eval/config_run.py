"""One configuration's run over a question set: every question answered through the engine (or, for the LlamaIndex
baseline, retrieved for) and scored.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.configs import EvalConfig
from eval.metrics import aggregate, score_record
from eval.progress import Tracker
from eval.questions import Question
from rag.embedders import Embedder
from rag.errors import ReportQAError
from rag.settings import Settings

# Metrics of composed answers; a retrieval-only configuration (the LlamaIndex baseline) has none of them.
ANSWER_METRICS = (
    "answer_keyword",
    "citation_precision",
    "citation_recall",
    "citation_has_evidence",
    "false_refusal",
    "answered",
    "refusal_accuracy",
    "items_named",
    "items_belong",
    "entities_covered",
)


@dataclass
class ConfigRun:
    """One configuration's answers over the question set, scored."""

    config: EvalConfig
    records: list[dict[str, Any]]
    metrics: dict[str, Any]
    seconds: float
    chunks: int | None = None
    avg_chunk_chars: float | None = None
    build_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def overall(self) -> dict[str, Any]:
        """Overall metrics plus the index facts the side-by-side table shows."""
        row = dict(self.metrics["overall"])
        if self.chunks is not None:
            row["chunks"] = self.chunks
        if self.avg_chunk_chars is not None:
            row["avg_chunk_chars"] = round(self.avg_chunk_chars, 1)
        if self.build_seconds is not None:
            row["index_build_s"] = round(self.build_seconds, 2)
        row["run_s"] = round(self.seconds, 1)
        row["answers"] = self.config.answers
        return row


def run_config(
    config: EvalConfig,
    settings: Settings,
    questions: Sequence[Question],
    mode: str,
    embedder: Embedder,
    tracker: Tracker | None = None,
) -> ConfigRun:
    """Answer (or for the baseline, retrieve for) every question under one configuration and score the results."""
    started = time.perf_counter()
    if config.kind == "baseline":
        run = _run_baseline(config, settings, questions, embedder, tracker)
    else:
        run = _run_engine(config, settings, questions, mode, embedder, tracker)
    run.seconds = time.perf_counter() - started
    return run


def _run_engine(
    config: EvalConfig,
    settings: Settings,
    questions: Sequence[Question],
    mode: str,
    embedder: Embedder,
    tracker: Tracker | None,
) -> ConfigRun:
    from rag.engine import Engine

    engine = Engine.from_settings(config.settings(settings), embedder=embedder)
    # One unscored question first: lazy loads (jieba's dictionary, mmap'd BM25 arrays) are not a query's latency.
    engine.ask(questions[0].question, mode=mode)
    records = []
    for question in questions:
        if tracker:
            tracker.label(f"{config.name}: {question.id}")
        record = {"id": question.id, **engine.ask(question.question, mode=mode).to_record()}
        records.append(_with_scores(record, question, config, score_record(question, record)))
        if tracker:
            tracker.advance()
    texts = _collection_texts(engine.store.collection)
    return ConfigRun(
        config,
        records,
        aggregate(list(questions), [r["scores"] for r in records]),
        seconds=0.0,
        chunks=len(texts),
        avg_chunk_chars=statistics.fmean(len(t) for t in texts) if texts else None,
    )


def _run_baseline(
    config: EvalConfig,
    settings: Settings,
    questions: Sequence[Question],
    embedder: Embedder,
    tracker: Tracker | None,
) -> ConfigRun:
    from eval.baseline import LlamaIndexBaseline

    if not settings.corpus_dir.is_dir():
        raise ReportQAError(
            f"the LlamaIndex baseline reads the corpus folder, and there is none at {settings.corpus_dir}"
        )
    if tracker:
        tracker.label(f"{config.name}: building its index")
    with tempfile.TemporaryDirectory(prefix="reportqa-baseline-", ignore_cleanup_errors=True) as tmp:
        build_started = time.perf_counter()
        baseline = LlamaIndexBaseline.build(settings.corpus_dir, embedder, Path(tmp) / "chroma")
        build_seconds = time.perf_counter() - build_started
        baseline.ask(questions[0].question)
        records, scores = [], []
        for question in questions:
            if tracker:
                tracker.label(f"{config.name}: {question.id}")
            record = {"id": question.id, **baseline.ask(question.question)}
            scores.append(score_record(question, record))
            records.append(_with_scores(record, question, config, scores[-1]))
            if tracker:
                tracker.advance()
        texts = baseline.chunk_texts()
    return ConfigRun(
        config,
        records,
        retrieval_only(aggregate(list(questions), scores)),
        seconds=0.0,
        chunks=len(texts),
        avg_chunk_chars=statistics.fmean(len(t) for t in texts) if texts else None,
        build_seconds=build_seconds,
    )


def _with_scores(
    record: dict[str, Any], question: Question, config: EvalConfig, scores: dict[str, Any]
) -> dict[str, Any]:
    if not config.answers:
        scores = {k: v for k, v in scores.items() if k not in ANSWER_METRICS and k != "refusal_correct"}
    return {**record, "type": question.type, "config": config.name, "scores": scores}


def retrieval_only(metrics: dict[str, Any]) -> dict[str, Any]:
    """Aggregated metrics without the answer, citation and refusal ones (for a configuration that has no answerer)."""

    def strip(block: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in block.items() if k not in ANSWER_METRICS}

    return {
        name: strip(block) if name == "overall" else {group: strip(b) for group, b in block.items()}
        for name, block in metrics.items()
    }


def _collection_texts(collection) -> list[str]:
    return [text or "" for text in collection.get(include=["documents"])["documents"]]
