"""A report's structure as typed blocks: read once at ingest (``ingest.structure``), read here by every later stage.

Every block and item is a span ``[start, end)`` of the document's cleaned text (the text all chunk offsets refer
to), so ``text[block.start:block.end]`` is exactly the block. The blocks of kinds other than ``list`` with
``of_headings`` set tile the text in order without overlapping (blank lines between them belong to no block);
a list made of sibling headings ("## 趋势1 …", "## 趋势2 …") lies over the headings and sections it gathers.

This module holds the block types; the queries are ``rag.text.document_structure``'s and the words they are read
with ``rag.text.block_words``'s. None of them imports anything from ``ingest`` (ingest imports them).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

# Bump when the blocks read from the same text change: documents are then re-ingested (see ingest.pipeline).
STRUCTURE_VERSION = 6

BlockKind = Literal["title", "heading", "paragraph", "list", "table", "byline", "date", "code", "furniture"]
BLOCK_KINDS: tuple[str, ...] = ("title", "heading", "paragraph", "list", "table", "byline", "date", "code", "furniture")


_EMPHASIS_RE = re.compile(r"\*\*|__|`")


@dataclass(frozen=True)
class Item:
    """One item of a list (or one heading of a run of sibling headings) and the items nested under it.

    ``text[start:end]`` is the whole item, its marker and nested items included. ``text[head_start:head_end]`` is
    its head: the words before the first "：:。" (or its bold run), with a numbering ordinal kept and a bullet or
    Markdown marker left out, e.g. "趋势1：AI Agent加速落地" of a longer item.
    """

    start: int
    end: int
    head_start: int
    head_end: int
    ordinal: str = ""  # "1.", "一、", "（一）", "趋势1:", "①", or the bullet ("-", "•") when the item has no number
    depth: int = 0  # 0 for the list's own items
    children: tuple[Item, ...] = ()

    def walk(self) -> Iterator[Item]:
        """This item and every item nested under it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"s": self.start, "e": self.end, "hs": self.head_start, "he": self.head_end}
        if self.ordinal:
            data["o"] = self.ordinal
        if self.depth:
            data["d"] = self.depth
        if self.children:
            data["c"] = [child.to_dict() for child in self.children]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(
            start=data["s"],
            end=data["e"],
            head_start=data["hs"],
            head_end=data["he"],
            ordinal=data.get("o", ""),
            depth=data.get("d", 0),
            children=tuple(cls.from_dict(c) for c in data.get("c", ())),
        )


Span = tuple[int, int]


