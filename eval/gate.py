"""The CI regression gate: floors on the pooled development sets, with about one question of slack per figure.

Each development set is answered over its own documents (``reportqa eval SET --corpus DIR``); the per-question
scores are pooled and aggregated once, so a figure is measured over every development question at once. A floor
is the measured value less the share one question makes of that figure (``slack_questions`` / the number of
questions behind it), rounded down; a ceiling likewise up. A real regression of a question or two fails the gate;
the noise of a re-fitted abstainer or a re-chunked report does not.

    python -m eval.gate --out eval/out/gate            # check (exit 1 below a floor)
    python -m eval.gate --out eval/out/gate --write    # measure and write eval/gate.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.metrics import aggregate
from eval.questions import Question
from rag.errors import ReportQAError
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
GATE_FILE = Path(__file__).with_name("gate.json")
# (question set, its documents), relative to the project root.
POOLED_SETS: tuple[tuple[str, str], ...] = (
    ("eval/questions/reports-dev.jsonl", "corpus"),
    ("eval/questions/reports-dev-b.jsonl", "corpus"),
    ("eval/external/questions-tune.jsonl", "eval/external/docs"),
)
SLACK_QUESTIONS = 1
FLOORS = ("hit@5", "mrr@10", "answer_keyword", "citation_has_evidence", "refusal_accuracy", "answered")
CEILINGS = ("false_refusal",)
# Per-type figures the gate also holds (type → metrics), where a type's own regression would hide in the pool.
TYPE_FLOORS = {"cross_lingual": ("answered", "answer_keyword"), "unanswerable": ("refusal_accuracy",)}


def pooled_metrics(settings: Settings, out_dir: Path, sets: Sequence[tuple[str, str]] = POOLED_SETS) -> dict[str, Any]:
    """Answer every pooled set over its documents and aggregate all their questions together."""
    from eval.corpus_index import corpus_overrides
    from eval.runner import read_question_set, run_evaluation

    questions: list[Question] = []
    scores: list[dict[str, Any]] = []
    for questions_file, corpus in sets:
        run_settings = settings.model_copy(update=corpus_overrides(ROOT / corpus))
        name = Path(questions_file).stem
        summary = run_evaluation(run_settings, ROOT / questions_file, out_dir / name, gate=False)
        records = [json.loads(line) for line in Path(summary["files"]["results"]).read_text("utf-8").splitlines()]
        questions += read_question_set(ROOT / questions_file)
        scores += [r["scores"] for r in records]
    return aggregate(questions, scores)


def thresholds(metrics: dict[str, Any], slack: int = SLACK_QUESTIONS) -> dict[str, Any]:
    """Floors and ceilings ``slack`` questions below (above) the measured pooled figures."""

    def limits(block: dict[str, Any], names: Sequence[str], ceiling: bool) -> dict[str, float]:
        out = {}
        for name in names:
            if name not in block:
                continue
            count = block["questions"] - block["answerable"] if name == "refusal_accuracy" else block["answerable"]
            margin = slack / max(count, 1)
            value = block[name] + margin if ceiling else block[name] - margin
            out[name] = (math.ceil(value * 100) / 100) if ceiling else (math.floor(value * 100) / 100)
        return {k: min(max(v, 0.0), 1.0) for k, v in out.items()}

    overall = metrics["overall"]
    by_type = metrics["by_type"]
    return {
        "floors": limits(overall, FLOORS, ceiling=False),
        "ceilings": limits(overall, CEILINGS, ceiling=True),
        "type_floors": {t: limits(by_type[t], names, ceiling=False) for t, names in TYPE_FLOORS.items() if t in by_type},
    }


def check(metrics: dict[str, Any], gate: dict[str, Any]) -> list[str]:
    """The figures that break the gate's floors or ceilings (empty when all are met)."""
    failures = []
    checks = [("overall", metrics["overall"], gate.get("floors", {}), False),
              ("overall", metrics["overall"], gate.get("ceilings", {}), True)]
    checks += [(t, metrics["by_type"].get(t, {}), floors, False) for t, floors in gate.get("type_floors", {}).items()]
    for where, block, limits, ceiling in checks:
        for name, limit in limits.items():
            value = block.get(name)
            if value is None:
                failures.append(f"{where} {name}: not measured")
            elif (value > limit + 1e-9) if ceiling else (value < limit - 1e-9):
                failures.append(f"{where} {name} = {value:.4f} is {'above the ceiling' if ceiling else 'below the floor'} "
                                f"{limit:.2f}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("eval/out/gate"))
    parser.add_argument("--write", action="store_true", help=f"write the thresholds to {GATE_FILE.name}")
    args = parser.parse_args(argv)
    try:
        metrics = pooled_metrics(Settings(), args.out)
    except ReportQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    overall = {k: metrics["overall"][k] for k in (*FLOORS, *CEILINGS) if k in metrics["overall"]}
    print("pooled development sets:", json.dumps(overall, indent=2))
    if args.write:
        data = {
            "sets": [list(pair) for pair in POOLED_SETS],
            "slack_questions": SLACK_QUESTIONS,
            **thresholds(metrics),
            "measured": overall,
            "counts": {"questions": metrics["overall"]["questions"], "answerable": metrics["overall"]["answerable"]},
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "regenerate": "python -m eval.gate --write",
        }
        GATE_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {GATE_FILE}")
        return 0
    gate = json.loads(GATE_FILE.read_text(encoding="utf-8"))
    failures = check(metrics, gate)
    for failure in failures:
        print(f"gate: {failure}")
    print("gate: all floors met" if not failures else f"gate: {len(failures)} not met")
    return 1 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
