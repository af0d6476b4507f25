"""Report and question text made safe for the page: escaped as text (``esc``), or rendered as Markdown with a quoted
span highlighted (``markdown_html``). Pure functions, no Gradio.

The Markdown renderer takes no HTML from the text (markup in a report is shown as text and never executed), and no
images or links (a report's image would be fetched on the reader's behalf). The highlighted span may cross
paragraphs, list items or table cells: each piece of text inside it gets its own ``<mark>``, so the marks never
cross an element boundary.
"""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it import MarkdownIt

from rag.index.files import printable

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: where the highlight starts and ends
# Markup at the start of a line that must stay there for the line to parse (heading, list item, quote, table row).
_LINE_MARKUP_RE = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]*|\|[ \t]*)*")
_TAG_RE = re.compile(r"(<[^>]*>)")
_PRE_RE = re.compile(r"<pre\b.*?</pre>", re.S)
MARK_OPEN = '<mark class="rq-quote">'


def esc(text: Any) -> str:
    """HTML-escape anything (``None`` becomes empty) and keep its line breaks visible."""
    if text is None:
        return ""
    # Control characters (a terminal escape in a file name, a bidi override) are shown as \x1b, \u202e.
    text = html.escape(printable(text, keep_newlines=True), quote=True).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "<br>")


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable(["image", "link", "autolink"])
    return md


_MD = _renderer()


def markdown_html(text: str, span: tuple[int, int] | None = None) -> str:
    """``text`` as safe Markdown HTML on one line, with ``text[span[0]:span[1]]`` highlighted (``<mark>``)."""
    text = (text or "").replace(_OPEN, "").replace(_CLOSE, "").replace("\r\n", "\n").replace("\r", "\n")
    if span is None or not 0 <= span[0] < span[1] <= len(text):
        source = printable(text, keep_newlines=True)
    else:
        start, end = _inside_markup(text, *span)
        source = (printable(text[:start], keep_newlines=True) + _OPEN
                  + printable(text[start:end], keep_newlines=True) + _CLOSE
                  + printable(text[end:], keep_newlines=True))
    rendered = _MD.render(source)
    return _one_line(_marks(rendered))


def _inside_markup(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a span's start past the line markup it begins on (``## ``, ``* ``, ``| ``) and its end before trailing
    white space and table pipes, so the highlight does not break the Markdown it sits in."""
    while start < end - 1 and text[start].isspace():
        start += 1
    line_start = text.rfind("\n", 0, start) + 1
    if not text[line_start:start].strip():
        markup = _LINE_MARKUP_RE.match(text, line_start)
        if markup is not None and markup.end() > start:
            start = min(markup.end(), end)
    # A trailing table pipe too: a highlight end after a row's last "|" would become a cell of its own.
    while end > start and (text[end - 1].isspace() or text[end - 1] == "|"):
        end -= 1
    return start, end if end > start else start + 1


class _Marker:
    """Turns the start and end characters into ``<mark>`` tags: one mark across inline markup (bold, code), closed
    before each block boundary (paragraph, list item, table cell) and opened again at the next text inside the span."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.inside = False  # between the start and end characters
        self.open = False  # a <mark> is open in the output
        self.depth = 0  # inline elements opened since the mark was
        self.ending = False  # the span ended inside an inline element: close the mark when it ends

    def tag(self, tag: str) -> None:
        inline = _INLINE_TAG_RE.match(tag)
        if self.open and (inline is None or (inline.group(1) == "/" and self.depth == 0)):
            # A block boundary, or the end of an element the mark started inside of: close it there (it opens
            # again at the next text inside the span).
            self._close()
        elif self.open and inline.group(1) == "/":
            self.depth -= 1
            if self.ending and self.depth == 0:  # the span ended inside this element: close after it
                self.out.append(tag)
                self._close()
                return
        elif self.open and not tag.endswith("/>") and not tag.startswith("<br"):
            self.depth += 1
        self.out.append(tag)

    def text(self, piece: str) -> None:
        for run in re.split(f"([{_OPEN}{_CLOSE}])", piece):
            if run == _OPEN:
                self.inside, self.open, self.depth = True, True, 0
                self.out.append(MARK_OPEN)
            elif run == _CLOSE:
                if self.open and self.depth == 0:
                    self._close()
                elif self.open:
                    self.ending = True
                self.inside = False
            elif run:
                if self.inside and not self.open and run.strip():
                    self.open, self.depth = True, 0
                    self.out.append(MARK_OPEN)
                self.out.append(run)

    def _close(self) -> None:
        self.out.append("</mark>")
        self.open = self.ending = False


_INLINE_TAG_RE = re.compile(r"<(/?)(?:strong|em|code|s|del|br|sup|sub|span)\b")


def _marks(rendered: str) -> str:
    """The rendered HTML with the span between the start and end characters highlighted."""
    marker = _Marker()
    for piece in _TAG_RE.split(rendered):
        if piece.startswith("<"):
            marker.tag(piece)
        elif piece:
            marker.text(piece)
    if marker.open:
        marker.out.append("</mark>")
    return "".join(marker.out).replace(MARK_OPEN + "</mark>", "")


def _one_line(rendered: str) -> str:
    # A chat message must stay one line (a blank line would end its HTML block in the chat's Markdown): newlines
    # inside preformatted text become character references, the others (between tags) go.
    rendered = _PRE_RE.sub(lambda m: m.group(0).replace("\n", "&#10;"), rendered.strip())
    return rendered.replace("\n", "")
