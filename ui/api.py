"""The page's named API endpoints (``/ask``, ``/documents``, ``/upload``, ...; listed in ``ui.app``'s docstring),
for ``gradio_client`` and scripts. ``register(...)`` is called inside the page's ``gr.Blocks``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import ReportQAError
from rag.settings import Settings
from ui.backend import Backend
from ui.documents_page import upload
from ui.evaluation_page import run_evaluation_set
from ui.history_page import PageHistory, user_of
from ui.upload_queue import UploadQueue, upload_pairs
from ui.users import editor_check

# Questions answered at once, page and API together; more wait in the queue. Ingests run one at a time in their own
# queue, so an upload never holds up a question.
QUESTION_CONCURRENCY = 4


def api_errors(fn: Callable) -> Callable:
    """Domain errors reach API clients as their message (``gr.Error``) instead of a bare "Error"."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ReportQAError as exc:
            raise gr.Error(str(exc)) from None

    return wrapper


def api_ask(backend: Backend, question: str, mode: str, top_k: int, documents: list[str] | None,
            history: list[dict] | None) -> dict:
    return api_answer(backend, question, mode, top_k, documents, history).to_record()


def api_answer(backend: Backend, question: str, mode: str, top_k: int, documents: list[str] | None,
               history: list[dict] | None) -> Any:
    if mode not in ("", None, "extractive", "llm"):
        raise gr.Error(f"unknown mode {mode!r}; choose extractive or llm")
    try:
        engine = backend.engine()
        return engine.ask(question, history=history or None, mode=mode or None, top_k=top_k or None,
                          documents=[d for d in documents or [] if d] or None)
    except ReportQAError as exc:
        raise gr.Error(str(exc)) from None


class PageApi:
    """The endpoint functions; their names and docstrings are what ``view_api()`` shows."""

    def __init__(self, settings: Settings, backend: Backend, page_history: PageHistory, uploads: UploadQueue) -> None:
        self.settings = settings
        self.backend = backend
        self.history = page_history
        self.uploads = uploads
        self.may_edit = editor_check(settings)

    def _editor(self, request: gr.Request | None) -> None:
        if not self.may_edit(user_of(request)):
            raise ReportQAError("only editors may change the reports")

    def ask(self, question: str, mode: str = "", top_k: int = 0, documents: list[str] | None = None,
            history: list[dict] | None = None, conversation: str = "", request: gr.Request = None) -> dict:
        """Answer one question with numbered citations; returns the answer record of `reportqa ask --json`.
        With conversation ("new" or an id), the turn is saved in the user's history."""
        if not conversation:
            return api_ask(self.backend, question, mode, top_k, documents, history)
        answer = api_answer(self.backend, question, mode, top_k, documents, history)
        try:
            saved = self.history.save_api_turn(user_of(request), conversation, question, answer, documents or [])
        except ReportQAError as exc:
            raise gr.Error(str(exc)) from None
        return {**answer.to_record(), **saved}

    def conversations(self, request: gr.Request) -> list[dict]:
        """The logged-in user's saved conversations, the most recent first."""
        return [{"id": i.id, "title": i.title, "created": i.created, "updated": i.updated, "turns": i.turns}
                for i in self.history.require().conversations(user_of(request), self.settings.serve.history_listed)]

    def conversation(self, conversation: str, request: gr.Request) -> dict:
        """One saved conversation with each question and its answer record."""
        return self.history.require().load(user_of(request), conversation).to_record()

    def rename_conversation(self, conversation: str, title: str, request: gr.Request) -> list[dict]:
        """Rename one of the user's conversations; returns the list."""
        self.history.require().rename(user_of(request), conversation, title)
        return self.conversations(request)

    def delete_conversation(self, conversation: str, request: gr.Request) -> list[dict]:
        """Delete one of the user's conversations; returns the list."""
        self.history.require().delete(user_of(request), conversation)
        return self.conversations(request)

    def rate(self, conversation: str, turn: int, rating: str, note: str = "", passage: str = "",
             request: gr.Request = None) -> dict:
        """Rate an answer up or down, with a note and the passage (c<n> or p<rank>) holding the right answer."""
        from ui.feedback import rate as store_rating

        return store_rating(self.history.require(), user_of(request), conversation, turn, rating, note,
                            passage or None)

    def rated(self) -> dict:
        """How many rated questions `reportqa feedback export` would write."""
        from ui.feedback import summary

        return summary(self.history.require())

    def documents(self) -> list[dict]:
        """The reports in the index."""
        return [
            {"title": r.title, "source": r.source, "lang": r.lang, "chunks": r.n_chunks,
             "ingested_at": r.ingested_at, "doc_id": r.doc_id}
            for r in self.backend.documents()
        ]

    def page_image(self, document: str, page: int) -> dict:
        """Page ``page`` of an indexed PDF report (its doc_id) as a PNG data URI: {image, page, doc_id}. Only a
        report's own file inside the corpus or uploads folder is opened."""
        from ui.page_image import page_data_uri, shown_file

        record = next((r for r in self.backend.documents() if r.doc_id == document and r.kind == "pdf"), None)
        if record is None:
            raise ReportQAError(f"no PDF report with id {str(document)[:40]!r} in the index")
        path = shown_file(record.path, [self.settings.corpus_dir, *self.backend.ingest_roots()])
        return {"image": page_data_uri(path, int(page)), "page": int(page), "doc_id": record.doc_id}

    def upload(self, files: list | None, request: gr.Request = None) -> dict:
        self._editor(request)
        result = upload(self.backend, files or [], None)
        report = result["report"]
        return {
            "saved": result["saved"],
            "notes": result["notes"],
            "failed": [{"file": name, "reason": reason} for name, reason in result["failed"]]
            + ([{"file": Path(f.path).name, "reason": f.reason} for f in report.failed] if report else []),
            "ingest": report.to_dict() if report else None,
        }

    def queue_upload(self, files: list | None, request: gr.Request = None) -> list[dict]:
        """Queue report files as the page does (read within the ingest's budgets, then indexed); returns the jobs."""
        self._editor(request)
        return [j.to_record() for j in self.uploads.submit(upload_pairs(files or []), user_of(request))]

    def upload_queue(self) -> list[dict]:
        """The upload queue: every listed job, oldest first."""
        return [j.to_record() for j in self.uploads.jobs()]

    def cancel_upload(self, id: str, request: gr.Request = None) -> dict:  # noqa: A002  (the API's parameter name)
        """Cancel a queued or running upload."""
        self._editor(request)
        job = self.uploads.cancel(id)
        if job is None:
            raise ReportQAError(f"no upload {id!r} in the queue")
        return job.to_record()

    def remove(self, documents: list[str], request: gr.Request = None) -> dict:
        """Take reports out of the index (by title, path, file name or id); uploaded files are deleted."""
        self._editor(request)
        ids = self.backend.resolve(documents or [])
        removed = self.backend.remove(ids)
        return {"removed": [source for source, _ in removed], "files_deleted": [s for s, d in removed if d]}

    def reingest(self, request: gr.Request = None) -> dict:
        """Ingest the corpus folder and the uploaded reports again (only changes are embedded)."""
        self._editor(request)
        return self.backend.ingest(None, "reingest").to_dict()

    def status(self) -> dict:
        """What is in the index: documents, chunks, embedder, problems."""
        from rag.status import index_status

        return index_status(self.settings)

    def evaluate(self, question_set: str, mode: str = "") -> dict:
        """Run a question set from eval/questions; returns the summary (metrics, failures, chart paths)."""
        return run_evaluation_set(self.backend, question_set, mode or None, None)