@dataclass(frozen=True)
class Block:
    """One typed block of a report.

    Attributes:
        kind: what the block is; ``furniture`` is a page header or footer (its text is no part of the report's
            content, and it never names a section).
        start, end: the block is ``text[start:end]``.
        level: a heading's level (1 = top; Markdown's ``#`` count, or the depth of the numbering in plain text).
        path: the headings the block sits under, outermost first; a heading's path ends with itself. The document
            title is not part of any path.
        text_span: the block's own words without markup: a heading's words after "## ", a title's words.
        ordinal: a heading's numbering as written ("一、", "1.2", "趋势3:").
        items: a list's items (nested items under their parents); for a paragraph, each sentence that names three or
            more things in a row ("包括A、B和C"), its children the things named.
        of_headings: the list gathers a run of sibling headings sharing an ordinal pattern; each item is a heading
            with its section.
        header: a table's header cells, or None when the table has no header row.
        header_span, rows, cells: a table's header row, its other rows, and each of those rows' cell spans.
        caption: the line naming a table ("表1 …", a short title right above it), inside the block.
        page: the PDF page the block starts on (None for documents without pages).
    """

    kind: BlockKind
    start: int
    end: int
    level: int = 0
    path: tuple[str, ...] = ()
    text_span: Span | None = None
    ordinal: str = ""
    items: tuple[Item, ...] = ()
    of_headings: bool = False
    header: tuple[str, ...] | None = None
    header_span: Span | None = None
    rows: tuple[Span, ...] = ()
    cells: tuple[tuple[Span, ...], ...] = ()
    caption: Span | None = None
    page: int | None = None

    def all_items(self) -> list[Item]:
        """Every item of a list, nested ones included, in document order."""
        return [item for top in self.items for item in top.walk()]

    def item_at(self, offset: int) -> Item | None:
        """The innermost item holding ``offset``."""
        found = None
        candidates = self.items
        while True:
            for item in candidates:
                if item.start <= offset < item.end:
                    found, candidates = item, item.children
                    break
            else:
                return found

    def row_at(self, offset: int) -> int | None:
        """Index into ``rows`` of the table row holding ``offset``."""
        starts = [s for s, _ in self.rows]
        index = bisect.bisect_right(starts, offset) - 1
        if index >= 0 and offset < self.rows[index][1]:
            return index
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "start": self.start, "end": self.end}
        if self.level:
            data["level"] = self.level
        if self.path:
            data["path"] = list(self.path)
        if self.text_span is not None:
            data["text_span"] = list(self.text_span)
        if self.ordinal:
            data["ordinal"] = self.ordinal
        if self.items:
            data["items"] = [item.to_dict() for item in self.items]
        if self.of_headings:
            data["of_headings"] = True
        if self.header is not None:
            data["header"] = list(self.header)
        if self.header_span is not None:
            data["header_span"] = list(self.header_span)
        if self.rows:
            data["rows"] = [list(r) for r in self.rows]
        if self.cells:
            data["cells"] = [[list(c) for c in row] for row in self.cells]
        if self.caption is not None:
            data["caption"] = list(self.caption)
        if self.page is not None:
            data["page"] = self.page
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        def span(value) -> Span | None:
            return (int(value[0]), int(value[1])) if value is not None else None

        header = data.get("header")
        return cls(
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            level=data.get("level", 0),
            path=tuple(data.get("path", ())),
            text_span=span(data.get("text_span")),
            ordinal=data.get("ordinal", ""),
            items=tuple(Item.from_dict(i) for i in data.get("items", ())),
            of_headings=bool(data.get("of_headings", False)),
            header=tuple(header) if header is not None else None,
            header_span=span(data.get("header_span")),
            rows=tuple((r[0], r[1]) for r in data.get("rows", ())),
            cells=tuple(tuple((c[0], c[1]) for c in row) for row in data.get("cells", ())),
            caption=span(data.get("caption")),
            page=data.get("page"),
        )


@dataclass(frozen=True)
class Section:
    """A stretch of the text under one heading path: from a heading (or the start) to the next heading.

    ``body_start`` is where the text after the heading line begins. Page headers and footers never start one.
    """

    start: int
    end: int
    body_start: int
    path: tuple[str, ...]


@dataclass(frozen=True)
class ListShape:
    """One list a list question could be answered with: the items of a list block at one nesting level (the
    children of one item are a list of their own), a run of sibling headings (numbered or not), or a table's rows
    (each row an item whose head is the whole row), or a sentence naming things in a row ("prose": "包括A、B和C").

    ``leads`` are the spans that say what the list is: the item its children hang under, a table's caption and
    header row, and the heading over it (for a run of headings, their parent). ``intro`` is the paragraph right
    above the list (page furniture skipped), which introduces it when it ends in a colon ("特点如下：").
    """

    kind: Literal["items", "headings", "rows", "prose"]
    start: int
    end: int
    items: tuple[Item, ...]
    leads: tuple[Span, ...]
    intro: Span | None = None


def item_heads(text: str, block: Block, depth: int | None = 0, plain: bool = True) -> list[str]:
    """The heads of a list's items (``depth=None``: every item, nested ones included); ``plain`` drops the
    emphasis marks around them ("**AWS SageMaker**" → "AWS SageMaker")."""
    items = block.all_items() if depth is None else [i for i in block.all_items() if i.depth == depth]
    heads = [text[i.head_start : i.head_end] for i in items]
    return [_EMPHASIS_RE.sub("", h).strip() for h in heads] if plain else heads
