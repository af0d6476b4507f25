"""Answers, citations and documents as HTML and Markdown for the chat page. Pure functions, no Gradio.

Every piece of report or question text goes through ``esc`` before it reaches the page, so markup inside a report
(or typed into a question) is shown as text and never executed. The HTML of one chat message is a single line that
starts with ``<div``: the chat component's Markdown renderer then passes it through as one HTML block, untouched
(no emphasis from the ``*`` of a quoted Markdown list, no line breaks added).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from rag.answer.support import MARKS
from rag.index.files import printable
from rag.models import Answer, Chunk, SentenceSupport
from ui.cards import (  # noqa: F401  (re-exported: the page's renderers are reached as ``render.<name>``)
    CONTEXT_CHARS,
    REFUSAL_PASSAGES,
    SourceContext,
    cards_html,
    citation_card_html,
    context_from_document,
    context_from_neighbours,
    passage_card_html,
    passage_with_quote_html,
    shown_passages,
    source_viewer_html,
    where_html,
)
from ui.markup import esc  # noqa: F401

_MARKER_RE = re.compile(r"\[(\d{1,3})\]")
_SUPPORT_MARK_RE = re.compile("|".join(re.escape(html.escape(m)) for pair in MARKS.values() for m in pair))


# -- chat messages ---------------------------------------------------------------------------------------------


def question_html(question: str) -> str:
    """A user's question as a chat message."""
    return f'<div class="rq-question">{esc(question)}</div>'


def streaming_html(text: str, notices: Sequence[str] = ()) -> str:
    """The answer while it streams in (markers are styled already; cards follow when it is complete)."""
    return (
        f'<div class="rq-answer rq-streaming">{_notices_html(notices)}'
        f'<div class="rq-answer-text">{_text_with_markers(text, None)}<span class="rq-caret"></span></div></div>'
    )


def status_message_html(text: str, kind: str = "info") -> str:
    """A one-line message in the chat (index not ready, an error) instead of an answer."""
    return f'<div class="rq-answer rq-{esc(kind)}"><div class="rq-answer-text">{esc(text)}</div></div>'


def answer_html(answer: Answer, contexts: Mapping[int, SourceContext | None], turn: int,
                sources: int | None = None, passage_contexts: Mapping[int, SourceContext | None] | None = None) -> str:
    """A finished answer: its text with ``[n]`` links, then one card per citation and, up to ``sources`` passages,
    cards of the further retrieved ones (for a refusal, the closest passages). ``contexts`` maps a citation number
    (for a refusal, a passage rank) to its surrounding text, ``passage_contexts`` a further passage's rank to its
    own; ``turn`` makes element ids unique within the conversation."""
    numbers = {c.n for c in answer.citations}
    parts = [
        f'<div class="rq-answer {"rq-refused" if answer.refused else "rq-answered"}" data-turn="{turn}">',
        _notices_html(answer.notices),
    ]
    if answer.refused:
        parts.append(
            '<div class="rq-refusal-head"><span class="rq-refusal-icon">?</span>'
            "No answer in the reports · 报告中没有找到答案</div>"
        )
    parts.append(f'<div class="rq-answer-text">{_text_with_support(answer.text, answer.support, numbers, turn)}</div>')
    further = shown_passages(answer, sources)
    if not answer.refused and not answer.citations and not further:
        # Nothing cited (an LLM answer whose model gave no [n]): the passages it was drawn from are the only check.
        further = answer.passages[:REFUSAL_PASSAGES]
    if answer.refused:
        around = passage_contexts if passage_contexts is not None else contexts
        parts.append(cards_html("Closest passages · 最接近的段落",
                                [passage_card_html(p, around.get(p.rank), turn) for p in further]))
    else:
        parts.append(cards_html("Sources · 来源",
                                [citation_card_html(c, contexts.get(c.n), turn) for c in answer.citations]))
        around = passage_contexts or {}
        parts.append(cards_html("Also retrieved · 其他检索到的段落",
                                [passage_card_html(p, around.get(p.rank), turn) for p in further]))
    parts.append(_footer_html(answer))
    parts.append("</div>")
    return "".join(parts)


