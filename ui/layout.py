"""The page's components: header, banner, the Chat, Documents and Evaluation tabs, and the hidden parts behind the
upload API. ``Layout(settings)``, made inside a ``gr.Blocks`` context, places them and keeps each as an attribute
for ``ui.app`` to wire to ``ui.handlers``. No event here."""

from __future__ import annotations

import gradio as gr

from rag.engine import MAX_QUESTION_CHARS
from rag.settings import Settings
from ui import render
from ui.evaluation_page import question_sets
from ui.history_page import RATINGS
from ui.uploads import allowed_extensions

EXAMPLES = [
    "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？",
    "医疗影像识别创业案例中，团队从医院拿到了多少张带标注的影像？",
    "What date is printed on the Q1 2024 AI platform market insights report?",
    "In the trial-period article, which vendor was the SaaS company's leadership planning to approach for speech "
    "and OCR support?",
]
# The Sources slider's upper end: passages an answer may draw on, and source cards it shows (its citations first, then
# the next retrieved passages).
MAX_SOURCES = 10


class Layout:
    """Every component of the page, placed in the current ``gr.Blocks``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        llm_ready = settings.llm.configured
        self.llm_ready = llm_ready
        self.mode_choices = [("Extractive · 抽取式", "extractive")] + ([("LLM · 生成式", "llm")] if llm_ready else [])
        self.default_mode = settings.answer.mode if (settings.answer.mode != "llm" or llm_ready) else "extractive"

        self.turns_state = gr.State([])
        self.export_state = gr.State("")
        self.docs_version = gr.State(None)
        self.queue_version = gr.State(None)
        self.conversation_state = gr.State("")

        with gr.Row(elem_classes="rq-header"):
            gr.HTML(
                "<h1>ReportQA · 报告问答</h1><p>Ask the industry reports; every answer cites its sources. · "
                "向行业报告提问，每个回答都注明出处。</p>"
            )
        self.banner = gr.HTML("", elem_classes="rq-banner", elem_id="rq-banner", visible=False)
        with gr.Tabs():
            with gr.Tab("Chat · 问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=4, min_width=480):
                        self._chat_column()
                        self._rating_panel()
                    with gr.Column(scale=1, min_width=260):
                        self._settings_column()
                        self._history_column()
            with gr.Tab("Documents · 文档", id="documents"):
                self._documents_tab()
            with gr.Tab("Evaluation · 评测", id="evaluation"):
                self._evaluation_tab()

        self.timer = gr.Timer(1.0, active=False)
        # Hidden components behind the file-upload API (a real gr.File keeps Gradio's checks on uploaded paths).
        self.api_files = gr.File(file_count="multiple", visible=False)
        self.api_result = gr.JSON(visible=False)
        self.api_upload_trigger = gr.Button(visible=False)
        self.api_queue_trigger = gr.Button(visible=False)

    @property
    def docs_outputs(self) -> list:
        """What a change in the index updates: the table, the two report pickers, the count, the version."""
        return [self.docs_table, self.doc_filter, self.remove_select, self.index_info, self.docs_version]

    @property
    def queue_outputs(self) -> list:
        """What a change in the upload queue updates: its list, the cancel picker, the queue's version."""
        return [self.upload_queue, self.cancel_select, self.queue_version]

    @property
    def eval_outputs(self) -> list:
        return [self.eval_message, self.metrics_table, self.type_chart, self.other_charts, self.failures_table]

    def _chat_column(self) -> None:
        self.chatbot = gr.Chatbot(
            elem_id="rq-chat",
            height=640,
            show_label=False,
            latex_delimiters=[],
            buttons=[],
            feedback_options=("Like", "Dislike"),
            group_consecutive_messages=False,
            # The page's script scrolls instead, keeping a new answer's first line in view (ui.look).
            autoscroll=False,
            placeholder="Ask a question about the reports below, in Chinese or English. · 用中文或英文提问。",
        )
        with gr.Row():
            self.question = gr.Textbox(
                show_label=False,
                placeholder="Your question · 你的问题 (Enter to ask · 回车提问; Shift+Enter: new line)",
                lines=1,  # with one line, Enter submits (Shift+Enter breaks the line)
                max_lines=6,
                max_length=MAX_QUESTION_CHARS,
                scale=8,
                elem_id="rq-question",
                autofocus=True,
            )
            self.ask_button = gr.Button("Ask · 提问", variant="primary", scale=1, min_width=90, elem_id="rq-ask")
        gr.Examples(EXAMPLES, inputs=[self.question], label="Examples · 示例问题")
        with gr.Row():
            self.new_button = gr.Button("New conversation · 新对话", size="sm", elem_id="rq-new")
            self.export_button = gr.DownloadButton(
                "Export Markdown · 导出对话", size="sm", interactive=False, elem_id="rq-export"
            )
            self.export_json_button = gr.DownloadButton(
                "Export JSON · 导出 JSON", size="sm", interactive=False, elem_id="rq-export-json"
            )

    def _rating_panel(self) -> None:
        with gr.Accordion("Rate an answer · 评价回答", open=False, elem_id="rq-rate") as self.rate_panel:
            with gr.Row():
                self.rate_turn = gr.Dropdown(choices=[], value=None, label="Answer · 回答", elem_id="rq-rate-turn")
                self.rate_value = gr.Radio(RATINGS, value=None, label="Rating · 评价", elem_id="rq-rate-value")
            self.rate_passage = gr.Dropdown(
                choices=[], value=None, label="Passage that holds the right answer · 包含正确答案的段落",
                info="For a wrong answer: pick it from the sources · 回答有误时从来源中选择",
                elem_id="rq-rate-passage",
            )
            self.rate_note = gr.Textbox(label="Note · 备注", lines=2, max_length=2000, elem_id="rq-rate-note")
            self.rate_button = gr.Button("Save rating · 保存评价", size="sm", elem_id="rq-rate-save")
            self.rate_message = gr.HTML("", elem_id="rq-rate-message")

    def _settings_column(self) -> None:
        gr.Markdown("### Settings · 设置")
        self.mode = gr.Radio(
            self.mode_choices, value=self.default_mode, label="Answer mode · 回答方式",
            info=None if self.llm_ready else (
                "LLM mode needs REPORTQA_LLM_BASE_URL and REPORTQA_LLM_MODEL. · 配置 LLM 端点后可用生成式回答。"
            ),
            elem_id="rq-mode",
        )
        self.top_k = gr.Slider(
            1, MAX_SOURCES, value=min(MAX_SOURCES, self.settings.retrieval.top_k), step=1,
            label="Sources · 来源数量", info="Source cards per answer, cited ones first · 每个回答显示的来源数（引用的在前）",
            elem_id="rq-topk",
        )
        self.doc_filter = gr.Dropdown(
            choices=[], value=[], multiselect=True, label="Only these reports · 仅限这些报告",
            info="Empty = all reports; kept with the conversation · 留空表示全部；随对话保存", elem_id="rq-docfilter",
        )
        self.index_info = gr.HTML("", elem_classes="rq-index-info")

    def _history_column(self) -> None:
        gr.Markdown("### Conversations · 对话记录")
        self.history_list = gr.Radio(choices=[], value=None, show_label=False, elem_id="rq-history")
        self.rename_box = gr.Textbox(label="Name · 名称", max_length=200, elem_id="rq-rename")
        with gr.Row():
            self.rename_button = gr.Button("Rename · 重命名", size="sm", elem_id="rq-rename-save")
            self.delete_button = gr.Button("Delete · 删除", size="sm", variant="stop", elem_id="rq-delete")
        self.history_message = gr.HTML("", elem_id="rq-history-message")

    def _documents_tab(self) -> None:
        settings = self.settings
        self.docs_table = gr.Dataframe(
            headers=render.DOCUMENT_COLUMNS, value=[], interactive=False, wrap=True,
            label="Reports in the index · 索引中的报告", elem_id="rq-docs", elem_classes="rq-table",
        )
        with gr.Row():
            with gr.Column():
                self.upload = gr.File(
                    file_count="multiple",
                    file_types=list(allowed_extensions(settings)),
                    label=f"Add reports · 添加报告 ({', '.join(allowed_extensions(settings))}; "
                    f"≤ {settings.serve.max_upload_mb:g} MB each · 每个文件)",
                    elem_id="rq-upload",
                )
                self.upload_queue = gr.HTML("", elem_id="rq-upload-queue")
                with gr.Row():
                    self.cancel_select = gr.Dropdown(choices=[], value=None, label="Upload to cancel · 要取消的上传",
                                                     scale=3, elem_id="rq-cancel-select")
                    self.cancel_button = gr.Button("Cancel upload · 取消上传", size="sm", variant="stop", scale=1,
                                                   elem_id="rq-cancel-upload")
            with gr.Column():
                self.remove_select = gr.Dropdown(choices=[], value=[], multiselect=True,
                                                 label="Remove reports · 移除报告", elem_id="rq-remove-select")
                with gr.Row():
                    self.remove_button = gr.Button("Remove · 移除", variant="stop", size="sm", elem_id="rq-remove")
                    self.reingest_button = gr.Button("Re-ingest folder · 重新导入文件夹", size="sm",
                                                     elem_id="rq-reingest")
                    self.refresh_button = gr.Button("Refresh · 刷新", size="sm", elem_id="rq-refresh")
                gr.Markdown(
                    f"Re-ingest reads `{settings.corpus_dir}` and the uploaded reports again (only changes are "
                    "embedded). Removing a report from the corpus folder lasts until the next re-ingest; "
                    "removing an uploaded report deletes its file. · 重新导入只处理有变化的文件。"
                )
        self.docs_message = gr.HTML("", elem_id="rq-docs-message")

    def _evaluation_tab(self) -> None:
        sets = question_sets()
        with gr.Row():
            self.question_set = gr.Dropdown(choices=sets, value=(sets or [None])[0], label="Question set · 问题集",
                                            elem_id="rq-eval-set")
            self.eval_mode = gr.Radio(self.mode_choices, value=self.default_mode, label="Answer mode · 回答方式")
            self.eval_button = gr.Button("Run evaluation · 运行评测", variant="primary", elem_id="rq-eval-run")
        with gr.Row():
            self.rated_info = gr.HTML("", elem_id="rq-rated-info")
            self.rated_button = gr.Button("Run rated questions · 运行已评价的问题", size="sm", elem_id="rq-rated-run")
        self.eval_message = gr.HTML("")
        self.metrics_table = gr.Dataframe(value=[], interactive=False, label="Metrics · 指标", wrap=True,
                                          elem_classes="rq-table", elem_id="rq-eval-metrics")
        with gr.Row():
            self.type_chart = gr.Image(label="Per-type chart · 分类型图表", type="pil", interactive=False,
                                       height=420, elem_id="rq-eval-chart")
            self.other_charts = gr.Gallery(label="More charts · 其他图表", columns=1, height=420,
                                           object_fit="contain", interactive=False, allow_preview=True)
        self.failures_table = gr.Dataframe(
            value=[], interactive=False, label="Failures · 失败的问题", wrap=True, elem_classes="rq-table",
            column_widths=["7%", "8%", "17%", "15%", "13%", "17%", "23%"], max_height=720,
            elem_id="rq-eval-failures",
        )
