"""The evaluation run behind ``reportqa eval``: answer a question set, score it, compare configurations, gate.

    summary = run_evaluation(settings, "eval/questions/reports-dev.jsonl", Path("eval/out"), compare=["bm25"])
    summary["metrics"]["overall"]["hit@5"], summary["gate_failures"]

Every question goes through the public engine API (``Engine.ask``), so ``results.jsonl`` holds exactly what
``reportqa ask --json`` prints, plus the question id, its type and its scores. The index is brought up to date with
the corpus folder first (cheap when nothing changed), so a fresh data directory works.

A question set may have its own regression thresholds (``--write-thresholds`` writes them from a run; the run then
compares its overall metrics with those floors and the false-refusal ceiling, for that set and answer mode only).
CI's gate is ``eval.gate``: floors on the pooled development sets, with about one question of slack.
Regenerate the floors after a deliberate change with::

    python -m eval.runner eval/questions/reports-dev.jsonl --data-dir .reportqa --write-thresholds
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.configs import CONFIGS, EvalConfig, get_config
from eval.metrics import aggregate, holds_evidence, score_record
from eval.questions import Question, load_questions
from rag.embedders import Embedder, make_embedder
from rag.errors import EmptyIndexError, ReportQAError
from rag.settings import Settings

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.json")
MAIN_CONFIG = "default"
# Overall metrics the gate holds at or above a floor, and the ones it holds at or below a ceiling.
GATE_FLOORS = (
    "hit@1",
    "hit@5",
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "answer_keyword",
    "citation_precision",
    "citation_has_evidence",
    "refusal_accuracy",
)
GATE_CEILINGS = ("false_refusal",)
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
FAILURE_PASSAGES = 3
FAILURE_SNIPPET_CHARS = 120
# Where ``--corpus DIR`` keeps DIR's index (under the working directory) when no data directory is given.
EVAL_DATA_ROOT = Path(".reportqa-eval")


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


def run_evaluation(
    settings: Settings,
    questions_path: Path | str,
    out_dir: Path | str,
    mode: str | None = None,
    compare: Sequence[str] = (),
    console=None,
    progress: ProgressCallback | None = None,
    *,
    thresholds: Path | None = None,
    gate: bool = True,
) -> dict[str, Any]:
    """Run a question set through the engine and write results, metrics, charts and reports to ``out_dir``.

    Args:
        settings: the settings of this run; the ``default`` configuration uses them as given.
        questions_path: a question set (JSONL or YAML, see ``eval.questions``).
        out_dir: folder for ``results.jsonl``, ``metrics.json``, ``report.md``, ``report.html``, charts and,
            with ``compare``, ``comparison.md`` and ``compare/<name>.jsonl``.
        mode: ``extractive`` or ``llm`` (default: ``settings.answer.mode``).
        compare: names of configurations (``eval.configs.CONFIGS``, each item may hold several separated by commas)
            to run side by side with ``default``.
        console: a rich console for the progress bar.
        progress: called as ``progress(done, total, label)`` while ingesting and while answering.
        thresholds: the gate's thresholds file (default ``eval/thresholds.json``).
        gate: check the thresholds at all.

    Returns:
        ``metrics`` (``eval.metrics.aggregate`` of the default configuration), ``failures``, ``charts`` (PNG paths),
        ``comparison`` (configuration name → overall metrics, when ``compare`` is given), ``gate_failures``
        (empty when there is no applicable thresholds file or every floor is met), ``gate_note``, ``out_dir``,
        ``files`` and ``run`` (what was run, when, how long).

    Raises:
        ReportQAError: a bad question set, an unknown configuration or mode, an empty index with no corpus folder,
            or any domain error of ingest and the engine.
    """
    from eval import report

    started = time.perf_counter()
    questions_path, out_dir = Path(questions_path), Path(out_dir)
    questions = read_question_set(questions_path)
    if mode not in (None, "extractive", "llm"):
        raise ReportQAError(f"unknown mode {mode!r}; choose extractive or llm")
    effective_mode = mode or settings.answer.mode
    # "--compare dense,bm25" works as well as repeating the option.
    names = [n.strip() for item in compare for n in str(item).split(",") if n.strip()]
    extra = [get_config(name) for name in dict.fromkeys(names) if name != MAIN_CONFIG]
    configs = [get_config(MAIN_CONFIG), *extra]
    out_dir.mkdir(parents=True, exist_ok=True)

    embedder = make_embedder(settings)
    with _Tracker(console, progress, total=len(questions) * len(configs)) as tracker:
        ingest_summary = prepare_index(settings, embedder, tracker)
        runs = [run_config(c, settings, questions, effective_mode, embedder, tracker) for c in configs]
    main = runs[0]

    files = {"results": out_dir / "results.jsonl", "metrics": out_dir / "metrics.json"}
    _write_jsonl(files["results"], main.records)
    for run in runs[1:]:
        files[f"results:{run.config.name}"] = out_dir / "compare" / f"{run.config.name}.jsonl"
        _write_jsonl(files[f"results:{run.config.name}"], run.records)

    comparison = {run.config.name: run.overall() for run in runs} if extra else {}
    gate_failures: list[str] = []
    gate_note = "gate not checked"
    if gate:
        gate_failures, gate_note = check_gate(
            main.metrics["overall"], thresholds or DEFAULT_THRESHOLDS, questions_path, effective_mode
        )

    summary: dict[str, Any] = {
        "metrics": main.metrics,
        "failures": collect_failures(questions, main.records),
        "charts": [],
        "comparison": comparison,
        "gate_failures": gate_failures,
        "gate_note": gate_note,
        "out_dir": str(out_dir),
        "files": {},
        "run": {
            "questions_file": str(questions_path),
            "questions": len(questions),
            "mode": effective_mode,
            "config": MAIN_CONFIG,
            "compare": [c.name for c in extra],
            "descriptions": {c.name: c.description for c in configs},
            "embedder": embedder.name,
            "corpus_dir": str(settings.corpus_dir),
            "data_dir": str(settings.data_dir),
            "store": settings.store.chroma_url or str(settings.chroma_dir),
            "retrieval": settings.retrieval.model_dump(),
            "refusal_threshold": settings.answer.refusal_threshold,
            "chunks": main.chunks,
            "avg_chunk_chars": round(main.avg_chunk_chars, 1) if main.avg_chunk_chars is not None else None,
            "ingest": ingest_summary,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": 0.0,
        },
    }
    summary["charts"] = [str(p) for p in report.write_charts(out_dir, main.metrics, main.records, comparison)]
    summary["run"]["seconds"] = round(time.perf_counter() - started, 1)
    _write_json(files["metrics"], {**main.metrics, **{k: summary[k] for k in ("run", "comparison")},
                                   "gate": {"failures": gate_failures, "note": gate_note}})
    files.update(report.write_reports(out_dir, summary))
    summary["files"] = {name: str(path) for name, path in files.items()}
    return summary


def corpus_data_dir(corpus: Path | str, root: Path | None = None) -> Path:
    """The cached data directory of an evaluation corpus: ``.reportqa-eval/<folder name>-<8 hex>`` under ``root``
    (default: the working directory), the hex being the start of the sha256 of the folder's resolved path.

    One folder always maps to the same directory, so a second run only brings the index up to date; two folders of
    the same name get different ones.
    """
    resolved = Path(corpus).expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    return (root or Path.cwd()) / EVAL_DATA_ROOT / f"{resolved.name}-{digest}"


def corpus_overrides(corpus: Path | str | None, data_dir: Path | None = None) -> dict[str, Path]:
    """Settings overrides for evaluating over ``corpus``: ``corpus_dir`` and ``data_dir`` (the given one, else
    ``corpus_data_dir(corpus)``); empty without a corpus.

    The data directory is not taken from ``REPORTQA_DATA_DIR`` here: ingesting another folder into the shipped
    reports' index would remove their chunks.

    Raises:
        ReportQAError: ``corpus`` is not a folder.
    """
    if corpus is None:
        return {}
    corpus = Path(corpus).expanduser()
    if not corpus.is_dir():
        raise ReportQAError(f"no corpus folder at {corpus}")
    return {"corpus_dir": corpus, "data_dir": data_dir or corpus_data_dir(corpus)}


def read_question_set(path: Path) -> list[Question]:
    """The questions of ``path``, with a one-line error for the CLI when the file is missing or malformed."""
    try:
        questions = load_questions(path)
    except FileNotFoundError as exc:
        raise ReportQAError(f"no question set at {path}") from exc
    except ValueError as exc:
        raise ReportQAError(str(exc)) from exc
    if not questions:
        raise ReportQAError(f"{path}: no questions")
    return questions


def prepare_index(settings: Settings, embedder: Embedder, tracker: _Tracker | None = None) -> dict[str, Any] | None:
    """Bring the index in line with ``settings.corpus_dir`` (cheap when nothing changed); return the ingest summary.

    Without a corpus folder the index is evaluated as it is.

    Raises:
        EmptyIndexError: there is neither a corpus folder nor anything in the index.
    """
    from ingest.pipeline import run_ingest
    from rag.index.manifest import Manifest

    if settings.corpus_dir.is_dir():
        result = run_ingest(settings, embedder=embedder, progress=tracker.ingest if tracker else None)
        for failure in result.failed:
            logger.warning("not ingested: %s: %s", failure.path, failure.reason)
        summary = result.to_dict()
        return {k: summary[k] for k in ("added", "updated", "removed", "failed", "chunks_written", "seconds")}
    if not Manifest.load(settings.manifest_path).complete() and not settings.store.chroma_url:
        raise EmptyIndexError(
            f"the index in {settings.data_dir} is empty and there is no corpus folder at {settings.corpus_dir}"
        )
    return None


def run_config(
    config: EvalConfig,
    settings: Settings,
    questions: Sequence[Question],
    mode: str,
    embedder: Embedder,
    tracker: _Tracker | None = None,
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
    tracker: _Tracker | None,
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
    tracker: _Tracker | None,
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


# -- failures --------------------------------------------------------------------------------------------------


def failure_reasons(question: Question, scores: dict[str, Any]) -> list[str]:
    """Why a question counts as failed (empty when it did not fail)."""
    if not question.answerable:
        return [] if scores.get("refusal_correct", True) else ["answered a question the reports do not answer"]
    reasons = []
    if not scores.get("hit@5"):
        reasons.append("no passage in the top 5 holds the evidence")
    if "false_refusal" in scores:
        if scores["false_refusal"]:
            reasons.append("refused to answer")
        elif "items_named" in scores:
            if scores["items_named"] < 1.0:
                reasons.append(f"the answer names {scores['items_named']:.0%} of the expected items")
        elif not scores.get("answer_keyword"):
            reasons.append("the answer lacks every expected keyword")
    return reasons


def collect_failures(questions: Sequence[Question], records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed questions with what was expected and what was retrieved instead (the top 3 passages)."""
    failures = []
    for question, record in zip(questions, records, strict=True):
        reasons = failure_reasons(question, record["scores"])
        if not reasons:
            continue
        failures.append(
            {
                "id": question.id,
                "type": question.type,
                "question": question.question,
                "evidence": list(question.evidence),
                "answer_keywords": list(question.answer_keywords),
                "answer": record.get("answer", ""),
                "refused": bool(record.get("refused")),
                "reasons": reasons,
                "retrieved": [
                    {
                        "rank": p.get("rank"),
                        "source": p.get("source", ""),
                        "section": p.get("section", ""),
                        "text": _snippet(p.get("text", "")),
                        "holds_evidence": any(holds_evidence(p.get("text", ""), e) for e in question.evidence),
                    }
                    for p in record.get("passages", [])[:FAILURE_PASSAGES]
                ],
            }
        )
    return failures


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= FAILURE_SNIPPET_CHARS else flat[:FAILURE_SNIPPET_CHARS] + "…"


