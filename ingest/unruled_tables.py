"""Tables drawn without ruling lines, found from how their words line up.

pdfplumber's text-alignment strategy (``vertical_strategy="text"``) takes any page of left-aligned prose for a table
(a two-column page comes out as one two-column table the height of the page), so it is not used. Instead, among a
page's lines in reading order (``ingest.columns.reading_order``, so inside one column), a table is a run of lines
that holds up on every count below, and anything less stays text:

- each line splits into the same number (≥ 2) of cells at gaps wider than ``GAP_EM`` font sizes, and the lines
  follow one another at line spacing;
- strong alignment: every cell starts (or ends, or is centred) within ``ALIGN_POINTS`` of the cell above it, on a
  header row and at least ``MIN_BODY_ROWS`` body rows;
- the cells are short for their columns (the median cell of a non-last column fills at most ``MAX_FILL`` of the
  distance to the next column's start): lines of running text side by side fill theirs;
- the header row is distinct: set in another font or size than most body text of the table (a bold ``<th>``), or
  holding no bare number where at least half the body cells past the first column are numbers.

A body row with an empty cell has fewer cells and ends the table there. The same reading serves the lines OCR
read on a scanned page (``ingest.ocr_layout``), with no fonts to compare: there only the words-over-numbers header
counts, at a looser alignment.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

from ingest.columns import Word, join_parts, row_box

GAP_EM = 1.2
ALIGN_POINTS = 2.0
MIN_BODY_ROWS = 2
MAX_FILL = 0.75
_NUMBER_RE = re.compile(r"[-+(]?[$¥€£]?\d[\d,.]*\s*[%％)]?")
Cells = list[list[Word]]


def unruled_tables(rows: list[list[Word]], align: float = ALIGN_POINTS) -> list[tuple[int, int]]:
    """The tables among ``rows`` (lines of words in reading order) as ``(first, end)`` row index ranges; the first
    row of each is its header. ``align`` is the alignment tolerance in points (OCR's boxes are looser than a text
    layer's)."""
    split = [cells_of(row) for row in rows]
    found = []
    start = 0
    while start < len(rows):
        end = _run_end(split, start, align)
        run = split[start:end]
        if end - start >= 1 + MIN_BODY_ROWS and _short_cells(run[1:]) and _distinct_header(run[0], run[1:]):
            found.append((start, end))
            start = end
        else:
            start += 1
    return found


def cells_of(row: list[Word]) -> Cells:
    """A line's words (left to right) split into cells at gaps wider than ``GAP_EM`` font sizes."""
    cells: Cells = []
    for word in row:
        if cells and word.x0 - cells[-1][-1].x1 <= GAP_EM * max(word.size, cells[-1][-1].size):
            cells[-1].append(word)
        else:
            cells.append([word])
    return cells


def cell_text(cell: list[Word]) -> str:
    return join_parts(word.text for word in cell)


def _run_end(split: list[Cells], start: int, align: float) -> int:
    """One past the last line that continues the table begun at ``start`` (``start`` itself when none can)."""
    first = split[start]
    if len(first) < 2:
        return start
    end = start + 1
    while end < len(split) and _continues(split[end - 1], split[end], len(first), align):
        end += 1
    return end


def _continues(above: Cells, line: Cells, width: int, align: float) -> bool:
    if len(line) != width:
        return False
    upper, lower = row_box([w for cell in above for w in cell]), row_box([w for cell in line for w in cell])
    height = max(upper[3] - upper[1], lower[3] - lower[1], 1.0)
    if not 0 <= lower[1] - upper[3] <= 1.5 * height:
        return False
    return all(_aligned(row_box(a), row_box(b), align) for a, b in zip(above, line))


def _aligned(a, b, align: float) -> bool:
    return abs(a[0] - b[0]) <= align or abs(a[2] - b[2]) <= align or abs((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2) <= align


def _short_cells(body: list[Cells]) -> bool:
    for column in range(len(body[0]) - 1):
        fills = []
        for line in body:
            x0, _, x1, _ = row_box(line[column])
            pitch = row_box(line[column + 1])[0] - x0
            fills.append((x1 - x0) / pitch if pitch > 0 else 1.0)
        if statistics.median(fills) > MAX_FILL:
            return False
    return True


def _distinct_header(header: Cells, body: list[Cells]) -> bool:
    styles = Counter((w.font, round(w.size, 1)) for line in body for cell in line for w in cell)
    body_style = styles.most_common(1)[0][0]
    if all((w.font, round(w.size, 1)) != body_style for cell in header for w in cell):
        return True
    numbers = [bool(_NUMBER_RE.fullmatch(cell_text(cell))) for line in body for cell in line[1:]]
    header_numbers = any(_NUMBER_RE.fullmatch(cell_text(cell)) for cell in header)
    return not header_numbers and sum(numbers) >= 0.5 * len(numbers)