def _text_with_markers(text: str, numbers: set[int] | None, turn: int = 0) -> str:
    """Escaped text; each ``[n]`` that names a citation becomes a link to its card (while streaming, when there are
    no cards yet, any ``[n]`` is a styled marker)."""
    out, last = [], 0
    for match in _MARKER_RE.finditer(text):
        n = int(match.group(1))
        if numbers is not None and n not in numbers:
            continue
        out.append(esc(text[last : match.start()]))
        label = f"[{n}]" if numbers is None else (
            f'<a class="rq-ref-link" href="#rq-cite-{turn}-{n}" data-n="{n}" title="Source {n} · 来源 {n}">[{n}]</a>')
        out.append(f'<sup class="rq-ref" data-n="{n}" data-turn="{turn}">{label}</sup>')
        last = match.end()
    out.append(esc(text[last:]))
    return "".join(out)


def _text_with_support(text: str, support: Sequence[SentenceSupport], numbers: set[int], turn: int) -> str:
    """The answer text with markers; each sentence of an LLM answer its sources do not support is wrapped (with the
    reason as its title) and its "⚠ unsupported" / "⚠ uncited" mark styled."""
    out, last = [], 0
    for sentence in support:
        if sentence.supported or not 0 <= last <= sentence.start <= sentence.end <= len(text):
            continue
        out.append(_text_with_markers(text[last : sentence.start], numbers, turn))
        out.append(f'<span class="rq-claim-unsupported" title="{esc(sentence.reason)}">'
                   f"{_text_with_markers(text[sentence.start : sentence.end], numbers, turn)}</span>")
        last = sentence.end
    out.append(_text_with_markers(text[last:], numbers, turn))
    return _SUPPORT_MARK_RE.sub(lambda m: f'<span class="rq-unsupported">{m.group(0)}</span>', "".join(out))


def _notices_html(notices: Iterable[str]) -> str:
    return "".join(f'<div class="rq-notice">{esc(n)}</div>' for n in notices)


def _footer_html(answer: Answer) -> str:
    seconds = answer.timings.get("total_ms", 0.0) / 1000.0
    mode = {"extractive": "extractive · 抽取式", "llm": "LLM · 生成式"}.get(answer.mode, answer.mode)
    return (
        '<div class="rq-footer">'
        f'<span class="rq-meta">{esc(mode)} · {seconds:.2f} s</span>'
        '<button class="rq-copy" type="button" title="Copy the answer and its sources">Copy · 复制</button>'
        f'<pre class="rq-plain" hidden>{_escape_keeping_lines(answer_plain_text(answer))}</pre>'
        "</div>"
    )


def _escape_keeping_lines(text: str) -> str:
    # Newlines as character references: a raw blank line would end the HTML block in the chat's Markdown.
    return html.escape(text, quote=True).replace("\r", "").replace("\n", "&#10;")