# -- the gate --------------------------------------------------------------------------------------------------


def load_thresholds(path: Path) -> dict[str, Any] | None:
    """The thresholds file, or None when there is none.

    Raises:
        ReportQAError: the file exists but is not valid.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ReportQAError(f"the thresholds file {path} is unreadable ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("floors", {}), dict):
        raise ReportQAError(f"the thresholds file {path} needs a 'floors' object of metric → minimum")
    return data


def check_gate(
    overall: dict[str, Any], thresholds_path: Path, questions_path: Path, mode: str
) -> tuple[list[str], str]:
    """Compare overall metrics with the floors and ceilings; returns the failures and a note on what was checked.

    The thresholds name the question set (by file name) and the answer mode they were measured on; another set or
    mode is not gated (the floors of one question set say nothing about another).
    """
    data = load_thresholds(thresholds_path)
    if data is None:
        return [], f"no thresholds file at {thresholds_path}; gate not checked"
    question_set = data.get("question_set")
    if question_set and Path(question_set).name != questions_path.name:
        return [], f"thresholds are for {Path(question_set).name}, not {questions_path.name}; gate not checked"
    if data.get("mode") and data["mode"] != mode:
        return [], f"thresholds are for {data['mode']} answers, not {mode}; gate not checked"
    failures = []
    for metric, floor in sorted(data.get("floors", {}).items()):
        value = overall.get(metric)
        if value is None:
            failures.append(f"{metric}: not measured (floor {floor:.2f})")
        elif value < floor - 1e-9:
            failures.append(f"{metric} = {value:.4f} is below the floor {floor:.2f}")
    for metric, ceiling in sorted(data.get("ceilings", {}).items()):
        value = overall.get(metric)
        if value is None:
            failures.append(f"{metric}: not measured (ceiling {ceiling:.2f})")
        elif value > ceiling + 1e-9:
            failures.append(f"{metric} = {value:.4f} is above the ceiling {ceiling:.2f}")
    checked = len(data.get("floors", {})) + len(data.get("ceilings", {}))
    note = f"{checked} thresholds from {thresholds_path.name} checked: " + (
        f"{len(failures)} not met" if failures else "all met"
    )
    return failures, note


def thresholds_from_metrics(overall: dict[str, Any], question_set: str, mode: str) -> dict[str, Any]:
    """Floors at the measured values rounded down to 2 decimals, ceilings rounded up: never looser than measured."""
    floors = {m: math.floor(round(overall[m] * 100, 6)) / 100 for m in GATE_FLOORS if m in overall}
    ceilings = {m: math.ceil(round(overall[m] * 100, 6)) / 100 for m in GATE_CEILINGS if m in overall}
    return {
        "question_set": question_set,
        "mode": mode,
        "floors": floors,
        "ceilings": ceilings,
        "measured": {m: overall[m] for m in (*GATE_FLOORS, *GATE_CEILINGS) if m in overall},
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "regenerate": "python -m eval.runner eval/questions/reports-dev.jsonl --data-dir .reportqa --write-thresholds",
    }


# -- progress ---------------------------------------------------------------------------------------------------


class _Tracker:
    """A rich progress bar on ``console`` (when given) and the caller's ``progress(done, total, label)``."""

    def __init__(self, console, callback: ProgressCallback | None, total: int) -> None:
        self.console, self.callback, self.total = console, callback, total
        self.done = 0
        self._label = ""
        self._bar = None
        self._task = None
        self._ingest_task = None

    def __enter__(self) -> _Tracker:
        if self.console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.description}"), console=self.console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total, stage="evaluating")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._bar is not None:
            self._bar.stop()

    def ingest(self, done: int, total: int, label: str) -> None:
        if self._bar is not None:
            if self._ingest_task is None:
                self._ingest_task = self._bar.add_task("", total=total or None, stage="ingesting ")
            self._bar.update(self._ingest_task, completed=done, total=total or None, description=label)
        if self.callback:
            self.callback(done, total, f"ingesting {label}".strip())

    def label(self, text: str) -> None:
        self._label = text
        if self._bar is not None:
            self._bar.update(self._task, description=text)
        if self.callback:
            self.callback(self.done, self.total, text)

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        if self.callback:
            self.callback(self.done, self.total, self._label)


