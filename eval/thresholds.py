"""A question set's own regression thresholds (``--write-thresholds``): floors and a false-refusal ceiling on its
overall metrics, for one set and answer mode; read, checked and written from a run's metrics.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rag.errors import ReportQAError

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
