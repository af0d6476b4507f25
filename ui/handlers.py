"""The page's event functions: one method per event, each a few lines that call the backend, the history and the
bodies in ``ui.answering``, ``ui.documents_page`` and ``ui.evaluation_page``. ``ui.app`` wires them to the
components of ``ui.layout``; their outputs are listed there, in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import ReportQAError
from rag.index.files import printable
from rag.settings import Settings
from ui import render
from ui.answering import answer_stream, draw_answer
from ui.backend import Backend
from ui.documents_page import discard_upload_copies, gradio_progress
from ui.evaluation_page import evaluate_for_page
from ui.history_page import PageHistory, user_of
from ui.upload_queue import UploadQueue, upload_pairs
from ui.users import editor_check

READERS_ONLY = "Only editors may change the reports. · 只有编辑者可以更改报告。"

_BANNER_LABELS = {"startup": "Checking and indexing the reports · 正在检查并建立索引",
                  "upload": "Adding uploaded reports · 正在导入上传的报告",
                  "reingest": "Re-ingesting the reports · 正在重新导入报告"}


class Handlers:
    """The event functions of one page, over its backend and history."""

    def __init__(self, settings: Settings, backend: Backend, page_history: PageHistory, uploads: UploadQueue) -> None:
        self.settings = settings
        self.backend = backend
        self.history = page_history
        self.uploads = uploads
        self.may_edit = editor_check(settings)

    # the index: documents and banner ---------------------------------------------------------------------------

    def docs_values(self, known_version: Any = None, force: bool = True) -> list[Any]:
        """Outputs: documents table, report filter, remove picker, index info, docs version."""
        records = self.backend.documents()
        version = tuple((r.doc_id, r.content_hash) for r in records)
        if not force and version == known_version:
            return [gr.skip()] * 5
        choices = [(printable(f"{r.title} ({Path(r.source).name})"), r.doc_id) for r in records]
        chunks = sum(r.n_chunks for r in records)
        info = f"{len(records)} reports · {chunks} chunks · 报告 {len(records)} 份"
        return [
            render.document_rows(records),
            gr.Dropdown(choices=choices),
            gr.Dropdown(choices=choices, value=[]),
            f'<div class="rq-index-info">{render.esc(info)}</div>',
            version,
        ]

    def banner_html(self) -> str:
        job = self.backend.job
        if job.running:
            label = _BANNER_LABELS.get(job.kind, "Indexing · 正在建立索引")
            return render.progress_html(f"{label}: {job.label}", job.done, job.total)
        if self.backend.engine_problem:
            return render.message_html(f"The index cannot be opened: {self.backend.engine_problem}", "error")
        if job.kind == "startup" and job.failed and job.outcome:
            return render.message_html(f"Startup ingest: {job.outcome}", "error")
        return ""

    def banner_update(self) -> gr.HTML:
        html = self.banner_html()
        return gr.HTML(value=html, visible=bool(html))

    def queue_values(self, known: Any = None, force: bool = True) -> list[Any]:
        """Outputs: the upload queue's list, the cancel picker (changed only when the set of running jobs does, so a
        choice being made is kept), the queue's version."""
        jobs = self.uploads.jobs()
        shown = tuple((j.id, j.state, j.done, j.message) for j in jobs)
        active = tuple(j.id for j in jobs if j.active)
        old_shown, old_active = known if isinstance(known, (list, tuple)) and len(known) == 2 else (None, None)
        if not force and shown == tuple(map(tuple, old_shown or ())):
            return [gr.skip()] * 3
        picker = gr.skip()
        if force or active != tuple(old_active or ()):
            choices = [(printable(j.name), j.id) for j in jobs if j.active]
            picker = gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)
        return [render.upload_queue_html(jobs), picker, (shown, active)]

    def busy(self) -> bool:
        return self.backend.job.running or self.uploads.active()

    def on_load(self, version: Any) -> list[Any]:
        return [self.banner_update(), *self.docs_values(version), *self.queue_values(), gr.Timer(active=self.busy())]

    def on_tick(self, version: Any, queue_version: Any) -> list[Any]:
        return [self.banner_update(), *self.docs_values(version, force=False),
                *self.queue_values(queue_version, force=False), gr.Timer(active=self.busy())]

    def on_refresh(self, version: Any) -> list[Any]:
        return [self.banner_update(), *self.docs_values(version)]

    # asking --------------------------------------------------------------------------------------------------

    def on_ask(self, text: str, turns: list, answer_mode: str, k: float, doc_ids: list, export_path: str,
               conversation: str, request: gr.Request):
        def stream(saved_export: str):
            return answer_stream(self.backend, text, turns, answer_mode, k, doc_ids, saved_export or export_path)

        yield from self.history.saving(stream, user_of(request), conversation, doc_ids)

    @staticmethod
    def on_new() -> list[Any]:
        # The export file of this session is kept and overwritten by the next conversation's export.
        return [[], [], gr.DownloadButton(value=None, interactive=False), gr.skip(), ""]

    @staticmethod
    def on_new_conversation() -> list[Any]:
        """Outputs: conversation id, side list, JSON export, rating panel's answers, its message, rename box, report
        filter (a new conversation searches every report; each saved one keeps its own filter)."""
        return ["", gr.Radio(value=None), gr.DownloadButton(value=None, interactive=False),
                gr.Dropdown(choices=[], value=None), "", "", []]

    # history and ratings -------------------------------------------------------------------------------------

    def on_open(self, conversation: str, k: float, request: gr.Request) -> list[Any]:
        """A saved conversation back in the chat, its answers drawn with the Sources setting of now."""
        known = {r.doc_id for r in self.backend.documents()}
        engine = self.backend.try_engine()
        sources = int(k) if k else None

        def draw(answer: Any, turn: int) -> str:
            return draw_answer(engine, answer, turn, sources)

        return self.history.reopen(user_of(request), conversation, draw, known)

    def on_history_load(self, request: gr.Request) -> list[Any]:
        return [self.history.listing(user_of(request)), self.history.message(), self.history.rated_html()]

    def on_like(self, conversation: str, turns: list, data: gr.LikeData, request: gr.Request) -> list[Any]:
        return self.history.on_like(user_of(request), conversation, turns, data.index, data.liked)

    def on_rename(self, conversation: str, title: str, request: gr.Request) -> list[Any]:
        return self.history.rename(user_of(request), conversation, title)

    def on_delete(self, conversation: str, request: gr.Request) -> list[Any]:
        return self.history.delete(user_of(request), conversation)

    def on_rate(self, conversation: str, turns: list, turn: Any, rating: str, note: str, passage: str,
                request: gr.Request) -> list[Any]:
        return self.history.save_rating(user_of(request), conversation, turns, turn, rating, note, passage)

    def on_rated_eval(self, answer_mode: str, progress=gr.Progress()) -> list[Any]:
        try:
            path = self.history.export_rated()
        except ReportQAError as exc:
            empty = gr.Dataframe(value=[])
            return [render.message_html(str(exc), "error"), empty, None, [], empty]
        return evaluate_for_page(self.backend, "rated questions · 已评价的问题", answer_mode,
                                 gradio_progress(progress, "Evaluating · 评测", "steps"), questions_path=path)

    # documents and evaluation --------------------------------------------------------------------------------

    def on_upload(self, files: list | None, request: gr.Request) -> list[Any]:
        """Queue the files and return at once; the timer shows their progress. Outputs: documents message, the
        queue's outputs, the upload box (emptied), the timer."""
        if not files:
            return [gr.skip(), *[gr.skip()] * 3, gr.skip(), gr.skip()]
        if not self.may_edit(user_of(request)):
            discard_upload_copies(path for path, _ in upload_pairs(files))  # nothing is queued
            return [render.message_html(READERS_ONLY, "error"), *[gr.skip()] * 3, None, gr.skip()]
        jobs = self.uploads.submit(upload_pairs(files), user_of(request))
        names = ", ".join(printable(j.name) for j in jobs)
        message = render.message_html(f"Queued · 已加入队列: {names}", "info")
        return [message, *self.queue_values(), None, gr.Timer(active=True)]

    def on_cancel(self, job_id: str | None, queue_version: Any, request: gr.Request) -> list[Any]:
        """Outputs: documents message, the queue's outputs."""
        if not self.may_edit(user_of(request)):
            return [render.message_html(READERS_ONLY, "error"), *[gr.skip()] * 3]
        job = self.uploads.cancel(job_id) if job_id else None
        if job is None:
            return [render.message_html("Choose an upload to cancel first. · 请先选择要取消的上传。"),
                    *self.queue_values(queue_version)]
        text = (f"Cancelling {printable(job.name)} · 正在取消" if job.active else
                f"{printable(job.name)}: {job.state} · {job.message}")
        return [render.message_html(text, "info"), *self.queue_values()]

    def on_remove(self, doc_ids: list | None, version: Any, request: gr.Request) -> list[Any]:
        if not self.may_edit(user_of(request)):
            return [render.message_html(READERS_ONLY, "error"), *[gr.skip()] * 5]
        if not doc_ids:
            return [render.message_html("Choose the reports to remove first. · 请先选择要移除的报告。"),
                    *[gr.skip()] * 5]
        try:
            removed = self.backend.remove(doc_ids)
        except ReportQAError as exc:
            return [render.message_html(str(exc), "error"), *self.docs_values(version)]
        lines = [f"{source}" + (" (file deleted · 文件已删除)" if deleted else "") for source, deleted in removed]
        text = "Removed · 已移除: " + ("; ".join(lines) if lines else "nothing (already gone) · 无")
        return [render.message_html(text, "ok"), *self.docs_values(version)]

    def on_reingest(self, version: Any, request: gr.Request, progress=gr.Progress()) -> list[Any]:
        if not self.may_edit(user_of(request)):
            return [render.message_html(READERS_ONLY, "error"), *[gr.skip()] * 5]
        try:
            report = self.backend.ingest(None, "reingest", gradio_progress(progress))
        except ReportQAError as exc:
            return [render.message_html(str(exc), "error"), *self.docs_values(version)]
        return [render.ingest_report_html(report), *self.docs_values(version)]

    def on_eval(self, set_name: str | None, answer_mode: str, progress=gr.Progress()) -> list[Any]:
        return evaluate_for_page(self.backend, set_name, answer_mode,
                                 gradio_progress(progress, "Evaluating · 评测", "steps"))
