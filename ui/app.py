"""The chat page: ask, read cited answers, open their sources, manage the reports, run an evaluation.

``build_app(settings, backend)`` returns the ``gr.Blocks``; ``ui.serve`` launches it. This module only assembles the
page: the components (``ui.layout``), the event functions (``ui.handlers``, over ``ui.backend.Backend``), the named API
(``ui.api``), the look (``ui.look``). The page only formats what the engine returns (``ui.render``) and calls the
engine, ingest and status APIs; it holds no retrieval logic.

Named API endpoints, for ``gradio_client`` and scripts (``Client(url).view_api()`` lists them with their types)::

    /ask        question, mode="" (extractive | llm), top_k=0 (0: the configured default), documents=[] (titles,
                file names or ids to search only), history=[] ({"role", "content"} messages) → answer record
                (the JSON of ``reportqa ask --json``)
    /documents  → [{title, source, lang, chunks, ingested_at, doc_id}]
    /upload     files=[handle_file(path), ...] → {saved, notes, failed: [{file, reason}], ingest} (waits for it)
    /queue_upload   files=[handle_file(path), ...] → [job]: queued like the page's uploads, returns at once
    /upload_queue   → [job]: {id, name, user, state (queued|checking|indexing|done|failed|cancelled), done, total,
                    message, submitted, seconds}
    /cancel_upload  id → the job (cancelled, or as it was when it had already finished)
    /remove     documents=[title, file name or id, ...] → {removed, files_deleted}
    /reingest   → the ingest report of the corpus folder and the uploaded reports
    /status     → the index status of ``reportqa status --json``
    /page_image document (a PDF report's doc_id), page → {image: PNG data URI, page, doc_id}: a cited page for
                the source viewer (only a report's own file in the corpus or uploads folder is opened)
    /evaluate   question_set (a file name in eval/questions), mode="" → the evaluation summary

History and ratings (the logged-in user's own conversations; see ``ui.history_page``)::

    /ask        conversation="" (not saved) | "new" | a conversation id → the record also has conversation, turn
    /conversations          → [{id, title, created, updated, turns}], the most recent first
    /conversation           id → {id, title, created, updated, report_filter, turns: [{question, answer record}]}
    /rename_conversation    id, title → the list;  /delete_conversation  id → the list
    /rate       conversation, turn (0-based), rating ("up" | "down"), note="", passage="" (c<n> or p<rank>)
    /rated      → {up, down, questions, skipped}: what ``reportqa feedback export`` would write
"""

from __future__ import annotations

import gradio as gr

from rag.settings import Settings
from ui import api
from ui.answering import answer_stream as _answer_stream
from ui.answering import contexts as _contexts
from ui.answering import write_export as _write_export
from ui.api import QUESTION_CONCURRENCY, PageApi
from ui.backend import Backend, Job
from ui.documents_page import discard_upload_copies
from ui.evaluation_page import evaluate_for_page as _evaluate_for_page
from ui.evaluation_page import question_sets as _question_sets
from ui.evaluation_page import run_evaluation_set as _run_evaluation
from ui.handlers import Handlers
from ui.history_page import PageHistory, passage_dropdown
from ui.layout import EXAMPLES, Layout
from ui.look import CSS, JS, launch_options
from ui.upload_queue import UploadQueue

# Re-exported: scripts and tests import these from ``ui.app``.
__all__ = ["CSS", "EXAMPLES", "JS", "QUESTION_CONCURRENCY", "Backend", "Job", "build_app", "launch_options",
           "_answer_stream", "_contexts", "_evaluate_for_page", "_question_sets", "_run_evaluation", "_write_export"]


def build_app(settings: Settings, backend: Backend | None = None) -> gr.Blocks:
    """The chat page over ``backend`` (a new ``Backend(settings)`` when none is given)."""
    backend = backend or Backend(settings)
    page_history = PageHistory(settings)
    uploads = UploadQueue(backend, discard_upload_copies)
    handlers = Handlers(settings, backend, page_history, uploads)
    with gr.Blocks(title="ReportQA · 报告问答", delete_cache=(3600, 24 * 3600)) as demo:
        page = Layout(settings)
        _wire_index(demo, page, handlers)
        _wire_chat(page, handlers)
        _wire_history(demo, page, handlers)
        _wire_documents(page, handlers)
        api.register(PageApi(settings, backend, page_history, uploads), page.api_files, page.api_result,
                     page.api_upload_trigger, page.api_queue_trigger)
    demo.queue(default_concurrency_limit=1, max_size=200)
    return demo


