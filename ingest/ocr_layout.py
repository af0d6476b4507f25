"""The lines OCR read on a page, put in reading order: the page's skew measured from the text boxes, then the same
column reading as a text PDF's (``ingest.columns.reading_order``) on the boxes as they would lie on an
upright page.

rapidocr returns its boxes roughly top to bottom, so on a two-column page the columns' lines interleave. A scan is
also rarely square: turned 1.5°, a column's boxes slide sideways by about 20 points from top to bottom of an A4
page, and each line's upright bounding box grows by a few points, enough to blur both the gutter and the gaps
between lines. Each detected box is a quadrilateral along its text line, so the slope of the long boxes' edges
gives the skew; the boxes are turned back about the page's centre for ordering only. The boxes kept (for showing
a quote on its page) are the ones drawn on the page as it is.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from ingest.document import PageLine
from ingest.columns import Word, join_parts, reading_order
from ingest.unruled_tables import cell_text, cells_of, unruled_tables

Quad = Sequence[tuple[float, float]]  # four corners, clockwise from the top-left, in points
# Boxes at least this many times as long as they are tall give a reliable slope; shorter ones (a table cell, a
# figure) are ignored when measuring skew.
_MIN_ASPECT = 4.0
# OCR's boxes hug the ink, so cells of one table column start a point or two apart from row to row.
OCR_ALIGN_POINTS = 3.0
# Skews beyond this are not a slightly crooked scan (a page turned 90° is read upright by rapidocr's classifier).
MAX_SKEW_DEGREES = 10.0


def skew_degrees(quads: Sequence[Quad]) -> float:
    """The page's skew: the median slope of the long boxes' top and bottom edges, in degrees (positive when the
    lines run down to the right); 0 when no box is long enough or the slope is implausible."""
    slopes = []
    for quad in quads:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad[:4]
        length = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(x3 - x0, y3 - y0)
        if length < _MIN_ASPECT * max(height, 1.0):
            continue
        slopes.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
        slopes.append(math.degrees(math.atan2(y2 - y3, x2 - x3)))
    if not slopes:
        return 0.0
    angle = statistics.median(slopes)
    return angle if abs(angle) <= MAX_SKEW_DEGREES else 0.0


def order_lines(lines: Sequence[PageLine], quads: Sequence[Quad], width: float, height: float) -> list[PageLine]:
    """``lines`` (each read inside the quadrilateral of the same index) in reading order on a page of ``width`` by
    ``height`` points: a running header first, the body column by column, a running footer last. Pieces OCR read
    apart on one line of one column (cells of a table row, words across a wide space) become one line, its box
    their union, its score their lowest; the rows of a table without rules (``ingest.unruled_tables``) keep their
    cells."""
    angle = math.radians(skew_degrees(quads))
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = width / 2, height / 2
    words = []
    for line, quad in zip(lines, quads):
        upright = [(cx + (x - cx) * cos + (y - cy) * sin, cy - (x - cx) * sin + (y - cy) * cos) for x, y in quad]
        xs, ys = [p[0] for p in upright], [p[1] for p in upright]
        words.append(Word(line.text, min(xs), min(ys), max(xs), max(ys), ref=line))
    rows = reading_order(words, width)
    tables = {start: end for start, end in unruled_tables(rows, align=OCR_ALIGN_POINTS)}
    ordered = []
    for index, row in enumerate(rows):
        members = [word.ref for word in row]
        start = next((s for s, e in tables.items() if s <= index < e), None)
        if len(members) == 1 and start is None:
            ordered.append(members[0])
            continue
        box = (min(m.box[0] for m in members), min(m.box[1] for m in members),
               max(m.box[2] for m in members), max(m.box[3] for m in members))
        score = min(m.score for m in members)
        if start is None:
            ordered.append(PageLine(join_parts(m.text for m in members), box, score))
        else:
            cells = tuple(cell_text(cell) for cell in cells_of(row))
            ordered.append(PageLine(" ".join(cells), box, score, cells, index == start))
    return ordered
