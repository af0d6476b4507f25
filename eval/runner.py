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
import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.config_run import ConfigRun, run_config
from eval.configs import CONFIGS, EvalConfig, get_config
from eval.corpus_index import EVAL_DATA_ROOT, corpus_overrides, prepare_index
from eval.failures import collect_failures
from eval.progress import ProgressCallback, Tracker
from eval.questions import Question, load_questions
from eval.thresholds import check_gate, thresholds_from_metrics
from rag.embedders import make_embedder
from rag.errors import ReportQAError
from rag.settings import Settings


DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.json")
MAIN_CONFIG = "default"


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
    configs = _configs(compare)
    out_dir.mkdir(parents=True, exist_ok=True)

    embedder = make_embedder(settings)
    with Tracker(console, progress, total=len(questions) * len(configs)) as tracker:
        ingest_summary = prepare_index(settings, embedder, tracker)
        runs = [run_config(c, settings, questions, effective_mode, embedder, tracker) for c in configs]
    main = runs[0]

    files = _write_results(out_dir, runs)
    comparison = {run.config.name: run.overall() for run in runs} if len(configs) > 1 else {}
    gate_failures, gate_note = [], "gate not checked"
    if gate:
        thresholds_path = thresholds or DEFAULT_THRESHOLDS
        gate_failures, gate_note = check_gate(main.metrics["overall"], thresholds_path, questions_path, effective_mode)

    summary: dict[str, Any] = {
        "metrics": main.metrics,
        "failures": collect_failures(questions, main.records),
        "charts": [],
        "comparison": comparison,
        "gate_failures": gate_failures,
        "gate_note": gate_note,
        "out_dir": str(out_dir),
        "files": {},
        "run": _run_facts(settings, questions_path, questions, effective_mode, configs, embedder.name, main,
                          ingest_summary),
    }
    summary["charts"] = [str(p) for p in report.write_charts(out_dir, main.metrics, main.records, comparison)]
    summary["run"]["seconds"] = round(time.perf_counter() - started, 1)
    _write_json(files["metrics"], {**main.metrics, **{k: summary[k] for k in ("run", "comparison")},
                                   "gate": {"failures": gate_failures, "note": gate_note}})
    files.update(report.write_reports(out_dir, summary))
    summary["files"] = {name: str(path) for name, path in files.items()}
    return summary


def _write_results(out_dir: Path, runs: Sequence[ConfigRun]) -> dict[str, Path]:
    """``results.jsonl`` of the default configuration and ``compare/<name>.jsonl`` of each other one; the files
    written, by name, with ``metrics.json`` (written last)."""
    files = {"results": out_dir / "results.jsonl", "metrics": out_dir / "metrics.json"}
    _write_jsonl(files["results"], runs[0].records)
    for run in runs[1:]:
        files[f"results:{run.config.name}"] = out_dir / "compare" / f"{run.config.name}.jsonl"
        _write_jsonl(files[f"results:{run.config.name}"], run.records)
    return files


def _configs(compare: Sequence[str]) -> list[EvalConfig]:
    """``default`` and the configurations named in ``compare``, each once."""
    # "--compare dense,bm25" works as well as repeating the option.
    names = [n.strip() for item in compare for n in str(item).split(",") if n.strip()]
    extra = [get_config(name) for name in dict.fromkeys(names) if name != MAIN_CONFIG]
    return [get_config(MAIN_CONFIG), *extra]


def _run_facts(
    settings: Settings, questions_path: Path, questions: Sequence[Question], mode: str, configs: Sequence[EvalConfig],
    embedder_name: str, main: ConfigRun, ingest_summary: dict[str, Any] | None,
) -> dict[str, Any]:
    """What was run, over what, and when: the ``run`` part of the summary (``seconds`` filled in at the end)."""
    return {
        "questions_file": str(questions_path),
        "questions": len(questions),
        "mode": mode,
        "config": MAIN_CONFIG,
        "compare": [c.name for c in configs[1:]],
        "descriptions": {c.name: c.description for c in configs},
        "embedder": embedder_name,
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
    }


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
