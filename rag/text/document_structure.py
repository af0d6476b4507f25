"""A report's title and its blocks in document order, with the queries later stages ask of them: the block at an
offset, heading paths and sections, a sentence's context, summary blocks, and every list the report holds
(``list_shapes``: list levels, items' children, runs of sibling headings or labels, table rows).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rag.text.block_words import NUMBER_RE, ends_in_colon, is_summary_heading, ordinal_value
from rag.text.blocks import STRUCTURE_VERSION, Block, Item, ListShape, Section, Span

# Without the text, a paragraph right above a list this short counts as its lead-in.
LEAD_IN_MAX_CHARS = 60
LABEL_MAX_CHARS = 40  # a paragraph this short right above a list (or set over one of its own) is its label


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


def _style(heading: Block) -> tuple[int, str]:
    """How a heading is marked: the length of what precedes its words ("## ", "● ") and its numbering's pattern
    with the numbers left out ("趋势#:", "（#）", "#.")."""
    prefix = heading.text_span[0] - heading.start if heading.text_span is not None else 0
    pattern = NUMBER_RE.sub("#", heading.ordinal).replace("：", ":").replace(" ", "")
    return prefix, pattern


def _restarts(previous: str, ordinal: str) -> bool:
    """Whether a heading numbered ``ordinal`` starts its numbering again after one numbered ``previous``."""
    before, now = ordinal_value(previous), ordinal_value(ordinal)
    return before is not None and now is not None and now <= before
