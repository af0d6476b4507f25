"""The structure of Markdown, and of the Markdown-like text the DOCX and HTML loaders write, read by markdown-it-py
(GFM tables on) and mapped back to the lines of the cleaned text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.block_assembly import Lines, OpenHeading, finish_structure, nest_items, page_lookup, replace_block
from ingest.clean import clean_text
from ingest.document import LoadedDocument
from ingest.line_kinds import CAPTION_RE, furniture_line, is_byline, is_date, item_head_end, plain_line, title_like
from ingest.ordinals import ordinal_of
from rag.text.blocks import Block, Item


@lru_cache(maxsize=1)
def _markdown_parser():
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": 40}).enable("table")
    # Only block structure is needed: inline parsing (emphasis, links) is the slow half and changes no offsets.
    parser.disable(["inline", "text_join"], ignoreInvalid=True)
    return parser


_MD_MARKER_RE = re.compile(r"([-*+]|\d{1,9}[.)])(?:\s+|$)")
_MD_HEADING_PREFIX_RE = re.compile(r"#{1,6}(?:\s+|$)")
_MD_HEADING_SUFFIX_RE = re.compile(r"\s+#+\s*$|^#+\s*$")
_PIPE_RE = re.compile(r"(?<!\\)\|")


def _map_markup_lines(markup: str, text: str) -> list[int] | None:
    """For each line of ``markup``, the line of ``text`` it became (-1 for a blank line).

    Cleaning strips and squeezes lines and drops blank ones but keeps every other line, in order, so the k-th
    non-blank markup line is the k-th non-blank cleaned line. None when they do not line up.
    """
    cleaned_nonblank = [i for i, line in enumerate(text.split("\n")) if line]
    mapping: list[int] = []
    k = 0
    for line in markup.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip() and clean_text(line):
            if k >= len(cleaned_nonblank):
                return None
            mapping.append(cleaned_nonblank[k])
            k += 1
        else:
            mapping.append(-1)
    return mapping if k == len(cleaned_nonblank) else None


class MarkupReader:
    def __init__(self, document: LoadedDocument):
        self.document = document
        self.text = document.text
        self.lines = Lines(self.text)
        self.page = page_lookup(document)
        markup = document.hints.markup
        mapping = _map_markup_lines(markup, self.text) if markup is not None else None
        if mapping is None:
            markup, mapping = self.text, [i if line else -1 for i, line in enumerate(self.text.split("\n"))]
        self.markup = markup
        self.mapping = mapping
        # The first and last mapped markup line at or after / at or before each markup line.
        n = len(mapping)
        self.next_mapped = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            self.next_mapped[i] = i if mapping[i] >= 0 else self.next_mapped[i + 1]
        self.prev_mapped = [-1] * n
        last = -1
        for i in range(n):
            if mapping[i] >= 0:
                last = i
            self.prev_mapped[i] = last

    def lines_of(self, line_map: list[int] | None) -> tuple[int, int] | None:
        """The cleaned lines (first, last) of a token's markup line range, or None when all of it is blank."""
        if not line_map:
            return None
        begin, stop = line_map
        stop = min(stop, len(self.mapping))
        first = self.next_mapped[begin] if begin < len(self.mapping) else len(self.mapping)
        last = self.prev_mapped[stop - 1] if stop > 0 else -1
        if first >= stop or last < begin or first > last:
            return None
        return self.mapping[first], self.mapping[last]

    def span(self, line_map) -> tuple[int, int] | None:
        found = self.lines_of(line_map)
        if found is None:
            return None
        return self.lines.starts[found[0]], self.lines.ends[found[1]]

    def read(self) -> list[Block]:
        tokens = _markdown_parser().parse(self.markup)
        blocks: list[Block] = []
        headings: list[OpenHeading] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            close = _closing(tokens, i)
            kind = token.type
            if kind == "heading_open":
                self._heading(token, blocks, headings)
            elif kind in ("paragraph_open", "blockquote_open", "html_block"):
                self._paragraph(token, blocks)
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self._list(tokens, i, close, blocks)
            elif kind == "table_open":
                self._table(tokens, i, close, blocks)
            elif kind in ("fence", "code_block"):
                span = self.span(token.map)
                if span:
                    blocks.append(Block("code", *span, page=self.page(span[0])))
            i = close + 1
        self._title(blocks, headings)
        return finish_structure(self.text, blocks, headings)

    def _heading(self, token, blocks: list[Block], headings: list[OpenHeading]) -> None:
        found = self.lines_of(token.map)
        if found is None:
            return
        start, end = self.lines.starts[found[0]], self.lines.ends[found[1]]
        line_end = self.lines.ends[found[0]]
        line = self.text[start:line_end]
        words_start = start
        prefix = _MD_HEADING_PREFIX_RE.match(line)
        if prefix:
            words_start = start + prefix.end()
            suffix = _MD_HEADING_SUFFIX_RE.search(line, prefix.end())
            words_end = start + suffix.start() if suffix else line_end
        else:  # a setext heading: its words are its first line
            words_end = line_end
        words = plain_line(re.sub(r"[*_`]+", "", self.text[words_start:words_end]))
        if not words:
            blocks.append(Block("paragraph", start, end, page=self.page(start)))
            return
        ordinal = ordinal_of(self.text[words_start:words_end])
        level = int(token.tag[1])
        blocks.append(Block("heading", start, end, level=level, text_span=(words_start, max(words_end, words_start)),
                            ordinal=ordinal.text if ordinal and ordinal.numbered else "", page=self.page(start)))
        headings.append(OpenHeading(len(blocks) - 1, level, words, ordinal if ordinal and ordinal.numbered else None))

    def _paragraph(self, token, blocks: list[Block]) -> None:
        found = self.lines_of(token.map)
        if found is None:
            return
        first, last = found
        pdf = self.document.kind == "pdf"
        kinds = []
        for index in range(first, last + 1):
            line = self.lines.line(index)
            if not line:
                kinds.append(None)
            elif is_byline(line):
                kinds.append("byline")
            elif is_date(line):
                kinds.append("date")
            elif furniture_line(line, pdf):
                kinds.append("furniture")
            else:
                kinds.append("")
        if all(k for k in kinds if k is not None) and any(kinds):
            for index, kind in zip(range(first, last + 1), kinds):
                if kind:
                    start = self.lines.starts[index]
                    blocks.append(Block(kind, start, self.lines.ends[index], page=self.page(start)))
            return
        start, end = self.lines.starts[first], self.lines.ends[last]
        blocks.append(Block("paragraph", start, end, page=self.page(start)))

    def _list(self, tokens, begin: int, close: int, blocks: list[Block]) -> None:
        span = self.span(tokens[begin].map)
        if span is None:
            return
        # Every item with its depth (the number of items it sits in), in order; nest_items builds the tree.
        flat: list[tuple[int, Item]] = []
        depth = -1
        for token in tokens[begin : close + 1]:
            if token.type == "list_item_open":
                depth += 1
                item = self._item(token, depth)
                if item is not None:
                    flat.append((depth, item))
            elif token.type == "list_item_close":
                depth -= 1
        items = nest_items(flat)
        if not items:
            blocks.append(Block("paragraph", *span, page=self.page(span[0])))
            return
        blocks.append(Block("list", span[0], span[1], items=tuple(items), page=self.page(span[0])))

    def _item(self, token, depth: int) -> Item | None:
        found = self.lines_of(token.map)
        if found is None:
            return None
        first, last = found
        start, end = self.lines.starts[first], self.lines.ends[last]
        line_end = self.lines.ends[first]
        line = self.text[start:line_end]
        marker = _MD_MARKER_RE.match(line)
        head_start = start + (marker.end() if marker else 0)
        ordinal_text = marker.group(1) if marker else ""
        ordinal_end = head_start
        inner = ordinal_of(self.text[head_start:line_end])
        if marker and marker.group(1)[0].isdigit():
            ordinal_end = head_start
            head_start = start  # a number is part of the item's head: "1. **技术瓶颈**"
        elif inner is not None and inner.numbered:
            ordinal_text = inner.text
            ordinal_end = head_start + inner.end
        head_end = item_head_end(self.text, head_start, line_end, ordinal_end)
        return Item(start, end, head_start, head_end, ordinal_text, depth)

    def _table(self, tokens, begin: int, close: int, blocks: list[Block]) -> None:
        span = self.span(tokens[begin].map)
        if span is None:
            return
        header: list[str] = []
        header_span = None
        rows: list[tuple[int, int]] = []
        cells: list[tuple[tuple[int, int], ...]] = []
        section = None
        for index in range(begin, close):
            token = tokens[index]
            if token.type in ("thead_open", "tbody_open"):
                section = token.type
            elif token.type == "tr_open":
                row = self.span(token.map)
                if row is None:
                    continue
                if section == "thead_open":
                    header_span = row
                else:
                    rows.append(row)
                    cells.append(_pipe_cells(self.text, *row))
            elif token.type == "inline" and section == "thead_open":
                header.append(plain_line(token.content))
        caption = None
        start = span[0]
        if blocks and blocks[-1].kind == "paragraph":
            previous = blocks[-1]
            words = self.text[previous.start : previous.end]
            between = self.text[previous.end : start]
            if "\n" not in words and between.count("\n") <= 2 and (CAPTION_RE.match(plain_line(words))
                                                                   or title_like(words, 80)):
                blocks.pop()
                caption, start = (previous.start, previous.end), previous.start
        blocks.append(Block("table", start, span[1], header=tuple(header) if header_span else None,
                            header_span=header_span, rows=tuple(rows), cells=tuple(cells), caption=caption,
                            page=self.page(start)))

    def _title(self, blocks: list[Block], headings: list[OpenHeading]) -> None:
        """The first block is the title when it is the only level-1 heading and names the report (the document's
        title holds its words or they hold the title): "# 概述" under a front-matter title stays a heading."""
        first = next((i for i, b in enumerate(blocks) if b.kind not in ("byline", "date", "furniture")), None)
        if first is None or blocks[first].kind != "heading" or blocks[first].level != 1:
            return
        if sum(1 for h in headings if h.level <= 1) != 1:
            return
        words = re.sub(r"\s+", "", headings[0].words).casefold()
        title = re.sub(r"\s+", "", self.document.title).casefold()
        if not words or not title or (words not in title and title not in words):
            return
        block = blocks[first]
        blocks[first] = replace_block(block, kind="title", ordinal="")
        headings[:] = [h for h in headings if h.block != first]


def _closing(tokens, index: int) -> int:
    """Index of the token closing ``tokens[index]`` (itself for a token that opens nothing)."""
    token = tokens[index]
    if token.nesting != 1:
        return index
    depth = 0
    for j in range(index, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _pipe_cells(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Cell spans of a "| a | b |" row, each trimmed."""
    bounds = [start - 1] + [m.start() + start for m in _PIPE_RE.finditer(text[start:end])] + [end]
    cells = []
    for left, right in zip(bounds, bounds[1:]):
        a, b = left + 1, right
        if a == start and b == a:  # before a leading pipe
            continue
        while a < b and text[a] == " ":
            a += 1
        while b > a and text[b - 1] == " ":
            b -= 1
        cells.append((a, b))
    if text[start:end].rstrip().endswith("|") and cells and cells[-1][0] == cells[-1][1] and cells[-1][0] >= end - 1:
        cells.pop()
    return tuple(cells)
