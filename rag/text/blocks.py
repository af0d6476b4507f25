"""A report's structure as typed blocks: read once at ingest (``ingest.structure``), read here by every later stage.

Every block and item is a span ``[start, end)`` of the document's cleaned text (the text all chunk offsets refer
to), so ``text[block.start:block.end]`` is exactly the block. The blocks of kinds other than ``list`` with
``of_headings`` set tile the text in order without overlapping (blank lines between them belong to no block);
a list made of sibling headings ("## 趋势1 …", "## 趋势2 …") lies over the headings and sections it gathers.

This module holds the data and the queries only; it imports nothing from ``ingest`` (ingest imports it).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

# Bump when the blocks read from the same text change: documents are then re-ingested (see ingest.pipeline).
STRUCTURE_VERSION = 4

BlockKind = Literal["title", "heading", "paragraph", "list", "table", "byline", "date", "code", "furniture"]
BLOCK_KINDS: tuple[str, ...] = ("title", "heading", "paragraph", "list", "table", "byline", "date", "code", "furniture")

# The words structure is read with, in both languages and both Chinese scripts. One place, read by this module
# and by ingest.structure (which imports it from here).
VOCABULARY: dict[str, tuple[str, ...]] = {
    # A heading starting with one of these opens a summary of the report (matched case-insensitively, after the
    # heading's ordinal: "一、核心洞察", "5. Conclusion").
    "summary_headings": (
        "摘要", "概要", "提要", "概述", "综述", "綜述", "总结", "總結", "小结", "小結", "结论", "結論", "结语", "結語",
        "核心洞察", "核心观点", "核心觀點", "核心发现", "核心發現", "主要发现", "主要發現", "关键发现", "關鍵發現",
        "要点", "要點", "重点", "重點", "执行摘要", "執行摘要", "研究结论", "研究結論",
        "summary", "executive summary", "abstract", "conclusion", "conclusions", "key findings", "key takeaways",
        "highlights", "overview", "tl;dr",
    ),
    # "作者：…", "By …": a line naming who wrote or analysed the report.
    "byline_labels": (
        "作者", "撰文", "撰稿", "执笔", "執筆", "分析师", "分析師", "分析", "研究员", "研究員", "编辑", "編輯", "文",
        "主编", "主編", "记者", "記者", "author", "authors", "written by", "prepared by", "analyst", "analysts",
    ),
    "byline_prefixes": ("by", "written by", "prepared by"),
    # "标题：…" on a line of its own names the report.
    "title_labels": ("标题", "標題", "题目", "題目", "报告名称", "報告名稱", "title", "report title"),
    # "日期：2024年4月5日", "Published: March 2024".
    "date_labels": (
        "日期", "发布日期", "發布日期", "发布时间", "發布時間", "发表日期", "發表日期", "时间", "時間", "更新", "更新时间",
        "date", "published", "updated", "last updated", "released",
    ),
    # A line starting with one of these names a figure or table ("表1：…", "Table 2."): a caption, never a list item.
    "caption_words": ("图", "圖", "表", "图表", "圖表", "figure", "fig", "table", "chart", "exhibit"),
    # Words that number a run of headings or items with a following number and a space: "Part 2", "Step 3".
    # (Any short word works with a colon: "趋势1：", "主线2:".)
    "ordinal_words": (
        "part", "chapter", "section", "step", "stage", "phase", "trend", "lesson", "module", "unit", "appendix",
        "趋势", "趨勢", "阶段", "階段", "步骤", "步驟", "附录", "附錄", "案例", "建议", "建議",
    ),
    # A page header or footer on a line of its own: "©易观分析", "Copyright 2024 …", "版权所有", "Confidential".
    "furniture_prefixes": ("©", "(c)", "copyright", "版权所有", "版權所有", "all rights reserved", "confidential"),
    # PDF / DOCX metadata titles that name the tool or the file, not the report: a whole title that is one of
    # these (a number may follow: "Document1"), or one that starts with a prefix ("Microsoft Word - x.docx").
    "junk_titles": (
        "untitled", "无标题", "無標題", "未命名", "title", "标题", "標題", "document", "文档", "文檔", "新建文档",
        "slide", "presentation", "powerpoint presentation", "new document", "draft", "template",
    ),
    "junk_title_prefixes": (
        "microsoft word -", "microsoft powerpoint -", "microsoft excel -", "untitled", "无标题", "未命名",
    ),
}

_SUMMARY_RE = re.compile(
    r"^(?:" + "|".join(re.escape(w) for w in sorted(VOCABULARY["summary_headings"], key=len, reverse=True)) + r")",
    re.IGNORECASE,
)
# Ordinals a heading may start with before its summary word: "一、", "（三）", "5.", "Part 4:", "第五章".
_LEADING_ORDINAL_RE = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇两\d]+[章节節部分篇条條讲講]|[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十\d]+[)）]"
    r"|\d{1,3}(?:\.\d{1,3})*[.、．)）]?|[ivxIVX]+[.)]|[A-Za-z][.)])\s*"
)
_MARKUP_RE = re.compile(r"[*_`#]+")
_EMPHASIS_RE = re.compile(r"\*\*|__|`")
# Without the text, a paragraph right above a list this short counts as its lead-in.
LEAD_IN_MAX_CHARS = 60
LABEL_MAX_CHARS = 40  # a paragraph this short right above a list (or set over one of its own) is its label


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


@dataclass(frozen=True)
class DocumentStructure:
    """A report's title and its blocks in document order, with the queries later stages ask of them."""

    title: str
    blocks: tuple[Block, ...] = field(default=())
    version: int = STRUCTURE_VERSION
    # The cleaned text the offsets point into, when the reader has it (not stored: the document holds it).
    text: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.blocks, tuple):
            object.__setattr__(self, "blocks", tuple(self.blocks))

    # ----- serialisation -----
    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "title": self.title, "blocks": [b.to_dict() for b in self.blocks]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, text: str = "") -> DocumentStructure:
        """Read what ``to_dict`` wrote; an absent structure (an index from before structure) reads as empty.
        ``text``: the document's cleaned text, which lets a paragraph's words tell structure (a lead-in)."""
        if not data:
            return cls(title="", blocks=(), version=0, text=text)
        return cls(
            title=data.get("title", ""),
            blocks=tuple(Block.from_dict(b) for b in data.get("blocks", ())),
            version=data.get("version", 0),
            text=text,
        )

    # ----- indices (built on first use) -----
    @cached_property
    def _flow(self) -> tuple[Block, ...]:
        """The blocks that tile the text (everything but lists of headings), in order."""
        return tuple(b for b in self.blocks if not b.of_headings)

    @cached_property
    def _flow_starts(self) -> list[int]:
        return [b.start for b in self._flow]

    @cached_property
    def _heading_lists(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.of_headings)

    # ----- queries -----
    def block_at(self, offset: int) -> Block | None:
        """The block holding ``offset`` (never a list of headings: the heading or paragraph itself), or None
        between blocks."""
        index = bisect.bisect_right(self._flow_starts, offset) - 1
        if index >= 0 and offset < self._flow[index].end:
            return self._flow[index]
        return None

    def block_before(self, offset: int) -> Block | None:
        """The block holding ``offset``, or else the last block that ends before it."""
        index = bisect.bisect_right(self._flow_starts, offset) - 1
        return self._flow[index] if index >= 0 else None

    def block_after(self, offset: int) -> Block | None:
        """The first block (never page furniture) that starts at or after ``offset``, or None."""
        index = bisect.bisect_left(self._flow_starts, offset)
        while index < len(self._flow) and self._flow[index].kind == "furniture":
            index += 1
        return self._flow[index] if index < len(self._flow) else None

    def heading_path(self, offset: int) -> tuple[str, ...]:
        """The headings ``offset`` sits under, outermost first (from the block holding it or the one before)."""
        block = self.block_before(offset)
        return block.path if block is not None else ()

    def section_title(self, offset: int) -> str:
        """The innermost heading over ``offset`` ("" before the first heading): a source card's section label."""
        path = self.heading_path(offset)
        return path[-1] if path else ""

    def list_of(self, offset: int) -> Block | None:
        """The list ``offset`` belongs to, with all its items: the innermost list block holding it, or else the
        run of sibling headings whose sections hold it (the innermost such run)."""
        block = self.block_at(offset)
        if block is not None and block.kind == "list":
            return block
        best = None
        for candidate in self._heading_lists:
            if candidate.start <= offset < candidate.end and (best is None or candidate.start >= best.start):
                best = candidate
        return best

    def heading_lists_of(self, offset: int) -> list[Block]:
        """Every run of sibling headings whose sections hold ``offset``, innermost first."""
        found = [b for b in self._heading_lists if b.start <= offset < b.end]
        return sorted(found, key=lambda b: -b.start)

    def lists(self) -> list[Block]:
        """Every list, lists of headings included, in document order."""
        return [b for b in self.blocks if b.kind == "list"]

    def table_of(self, offset: int) -> Block | None:
        """The table holding ``offset`` (its ``header``, ``rows`` and ``cells``), or None."""
        block = self.block_at(offset)
        return block if block is not None and block.kind == "table" else None

    def outline(self) -> list[Block]:
        """The headings in document order (the title is not one)."""
        return [b for b in self._flow if b.kind == "heading"]

    def title_block(self) -> Block | None:
        return next((b for b in self._flow if b.kind == "title"), None)

    def summary_blocks(self) -> list[Block]:
        """The blocks under headings that open a summary (摘要, 核心洞察, 总结, Conclusion, Key findings, …),
        down to the next heading of the same or a higher level. The summary headings themselves are left out."""
        found: list[Block] = []
        open_level: int | None = None
        for block in self._flow:
            if block.kind == "heading":
                if open_level is not None and block.level <= open_level:
                    open_level = None
                if open_level is None:
                    if is_summary_heading(self.heading_words(block)):
                        open_level = block.level
                    continue
            if open_level is not None and block.kind not in ("furniture", "title"):
                found.append(block)
        return found

    def sections(self, text_length: int) -> list[Section]:
        """The text cut at every heading: a preamble before the first heading, then one section per heading
        (with its path), each up to the next heading. What chunking needs to name chunks."""
        cuts = [b for b in self._flow if b.kind == "heading"]
        sections: list[Section] = []
        if not cuts or cuts[0].start > 0:
            first_end = cuts[0].start if cuts else text_length
            sections.append(Section(0, first_end, 0, ()))
        for i, heading in enumerate(cuts):
            end = cuts[i + 1].start if i + 1 < len(cuts) else text_length
            sections.append(Section(heading.start, end, heading.end, heading.path))
        return sections

    def furniture(self) -> list[Block]:
        """Page headers and footers left in the text: no chunk, quote or section should be made of them."""
        return [b for b in self._flow if b.kind == "furniture"]

    def is_furniture(self, offset: int) -> bool:
        block = self.block_at(offset)
        return block is not None and block.kind == "furniture"

    def is_label(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies in a title, heading or table caption: context for sentences, not an answer."""
        block = self.block_at(start)
        if block is None:
            return False
        if block.kind in ("title", "heading"):
            return True
        return block.caption is not None and block.caption[0] <= start and end <= block.caption[1]

    def context_of(self, offset: int, text: str | None = None) -> list[Span]:
        """Spans that say what the line at ``offset`` is about: a table row's header row and caption; a nested
        list item's parent heads, and the lead-in paragraph right above the list (with ``text``: one ending in a
        colon; without: one of at most ``LEAD_IN_MAX_CHARS``); and the words of the innermost heading over it."""
        block = self.block_at(offset)
        spans: list[Span] = []
        if block is None:
            return spans
        if block.kind == "table":
            if block.header_span is not None and not block.header_span[0] <= offset < block.header_span[1]:
                spans.append(block.header_span)
            if block.caption is not None and not block.caption[0] <= offset < block.caption[1]:
                spans.append(block.caption)
        elif block.kind == "list" and not block.of_headings:
            chain: list[Item] = []
            candidates = block.items
            while True:
                for item in candidates:
                    if item.start <= offset < item.end:
                        chain.append(item)
                        candidates = item.children
                        break
                else:
                    break
            spans.extend((i.head_start, i.head_end) for i in chain[:-1])
            index = bisect.bisect_left(self._flow_starts, block.start) - 1
            lead = self._flow[index] if index >= 0 else None
            if lead is not None and lead.kind == "paragraph":
                if text is not None:
                    if ends_in_colon(text[lead.start : lead.end]):
                        spans.append((lead.start, lead.end))
                elif lead.end - lead.start <= LEAD_IN_MAX_CHARS:
                    spans.append((lead.start, lead.end))
        heading = self._heading_over(block)
        if heading is not None and heading.text_span is not None:
            spans.append(heading.text_span)
        return spans

    @cached_property
    def list_shapes(self) -> tuple[ListShape, ...]:
        """Every list of two or more items the report holds, in document order (see ``ListShape``)."""
        shapes: list[ListShape] = []
        for index, block in enumerate(self._flow):
            heading = self._heading_over(block)
            over = (heading.text_span,) if heading is not None and heading.text_span is not None else ()
            if block.kind == "list" and len(block.items) >= 2:
                shapes.append(ListShape("items", block.start, block.end, block.items, over, self._intro(index)))
            if block.kind in ("list", "paragraph"):  # a paragraph's items are the sentences naming things
                kind = "items" if block.kind == "list" else "prose"
                for item in block.all_items():
                    if len(item.children) >= 2:
                        own = ((item.head_start, item.head_end),)
                        shapes.append(ListShape(kind, item.children[0].start, item.end, item.children, own + over))
            elif block.kind == "table" and len(block.rows) >= 2:
                rows = tuple(Item(a, b, a, b) for a, b in block.rows)
                leads = tuple(s for s in (block.caption, block.header_span) if s is not None)
                shapes.append(ListShape("rows", block.start, block.end, rows, leads + over, self._intro(index)))
        shapes.extend(self._heading_runs())
        shapes.extend(self._label_runs())
        return tuple(sorted(shapes, key=lambda s: (s.start, -s.end)))

    def _label_runs(self) -> list[ListShape]:
        """Runs of two or more short paragraphs each set over a list of its own, under one heading: labels that
        stand for headings ("**Step 1: 技术研发与优化**" over its bullets, then "**Step 2: …**" over its own). Each
        label is an item, its list's items are the item's children."""
        flow, shapes, run = self._flow, [], []

        def close() -> None:
            if len(run) >= 2:
                items = tuple(Item(flow[i].start, flow[i + 1].end, flow[i].start, flow[i].end,
                                   children=flow[i + 1].items) for i in run)
                heading = self._heading_over(flow[run[0]])
                over = (heading.text_span,) if heading is not None and heading.text_span is not None else ()
                shapes.append(ListShape("headings", items[0].start, items[-1].end, items, over, self._intro(run[0])))
            run.clear()

        index = 0
        while index < len(flow) - 1:
            block, after = flow[index], flow[index + 1]
            if (block.kind == "paragraph" and block.end - block.start <= LABEL_MAX_CHARS and after.kind == "list"
                    and (not run or self._heading_over(block) is self._heading_over(flow[run[0]]))):
                run.append(index)
                index += 2
                continue
            close()
            index += 1
        close()
        return shapes

    def _intro(self, index: int) -> Span | None:
        """The paragraph right above the flow block at ``index``, page furniture skipped."""
        index -= 1
        while index >= 0 and self._flow[index].kind == "furniture":
            index -= 1
        previous = self._flow[index] if index >= 0 else None
        return (previous.start, previous.end) if previous is not None and previous.kind == "paragraph" else None

    def _heading_runs(self) -> list[ListShape]:
        """Runs of two or more sibling headings: one level, one parent, nothing between them but their sections.
        A summary heading ("总结：…") ends a run: it closes the part, it is no item of it; so does numbering that
        starts again ("01 …" "02 …" "03 …", a paragraph, "01 …": two lists under one heading), a lead-in paragraph
        ("…面临诸多挑战，这包括：") right above a heading, and a heading
        marked otherwise than the one before ("● 计算资源限制" after "工具使用能力的拓展", "附录" after "三、…")."""
        flow, runs, shapes = self._flow, {}, []
        end_of_text = max((b.end for b in flow), default=0)
        headings = [i for i, b in enumerate(flow) if b.kind == "heading"]
        for position, index in enumerate(headings):
            block = flow[index]
            # Close the runs this heading ends: deeper ones, and its own level's when a summary heading breaks it.
            for level in [lv for lv in runs if lv > block.level]:
                shapes.append(self._run_shape(runs.pop(level), headings, end_of_text))
            summary = is_summary_heading(self.heading_words(block))
            run = runs.get(block.level)
            if run is not None and (summary or self._led_in(index) or flow[run[-1]].path[:-1] != block.path[:-1]
                                    or _restarts(flow[run[-1]].ordinal, block.ordinal)
                                    or _style(flow[run[-1]]) != _style(block)):
                shapes.append(self._run_shape(runs.pop(block.level), headings, end_of_text))
                run = None
            if not summary:
                runs.setdefault(block.level, []).append(index)
        shapes.extend(self._run_shape(run, headings, end_of_text) for run in runs.values())
        return [s for s in shapes if s is not None]

    def _led_in(self, index: int) -> bool:
        """Whether the paragraph right above the flow block at ``index`` ends in a colon ("…挑战，这包括："): it
        introduces what follows, so a run of headings starts again there."""
        intro = self._intro(index)
        return bool(self.text) and intro is not None and ends_in_colon(self.text[intro[0] : intro[1]])

    def _run_shape(self, run: list[int], headings: list[int], end_of_text: int) -> ListShape | None:
        if len(run) < 2:
            return None
        flow, items = self._flow, []
        for index in run:
            block = flow[index]
            later = (flow[i] for i in headings if i > index and flow[i].level <= block.level)
            end = next((b.start for b in later), end_of_text)
            head = block.text_span or (block.start, block.end)
            items.append(Item(block.start, end, head[0], head[1], block.ordinal))
        first = flow[run[0]]
        parent = next((flow[i] for i in reversed(range(run[0])) if flow[i].kind == "heading"
                       and flow[i].level < first.level), None)
        # The parent of the report's top-level headings is the report itself: its title says what they list.
        over = parent if parent is not None else self.title_block()
        leads = (over.text_span,) if over is not None and over.text_span is not None else ()
        return ListShape("headings", items[0].start, items[-1].end, tuple(items), leads, self._intro(run[0]))

    def heading_words(self, block: Block) -> str:
        """A heading's or title's words without markup (needs no text: rebuilt from the path)."""
        if block.kind == "heading" and block.path:
            return block.path[-1]
        return ""

    @cached_property
    def _last_heading(self) -> list[int]:
        """For each flow block, the index of the last heading at or before it (-1: none)."""
        last, out = -1, []
        for index, block in enumerate(self._flow):
            if block.kind == "heading":
                last = index
            out.append(last)
        return out

    def _heading_over(self, block: Block) -> Block | None:
        if block.kind == "heading":
            return None
        index = bisect.bisect_right(self._flow_starts, block.start) - 1
        found = self._last_heading[index] if index >= 0 else -1
        return self._flow[found] if found >= 0 else None


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER_RE = re.compile(r"\d+|[一二三四五六七八九十]+")


def ordinal_value(ordinal: str) -> int | None:
    """The number an ordinal counts with: "03" → 3, "趋势12:" → 12, "（四）" → 4, "十一、" → 11; None for none."""
    found = _NUMBER_RE.findall(ordinal)
    if not found:
        return None
    numeral = found[-1]
    if numeral.isdigit():
        return int(numeral)
    if "十" not in numeral:
        return _CN_DIGITS.get(numeral) if len(numeral) == 1 else None
    tens, _, units = numeral.partition("十")
    if len(tens) > 1 or len(units) > 1:
        return None
    return _CN_DIGITS.get(tens, 1 if not tens else 0) * 10 + _CN_DIGITS.get(units, 0)


def _style(heading: Block) -> tuple[int, str]:
    """How a heading is marked: the length of what precedes its words ("## ", "● ") and its numbering's pattern
    with the numbers left out ("趋势#:", "（#）", "#.")."""
    prefix = heading.text_span[0] - heading.start if heading.text_span is not None else 0
    pattern = _NUMBER_RE.sub("#", heading.ordinal).replace("：", ":").replace(" ", "")
    return prefix, pattern


def _restarts(previous: str, ordinal: str) -> bool:
    """Whether a heading numbered ``ordinal`` starts its numbering again after one numbered ``previous``."""
    before, now = ordinal_value(previous), ordinal_value(ordinal)
    return before is not None and now is not None and now <= before


def ends_in_colon(paragraph: str) -> bool:
    """Whether a paragraph ends in a colon, emphasis marks aside ("特点如下：", "**主要包括：**"): it introduces what
    follows it."""
    return paragraph.rstrip("*_ ").endswith(("：", ":"))


def is_summary_heading(words: str) -> bool:
    """Whether a heading's words open a summary: 摘要, 核心洞察, 总结：…, 5. Conclusion, Key findings."""
    stripped = _MARKUP_RE.sub("", words).strip()
    stripped = _LEADING_ORDINAL_RE.sub("", stripped, count=1).strip()
    return bool(_SUMMARY_RE.match(stripped))


def item_heads(text: str, block: Block, depth: int | None = 0, plain: bool = True) -> list[str]:
    """The heads of a list's items (``depth=None``: every item, nested ones included); ``plain`` drops the
    emphasis marks around them ("**AWS SageMaker**" → "AWS SageMaker")."""
    items = block.all_items() if depth is None else [i for i in block.all_items() if i.depth == depth]
    heads = [text[i.head_start : i.head_end] for i in items]
    return [_EMPHASIS_RE.sub("", h).strip() for h in heads] if plain else heads