def _wire_index(demo: gr.Blocks, page: Layout, h: Handlers) -> None:
    outputs = [page.banner, *page.docs_outputs, *page.queue_outputs, page.timer]
    demo.load(h.on_load, inputs=[page.docs_version], outputs=outputs, api_visibility="private")
    page.timer.tick(h.on_tick, inputs=[page.docs_version, page.queue_version], outputs=outputs,
                    api_visibility="private", show_progress="hidden", queue=False)
    page.refresh_button.click(h.on_refresh, inputs=[page.docs_version], outputs=[page.banner, *page.docs_outputs],
                              api_visibility="private", queue=False)


def _wire_chat(page: Layout, h: Handlers) -> None:
    ask_inputs = [page.question, page.turns_state, page.mode, page.top_k, page.doc_filter, page.export_state,
                  page.conversation_state]
    ask_outputs = [page.chatbot, page.question, page.turns_state, page.export_button, page.export_state,
                   page.conversation_state, page.history_list, page.rate_turn, page.export_json_button,
                   page.history_message]
    for trigger in (page.question.submit, page.ask_button.click):
        trigger(h.on_ask, inputs=ask_inputs, outputs=ask_outputs, api_visibility="private",
                concurrency_id="questions", concurrency_limit=QUESTION_CONCURRENCY, show_progress="minimal")
    for trigger in (page.new_button.click, page.chatbot.clear):
        trigger(h.on_new, outputs=[page.chatbot, page.turns_state, page.export_button, page.export_state,
                                   page.question], api_visibility="private", queue=False)
        trigger(h.on_new_conversation,
                outputs=[page.conversation_state, page.history_list, page.export_json_button, page.rate_turn,
                         page.rate_message, page.rename_box, page.doc_filter], api_visibility="private", queue=False)


def _wire_history(demo: gr.Blocks, page: Layout, h: Handlers) -> None:
    events = {"api_visibility": "private", "concurrency_id": "history", "concurrency_limit": 8}
    fresh_chat = [page.chatbot, page.turns_state, page.conversation_state, page.export_button, page.export_state,
                  page.export_json_button]
    demo.load(h.on_history_load, outputs=[page.history_list, page.history_message, page.rated_info], **events)
    page.history_list.input(h.on_open, inputs=[page.history_list, page.top_k],
                            outputs=[*fresh_chat, page.doc_filter, page.rename_box, page.rate_turn,
                                     page.history_message], **events)
    page.rename_button.click(h.on_rename, inputs=[page.conversation_state, page.rename_box],
                             outputs=[page.history_list, page.history_message], **events)
    page.delete_button.click(h.on_delete, inputs=[page.conversation_state],
                             outputs=[page.history_list, page.history_message, *fresh_chat, page.rename_box,
                                      page.rate_turn], **events)
    page.chatbot.like(h.on_like, inputs=[page.conversation_state, page.turns_state],
                      outputs=[page.rate_panel, page.rate_turn, page.rate_value, page.rate_passage, page.rate_note,
                               page.rate_message, page.rated_info], **events)
    page.rate_turn.change(passage_dropdown, inputs=[page.turns_state, page.rate_turn], outputs=[page.rate_passage],
                          api_visibility="private", queue=False)
    page.rate_button.click(h.on_rate, inputs=[page.conversation_state, page.turns_state, page.rate_turn,
                                              page.rate_value, page.rate_note, page.rate_passage],
                           outputs=[page.rate_message, page.rated_info], **events)
    page.rated_button.click(h.on_rated_eval, inputs=[page.eval_mode], outputs=page.eval_outputs,
                            concurrency_id="eval", concurrency_limit=1, api_visibility="private")


def _wire_documents(page: Layout, h: Handlers) -> None:
    events = {"concurrency_id": "ingest", "concurrency_limit": 1, "api_visibility": "private"}
    # Queued at once (the queue's own thread reads and indexes), so no ingest concurrency slot is held.
    page.upload.upload(h.on_upload, inputs=[page.upload],
                       outputs=[page.docs_message, *page.queue_outputs, page.upload, page.timer],
                       api_visibility="private", queue=False)
    page.cancel_button.click(h.on_cancel, inputs=[page.cancel_select, page.queue_version],
                             outputs=[page.docs_message, *page.queue_outputs], api_visibility="private", queue=False)
    page.remove_button.click(h.on_remove, inputs=[page.remove_select, page.docs_version],
                             outputs=[page.docs_message, *page.docs_outputs], **events)
    page.reingest_button.click(h.on_reingest, inputs=[page.docs_version],
                               outputs=[page.docs_message, *page.docs_outputs], **events)
    page.eval_button.click(h.on_eval, inputs=[page.question_set, page.eval_mode], outputs=page.eval_outputs,
                           concurrency_id="eval", concurrency_limit=1, api_visibility="private")
