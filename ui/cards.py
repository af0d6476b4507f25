"""Source cards: one per citation (its passage as safe Markdown with the whole quote highlighted) or per retrieved
passage, each opening into the source viewer (the passage inside its surrounding document text). Pure functions.

Which cards an answer shows is ``shown_passages``: every citation has its card (each ``[n]`` links to one); the
Sources setting adds the next retrieved passages until that many passages are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.models import Answer, Chunk, Citation, Passage
from ui.markup import MARK_OPEN, esc, markdown_html
from ui.page_image import page_figure_html

# Characters of surrounding text the source viewer shows on each side of a passage.
CONTEXT_CHARS = 700
# Closest passages a refusal shows when the page does not say how many sources to show.
REFUSAL_PASSAGES = 3
_OPEN_HINT = ('<div class="rq-open-hint"><span class="rq-when-closed">Show in source · 查看原文</span>'
              '<span class="rq-when-open">Hide source · 收起原文</span></div>')


@dataclass(frozen=True)
class SourceContext:
    """The text around a passage in its cleaned document, for the source viewer."""

    before: str = ""
    after: str = ""
    starts_document: bool = False
    ends_document: bool = False


def context_from_document(document_text: str | None, chunk: Chunk, width: int = CONTEXT_CHARS) -> SourceContext | None:
    """The text just before and after ``chunk`` in its document, cut at line breaks where one is near."""
    if document_text is None or chunk.end > len(document_text) or chunk.start > chunk.end:
        return None
    start = max(0, chunk.start - width)
    end = min(len(document_text), chunk.end + width)
    before = document_text[start : chunk.start]
    after = document_text[chunk.end : end]
    if start > 0:
        cut = before.find("\n")
        if 0 <= cut < width // 3:
            before = before[cut + 1 :]
    if end < len(document_text):
        cut = after.rfind("\n")
        if cut > 2 * width // 3:
            after = after[:cut]
    return SourceContext(before, after, starts_document=start == 0, ends_document=end == len(document_text))


def context_from_neighbours(chunk: Chunk, before: Chunk | None, after: Chunk | None) -> SourceContext:
    """Surrounding text from the neighbouring chunks (they may overlap the passage; the overlap is cut off)."""
    before_text = ""
    if before is not None:
        before_text = before.text[: max(0, chunk.start - before.start)] if before.start < chunk.start else ""
    after_text = ""
    if after is not None:
        skip = max(0, chunk.end - after.start)
        after_text = after.text[skip:]
    return SourceContext(before_text, after_text, starts_document=before is None, ends_document=after is None)


def shown_passages(answer: Answer, sources: int | None) -> list[Passage]:
    """The retrieved passages that get a card besides the citations' own: for a refusal, the ``sources`` closest
    (three when not given); for an answer, the next ranked passages not cited, until ``sources`` passages are shown
    (none when not given)."""
    if answer.refused:
        return list(answer.passages[: REFUSAL_PASSAGES if sources is None else max(0, sources)])
    if not sources:
        return []
    cited = {c.chunk.id for c in answer.citations}
    room = max(0, sources - len(cited))
    return [p for p in answer.passages if p.chunk.id not in cited][:room]


def citation_card_html(citation: Citation, context: SourceContext | None, turn: int = 0) -> str:
    """One citation: where it is (title, section, page) and its passage with the quoted sentence highlighted.
    Opening the card shows the source viewer: the passage inside its surrounding text."""
    chunk = citation.chunk
    supported = "" if citation.supported else '<span class="rq-unsupported">weak support · 依据较弱</span>'
    supported += instruction_html(citation.instruction)
    passage = passage_with_quote_html(chunk, citation.quote, citation.quote_start, citation.quote_end)
    page = page_figure_html(citation, turn)
    return (
        f'<div class="rq-card" id="rq-cite-{turn}-{citation.n}" data-n="{citation.n}">'
        f'<details class="rq-details"><summary class="rq-summary">'
        f'<div class="rq-card-head"><span class="rq-card-n">[{citation.n}]</span>{where_html(chunk)}{supported}</div>'
        f'<div class="rq-passage rq-md">{passage}</div>{_OPEN_HINT}'
        f"</summary>{source_viewer_html(chunk, context, citation.quote_start, citation.quote_end, beside=page)}"
        "</details></div>"
    )


def passage_card_html(passage: Passage, context: SourceContext | None, turn: int = 0) -> str:
    """A retrieved passage that is not a citation (the closest passages of a refusal, the further sources)."""
    chunk = passage.chunk
    return (
        f'<div class="rq-card rq-card-passage" id="rq-passage-{turn}-{passage.rank}">'
        f'<details class="rq-details"><summary class="rq-summary">'
        f'<div class="rq-card-head"><span class="rq-card-n">#{passage.rank}</span>{where_html(chunk)}'
        f'{instruction_html(passage.instruction)}</div>'
        f'<div class="rq-passage rq-md">{markdown_html(chunk.text)}</div>{_OPEN_HINT}'
        f"</summary>{source_viewer_html(chunk, context)}</details></div>"
    )


def passage_with_quote_html(
    chunk: Chunk, quote: str, quote_start: int | None = None, quote_end: int | None = None
) -> str:
    """The passage as safe Markdown with the quote inside it marked. Offsets are document offsets; when they do not
    fall inside the passage, the quote is looked up in the passage text; when it is not there, it is shown after
    it."""
    span = quote_span(chunk, quote, quote_start, quote_end)
    if span is None and quote:
        return f'{markdown_html(chunk.text)}<div class="rq-quote-alone">{MARK_OPEN}{esc(quote)}</mark></div>'
    return markdown_html(chunk.text, span)


def source_viewer_html(
    chunk: Chunk, context: SourceContext | None, quote_start: int | None = None, quote_end: int | None = None,
    quote: str = "",
    beside: str = "",
) -> str:
    """The source viewer: the passage (framed, quote marked) in its surrounding document text, and ``beside`` it
    (the cited PDF page, see ``ui.page_image``) when given."""
    quote_text = quote
    if not quote_text and quote_start is not None and quote_end is not None:
        local_start, local_end = quote_start - chunk.start, quote_end - chunk.start
        if 0 <= local_start < local_end <= len(chunk.text):
            quote_text = chunk.text[local_start:local_end]
    body = passage_with_quote_html(chunk, quote_text, quote_start, quote_end) if quote_text else markdown_html(
        chunk.text)
    where = [esc(chunk.title or chunk.source)]
    if chunk.page:
        where.append(f"p. {chunk.page}")
    where.append(f"chars {chunk.start}–{chunk.end}")
    if context is None:
        before = after = '<div class="rq-ctx rq-ctx-missing">(surrounding text unavailable · 原文上下文不可用)</div>'
    else:
        before = (
            ('<div class="rq-ctx-edge">start of document · 文档开头</div>' if context.starts_document else "…")
            + (f'<span class="rq-ctx">{esc(context.before.rstrip())}</span>' if context.before.strip() else "")
        )
        after = (
            (f'<span class="rq-ctx">{esc(context.after.lstrip())}</span>' if context.after.strip() else "")
            + ('<div class="rq-ctx-edge">end of document · 文档结尾</div>' if context.ends_document else "…")
        )
    return (
        f'<div class="rq-viewer" data-doc="{esc(chunk.doc_id)}"><div class="rq-viewer-head" '
        f'title="{esc(chunk.source)}">{" · ".join(where)}</div>'
        f'<div class="rq-viewer-main">{beside}'
        f'<div class="rq-viewer-body">{before}<div class="rq-focus"><div class="rq-md">{body}</div></div>{after}</div>'
        "</div></div>"
    )


def quote_span(chunk: Chunk, quote: str, quote_start: int | None, quote_end: int | None) -> tuple[int, int] | None:
    """Where the quote is in the passage text (offsets first, then the text itself), or ``None``."""
    text = chunk.text
    if quote_start is not None and quote_end is not None:
        start, end = quote_start - chunk.start, quote_end - chunk.start
        if 0 <= start < end <= len(text) and (not quote or text[start:end] == quote):
            return start, end
    if quote:
        found = text.find(quote)
        if found >= 0:
            return found, found + len(quote)
        stripped = quote.strip()
        found = text.find(stripped) if stripped else -1
        if found >= 0:
            return found, found + len(stripped)
    return None


def where_html(chunk: Chunk) -> str:
    """The report's title (not its file name), section and page."""
    parts = [f'<span class="rq-card-title">{esc(chunk.title or chunk.source)}</span>']
    if chunk.section and chunk.section != chunk.title:
        parts.append(f'<span class="rq-card-section">{esc(chunk.section)}</span>')
    if chunk.page:
        parts.append(f'<span class="rq-card-page">p. {chunk.page} · 第{chunk.page}页</span>')
    return "".join(parts)


def instruction_html(cue: str) -> str:
    """A flag on a source that reads as instructions to a model (it is never counted as support)."""
    if not cue:
        return ""
    return (f'<span class="rq-unsupported rq-instruction" title="{esc(cue)}">reads as instructions to a model, not '
            "used as support · 疑似对模型的指令，不作依据</span>")


def cards_html(title: str, cards: Sequence[str]) -> str:
    """A titled group of cards ("" when there are none)."""
    if not cards:
        return ""
    return f'<div class="rq-cards-title">{title}</div><div class="rq-cards">{"".join(cards)}</div>'
