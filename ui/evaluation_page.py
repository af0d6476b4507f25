"""The Evaluation tab: the question sets, a run of one, and its summary as the tab's tables and charts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import ReportQAError
from ui import render
from ui.backend import Backend

logger = logging.getLogger(__name__)


def questions_dir() -> Path:
    import eval as eval_package

    return Path(eval_package.__file__).resolve().parent / "questions"


def question_sets() -> list[str]:
    try:
        folder = questions_dir()
    except ImportError:
        return []
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".jsonl", ".yaml", ".yml"))


def run_evaluation_set(backend: Backend, set_name: str | None, mode: str | None,
                    progress: Callable[[int, int, str], None] | None, questions_path: Path | None = None) -> dict:
    if questions_path is None and (not set_name or set_name not in question_sets()):
        raise ReportQAError(f"no question set {set_name!r} in eval/questions; choose one of {question_sets()}")
    try:
        from eval.runner import run_evaluation
    except ImportError as exc:
        raise ReportQAError(f"the evaluation runner is not available ({exc})") from exc
    out_dir = backend.settings.data_dir / "eval-runs" / time.strftime("%Y%m%d-%H%M%S")
    try:
        summary = run_evaluation(backend.settings, questions_path or questions_dir() / set_name, out_dir, mode=mode,
                                 progress=progress)
    finally:
        backend.refresh()  # the runner brings the index in line with the corpus first
    return summary


def evaluate_for_page(backend: Backend, set_name: str | None, mode: str,
                       progress: Callable[[int, int, str], None], questions_path: Path | None = None) -> list[Any]:
    empty = gr.Dataframe(value=[])
    try:
        summary = run_evaluation_set(backend, set_name, mode or None, progress, questions_path)
    except ReportQAError as exc:
        return [render.message_html(f"Evaluation failed · 评测失败: {exc}", "error"), empty, None, [], empty]
    header, rows = render.metrics_rows(summary.get("metrics", {}))
    fail_header, fail_rows = render.failure_rows(summary.get("failures", []))
    images = []
    for chart in summary.get("charts", []):
        try:
            from PIL import Image

            with Image.open(chart) as image:
                images.append((image.copy(), Path(chart).stem))
        except OSError as exc:
            logger.warning("chart %s: %s", chart, exc)
    notes = [f"{len(fail_rows)} failure(s) · 失败 {len(fail_rows)} 个"]
    seconds = (summary.get("run") or {}).get("seconds")
    if seconds is not None:
        notes.append(f"{seconds} s")
    for gate in summary.get("gate_failures") or []:
        notes.append(f"below floor · 低于门槛: {gate}")
    # The per-type chart on its own; any others (latency, comparison) beside it.
    by_type = next((i for i, (_, name) in enumerate(images) if "type" in name), 0 if images else None)
    type_chart = images.pop(by_type)[0] if by_type is not None else None
    return [
        render.message_html(f"{set_name}: " + " · ".join(notes), "error" if summary.get("gate_failures") else "ok"),
        gr.Dataframe(value=rows, headers=header),
        type_chart,
        images,
        gr.Dataframe(value=fail_rows, headers=fail_header),
    ]