def _write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.runner``: ``reportqa eval`` plus ``--write-thresholds`` to regenerate the gate's floors."""
    parser = argparse.ArgumentParser(prog="python -m eval.runner", description=main.__doc__)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--corpus", type=Path, default=None, metavar="DIR",
        help=f"evaluate over DIR's documents, ingested once into {EVAL_DATA_ROOT}/<name>-<hash> (or --data-dir)",
    )
    parser.add_argument("--mode", choices=("extractive", "llm"), default=None)
    parser.add_argument("--compare", nargs="*", default=[], help=f"any of {', '.join(CONFIGS)}")
    parser.add_argument(
        "--write-thresholds", nargs="?", type=Path, const=DEFAULT_THRESHOLDS, default=None, metavar="PATH",
        help=f"write floors from this run's metrics (default {DEFAULT_THRESHOLDS}) instead of checking them",
    )
    args = parser.parse_args(argv)
    from rich.console import Console

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        overrides = corpus_overrides(args.corpus, args.data_dir)
        settings = Settings(**(overrides or ({"data_dir": args.data_dir} if args.data_dir else {})))
        summary = run_evaluation(
            settings, args.questions, args.out, mode=args.mode, compare=args.compare, console=Console(stderr=True),
            gate=args.write_thresholds is None,
        )
    except ReportQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    overall = summary["metrics"]["overall"]
    print(json.dumps(overall, indent=2))
    print(f"wrote {summary['files']['report_md']}")
    if args.write_thresholds is not None:
        data = thresholds_from_metrics(overall, f"eval/questions/{args.questions.name}", summary["run"]["mode"])
        args.write_thresholds.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.write_thresholds}:\n{json.dumps(data['floors'] | data['ceilings'], indent=2)}")
        return 0
    for failure in summary["gate_failures"]:
        print(f"below floor: {failure}")
    return 1 if summary["gate_failures"] else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
