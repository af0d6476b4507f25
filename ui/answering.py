"""The chat's answer turn: stream an answer into the chat, draw the finished one with its source cards, keep the
conversation's Markdown export up to date. Handler bodies, outside the page assembly so they can be tested alone."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import ReportQAError
from ui import render
from ui.backend import Backend

logger = logging.getLogger(__name__)


def answer_stream(backend: Backend, text: str, turns: list, answer_mode: str, k: float, doc_ids: list,
                   export_path: str) -> Iterator[list[Any]]:
    question = (text or "").strip()
    turns = list(turns or [])
    done = messages(turns)
    if not question:
        yield [done, "", turns, gr.skip(), gr.skip()]
        return
    pending = [*done, {"role": "user", "content": render.question_html(question)},
               {"role": "assistant", "content": render.streaming_html("")}]
    yield [pending, "", turns, gr.skip(), gr.skip()]
    engine = backend.try_engine()
    if engine is None:
        job = backend.job
        if job.running:
            why = (f"The reports are still being indexed ({job.done}/{job.total or '?'}); ask again in a moment. · "
                   "正在建立索引，请稍后再问。")
        else:
            why = backend.engine_problem or "The index is empty: add reports in the Documents tab. · 索引为空，请先添加报告。"
        pending[-1] = {"role": "assistant", "content": render.status_message_html(why, "error")}
        yield [pending, question, turns, gr.skip(), gr.skip()]
        return
    streamed, notices, answer = "", [], None
    try:
        for event in engine.stream(question, history=chat_history(turns), mode=answer_mode or None,
                                   top_k=int(k) if k else None, doc_ids=list(doc_ids) if doc_ids else None):
            if event.kind == "delta":
                streamed += event.text
                pending[-1] = {"role": "assistant", "content": render.streaming_html(streamed, notices)}
                yield [pending, "", turns, gr.skip(), gr.skip()]
            elif event.kind == "notice":
                notices.append(event.text)
            else:
                answer = event.answer
    except ReportQAError as exc:
        pending[-1] = {"role": "assistant", "content": render.status_message_html(str(exc), "error")}
        yield [pending, question, turns, gr.skip(), gr.skip()]
        return
    if answer is None:  # pragma: no cover - the engine always ends with an answer event
        return
    html = draw_answer(engine, answer, len(turns), int(k) if k else None)
    turns.append({"question": question, "answer": answer, "html": html})
    path = write_export(turns, export_path, backend.settings.exports_dir)
    yield [messages(turns), "", turns, gr.DownloadButton(value=path, interactive=True), path]


def messages(turns: Sequence[dict]) -> list[dict]:
    out = []
    for turn in turns:
        out.append({"role": "user", "content": render.question_html(turn["question"])})
        out.append({"role": "assistant", "content": turn["html"]})
    return out


def chat_history(turns: Sequence[dict]) -> list[dict]:
    out = []
    for turn in turns:
        out.append({"role": "user", "content": turn["question"]})
        out.append({"role": "assistant", "content": turn["answer"].text})
    return out


def draw_answer(engine: Any, answer: Any, turn: int, sources: int | None) -> str:
    """A finished answer as its chat message: the citations' cards and, up to ``sources`` passages, the further
    retrieved ones, each with its surrounding text (none when ``engine`` is None)."""
    further = render.shown_passages(answer, sources)
    if engine is None:
        return render.answer_html(answer, {}, turn=turn, sources=sources)
    by_rank = {p.rank: _context(engine, p.chunk) for p in further}
    by_n = by_rank if answer.refused else {c.n: _context(engine, c.chunk) for c in answer.citations}
    return render.answer_html(answer, by_n, turn=turn, sources=sources, passage_contexts=by_rank)


def contexts(engine: Any, answer: Any) -> dict[int, render.SourceContext | None]:
    """Surrounding text for each card of ``answer_html`` without ``sources``: by citation number, or for a refusal
    by the closest passages' ranks."""
    if answer.refused:
        return {p.rank: _context(engine, p.chunk) for p in render.shown_passages(answer, None)}
    return {c.n: _context(engine, c.chunk) for c in answer.citations}


def _context(engine: Any, chunk: Any) -> render.SourceContext | None:
    """Surrounding text for a card: from the cleaned document, or from the neighbouring chunks."""
    try:
        context = render.context_from_document(engine.source_text(chunk.doc_id), chunk)
        if context is None:
            before, after = engine.neighbours(chunk)
            context = render.context_from_neighbours(chunk, before, after)
    except ReportQAError as exc:
        logger.warning("no context for %s: %s", chunk.id, exc)
        context = None
    return context


def write_export(turns: Sequence[dict], path: str, folder: Path) -> str:
    """Write the conversation's Markdown export: one file per conversation, in a folder of its own (the download
    keeps the file name), rewritten after each answer. Exports untouched for a day are deleted on the way."""
    folder.mkdir(parents=True, exist_ok=True)
    target = Path(path) if path else None
    if target is None or folder.resolve() not in target.resolve().parents:
        prune_exports(folder)
        target = Path(tempfile.mkdtemp(prefix="conversation-", dir=folder)) / "reportqa-conversation.md"
    target.write_text(render.conversation_markdown([(t["question"], t["answer"]) for t in turns]), encoding="utf-8")
    return str(target)


def prune_exports(folder: Path, max_age_s: float = 24 * 3600) -> None:
    cutoff = time.time() - max_age_s
    for old in folder.glob("conversation-*"):
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue

