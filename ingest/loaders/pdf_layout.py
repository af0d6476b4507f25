"""The layout of a text PDF's pages, read with pdfplumber: lines in reading order with their boxes, tables as rows.

Per page: pdfplumber's ruled tables (``find_tables``) become a caption (the line just above), a header row and rows;
the other words are grouped into lines. Columns are found from the words' x-gaps, not a fixed split: a vertical
band in the middle half of the page that almost no word crosses, with lines filling the text on both sides of it,
splits the page; lines that cross it (a title, a full-width figure caption) cut the page into horizontal stripes,
and each stripe is read left column first. The split is tried again inside each column (three columns).

Pages are read one at a time and each is closed before the next (pdfplumber caches every object of a page until
then), so memory does not grow with the page count beyond the text itself.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points from the page's top-left corner

# pdfminer writes "(cid:12)" for a glyph its font cannot map to Unicode: a replacement character says the same, so
# the garbage check (``ingest.ocr.needs_ocr``) sends such a page to OCR as it does for pypdf's output.
_CID_RE = re.compile(r"\(cid:\d+\)")
_CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_MIN_GUTTER = 6.0  # points: narrower gaps are spaces between words, not between columns


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


@dataclass
class _Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float


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
    for w in page.extract_words(use_text_flow=False, keep_blank_chars=False, extra_attrs=["size"]):
        word = _Word(_CID_RE.sub("\ufffd", w["text"]), float(w["x0"]), float(w["top"]), float(w["x1"]),
                     float(w["bottom"]), float(w.get("size") or 10.0))
        middle = ((word.x0 + word.x1) / 2, (word.top + word.bottom) / 2)
        if not any(_inside(middle, bbox) for bbox, _, _ in tables):
            words.append(word)
    items: list[tuple[Box, list[LayoutLine]]] = [(box, [line]) for box, line in _ordered_lines(words, layout.width)]
    for bbox, rows, row_boxes in tables:
        lines = [LayoutLine(" ".join(c for c in row if c), _row_box(row_boxes, i, bbox), tuple(row), i == 0)
                 for i, row in enumerate(rows)]
        items.append((bbox, lines))
    layout.lines = [line for _, lines in _reading_order(items, layout.width) for line in lines]
    return layout


def _cell(value) -> str:
    text = _CID_RE.sub("\ufffd", value or "")
    return _join_parts(part.strip() for part in text.split("\n"))


def _row_box(row_boxes, index: int, table_box: Box) -> Box:
    box = row_boxes[index] if index < len(row_boxes) else None
    return tuple(float(v) for v in box) if box else table_box  # type: ignore[return-value]


def _inside(point: tuple[float, float], box: Box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


# ----- lines and columns -----

def _ordered_lines(words: list[_Word], width: float) -> list[tuple[Box, LayoutLine]]:
    """The words as lines, in reading order: a running header first, then the body column by column where the
    page has columns, then a running footer."""
    head, body, foot = _margins(words)
    lines = _lines(head) + _read_region(body, 0.0, width, depth=0) + _lines(foot)
    return [(line.box, line) for line in lines]


def _margins(words: list[_Word]) -> tuple[list[_Word], list[_Word], list[_Word]]:
    """Up to two lines at the top and at the bottom of the page set apart from the body by a wide vertical gap
    (a running header or footer, page number): read first and last, not inside a column."""
    lines = _lines(words)
    if len(lines) < 4:
        return [], words, []

    def apart(upper: LayoutLine, lower: LayoutLine) -> bool:
        height = max(upper.box[3] - upper.box[1], lower.box[3] - lower.box[1], 1.0)
        return lower.box[1] - upper.box[3] > max(12.0, 1.5 * height)

    first, last = 0, len(lines)
    for k in range(2):
        if apart(lines[k], lines[k + 1]):
            first = k + 1
    for k in range(2):
        if last - k - 2 >= first and apart(lines[last - k - 2], lines[last - k - 1]):
            last = len(lines) - k - 1
    head_bottom = lines[first - 1].box[3] if first else float("-inf")
    foot_top = lines[last].box[1] if last < len(lines) else float("inf")
    head = [w for w in words if w.bottom <= head_bottom + 0.5]
    foot = [w for w in words if w.top >= foot_top - 0.5]
    body = [w for w in words if head_bottom + 0.5 < w.bottom and w.top < foot_top - 0.5]
    return head, body, foot


def _read_region(words: list[_Word], left: float, right: float, depth: int) -> list[LayoutLine]:
    gutter = _gutter(words, left, right) if depth < 2 else None
    if gutter is None:
        return _lines(words)
    g0, g1 = gutter
    middle = (g0 + g1) / 2
    crossing = [w for w in words if w.x0 < middle < w.x1]
    # Lines that cross the gutter (a title, a full-width caption) cut the region into stripes, each read column by
    # column.
    out: list[LayoutLine] = []
    rest = words
    for top, bottom in _merge_spans(sorted((w.top, w.bottom) for w in crossing)):
        above = [w for w in rest if (w.top + w.bottom) / 2 < top]
        band = [w for w in rest if top <= (w.top + w.bottom) / 2 <= bottom]
        rest = [w for w in rest if (w.top + w.bottom) / 2 > bottom]
        out += _columns(above, left, right, g0, g1, depth) + _lines(band)
    return out + _columns(rest, left, right, g0, g1, depth)


def _columns(words: list[_Word], left: float, right: float, g0: float, g1: float, depth: int) -> list[LayoutLine]:
    middle = (g0 + g1) / 2
    west = [w for w in words if (w.x0 + w.x1) / 2 < middle]
    east = [w for w in words if (w.x0 + w.x1) / 2 >= middle]
    return _read_region(west, left, g0, depth + 1) + _read_region(east, g1, right, depth + 1)


def _merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for top, bottom in spans:
        if merged and top <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], bottom)
        else:
            merged.append([top, bottom])
    return [(a, b) for a, b in merged]


def _gutter(words: list[_Word], left: float, right: float) -> tuple[float, float] | None:
    """The widest vertical band in the middle half of ``[left, right]`` that (almost) no word crosses, when the
    text on each side of it reads as a column: several lines, most of them filling the column's width."""
    if len(words) < 8 or right - left < 100:
        return None
    lo, hi = int(left + (right - left) * 0.25), int(left + (right - left) * 0.75)
    coverage = [0] * (hi - lo)
    for w in words:
        for x in range(max(lo, int(w.x0)), min(hi, int(w.x1) + 1)):
            coverage[x - lo] += 1
    allowed = max(1, len(words) // 25)  # a title or a full-width caption may cross it
    best: tuple[float, float] | None = None
    start = None
    for x in range(hi - lo + 1):
        free = x < hi - lo and coverage[x] <= allowed
        if free and start is None:
            start = x
        elif not free and start is not None:
            if x - start >= _MIN_GUTTER and (best is None or x - start > best[1] - best[0]):
                best = (lo + start, lo + x)
            start = None
    if best is None:
        return None
    west = [w for w in words if w.x1 <= best[0]]
    east = [w for w in words if w.x0 >= best[1]]
    if not (_column_like(west, left, best[0]) and _column_like(east, best[1], right)):
        return None
    return best


def _column_like(words: list[_Word], left: float, right: float) -> bool:
    """Lines of running text: at least four, and the median line reaches across most of the column's text."""
    lines = _lines(words)
    if len(lines) < 4:
        return False
    x0 = min(line.box[0] for line in lines)
    x1 = max(line.box[2] for line in lines)
    widths = [line.box[2] - line.box[0] for line in lines]
    return statistics.median(widths) >= 0.6 * (x1 - x0)


def _lines(words: list[_Word]) -> list[LayoutLine]:
    """Words grouped into lines (a word joins a line it overlaps by half its height), top to bottom."""
    rows: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        row = rows[-1] if rows else None
        if row is not None:
            top, bottom = min(w.top for w in row), max(w.bottom for w in row)
            overlap = min(bottom, word.bottom) - max(top, word.top)
            if overlap >= 0.5 * min(word.bottom - word.top, bottom - top):
                row.append(word)
                continue
        rows.append([word])
    out = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        box = (min(w.x0 for w in row), min(w.top for w in row), max(w.x1 for w in row), max(w.bottom for w in row))
        out.append(LayoutLine(_join_parts(w.text for w in row), box))
    return out


def _join_parts(parts) -> str:
    """Words of one line joined: a space between them, none where both sides are Chinese."""
    text = ""
    for part in parts:
        if not part:
            continue
        if text and not (_CJK_RE.match(text[-1]) and _CJK_RE.match(part[0])):
            text += " "
        text += part
    return text


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
