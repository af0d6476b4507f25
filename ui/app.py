"""The chat page: ask, read cited answers, open their sources, manage the reports, run an evaluation.

``build_app(settings, backend)`` returns the ``gr.Blocks``; ``ui.serve`` launches it. The page only formats what the
engine returns (``ui.render``) and calls the engine, ingest and status APIs; it holds no retrieval logic.

Named API endpoints, for ``gradio_client`` and scripts (``Client(url).view_api()`` lists them with their types)::

    /ask        question, mode="" (extractive | llm), top_k=0 (0: the configured default), documents=[] (titles,
                file names or ids to search only), history=[] ({"role", "content"} messages) → answer record
                (the JSON of ``reportqa ask --json``)
    /documents  → [{title, source, lang, chunks, ingested_at, doc_id}]
    /upload     files=[handle_file(path), ...] → {saved, notes, failed: [{file, reason}], ingest}
    /remove     documents=[title, file name or id, ...] → {removed, files_deleted}
    /reingest   → the ingest report of the corpus folder and the uploaded reports
    /status     → the index status of ``reportqa status --json``
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

import functools
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from rag.engine import MAX_QUESTION_CHARS
from rag.errors import EmptyIndexError, ReportQAError
from rag.files import printable
from rag.settings import Settings
from ui import render
from ui.history_page import RATINGS, PageHistory, passage_dropdown, user_of
from ui.uploads import allowed_extensions, delete_upload, is_upload, save_uploads, uploads_dir

logger = logging.getLogger(__name__)

# Questions answered at once, page and API together; more wait in the queue. Ingests run one at a time in their own
# queue, so an upload never holds up a question.
QUESTION_CONCURRENCY = 4
EXAMPLES = [
    "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？",
    "医疗影像识别创业案例中，团队从医院拿到了多少张带标注的影像？",
    "What date is printed on the Q1 2024 AI platform market insights report?",
    "In the trial-period article, which vendor was the SaaS company's leadership planning to approach for speech "
    "and OCR support?",
]


# -- the backend: engine, ingests, job state -------------------------------------------------------------------


@dataclass
class Job:
    """The ingest that is running (or ran last), for the banner and the terminal."""

    kind: str = ""
    label: str = ""
    done: int = 0
    total: int = 0
    running: bool = False
    outcome: str = ""
    failed: bool = False


class Backend:
    """What the page needs from the index: the engine (opened when there is an index), ingests and removals.

    Ingests run one at a time (``_write_lock``; the data directory's file lock also keeps out a CLI ingest) with
    their own embedder instance, so questions never wait behind a batch of passages being embedded.
    """

    def __init__(self, settings: Settings, engine_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._engine_factory = engine_factory
        self._engine = None
        self._engine_error: str = ""
        self._engine_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._ingest_embedder = None
        self._question_embedder = None
        self.job = Job()

    # engine ------------------------------------------------------------------------------------------------

    def engine(self):
        """The engine, opened on first use.

        Raises:
            EmptyIndexError: nothing has been ingested yet.
            ReportQAError: the index cannot be opened (another embedder, an unreadable store).
        """
        with self._engine_lock:
            if self._engine is None:
                if self._engine_factory is not None:
                    self._engine = self._engine_factory()
                else:
                    from rag.engine import Engine

                    self._engine = Engine.from_settings(self.settings, embedder=self._query_embedder())
                self._engine_error = ""
            return self._engine

    def try_engine(self):
        """The engine, or ``None`` (with ``engine_problem`` set) when there is no usable index yet."""
        try:
            return self.engine()
        except EmptyIndexError:
            self._engine_error = ""
            return None
        except ReportQAError as exc:
            self._engine_error = str(exc)
            return None

    @property
    def engine_problem(self) -> str:
        return self._engine_error

    def refresh(self) -> None:
        """After a write: let the engine pick up the new index (or open it, if this was the first ingest)."""
        engine = self._engine
        if engine is not None:
            engine.refresh()
        else:
            self.try_engine()

    def documents(self) -> list[Any]:
        """The complete documents in the index, by title."""
        engine = self._engine
        if engine is not None:
            return engine.documents()
        from rag.manifest import Manifest

        return sorted(Manifest.load(self.settings.manifest_path).complete(), key=lambda r: r.title)

    def ingest_roots(self) -> list[Path]:
        """What "re-ingest" covers: the corpus folder and the uploaded reports."""
        roots = [self.settings.corpus_dir]
        if uploads_dir(self.settings).is_dir():
            roots.append(uploads_dir(self.settings))
        return roots

    # writes ------------------------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path] | None, kind: str, progress: Callable[[int, int, str], None] | None = None):
        """Run one ingest (waiting for any other), keeping ``job`` up to date; returns the ``IngestReport``."""
        from ingest.pipeline import run_ingest

        with self._write_lock:
            self.job = Job(kind=kind, label="starting", running=True)
            try:
                embedder = self._embedder_for_ingest()

                def update(done: int, total: int, label: str) -> None:
                    self.job.done, self.job.total, self.job.label = done, total, label
                    if progress is not None:
                        progress(done, total, label)

                report = run_ingest(self.settings, list(paths) if paths else self.ingest_roots(), progress=update,
                                    embedder=embedder)
            except ReportQAError as exc:
                self.job.running, self.job.failed, self.job.outcome = False, True, str(exc)
                raise
            except Exception as exc:
                self.job.running, self.job.failed, self.job.outcome = False, True, f"ingest failed: {exc}"
                raise
            self.job.running = False
            self.job.failed = not report.ok
            self.job.outcome = (
                f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
                f"failed {len(report.failed)} ({report.seconds:.1f} s)"
            ) + "".join(f"; {Path(f.path).name}: {f.reason}" for f in report.failed[:3])
            self.refresh()
            return report

    def remove(self, doc_ids: Sequence[str]) -> list[tuple[str, bool]]:
        """Take documents out of the index; an uploaded report's file is deleted too (else a re-ingest would bring
        it back). Returns (source, file deleted) pairs."""
        from ingest.pipeline import remove_documents

        with self._write_lock:
            records = {r.doc_id: r for r in self.documents()}
            wanted = [d for d in dict.fromkeys(doc_ids) if d in records]
            removed = set(remove_documents(self.settings, wanted)) if wanted else set()
            out = []
            for doc_id in wanted:
                record = records[doc_id]
                if record.source in removed:
                    out.append((record.source, delete_upload(record.path, self.settings)))
            self.refresh()
            return out

    def resolve(self, names: Sequence[str]) -> list[str]:
        """Document ids for titles, paths, file names or ids (see ``Engine.resolve_documents``)."""
        engine = self.engine()
        return engine.resolve_documents([n for n in names if n and n.strip()])

    @staticmethod
    def _warm_up(engine) -> None:
        # The first question would otherwise pay for loading the tokenizer dictionaries and the first query embedding.
        from rag.specificity import warm

        try:
            engine.retrieve("报告 report", k=1)
            warm()
        except ReportQAError as exc:
            logger.info("warm-up skipped: %s", exc)

    def _query_embedder(self):
        # Kept across failed opens (no index yet), so each attempt does not load the model again.
        if self._question_embedder is None:
            from rag.embedders import make_embedder

            self._question_embedder = make_embedder(self.settings)
        return self._question_embedder

    def _embedder_for_ingest(self):
        if self._ingest_embedder is None:
            self._ingest_embedder = _SecondEmbedder(self.settings, self._query_embedder())
        return self._ingest_embedder

    def startup(self, progress: Callable[[int, int, str], None] | None = None) -> None:
        """Open the index if there is one, then bring it in line with the corpus folder and the uploads (cheap
        when nothing changed). Runs in a background thread while the page is already served."""
        self.job = Job(kind="startup", label="opening the index", running=True)
        engine = self.try_engine()
        if engine is not None:
            self._warm_up(engine)
        try:
            self.ingest(None, "startup", progress)
        except ReportQAError as exc:
            logger.error("startup ingest: %s", printable(exc))


class _SecondEmbedder:
    """The configured embedder for ingests: a model instance of its own (loaded on the first batch), so embedding
    passages never holds the lock that questions' query embeddings wait on. An ingest that finds nothing changed
    only needs the name and dimension, and loads nothing."""

    def __init__(self, settings: Settings, like: Any) -> None:
        self.name, self.dim = like.name, like.dim
        self._settings = settings
        self._model = None
        self._lock = threading.Lock()

    def _loaded(self):
        with self._lock:
            if self._model is None:
                from rag.embedders import make_embedder

                self._model = make_embedder(self._settings)
            return self._model

    def embed_passages(self, texts):
        return self._loaded().embed_passages(texts)

    def embed_query(self, text):
        return self._loaded().embed_query(text)


# -- page ------------------------------------------------------------------------------------------------------

CSS = """
.rq-header h1 { margin: 0; font-size: 1.5rem; }
.rq-header p { margin: .15rem 0 0; color: var(--body-text-color-subdued); }
#rq-chat .rq-question { white-space: normal; }
.rq-answer { line-height: 1.6; }
.rq-answer-text { white-space: normal; }
.rq-ref { color: var(--color-accent); font-weight: 600; font-size: .75em; margin: 0 1px; cursor: default; }
.rq-caret::after { content: "▍"; animation: rq-blink 1s steps(1) infinite; color: var(--body-text-color-subdued); }
@keyframes rq-blink { 50% { opacity: 0; } }
.rq-refused { border-left: 4px solid #d97706; padding-left: .75rem; }
.rq-refusal-head { font-weight: 600; color: #b45309; margin-bottom: .3rem; display: flex; gap: .4rem;
  align-items: center; }
.rq-refusal-icon { display: inline-flex; width: 1.3em; height: 1.3em; border-radius: 50%; background: #d97706;
  color: #fff; align-items: center; justify-content: center; font-size: .8em; }
.rq-notice { background: var(--background-fill-secondary); border: 1px dashed var(--border-color-primary);
  border-radius: 6px; padding: .25rem .5rem; margin-bottom: .4rem; font-size: .85em; }
.rq-error .rq-answer-text { color: #b91c1c; }
.rq-cards-title { margin-top: .7rem; font-size: .8em; font-weight: 600; text-transform: uppercase;
  color: var(--body-text-color-subdued); letter-spacing: .03em; }
.rq-cards { display: flex; flex-direction: column; gap: .45rem; margin-top: .35rem; }
.rq-card { border: 1px solid var(--border-color-primary); border-radius: 8px; font-size: .88em;
  background: var(--background-fill-primary); }
.rq-card summary { list-style: none; cursor: pointer; padding: .5rem .65rem; display: block; }
.rq-card summary::-webkit-details-marker { display: none; }
.rq-card-head { display: flex; flex-wrap: wrap; gap: .25rem .5rem; align-items: baseline; margin-bottom: .25rem; }
.rq-card-n { font-weight: 700; color: var(--color-accent); }
.rq-card-title { font-weight: 600; }
.rq-card-section, .rq-card-page { color: var(--body-text-color-subdued); }
.rq-card-section::before, .rq-card-page::before { content: "›"; margin-right: .35rem; }
.rq-unsupported { color: #b45309; font-size: .85em; }
.rq-passage { color: var(--body-text-color); max-height: 9.5em; overflow: hidden; }
.rq-details[open] .rq-passage { display: none; }
mark.rq-quote { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.rq-open-hint { margin-top: .3rem; font-size: .85em; color: var(--color-accent); }
.rq-details[open] .rq-when-closed, .rq-details:not([open]) .rq-when-open { display: none; }
.rq-viewer { border-top: 1px solid var(--border-color-primary); padding: .5rem .65rem .65rem; }
.rq-viewer-head { font-size: .8em; color: var(--body-text-color-subdued); margin-bottom: .35rem;
  font-family: var(--font-mono); }
.rq-viewer-body { position: relative; max-height: 22em; overflow-y: auto; background: var(--background-fill-secondary);
  padding: .5rem .6rem; border-radius: 6px; }
.rq-ctx { color: var(--body-text-color-subdued); }
.rq-ctx-edge { font-size: .75em; color: var(--body-text-color-subdued); font-style: italic; margin: .1rem 0; }
.rq-focus { border-left: 3px solid var(--color-accent); padding: .2rem .5rem; margin: .2rem 0;
  background: var(--background-fill-primary); border-radius: 0 4px 4px 0; }
.rq-footer { display: flex; align-items: center; gap: .6rem; margin-top: .6rem; font-size: .8em;
  color: var(--body-text-color-subdued); }
.rq-copy { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .05rem .5rem;
  background: var(--background-fill-secondary); cursor: pointer; color: var(--body-text-color); }
.rq-plain { display: none !important; }
.rq-progress { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .75rem; }
.rq-progress-track { height: 8px; background: var(--background-fill-secondary); border-radius: 4px; overflow: hidden;
  margin-top: .35rem; }
.rq-progress-fill { height: 100%; background: var(--color-accent); transition: width .4s; }
.rq-message { padding: .45rem .7rem; border-radius: 6px; border: 1px solid var(--border-color-primary); }
.rq-message.rq-error, .rq-has-failures { border-color: #dc2626; }
.rq-message.rq-ok, .rq-report.rq-ok { border-color: #16a34a; }
.rq-report { padding: .45rem .7rem; border-radius: 6px; border: 1px solid var(--border-color-primary); }
.rq-failures { margin: .3rem 0 0 1.1rem; color: #b91c1c; }
.rq-report-note { color: #b45309; }
.rq-table table, .rq-table table * { font-family: var(--font) !important; }
.rq-index-info { font-size: .9em; color: var(--body-text-color-subdued); margin-top: .5rem; }
"""

# One delegated click handler for every answer's copy button (messages are re-rendered, so per-button handlers would
# be lost; inline handlers are stripped by the chat's sanitizer, as they should be).
JS = """
() => {
  if (window.__reportqaCopy) return;
  window.__reportqaCopy = true;
  document.addEventListener('click', async (event) => {
    const button = event.target.closest ? event.target.closest('.rq-copy') : null;
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    const plain = button.parentElement.querySelector('.rq-plain');
    const text = plain ? plain.textContent : '';
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (e) {
      const area = document.createElement('textarea');
      area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select();
      try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
      area.remove();
    }
    button.dataset.copied = ok ? 'yes' : 'no';
    button.textContent = ok ? 'Copied · 已复制' : 'Copy failed · 复制失败';
    setTimeout(() => { button.textContent = 'Copy · 复制'; }, 1600);
  }, true);
  // Opening a card: scroll its source viewer to the quoted sentence ("toggle" does not bubble; capture it).
  document.addEventListener('toggle', (event) => {
    const details = event.target;
    if (!details.classList || !details.classList.contains('rq-details') || !details.open) return;
    const body = details.querySelector('.rq-viewer-body');
    const target = details.querySelector('.rq-viewer .rq-quote') || details.querySelector('.rq-viewer .rq-focus');
    if (body && target) body.scrollTop = Math.max(0, target.offsetTop - body.clientHeight / 3);
  }, true);
}
"""


def _theme() -> gr.themes.Base:
    # Local fonts only (no CDN), with the usual Chinese system fonts as fallbacks.
    cjk = ["PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
           "WenQuanYi Micro Hei", "sans-serif"]
    return gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), *cjk],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "Noto Sans Mono CJK SC", "monospace"],
    )


def launch_options(settings: Settings) -> dict[str, Any]:
    """The ``launch()`` keywords that go with the page (look, limits, no telemetry, no share link, nothing fetched
    on a caller's behalf: see ``ui.guard``)."""
    from starlette.middleware import Middleware

    from ui.guard import RefuseFetches
    from ui.logins import LoginThrottle, ThrottleLogins

    guard = Middleware(RefuseFetches, upload_dir=gr.utils.get_upload_folder(),
                       quota_bytes=int(settings.serve.upload_quota_mb * 2**20))
    logins = Middleware(ThrottleLogins, throttle=LoginThrottle.from_settings(settings.serve))
    tls = settings.serve.ssl_certfile is not None
    return {
        "app_kwargs": {"middleware": [logins, guard]},
        "ssl_certfile": str(settings.serve.ssl_certfile) if tls else None,
        "ssl_keyfile": str(settings.serve.ssl_keyfile) if tls else None,
        # Gradio's start-up check of its own URL would refuse a self-signed certificate; it only talks to itself.
        "ssl_verify": not tls,
        "theme": _theme(),
        "css": CSS,
        "js": JS,
        "max_file_size": int(settings.serve.max_upload_mb * 2**20),
        "share": False,
        "footer_links": ["api", "settings"],
        "run_history": False,
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        # Exports are written into the data directory, which may lie outside the working and temp folders.
        "allowed_paths": [str(settings.exports_dir.resolve())],
    }


def build_app(settings: Settings, backend: Backend | None = None) -> gr.Blocks:
    """The chat page over ``backend`` (a new ``Backend(settings)`` when none is given)."""
    backend = backend or Backend(settings)
    page_history = PageHistory(settings)
    llm_ready = settings.llm.configured
    mode_choices = [("Extractive · 抽取式", "extractive")] + ([("LLM · 生成式", "llm")] if llm_ready else [])
    default_mode = settings.answer.mode if (settings.answer.mode != "llm" or llm_ready) else "extractive"

    with gr.Blocks(title="ReportQA · 报告问答", delete_cache=(3600, 24 * 3600)) as demo:
        turns_state = gr.State([])
        export_state = gr.State("")
        docs_version = gr.State(None)
        conversation_state = gr.State("")

        with gr.Row(elem_classes="rq-header"):
            gr.HTML(
                "<h1>ReportQA · 报告问答</h1><p>Ask the industry reports; every answer cites its sources. · "
                "向行业报告提问，每个回答都注明出处。</p>"
            )
        banner = gr.HTML("", elem_classes="rq-banner", elem_id="rq-banner", visible=False)

        with gr.Tabs():
            with gr.Tab("Chat · 问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=4, min_width=480):
                        chatbot = gr.Chatbot(
                            elem_id="rq-chat",
                            height=640,
                            show_label=False,
                            latex_delimiters=[],
                            buttons=[],
                            feedback_options=("Like", "Dislike"),
                            group_consecutive_messages=False,
                            placeholder="Ask a question about the reports below, in Chinese or English. · "
                            "用中文或英文提问。",
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                show_label=False,
                                placeholder="Your question · 你的问题 (Enter to ask · 回车提问; Shift+Enter: new line)",
                                lines=1,  # with one line, Enter submits (Shift+Enter breaks the line)
                                max_lines=6,
                                max_length=MAX_QUESTION_CHARS,
                                scale=8,
                                elem_id="rq-question",
                                autofocus=True,
                            )
                            ask_button = gr.Button("Ask · 提问", variant="primary", scale=1, min_width=90,
                                                   elem_id="rq-ask")
                        gr.Examples(EXAMPLES, inputs=[question], label="Examples · 示例问题")
                        with gr.Row():
                            new_button = gr.Button("New conversation · 新对话", size="sm", elem_id="rq-new")
                            export_button = gr.DownloadButton(
                                "Export Markdown · 导出对话", size="sm", interactive=False, elem_id="rq-export"
                            )
                            export_json_button = gr.DownloadButton(
                                "Export JSON · 导出 JSON", size="sm", interactive=False, elem_id="rq-export-json"
                            )
                        with gr.Accordion("Rate an answer · 评价回答", open=False, elem_id="rq-rate") as rate_panel:
                            with gr.Row():
                                rate_turn = gr.Dropdown(choices=[], value=None, label="Answer · 回答",
                                                        elem_id="rq-rate-turn")
                                rate_value = gr.Radio(RATINGS, value=None, label="Rating · 评价",
                                                      elem_id="rq-rate-value")
                            rate_passage = gr.Dropdown(
                                choices=[], value=None, label="Passage that holds the right answer · 包含正确答案的段落",
                                info="For a wrong answer: pick it from the sources · 回答有误时从来源中选择",
                                elem_id="rq-rate-passage",
                            )
                            rate_note = gr.Textbox(label="Note · 备注", lines=2, max_length=2000,
                                                   elem_id="rq-rate-note")
                            rate_button = gr.Button("Save rating · 保存评价", size="sm", elem_id="rq-rate-save")
                            rate_message = gr.HTML("", elem_id="rq-rate-message")
                    with gr.Column(scale=1, min_width=260):
                        gr.Markdown("### Settings · 设置")
                        mode = gr.Radio(
                            mode_choices, value=default_mode, label="Answer mode · 回答方式",
                            info=None if llm_ready else (
                                "LLM mode needs REPORTQA_LLM_BASE_URL and REPORTQA_LLM_MODEL. · 配置 LLM 端点后可用生成式回答。"
                            ),
                            elem_id="rq-mode",
                        )
                        top_k = gr.Slider(1, 10, value=min(10, settings.retrieval.top_k), step=1,
                                          label="Sources · 来源数量", elem_id="rq-topk")
                        doc_filter = gr.Dropdown(
                            choices=[], value=[], multiselect=True, label="Only these reports · 仅限这些报告",
                            info="Empty = all reports · 留空表示全部", elem_id="rq-docfilter",
                        )
                        index_info = gr.HTML("", elem_classes="rq-index-info")
                        gr.Markdown("### Conversations · 对话记录")
                        history_list = gr.Radio(choices=[], value=None, show_label=False, elem_id="rq-history")
                        rename_box = gr.Textbox(label="Name · 名称", max_length=200, elem_id="rq-rename")
                        with gr.Row():
                            rename_button = gr.Button("Rename · 重命名", size="sm", elem_id="rq-rename-save")
                            delete_button = gr.Button("Delete · 删除", size="sm", variant="stop",
                                                      elem_id="rq-delete")
                        history_message = gr.HTML("", elem_id="rq-history-message")

            with gr.Tab("Documents · 文档", id="documents"):
                docs_table = gr.Dataframe(
                    headers=render.DOCUMENT_COLUMNS, value=[], interactive=False, wrap=True,
                    label="Reports in the index · 索引中的报告", elem_id="rq-docs", elem_classes="rq-table",
                )
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(
                            file_count="multiple",
                            file_types=list(allowed_extensions(settings)),
                            label=f"Add reports · 添加报告 ({', '.join(allowed_extensions(settings))}; "
                            f"≤ {settings.serve.max_upload_mb:g} MB each · 每个文件)",
                            elem_id="rq-upload",
                        )
                    with gr.Column():
                        remove_select = gr.Dropdown(choices=[], value=[], multiselect=True,
                                                    label="Remove reports · 移除报告", elem_id="rq-remove-select")
                        with gr.Row():
                            remove_button = gr.Button("Remove · 移除", variant="stop", size="sm", elem_id="rq-remove")
                            reingest_button = gr.Button("Re-ingest folder · 重新导入文件夹", size="sm",
                                                        elem_id="rq-reingest")
                            refresh_button = gr.Button("Refresh · 刷新", size="sm", elem_id="rq-refresh")
                        gr.Markdown(
                            f"Re-ingest reads `{settings.corpus_dir}` and the uploaded reports again (only changes are "
                            "embedded). Removing a report from the corpus folder lasts until the next re-ingest; "
                            "removing an uploaded report deletes its file. · 重新导入只处理有变化的文件。"
                        )
                docs_message = gr.HTML("", elem_id="rq-docs-message")

            with gr.Tab("Evaluation · 评测", id="evaluation"):
                with gr.Row():
                    question_set = gr.Dropdown(choices=_question_sets(), value=(_question_sets() or [None])[0],
                                               label="Question set · 问题集", elem_id="rq-eval-set")
                    eval_mode = gr.Radio(mode_choices, value=default_mode, label="Answer mode · 回答方式")
                    eval_button = gr.Button("Run evaluation · 运行评测", variant="primary", elem_id="rq-eval-run")
                with gr.Row():
                    rated_info = gr.HTML("", elem_id="rq-rated-info")
                    rated_button = gr.Button("Run rated questions · 运行已评价的问题", size="sm",
                                             elem_id="rq-rated-run")
                eval_message = gr.HTML("")
                metrics_table = gr.Dataframe(value=[], interactive=False, label="Metrics · 指标", wrap=True,
                                             elem_classes="rq-table", elem_id="rq-eval-metrics")
                with gr.Row():
                    type_chart = gr.Image(label="Per-type chart · 分类型图表", type="pil", interactive=False,
                                          height=420, elem_id="rq-eval-chart")
                    other_charts = gr.Gallery(label="More charts · 其他图表", columns=1, height=420,
                                              object_fit="contain", interactive=False, allow_preview=True)
                failures_table = gr.Dataframe(
                    value=[], interactive=False, label="Failures · 失败的问题", wrap=True, elem_classes="rq-table",
                    column_widths=["7%", "8%", "17%", "15%", "13%", "17%", "23%"], max_height=720,
                    elem_id="rq-eval-failures",
                )

        timer = gr.Timer(1.0, active=False)

        # Hidden components behind the file-upload API (a real gr.File keeps Gradio's checks on uploaded paths).
        api_files = gr.File(file_count="multiple", visible=False)
        api_result = gr.JSON(visible=False)
        api_upload_trigger = gr.Button(visible=False)

        # -- handlers --------------------------------------------------------------------------------------------

        docs_outputs = [docs_table, doc_filter, remove_select, index_info, docs_version]

        def docs_values(known_version: Any = None, force: bool = True) -> list[Any]:
            records = backend.documents()
            version = tuple((r.doc_id, r.content_hash) for r in records)
            if not force and version == known_version:
                return [gr.skip()] * len(docs_outputs)
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

        def banner_html() -> str:
            job = backend.job
            if job.running:
                label = {"startup": "Checking and indexing the reports · 正在检查并建立索引",
                         "upload": "Adding uploaded reports · 正在导入上传的报告",
                         "reingest": "Re-ingesting the reports · 正在重新导入报告"}.get(job.kind, "Indexing · 正在建立索引")
                return render.progress_html(f"{label}: {job.label}", job.done, job.total)
            if backend.engine_problem:
                return render.message_html(f"The index cannot be opened: {backend.engine_problem}", "error")
            if job.kind == "startup" and job.failed and job.outcome:
                return render.message_html(f"Startup ingest: {job.outcome}", "error")
            return ""

        def banner_update() -> gr.HTML:
            html = banner_html()
            return gr.HTML(value=html, visible=bool(html))

        def on_load(version: Any):
            return [banner_update(), *docs_values(version), gr.Timer(active=backend.job.running)]

        def on_tick(version: Any):
            running = backend.job.running
            return [banner_update(), *docs_values(version, force=False), gr.Timer(active=running)]

        def on_ask(text: str, turns: list, answer_mode: str, k: float, doc_ids: list, export_path: str,
                   conversation: str, request: gr.Request):
            def stream(saved_export: str):
                return _answer_stream(backend, text, turns, answer_mode, k, doc_ids, saved_export or export_path)

            yield from page_history.saving(stream, user_of(request), conversation, doc_ids)

        def draw(answer: Any, turn: int) -> str:
            engine = backend.try_engine()
            return render.answer_html(answer, _contexts(engine, answer) if engine else {}, turn=turn)

        def on_open(conversation: str, request: gr.Request):
            known = {r.doc_id for r in backend.documents()}
            return page_history.reopen(user_of(request), conversation, draw, known)

        def on_history_load(request: gr.Request):
            return [page_history.listing(user_of(request)), page_history.message(), page_history.rated_html()]

        def on_like(conversation: str, turns: list, data: gr.LikeData, request: gr.Request):
            return page_history.on_like(user_of(request), conversation, turns, data.index, data.liked)

        def on_rename(conversation: str, title: str, request: gr.Request):
            return page_history.rename(user_of(request), conversation, title)

        def on_delete(conversation: str, request: gr.Request):
            return page_history.delete(user_of(request), conversation)

        def on_rate(conversation: str, turns: list, turn: Any, rating: str, note: str, passage: str,
                    request: gr.Request):
            return page_history.save_rating(user_of(request), conversation, turns, turn, rating, note, passage)

        def on_rated_eval(answer_mode: str, progress=gr.Progress()):
            try:
                path = page_history.export_rated()
            except ReportQAError as exc:
                empty = gr.Dataframe(value=[])
                return [render.message_html(str(exc), "error"), empty, None, [], empty]
            return _evaluate_for_page(backend, "rated questions · 已评价的问题", answer_mode,
                                      _gradio_progress(progress, "Evaluating · 评测", "steps"), questions_path=path)

        def on_new():
            # The export file of this session is kept and overwritten by the next conversation's export.
            return [], [], gr.DownloadButton(value=None, interactive=False), gr.skip(), ""

        def on_upload(files: list | None, version: Any, progress=gr.Progress()):
            if not files:
                return [gr.skip(), *[gr.skip()] * len(docs_outputs), gr.skip()]
            result = _upload(backend, files, _gradio_progress(progress))
            return [render.ingest_report_html(result["report"], result["saved"], result["failed"], result["notes"]),
                    *docs_values(version), None]

        def on_remove(doc_ids: list | None, version: Any):
            if not doc_ids:
                return [render.message_html("Choose the reports to remove first. · 请先选择要移除的报告。"),
                        *[gr.skip()] * len(docs_outputs)]
            try:
                removed = backend.remove(doc_ids)
            except ReportQAError as exc:
                return [render.message_html(str(exc), "error"), *docs_values(version)]
            lines = [f"{source}" + (" (file deleted · 文件已删除)" if deleted else "") for source, deleted in removed]
            text = "Removed · 已移除: " + ("; ".join(lines) if lines else "nothing (already gone) · 无")
            return [render.message_html(text, "ok"), *docs_values(version)]

        def on_reingest(version: Any, progress=gr.Progress()):
            try:
                report = backend.ingest(None, "reingest", _gradio_progress(progress))
            except ReportQAError as exc:
                return [render.message_html(str(exc), "error"), *docs_values(version)]
            return [render.ingest_report_html(report), *docs_values(version)]

        def on_eval(set_name: str | None, answer_mode: str, progress=gr.Progress()):
            return _evaluate_for_page(backend, set_name, answer_mode,
                                      _gradio_progress(progress, "Evaluating · 评测", "steps"))

        # -- events ----------------------------------------------------------------------------------------------

        demo.load(on_load, inputs=[docs_version], outputs=[banner, *docs_outputs, timer], api_visibility="private")
        timer.tick(on_tick, inputs=[docs_version], outputs=[banner, *docs_outputs, timer], api_visibility="private",
                   show_progress="hidden", queue=False)

        ask_inputs = [question, turns_state, mode, top_k, doc_filter, export_state, conversation_state]
        ask_outputs = [chatbot, question, turns_state, export_button, export_state, conversation_state, history_list,
                       rate_turn, export_json_button, history_message]
        for trigger in (question.submit, ask_button.click):
            trigger(on_ask, inputs=ask_inputs, outputs=ask_outputs, api_visibility="private",
                    concurrency_id="questions", concurrency_limit=QUESTION_CONCURRENCY, show_progress="minimal")
        for trigger in (new_button.click, chatbot.clear):
            trigger(on_new, outputs=[chatbot, turns_state, export_button, export_state, question],
                    api_visibility="private", queue=False)
            trigger(lambda: ["", gr.Radio(value=None), gr.DownloadButton(value=None, interactive=False),
                             gr.Dropdown(choices=[], value=None), "", ""],
                    outputs=[conversation_state, history_list, export_json_button, rate_turn, rate_message,
                             rename_box], api_visibility="private", queue=False)

        # -- history and ratings -------------------------------------------------------------------------------

        history_events = {"api_visibility": "private", "concurrency_id": "history", "concurrency_limit": 8}
        demo.load(on_history_load, outputs=[history_list, history_message, rated_info], **history_events)
        history_list.input(on_open, inputs=[history_list],
                           outputs=[chatbot, turns_state, conversation_state, export_button, export_state,
                                    export_json_button, doc_filter, rename_box, rate_turn, history_message],
                           **history_events)
        rename_button.click(on_rename,
                            inputs=[conversation_state, rename_box], outputs=[history_list, history_message],
                            **history_events)
        delete_button.click(on_delete,
                            inputs=[conversation_state],
                            outputs=[history_list, history_message, chatbot, turns_state, conversation_state,
                                     export_button, export_state, export_json_button, rename_box, rate_turn],
                            **history_events)
        chatbot.like(on_like, inputs=[conversation_state, turns_state],
                     outputs=[rate_panel, rate_turn, rate_value, rate_passage, rate_note, rate_message, rated_info],
                     **history_events)
        rate_turn.change(passage_dropdown, inputs=[turns_state, rate_turn], outputs=[rate_passage],
                         api_visibility="private", queue=False)
        rate_button.click(on_rate, inputs=[conversation_state, turns_state, rate_turn, rate_value, rate_note,
                                           rate_passage], outputs=[rate_message, rated_info], **history_events)
        rated_button.click(on_rated_eval, inputs=[eval_mode],
                           outputs=[eval_message, metrics_table, type_chart, other_charts, failures_table],
                           concurrency_id="eval", concurrency_limit=1, api_visibility="private")

        ingest_events = {"concurrency_id": "ingest", "concurrency_limit": 1, "api_visibility": "private"}
        upload.upload(on_upload, inputs=[upload, docs_version], outputs=[docs_message, *docs_outputs, upload],
                      **ingest_events)
        remove_button.click(on_remove, inputs=[remove_select, docs_version], outputs=[docs_message, *docs_outputs],
                            **ingest_events)
        reingest_button.click(on_reingest, inputs=[docs_version], outputs=[docs_message, *docs_outputs],
                              **ingest_events)
        refresh_button.click(lambda v: [banner_update(), *docs_values(v)], inputs=[docs_version],
                             outputs=[banner, *docs_outputs], api_visibility="private", queue=False)
        eval_button.click(on_eval, inputs=[question_set, eval_mode],
                          outputs=[eval_message, metrics_table, type_chart, other_charts, failures_table],
                          concurrency_id="eval", concurrency_limit=1, api_visibility="private")

        # -- named API -------------------------------------------------------------------------------------------

        def ask(
            question: str,
            mode: str = "",
            top_k: int = 0,
            documents: list[str] | None = None,
            history: list[dict] | None = None,
            conversation: str = "",
            request: gr.Request = None,
        ) -> dict:
            """Answer one question with numbered citations; returns the answer record of `reportqa ask --json`.
            With conversation ("new" or an id), the turn is saved in the user's history."""
            if not conversation:
                return _api_ask(backend, question, mode, top_k, documents, history)
            answer = _api_answer(backend, question, mode, top_k, documents, history)
            try:
                saved = page_history.save_api_turn(user_of(request), conversation, question, answer, documents or [])
            except ReportQAError as exc:
                raise gr.Error(str(exc)) from None
            return {**answer.to_record(), **saved}

        def conversations(request: gr.Request) -> list[dict]:
            """The logged-in user's saved conversations, the most recent first."""
            return [{"id": i.id, "title": i.title, "created": i.created, "updated": i.updated, "turns": i.turns}
                    for i in page_history.require().conversations(user_of(request), settings.serve.history_listed)]

        def conversation(conversation: str, request: gr.Request) -> dict:
            """One saved conversation with each question and its answer record."""
            return page_history.require().load(user_of(request), conversation).to_record()

        def rename_conversation(conversation: str, title: str, request: gr.Request) -> list[dict]:
            """Rename one of the user's conversations; returns the list."""
            page_history.require().rename(user_of(request), conversation, title)
            return conversations(request)

        def delete_conversation(conversation: str, request: gr.Request) -> list[dict]:
            """Delete one of the user's conversations; returns the list."""
            page_history.require().delete(user_of(request), conversation)
            return conversations(request)

        def rate(conversation: str, turn: int, rating: str, note: str = "", passage: str = "",
                 request: gr.Request = None) -> dict:
            """Rate an answer up or down, with a note and the passage (c<n> or p<rank>) holding the right answer."""
            from ui.feedback import rate as store_rating

            return store_rating(page_history.require(), user_of(request), conversation, turn, rating, note,
                                passage or None)

        def rated() -> dict:
            """How many rated questions `reportqa feedback export` would write."""
            from ui.feedback import summary

            return summary(page_history.require())

        def documents() -> list[dict]:
            """The reports in the index."""
            return [
                {"title": r.title, "source": r.source, "lang": r.lang, "chunks": r.n_chunks,
                 "ingested_at": r.ingested_at, "doc_id": r.doc_id}
                for r in backend.documents()
            ]

        def upload_api(files: list | None) -> dict:
            result = _upload(backend, files or [], None)
            report = result["report"]
            return {
                "saved": result["saved"],
                "notes": result["notes"],
                "failed": [{"file": name, "reason": reason} for name, reason in result["failed"]]
                + ([{"file": Path(f.path).name, "reason": f.reason} for f in report.failed] if report else []),
                "ingest": report.to_dict() if report else None,
            }

        def remove(documents: list[str]) -> dict:
            """Take reports out of the index (by title, path, file name or id); uploaded files are deleted."""
            ids = backend.resolve(documents or [])
            removed = backend.remove(ids)
            return {"removed": [source for source, _ in removed], "files_deleted": [s for s, d in removed if d]}

        def reingest() -> dict:
            """Ingest the corpus folder and the uploaded reports again (only changes are embedded)."""
            return backend.ingest(None, "reingest").to_dict()

        def status() -> dict:
            """What is in the index: documents, chunks, embedder, problems."""
            from rag.status import index_status

            return index_status(settings)

        def evaluate(question_set: str, mode: str = "") -> dict:
            """Run a question set from eval/questions; returns the summary (metrics, failures, chart paths)."""
            return _run_evaluation(backend, question_set, mode or None, None)

        gr.api(ask, api_name="ask", concurrency_id="questions", concurrency_limit=QUESTION_CONCURRENCY)
        gr.api(_api_errors(documents), api_name="documents", queue=False)
        api_upload_trigger.click(_api_errors(upload_api), inputs=[api_files], outputs=[api_result],
                                 api_name="upload", concurrency_id="ingest", concurrency_limit=1,
                                 api_description="Store and ingest report files (handle_file(...) list).")
        gr.api(_api_errors(remove), api_name="remove", concurrency_id="ingest", concurrency_limit=1)
        gr.api(_api_errors(reingest), api_name="reingest", concurrency_id="ingest", concurrency_limit=1)
        gr.api(_api_errors(status), api_name="status", queue=False)
        gr.api(_api_errors(evaluate), api_name="evaluate", concurrency_id="eval", concurrency_limit=1)
        for endpoint in (conversations, conversation, rename_conversation, delete_conversation, rate, rated):
            gr.api(_api_errors(endpoint), api_name=endpoint.__name__, concurrency_id="history", concurrency_limit=8)

    demo.queue(default_concurrency_limit=1, max_size=200)
    return demo


# -- handler bodies (kept outside build_app so they can be read and tested on their own) -------------------------


def _answer_stream(backend: Backend, text: str, turns: list, answer_mode: str, k: float, doc_ids: list,
                   export_path: str) -> Iterator[list[Any]]:
    question = (text or "").strip()
    turns = list(turns or [])
    done = _messages(turns)
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
        for event in engine.stream(question, history=_history(turns), mode=answer_mode or None,
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
    html = render.answer_html(answer, _contexts(engine, answer), turn=len(turns))
    turns.append({"question": question, "answer": answer, "html": html})
    path = _write_export(turns, export_path, backend.settings.exports_dir)
    yield [_messages(turns), "", turns, gr.DownloadButton(value=path, interactive=True), path]


def _messages(turns: Sequence[dict]) -> list[dict]:
    out = []
    for turn in turns:
        out.append({"role": "user", "content": render.question_html(turn["question"])})
        out.append({"role": "assistant", "content": turn["html"]})
    return out


def _history(turns: Sequence[dict]) -> list[dict]:
    out = []
    for turn in turns:
        out.append({"role": "user", "content": turn["question"]})
        out.append({"role": "assistant", "content": turn["answer"].text})
    return out


def _contexts(engine: Any, answer: Any) -> dict[int, render.SourceContext | None]:
    """Surrounding text for each card: from the cleaned document, or from the neighbouring chunks."""
    if answer.refused:
        items = [(p.rank, p.chunk) for p in answer.passages[:3]]
    else:
        items = [(c.n, c.chunk) for c in answer.citations]
    contexts: dict[int, render.SourceContext | None] = {}
    for key, chunk in items:
        try:
            context = render.context_from_document(engine.source_text(chunk.doc_id), chunk)
            if context is None:
                before, after = engine.neighbours(chunk)
                context = render.context_from_neighbours(chunk, before, after)
        except ReportQAError as exc:
            logger.warning("no context for %s: %s", chunk.id, exc)
            context = None
        contexts[key] = context
    return contexts


def _write_export(turns: Sequence[dict], path: str, folder: Path) -> str:
    """Write the conversation's Markdown export: one file per conversation, in a folder of its own (the download
    keeps the file name), rewritten after each answer. Exports untouched for a day are deleted on the way."""
    folder.mkdir(parents=True, exist_ok=True)
    target = Path(path) if path else None
    if target is None or folder.resolve() not in target.resolve().parents:
        _prune_exports(folder)
        target = Path(tempfile.mkdtemp(prefix="conversation-", dir=folder)) / "reportqa-conversation.md"
    target.write_text(render.conversation_markdown([(t["question"], t["answer"]) for t in turns]), encoding="utf-8")
    return str(target)


def _prune_exports(folder: Path, max_age_s: float = 24 * 3600) -> None:
    cutoff = time.time() - max_age_s
    for old in folder.glob("conversation-*"):
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def _gradio_progress(progress: gr.Progress, what: str = "Embedding · 向量化",
                     unit: str = "texts") -> Callable[[int, int, str], None]:
    def update(done: int, total: int, label: str) -> None:
        progress((done, total or None), desc=f"{what} {label}".strip(), unit=unit)

    return update


def _upload(backend: Backend, files: Sequence[Any], progress: Callable[[int, int, str], None] | None) -> dict:
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
        _discard_upload_copies(path for path, _ in pairs)
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


def _discard_upload_copies(paths: Iterable[Any]) -> None:
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


def _api_errors(fn: Callable) -> Callable:
    """Domain errors reach API clients as their message (``gr.Error``) instead of a bare "Error"."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ReportQAError as exc:
            raise gr.Error(str(exc)) from None

    return wrapper


def _api_ask(backend: Backend, question: str, mode: str, top_k: int, documents: list[str] | None,
             history: list[dict] | None) -> dict:
    return _api_answer(backend, question, mode, top_k, documents, history).to_record()


def _api_answer(backend: Backend, question: str, mode: str, top_k: int, documents: list[str] | None,
                history: list[dict] | None) -> Any:
    if mode not in ("", None, "extractive", "llm"):
        raise gr.Error(f"unknown mode {mode!r}; choose extractive or llm")
    try:
        engine = backend.engine()
        return engine.ask(question, history=history or None, mode=mode or None, top_k=top_k or None,
                          documents=[d for d in documents or [] if d] or None)
    except ReportQAError as exc:
        raise gr.Error(str(exc)) from None


# -- evaluation ------------------------------------------------------------------------------------------------


def _questions_dir() -> Path:
    import eval as eval_package

    return Path(eval_package.__file__).resolve().parent / "questions"


def _question_sets() -> list[str]:
    try:
        folder = _questions_dir()
    except ImportError:
        return []
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".jsonl", ".yaml", ".yml"))


def _run_evaluation(backend: Backend, set_name: str | None, mode: str | None,
                    progress: Callable[[int, int, str], None] | None, questions_path: Path | None = None) -> dict:
    if questions_path is None and (not set_name or set_name not in _question_sets()):
        raise ReportQAError(f"no question set {set_name!r} in eval/questions; choose one of {_question_sets()}")
    try:
        from eval.runner import run_evaluation
    except ImportError as exc:
        raise ReportQAError(f"the evaluation runner is not available ({exc})") from exc
    out_dir = backend.settings.data_dir / "eval-runs" / time.strftime("%Y%m%d-%H%M%S")
    try:
        summary = run_evaluation(backend.settings, questions_path or _questions_dir() / set_name, out_dir, mode=mode,
                                 progress=progress)
    finally:
        backend.refresh()  # the runner brings the index in line with the corpus first
    return summary


def _evaluate_for_page(backend: Backend, set_name: str | None, mode: str,
                       progress: Callable[[int, int, str], None], questions_path: Path | None = None) -> list[Any]:
    empty = gr.Dataframe(value=[])
    try:
        summary = _run_evaluation(backend, set_name, mode or None, progress, questions_path)
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
