"""What both structure readers share: the lines of the cleaned text with their offsets, the page of an offset,
headings' paths, runs of sibling headings exposed as lists, and the finished ``DocumentStructure``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ingest.document import LoadedDocument
from ingest.enumerations import prose_items
from ingest.line_kinds import item_head_end
from ingest.ordinals import Ordinal, ordinal_of
from rag.text.blocks import Block, Item


class Lines:
    """The lines of a text with their offsets; line ``i`` is ``text[starts[i]:ends[i]]``."""

    def __init__(self, text: str):
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        offset = 0
        for line in text.split("\n"):
            self.starts.append(offset)
            self.ends.append(offset + len(line))
            offset += len(line) + 1

    def __len__(self) -> int:
        return len(self.starts)

    def line(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]


def page_lookup(document: LoadedDocument):
    if not document.pages:
        return lambda offset: None
    starts = [p.start for p in document.pages]

    def page(offset: int) -> int | None:
        index = bisect.bisect_right(starts, offset) - 1
        return document.pages[max(index, 0)].page

    return page


@dataclass
class OpenHeading:
    """A heading while the reader works: where it is, its level and numbering, and what it sits under."""

    block: int  # index into the reader's block list
    level: int
    words: str
    ordinal: Ordinal | None
    parent: int = -1  # index into the heading list, -1 at the top (set by finish_structure)


def _heading_lists(text: str, blocks: list[Block], headings: list[OpenHeading], ends: list[int]) -> list[Block]:
    """Lists made of runs of sibling headings that share an ordinal pattern and number consecutively."""
    runs: dict[tuple[int, str], list[int]] = {}
    finished: list[list[int]] = []
    for index, heading in enumerate(headings):
        if heading.ordinal is None:
            continue
        key = (heading.parent, heading.ordinal.family)
        run = runs.get(key)
        if run is not None:
            last = headings[run[-1]]
            if last.level == heading.level and (
                heading.ordinal.value is None
                or last.ordinal.value is None
                or heading.ordinal.value == last.ordinal.value + 1
            ):
                run.append(index)
                continue
            if len(run) >= 2:
                finished.append(run)
        runs[key] = [index]
    finished.extend(run for run in runs.values() if len(run) >= 2)
    finished.sort()
    lists = []
    for run in finished:
        items = []
        for index in run:
            block = blocks[headings[index].block]
            head_start, line_end = block.text_span or (block.start, block.end)
            line_end = min(line_end, block.end)
            inner = ordinal_of(text[head_start:line_end])
            ordinal_end = head_start + inner.end if inner is not None and inner.numbered else head_start
            head_end = item_head_end(text, head_start, line_end, ordinal_end)
            items.append(Item(block.start, ends[index], head_start, head_end, headings[index].ordinal.text))
        first = blocks[headings[run[0]].block]
        lists.append(Block("list", items[0].start, items[-1].end, level=first.level, path=first.path[:-1],
                           items=tuple(items), of_headings=True, page=first.page))
    return lists


def finish_structure(text: str, blocks: list[Block], headings: list[OpenHeading]) -> list[Block]:
    """Parents and paths from the heading levels, then the lists of sibling headings, and the lists a paragraph
    writes as prose ("包括A、B和C"; ``ingest.enumerations``); blocks in order."""
    stack: list[int] = []
    for index, heading in enumerate(headings):
        while stack and headings[stack[-1]].level >= heading.level:
            stack.pop()
        heading.parent = stack[-1] if stack else -1
        stack.append(index)
    blocks = _with_paths(blocks, headings)
    # A heading's section runs to the next heading at the same or a higher level, less trailing page furniture.
    starts = [b.start for b in blocks]
    ends = [len(text)] * len(headings)
    stack = []
    for index, heading in enumerate(headings):
        while stack and headings[stack[-1]].level >= heading.level:
            ends[stack.pop()] = blocks[heading.block].start
        stack.append(index)
    for index, end in enumerate(ends):
        position = bisect.bisect_left(starts, end) - 1
        while position >= 0 and blocks[position].kind == "furniture":
            position -= 1
        if position >= 0:
            ends[index] = min(end, blocks[position].end)
    for block in blocks:
        if block.kind == "paragraph":
            # Made by this reader a moment ago (see _with_paths): setting the field is safe.
            object.__setattr__(block, "items", prose_items(text, block.start, block.end))
    return sorted(blocks + _heading_lists(text, blocks, headings, ends), key=lambda b: (b.start, b.of_headings))


def _with_paths(blocks: list[Block], headings: list[OpenHeading]) -> list[Block]:
    """Set each block's path from the headings before it (a heading's path ends with itself)."""
    by_block = {h.block: h for h in headings}
    out: list[Block] = []
    stack: list[tuple[int, str]] = []
    for index, block in enumerate(blocks):
        heading = by_block.get(index)
        if heading is not None:
            while stack and stack[-1][0] >= heading.level:
                stack.pop()
            stack.append((heading.level, heading.words))
        path = tuple(words for _, words in stack) if block.kind != "title" else ()
        if path != block.path:
            # The blocks were made a moment ago by this reader and nobody else holds them: setting the field is
            # safe, and dataclasses.replace on every block costs more than the rest of the reading.
            object.__setattr__(block, "path", path)
        out.append(block)
    return out


def replace_block(block: Block, **changes) -> Block:
    from dataclasses import replace

    return replace(block, **changes)


def nest_items(flat: list[tuple[int, Item]]) -> list[Item]:
    """Items with their depths, in order → the tree (a parent's span grows to cover its children)."""
    roots: list[Item] = []
    stack: list[tuple[int, Item, list[Item]]] = []  # (depth, item, children)

    def close_top() -> None:
        depth, item, children = stack.pop()
        end = max([item.end] + [c.end for c in children])
        done = Item(item.start, end, item.head_start, item.head_end, item.ordinal, item.depth, tuple(children))
        (stack[-1][2] if stack else roots).append(done)

    for depth, item in flat:
        while stack and stack[-1][0] >= depth:
            close_top()
        stack.append((depth, Item(item.start, item.end, item.head_start, item.head_end, item.ordinal, len(stack)),
                      []))
    while stack:
        close_top()
    return roots