def register(api: PageApi, files: gr.File, result: gr.JSON, trigger: gr.Button, queue_trigger: gr.Button) -> None:
    """Declare the named endpoints (inside the page's ``gr.Blocks``); ``files``, ``result`` and the triggers are the
    hidden components behind ``/upload`` and ``/queue_upload``."""
    gr.api(api.ask, api_name="ask", concurrency_id="questions", concurrency_limit=QUESTION_CONCURRENCY)
    gr.api(api_errors(api.documents), api_name="documents", queue=False)
    trigger.click(api_errors(api.upload), inputs=[files], outputs=[result], api_name="upload",
                  concurrency_id="ingest", concurrency_limit=1,
                  api_description="Store and ingest report files (handle_file(...) list).")
    queue_trigger.click(api_errors(api.queue_upload), inputs=[files], outputs=[result], api_name="queue_upload",
                        queue=False, api_description="Queue report files (handle_file(...) list); returns the jobs.")
    gr.api(api_errors(api.upload_queue), api_name="upload_queue", queue=False)
    gr.api(api_errors(api.cancel_upload), api_name="cancel_upload", queue=False)
    gr.api(api_errors(api.remove), api_name="remove", concurrency_id="ingest", concurrency_limit=1)
    gr.api(api_errors(api.reingest), api_name="reingest", concurrency_id="ingest", concurrency_limit=1)
    gr.api(api_errors(api.status), api_name="status", queue=False)
    gr.api(api_errors(api.page_image), api_name="page_image", concurrency_id="pages", concurrency_limit=2)
    gr.api(api_errors(api.evaluate), api_name="evaluate", concurrency_id="eval", concurrency_limit=1)
    for endpoint in (api.conversations, api.conversation, api.rename_conversation, api.delete_conversation,
                     api.rate, api.rated):
        gr.api(api_errors(endpoint), api_name=endpoint.__name__, concurrency_id="history", concurrency_limit=8)
