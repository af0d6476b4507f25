"""The layout of a text PDF's pages, read with pdfplumber: lines in reading order with their boxes, tables as rows.

Per page: pdfplumber's ruled tables (``find_tables``) become a caption (the line just above), a header row and rows;
the other words are grouped into lines and put in reading order, column by column, by ``ingest.columns``; runs of
those lines that line up as a table without rules (``ingest.unruled_tables``) become rows under a header too.

Pages are read one at a time and each is closed before the next (pdfplumber caches every object of a page until
then), so memory does not grow with the page count beyond the text itself.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest.columns import Box, Word, join_parts, reading_order, row_box
from ingest.unruled_tables import cell_text, cells_of, unruled_tables

# pdfminer writes "(cid:12)" for a glyph its font cannot map to Unicode: a replacement character says the same, so
# the garbage check (``ingest.ocr.needs_ocr``) sends such a page to OCR as it does for pypdf's output.
_CID_RE = re.compile(r"\(cid:\d+\)")


@dataclass(frozen=True)
class LayoutLine:
    """One line of a page in reading order. ``cells`` is set for a table row (``header`` for its first row)."""

    text: str
    box: Box | None  # None for a line pypdf read (no layout)
    cells: tuple[str, ...] | None = None
    header: bool = False


@dataclass
class PageLayout:
    """One page: its number (1-based), size in points, and lines in reading order."""

    number: int
    width: float
    height: float
    lines: list[LayoutLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def read_layout(data: bytes) -> tuple[Iterator[PageLayout], str | None]:
    """The pages of a PDF, read lazily one by one, and its metadata title.

    Raises:
        Exception: whatever pdfplumber (pdfminer) raises on a damaged or encrypted file, when it is opened or while
            a page is read; the PDF loader falls back to pypdf then.
    """
    import pdfplumber
    from pdfminer.pdfpage import PDFPage

    # pdfminer logs a warning for every font descriptor it finds odd; the text comes out all the same.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    pdf = pdfplumber.open(io.BytesIO(data))
    title = _title(pdf.metadata)

    def pages() -> Iterator[PageLayout]:
        # pdfplumber's ``pdf.pages`` keeps every Page (and ``PDF.close`` re-parses them all): build each page from
        # pdfminer's page objects and drop it once read.
        doctop = 0.0
        for number, page_obj in enumerate(PDFPage.create_pages(pdf.doc), start=1):
            page = pdfplumber.page.Page(pdf, page_obj, page_number=number, initial_doctop=doctop)
            try:
                doctop += float(page.height)
                yield read_page(page)
            finally:
                page.close()

    return pages(), title


def read_page(page) -> PageLayout:
    """One pdfplumber page: its tables and its lines in reading order."""
    layout = PageLayout(page.page_number, float(page.width), float(page.height))
    tables = []
    for table in page.find_tables():
        rows = [[_cell(c) for c in row] for row in table.extract()]
        rows = [row for row in rows if any(row)]
        if len(rows) >= 2 and max(len(row) for row in rows) >= 2:
            tables.append((tuple(float(v) for v in table.bbox), rows, [r.bbox for r in table.rows]))
    words = []
    for w in page.extract_words(use_text_flow=False, keep_blank_chars=False, extra_attrs=["size", "fontname"]):
        word = Word(_CID_RE.sub("\ufffd", w["text"]), float(w["x0"]), float(w["top"]), float(w["x1"]),
                    float(w["bottom"]), float(w.get("size") or 10.0), font=str(w.get("fontname") or ""))
        middle = ((word.x0 + word.x1) / 2, (word.top + word.bottom) / 2)
        if not any(_inside(middle, bbox) for bbox, _, _ in tables):
            words.append(word)
    rows = reading_order(words, layout.width)
    unruled = {start: end for start, end in unruled_tables(rows)}
    items: list[tuple[Box, list[LayoutLine]]] = []
    index = 0
    while index < len(rows):
        if index in unruled:
            items.append(_unruled_table(rows[index : unruled[index]]))
            index = unruled[index]
        else:
            line = _line(rows[index])
            items.append((line.box, [line]))
            index += 1
    for bbox, rows, row_boxes in tables:
        table_lines = [LayoutLine(" ".join(c for c in row if c), _row_box(row_boxes, i, bbox), tuple(row), i == 0)
                       for i, row in enumerate(rows)]
        items.append((bbox, table_lines))
    layout.lines = [line for _, lines in _reading_order(items, layout.width) for line in lines]
    return layout


def _cell(value) -> str:
    text = _CID_RE.sub("\ufffd", value or "")
    return join_parts(part.strip() for part in text.split("\n"))


def _row_box(row_boxes, index: int, table_box: Box) -> Box:
    box = row_boxes[index] if index < len(row_boxes) else None
    return tuple(float(v) for v in box) if box else table_box  # type: ignore[return-value]


def _inside(point: tuple[float, float], box: Box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _unruled_table(rows: list[list[Word]]) -> tuple[Box, list[LayoutLine]]:
    lines = []
    for number, row in enumerate(rows):
        cells = tuple(cell_text(cell) for cell in cells_of(row))
        lines.append(LayoutLine(" ".join(cells), row_box(row), cells, number == 0))
    return row_box([word for row in rows for word in row]), lines


def _line(row: list[Word]) -> LayoutLine:
    return LayoutLine(join_parts(w.text for w in row), row_box(row))


def _reading_order(items: list[tuple[Box, list[LayoutLine]]], width: float) -> list[tuple[Box, list[LayoutLine]]]:
    """Tables placed among the lines: before the first line of their column that lies below them."""
    lines = [item for item in items if item[1] and item[1][0].cells is None]
    tables = [item for item in items if item[1] and item[1][0].cells is not None]
    for table in sorted(tables, key=lambda item: item[0][1]):
        box = table[0]
        at = len(lines)
        for index, (line_box, _) in enumerate(lines):
            same_column = line_box[0] < box[2] and line_box[2] > box[0]
            if same_column and line_box[1] >= box[3] - 1:
                at = index
                break
        lines.insert(at, table)
    return lines


def _title(metadata) -> str | None:
    try:
        title = (metadata or {}).get("Title")
    except Exception:  # a damaged info dictionary only costs us the title
        return None
    if isinstance(title, bytes):
        title = title.decode("utf-16" if title.startswith(b"\xfe\xff") else "latin-1", errors="replace")
    title = str(title).strip() if title else ""
    return title or None