def _shorten(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- plain text and Markdown -----------------------------------------------------------------------------------


def where_text(chunk: Chunk) -> str:
    """Title › section › p. N, as plain text."""
    parts = [chunk.title or chunk.source]
    if chunk.section and chunk.section != chunk.title:
        parts.append(chunk.section)
    if chunk.page:
        parts.append(f"p. {chunk.page}")
    return " › ".join(parts)


def answer_plain_text(answer: Answer) -> str:
    """The answer with its numbered sources, for the clipboard."""
    lines = [answer.text.strip()]
    if answer.citations:
        lines.append("")
        lines.append("Sources · 来源:")
        for c in answer.citations:
            lines.append(f"[{c.n}] {where_text(c.chunk)} ({c.chunk.source}) — “{_one_line(c.quote)}”")
    return "\n".join(lines)


def conversation_markdown(turns: Sequence[tuple[str, Answer]], exported_at: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer with ``[n]`` markers, and the cited quotes."""
    stamp = (exported_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M %Z").strip()
    out = ["# ReportQA conversation · 对话记录", "", f"Exported {stamp} · {len(turns)} question(s)", ""]
    for i, (question, answer) in enumerate(turns, 1):
        out += ["---", "", f"## {i}. {_md(_one_line(question))}", ""]
        if answer.refused:
            out += ["*No answer in the reports · 报告中没有找到答案*", ""]
        out += [_md(answer.text.strip()), ""]
        if answer.citations:
            out += ["**Sources · 来源**", ""]
            for c in answer.citations:
                ch = c.chunk
                out.append(f"{c.n}. **{_md(ch.title or ch.source)}**" + "".join(
                    f" › {_md(x)}" for x in ((ch.section if ch.section != ch.title else ""),
                                             (f"p. {ch.page}" if ch.page else "")) if x
                ) + f" — `{ch.source}`, chars {c.quote_start}–{c.quote_end}")
                out.append(f"   > {_md(_one_line(c.quote))}")
            out.append("")
        elif answer.refused and answer.passages:
            out += ["**Closest passages · 最接近的段落**", ""]
            for p in answer.passages[:3]:
                snippet = _md(_one_line(_shorten(p.chunk.text, 200)))
                out.append(f"- {_md(where_text(p.chunk))} — `{p.chunk.source}`: {snippet}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _md(text: str) -> str:
    # Backslash escapes keep report markup as text in any Markdown viewer; ``[n]`` markers stay readable.
    return re.sub(r"([\\<>`])", r"\\\1", text)


# -- documents, ingest reports, index state --------------------------------------------------------------------

DOCUMENT_COLUMNS = ["Title · 标题", "Language · 语言", "Chunks · 块数", "Ingested · 入库时间", "Source · 来源"]
_LANG_NAMES = {"zh": "中文 (简)", "zh-Hans": "中文 (简)", "zh-Hant": "中文 (繁)", "en": "English"}


def document_rows(records: Iterable[Any]) -> list[list[Any]]:
    """Rows of the documents table from ``DocumentRecord`` objects."""
    return [
        [printable(r.title), _LANG_NAMES.get(r.lang, r.lang), r.n_chunks, format_time(r.ingested_at),
         printable(r.source)]
        for r in records
    ]


def format_time(iso: str) -> str:
    """``2025-01-02T03:04:05+00:00`` as ``2025-01-02 03:04 UTC`` (unparseable input is returned as it is)."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


def ingest_report_html(report: Any, saved: Sequence[str] = (), upload_failures: Sequence[tuple[str, str]] = (),
                       notes: Sequence[str] = ()) -> str:
    """What an upload or re-ingest did; each failed file is named with its reason."""
    counts = (
        f"added {len(report.added)} · updated {len(report.updated)} · unchanged {len(report.unchanged)} · "
        f"removed {len(report.removed)} · failed {len(report.failed) + len(upload_failures)} · "
        f"{report.chunks_written} chunks · {report.seconds:.1f} s"
    ) if report is not None else (
        f"failed {len(upload_failures)}" if upload_failures else "nothing new to add · 没有需要导入的新内容"
    )
    ok = not upload_failures and (report is None or report.ok)
    parts = [f'<div class="rq-report {"rq-ok" if ok else "rq-has-failures"}">',
             f'<div class="rq-report-counts">{esc(counts)}</div>']
    for label, names in (("Added · 已添加", getattr(report, "added", [])),
                         ("Updated · 已更新", getattr(report, "updated", []))):
        if names:
            parts.append(f'<div class="rq-report-line"><b>{label}:</b> {esc(", ".join(names))}</div>')
    if saved:
        parts.append(f'<div class="rq-report-line"><b>Saved · 已保存:</b> {esc(", ".join(saved))}</div>')
    for note in notes:
        parts.append(f'<div class="rq-report-note">{esc(note)}</div>')
    failures = list(upload_failures) + [(f.path, f.reason) for f in getattr(report, "failed", [])]
    if failures:
        parts.append('<ul class="rq-failures">')
        parts.extend(
            f'<li class="rq-failure"><b>{esc(_base_name(path))}</b>: {esc(reason)}</li>' for path, reason in failures
        )
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def message_html(text: str, kind: str = "info") -> str:
    """A short status message (info, ok, error) for a panel."""
    return f'<div class="rq-message rq-{esc(kind)}">{esc(text)}</div>'


def progress_html(label: str, done: int, total: int) -> str:
    """A progress bar for the banner (the startup ingest)."""
    fraction = (done / total) if total else 0.0
    percent = max(0, min(100, round(fraction * 100)))
    return (
        f'<div class="rq-progress" role="progressbar" aria-valuenow="{percent}" aria-valuemin="0" aria-valuemax="100">'
        f'<div class="rq-progress-label">{esc(label)} — {done}/{total or "?"} ({percent}%)</div>'
        f'<div class="rq-progress-track"><div class="rq-progress-fill" style="width:{percent}%"></div></div></div>'
    )


_UPLOAD_STATES = {"queued": "queued · 排队中", "checking": "reading · 读取中", "indexing": "indexing · 建立索引",
                  "done": "done · 完成", "failed": "failed · 失败", "cancelled": "cancelled · 已取消"}


def upload_queue_html(jobs: Sequence[Any]) -> str:
    """The upload queue (``ui.upload_queue.UploadJob``s, oldest first): each file with its state, a progress bar
    while it is indexed, and what became of it."""
    if not jobs:
        return ""
    rows = []
    for job in jobs:
        state = _UPLOAD_STATES.get(job.state, job.state)
        line = f'<b>{esc(printable(job.name))}</b> · <span class="rq-upload-state">{esc(state)}</span>'
        if job.state == "indexing" and job.total:
            line = progress_html(f"{printable(job.name)} · {state}", job.done, job.total)
        elif job.message:
            line += f' — <span class="rq-upload-message">{esc(job.message)}</span>'
        rows.append(f'<li class="rq-upload rq-upload-{esc(job.state)}" data-job="{esc(job.id)}">{line}</li>')
    return f'<div class="rq-upload-queue"><b>Uploads · 上传队列</b><ul>{"".join(rows)}</ul></div>'


def _base_name(path: str) -> str:
    return re.split(r"[\\/]", path)[-1] or path


# -- evaluation ------------------------------------------------------------------------------------------------


def metrics_rows(metrics: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A table of metric × (overall, each question type) from ``summary["metrics"]``."""
    overall = dict(metrics.get("overall") or {})
    by_type: Mapping[str, Mapping[str, Any]] = metrics.get("by_type") or {}
    names = list(overall)
    for values in by_type.values():
        names += [n for n in values if n not in names]
    header = ["metric · 指标", "overall · 总体", *by_type]
    rows = [[name, _number(overall.get(name)), *(_number(by_type[t].get(name)) for t in by_type)] for name in names]
    return header, rows


def failure_rows(failures: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """A table of the failed questions: what was asked, what evidence was expected, why it failed, what the answer
    said and which passages were retrieved instead."""
    header = ["id", "type · 类型", "question · 问题", "expected evidence · 应有证据", "why · 原因",
              "answer · 回答", "retrieved · 检索到的段落"]
    rows = []
    for f in failures:
        retrieved = f.get("retrieved") or []
        if isinstance(retrieved, (list, tuple)):
            retrieved = "\n".join(_retrieved_line(p) for p in retrieved)
        rows.append([
            str(f.get("id", "")),
            str(f.get("type", "")),
            str(f.get("question", "")),
            _cell(f.get("evidence") or f.get("expected") or f.get("expected_evidence")),
            _cell(f.get("reasons")),
            _cell(("(refused) " if f.get("refused") else "") + str(f.get("answer", ""))),
            _cell(retrieved) if not isinstance(retrieved, str) else _shorten(retrieved, 900),
        ])
    return header, rows


def _retrieved_line(passage: Any) -> str:
    if not isinstance(passage, Mapping):
        return _cell(passage)
    where = " › ".join(str(x) for x in (passage.get("source"), passage.get("section")) if x)
    mark = " ✓" if passage.get("holds_evidence") else ""
    return f"#{passage.get('rank', '?')}{mark} {where}: {_shorten(str(passage.get('text', '')), 160)}"


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    return "" if value is None else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " | ".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return _shorten(str(value), 300)
