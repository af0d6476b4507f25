"""The Documents tab and the banner: the documents table and pickers, the ingest banner, uploads."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import ReportQAError
from rag.index.files import printable
from ui.backend import Backend
from ui.uploads import is_upload, save_uploads

logger = logging.getLogger(__name__)


def gradio_progress(progress: gr.Progress, what: str = "Embedding · 向量化",
                     unit: str = "texts") -> Callable[[int, int, str], None]:
    def update(done: int, total: int, label: str) -> None:
        progress((done, total or None), desc=f"{what} {label}".strip(), unit=unit)

    return update


def upload(backend: Backend, files: Sequence[Any], progress: Callable[[int, int, str], None] | None) -> dict:
    """Store the uploaded files (checked and safely named), then ingest the new ones."""
    pairs = []
    for item in files:
        path = item if isinstance(item, str) else getattr(item, "path", None) or getattr(item, "name", None)
        if isinstance(item, dict):
            path = item.get("path")
        original = getattr(item, "orig_name", None) or (item.get("orig_name") if isinstance(item, dict) else None)
        pairs.append((path, original or Path(str(path)).name))
    known = {r.content_hash: r.source for r in backend.documents()}
    try:
        result = save_uploads(pairs, backend.settings, known)
    finally:
        discard_upload_copies(path for path, _ in pairs)
    to_ingest = [s.path for s in result.saved if s.duplicate_of is None]
    notes = [s.note for s in result.saved if s.note]
    report = None
    if to_ingest:
        try:
            report = backend.ingest(to_ingest, "upload", progress)
        except ReportQAError as exc:
            result.failed.extend((Path(p).name, str(exc)) for p in to_ingest)
            for path in to_ingest:  # not in the index: do not keep the file either
                if is_upload(path, backend.settings):
                    Path(path).unlink(missing_ok=True)
        else:
            failed_paths = {str(Path(f.path).resolve()) for f in report.failed}
            for path in to_ingest:
                if str(Path(path).resolve()) in failed_paths:
                    Path(path).unlink(missing_ok=True)
    return {"saved": [s.path.name for s in result.saved if s.duplicate_of is None], "notes": notes,
            "failed": result.failed, "report": report}


def discard_upload_copies(paths: Iterable[Any]) -> None:
    """Delete Gradio's copies of uploaded files once they are handled (the accepted ones were copied into the
    uploads folder): nothing waits in the upload folder for its 24-hour cache cleaning, or counts against the
    upload quota. Paths outside Gradio's upload folder are never touched."""
    root = Path(gr.utils.get_upload_folder()).resolve()
    for path in paths:
        try:
            copy = Path(str(path)).resolve()
            if root not in copy.parents:
                continue
            copy.unlink(missing_ok=True)
            if copy.parent != root and not any(copy.parent.iterdir()):
                copy.parent.rmdir()
        except OSError as exc:
            logger.warning("could not delete the upload copy %s: %s", printable(path), exc)

