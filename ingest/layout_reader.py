"""The structure of plain text and PDF text, which have no markup, read by layout cues in one pass over the lines
(see ``ingest.structure`` for the cues).
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.block_assembly import Lines, OpenHeading, finish_structure, nest_items, page_lookup
from ingest.document import LoadedDocument
from ingest.line_kinds import (
    CAPTION_RE,
    CJK_RE,
    TERMINAL,
    TITLE_LABEL_RE,
    furniture_line,
    is_byline,
    is_date,
    item_head_end,
    plain_line,
    short_title,
    summary_label,
    table_row_like,
    title_like,
)
from ingest.ordinals import Ordinal, ordinal_of
from ingest.titles import labelled_title, title_span
from rag.text.blocks import Block, Item


class LayoutReader:
    def __init__(self, document: LoadedDocument):
        self.document = document
        self.text = document.text
        self.lines = Lines(self.text)
        self.page = page_lookup(document)
        self.pdf = document.kind == "pdf"
        self.cells = dict(document.hints.cells)
        self.header_rows = document.hints.header_rows

    def read(self) -> list[Block]:
        lines = self.lines
        n = len(lines)
        texts = [lines.line(i) for i in range(n)]
        kinds = [""] * n
        ordinals: list[Ordinal | None] = [None] * n
        nonblank = [i for i in range(n) if texts[i]]

        self._furniture(texts, kinds, nonblank)
        title = self._title(texts, kinds, nonblank)
        tables = self._tables(texts, kinds, nonblank)
        for i in nonblank:
            if not kinds[i]:
                ordinals[i] = ordinal_of(texts[i])
                if ordinals[i] is not None:
                    kinds[i] = "ordinal"
                elif is_byline(texts[i]):
                    kinds[i] = "byline"
                elif is_date(texts[i]):
                    kinds[i] = "date"
        content = [i for i in nonblank if kinds[i] != "furniture"]
        lists = self._clusters(texts, kinds, ordinals, content)
        # Unnumbered headings: a short line over a long paragraph, an ordinal line or a table; "总结：…" lines.
        for k, i in enumerate(content):
            if kinds[i]:
                continue
            following = content[k + 1] if k + 1 < len(content) else None
            if following is None:
                continue
            if summary_label(texts[i]) or (
                short_title(texts[i])
                and (len(texts[following]) > 40 or kinds[following] in ("heading", "table", "caption", "list"))
            ):
                kinds[i] = "leaf"
        return self._assemble(texts, kinds, ordinals, title, tables, lists)

    # -- furniture: URLs, copyright lines, page numbers, and lines repeated beside them --
    def _furniture(self, texts: list[str], kinds: list[str], nonblank: list[int]) -> None:
        for i in nonblank:
            if furniture_line(texts[i], self.pdf):
                kinds[i] = "furniture"
        counts = Counter(re.sub(r"\d+", "#", texts[i]) for i in nonblank if len(texts[i]) <= 40)
        for k, i in enumerate(nonblank):
            # A running header is short and ends no sentence: a repeated sentence is the report's own words.
            if kinds[i] or len(texts[i]) > 40 or texts[i].endswith(TERMINAL):
                continue
            if counts[re.sub(r"\d+", "#", texts[i])] < 3:
                continue
            neighbours = nonblank[max(k - 1, 0) : k] + nonblank[k + 1 : k + 2]
            if any(kinds[j] == "furniture" for j in neighbours) and ordinal_of(texts[i]) is None:
                kinds[i] = "furniture"

    def _title(self, texts: list[str], kinds: list[str], nonblank: list[int]) -> int | None:
        labelled = labelled_title(texts)
        if labelled is not None and not kinds[labelled]:
            kinds[labelled] = "title"
            return labelled
        limit = nonblank[39] + 1 if len(nonblank) > 40 else len(texts)
        found = title_span(texts[:limit], self.pdf)
        if found is None or kinds[found[0]] or found[0] in self.cells:  # a table's first row is no title
            return None
        kinds[found[0]] = "title"
        return found[0]

    # -- tables --
    def _tables(self, texts: list[str], kinds: list[str], nonblank: list[int]) -> list[tuple[int, int, int | None]]:
        """(first row line, last row line, caption line) of every table; its lines are marked."""
        row = [False] * len(texts)
        for i in nonblank:
            if kinds[i]:
                continue
            cells = self.cells.get(i)
            if cells is not None:
                row[i] = sum(1 for c in cells if c) >= 2 or len(cells) >= 2
        found: list[tuple[int, int, int | None]] = []
        i = 0
        n = len(texts)
        while i < n:
            if row[i]:
                j = i
                while j + 1 < n and row[j + 1]:
                    j += 1
                found.append((i, j, None))
                i = j + 1
                continue
            if texts[i] and not kinds[i] and i not in self.cells and self._row_like(texts[i]):
                j = i
                width = len(texts[i].split())
                while (j + 1 < n and texts[j + 1] and not kinds[j + 1] and (j + 1) not in self.cells
                       and self._row_like(texts[j + 1]) and abs(len(texts[j + 1].split()) - width) <= 1):
                    j += 1
                rows = texts[i : j + 1]
                latin = not any(CJK_RE.search(r) for r in rows)
                if j > i and (not latin or sum(1 for r in rows[1:] if re.search(r"\d", r)) * 2 >= len(rows) - 1):
                    found.append((i, j, None))
                    i = j + 1
                    continue
            i += 1
        out = []
        for first, last, _ in found:
            for k in range(first, last + 1):
                kinds[k] = "table"
            caption = None
            k = first - 1
            while k >= 0 and not texts[k] and first - k <= 2:
                k -= 1
            if k >= 0 and texts[k] and not kinds[k] and ordinal_of(texts[k]) is None and not is_date(texts[k]):
                words = plain_line(texts[k])
                if CAPTION_RE.match(words) or (title_like(words, 80) and not words.endswith(("：", ":"))):
                    caption = k
                    kinds[k] = "caption"
            out.append((first, last, caption))
        return out

    @staticmethod
    def _row_like(line: str) -> bool:
        return table_row_like(line) and not is_byline(line) and not is_date(line)

    # -- ordinal lines: lists, and the headings among them --
    def _clusters(self, texts, kinds, ordinals, content: list[int]) -> list[list[int]]:
        """Group ordinal lines with nothing but blank lines (and furniture) between them into lists; return the
        lists (line indices of their items). Ordinal lines that head a body are marked as headings instead.

        Nested items follow their parent on the next line, so a blank line followed by an ordinal pattern not yet
        seen in the group starts a new group ("- 摘要条目" … blank … "趋势1：…" is a list, then a heading).
        """
        groups: list[list[int]] = []
        for k, i in enumerate(content):
            if kinds[i] != "ordinal":
                continue
            previous = content[k - 1] if k else -1
            if groups and groups[-1][-1] == previous:
                group = groups[-1]
                gap = any(not texts[j] for j in range(previous + 1, i))
                if not gap or any(ordinals[j].family == ordinals[i].family for j in group):
                    group.append(i)
                    continue
            groups.append([i])
        last_content = content[-1] if content else -1
        lists: list[list[int]] = []
        for cluster in groups:
            has_body = cluster[-1] < last_content
            # A title-like numbered line whose pattern does not come back in the group heads what follows.
            while cluster:
                first = cluster[0]
                family = ordinals[first].family
                if len(cluster) == 1:
                    if title_like(texts[first]) and has_body:
                        kinds[first] = "heading"
                    elif ordinals[first].strength != "weak":
                        lists.append(cluster)
                    else:
                        kinds[first] = ""
                    break
                if all(ordinals[j].family != family for j in cluster[1:]) and title_like(texts[first]):
                    kinds[first] = "heading"
                    cluster = cluster[1:]
                    continue
                lists.append(cluster)
                break
        for cluster in lists:
            for j in cluster:
                kinds[j] = "list"
        return lists

    # -- blocks --
    def _assemble(self, texts, kinds, ordinals, title, tables, lists) -> list[Block]:
        lines = self.lines
        starts, ends = lines.starts, lines.ends
        blocks: list[Block] = []
        headings: list[OpenHeading] = []
        # Heading levels: the depth of the ordinal pattern among the open ones; unnumbered headings one deeper.
        stack: list[tuple[str | None, int]] = []  # (family or None for an unnumbered heading, heading index)
        table_at = {first: (last, caption) for first, last, caption in tables}
        caption_of = {caption: first for first, _, caption in tables if caption is not None}
        list_at = {cluster[0]: cluster for cluster in lists}
        i = 0
        n = len(texts)
        while i < n:
            kind = kinds[i]
            if not texts[i]:
                i += 1
                continue
            if kind == "caption" and i in caption_of:
                i = caption_of[i]
                continue
            start = starts[i]
            if kind == "table":
                last, caption = table_at.get(i, (i, None))
                blocks.append(self._table(texts, i, last, caption))
                i = last + 1
                continue
            if kind == "list":
                cluster = list_at[i]
                blocks.append(self._list(texts, ordinals, cluster))
                i = cluster[-1] + 1
                continue
            if kind in ("furniture", "byline", "date"):
                blocks.append(Block(kind, start, ends[i], page=self.page(start)))
                i += 1
                continue
            if kind == "title":
                words = TITLE_LABEL_RE.sub("", plain_line(texts[i]), count=1).strip()
                offset = texts[i].find(words) if words else 0
                blocks.append(Block("title", start, ends[i], level=1, text_span=(start + offset, start + offset +
                                                                                  len(words)), page=self.page(start)))
                i += 1
                continue
            if kind in ("heading", "leaf"):
                ordinal = ordinals[i] if kind == "heading" else None
                family = ordinal.family if ordinal is not None else None
                if family is not None:
                    position = next((p for p in range(len(stack) - 1, -1, -1) if stack[p][0] == family), None)
                    if position is not None:
                        del stack[position:]
                    elif ordinal.numbered:
                        # Unnumbered and bulleted headings are labels (a chart's title, a sub-topic): numbered
                        # headings are the report's skeleton and never sit under one.
                        while stack and (stack[-1][0] is None or stack[-1][0].startswith("bullet:")):
                            stack.pop()
                else:
                    while stack and stack[-1][0] is None:
                        stack.pop()
                level = len(stack) + 1
                words_start = start + (ordinal.end if ordinal is not None and not ordinal.numbered else 0)
                if texts[i].startswith(("**", "__")) and ordinal is None:
                    words_start = start
                words = plain_line(self.text[words_start : ends[i]])
                blocks.append(Block("heading", start, ends[i], level=level, text_span=(words_start, ends[i]),
                                    ordinal=ordinal.text if ordinal is not None and ordinal.numbered else "",
                                    page=self.page(start)))
                headings.append(OpenHeading(len(blocks) - 1, level, words, ordinal))
                stack.append((family, len(headings) - 1))
                i += 1
                continue
            # A paragraph: consecutive plain lines.
            j = i
            while j + 1 < n and texts[j + 1] and kinds[j + 1] in ("", "ordinal"):
                j += 1
            blocks.append(Block("paragraph", start, ends[j], page=self.page(start)))
            i = j + 1
        return finish_structure(self.text, blocks, headings)

    def _table(self, texts, first: int, last: int, caption: int | None) -> Block:
        starts, ends = self.lines.starts, self.lines.ends
        row_lines = list(range(first, last + 1))
        header_line = None
        rule = len(row_lines) > 1 and re.fullmatch(r"[-=—_|+:\s]{3,}", texts[row_lines[1]]) is not None
        first_cells = self._row_cells(first, texts[first])
        first_words = [self.text[a:b] for a, b in first_cells]
        known = first in self.header_rows  # the loader saw the table (a PDF's ruled table): its first row heads it
        if len(row_lines) > 1 and (known or rule or not any(re.search(r"\d", w) for w in first_words)):
            header_line = first
        header = None
        if header_line is not None:
            hinted = self.cells.get(first)
            header = tuple(hinted) if hinted is not None else tuple(first_words)
        rows, cells = [], []
        for k in row_lines:
            if k == header_line or (rule and k == row_lines[1]):
                continue
            rows.append((starts[k], ends[k]))
            cells.append(self._row_cells(k, texts[k]))
        start = starts[caption] if caption is not None else starts[first]
        return Block("table", start, ends[last], header=header,
                     header_span=(starts[first], ends[first]) if header_line is not None else None,
                     rows=tuple(rows), cells=tuple(cells),
                     caption=(starts[caption], ends[caption]) if caption is not None else None,
                     page=self.page(start))

    def _row_cells(self, index: int, line: str) -> tuple[tuple[int, int], ...]:
        """Cell spans of a row: the loader's cells found in order in the line, or its space-separated words."""
        base = self.lines.starts[index]
        hinted = self.cells.get(index)
        spans = []
        if hinted is not None:
            cursor = 0
            for cell in hinted:
                if not cell:
                    spans.append((base + cursor, base + cursor))
                    continue
                found = line.find(cell, cursor)
                if found < 0:
                    break
                spans.append((base + found, base + found + len(cell)))
                cursor = found + len(cell)
            else:
                return tuple(spans)
            spans = []
        for match in re.finditer(r"\S+", line):
            spans.append((base + match.start(), base + match.end()))
        return tuple(spans)

    def _list(self, texts, ordinals, cluster: list[int]) -> Block:
        starts, ends = self.lines.starts, self.lines.ends
        flat: list[tuple[int, Item]] = []
        families: list[str] = []
        for i in cluster:
            ordinal = ordinals[i]
            if ordinal.family in families:
                del families[families.index(ordinal.family) + 1 :]
            else:
                families.append(ordinal.family)
            depth = len(families) - 1
            start, line_end = starts[i], ends[i]
            if ordinal.numbered:
                head_start, ordinal_end = start, start + ordinal.end
                text = ordinal.text
            else:
                head_start = start + ordinal.end
                inner = ordinal_of(texts[i], ordinal.end)
                ordinal_end = start + inner.end if inner is not None and inner.numbered else head_start
                text = inner.text if inner is not None and inner.numbered else ordinal.text
            head_end = item_head_end(self.text, head_start, line_end, ordinal_end)
            flat.append((depth, Item(start, line_end, head_start, head_end, text, depth)))
        items = nest_items(flat)
        return Block("list", starts[cluster[0]], ends[cluster[-1]], items=tuple(items),
                     page=self.page(starts[cluster[0]]))
