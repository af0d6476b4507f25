"""Where text placed on a page is read: words grouped into lines, lines in reading order, columns found from the
words' x-gaps, not a fixed split.

A vertical band in the middle half of the page that almost no word crosses, with lines filling the text on both
sides of it, splits the page; lines that cross it (a title, a full-width figure caption) cut the page into horizontal
stripes, and each stripe is read left column first. The split is tried again inside each column (three columns). Up
to two lines at the top and bottom set apart by a wide gap (a running header or footer) are read first and last.

The words may be a text PDF's (``ingest.loaders.pdf_layout``) or the lines OCR read on a scan (``ingest.ocr_layout``):
only their boxes count.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points from the page's top-left corner

_CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_MIN_GUTTER = 6.0  # points: narrower gaps are spaces between words, not between columns


@dataclass
class Word:
    """A piece of text placed on a page (a pdfplumber word, or a line OCR read); ``ref`` is the caller's own."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float = 10.0
    ref: object = None
    font: str = ""


def reading_order(words: list[Word], width: float) -> list[list[Word]]:
    """The words grouped into lines (each sorted left to right), in reading order: a running header first, then
    the body column by column where the page has columns, then a running footer."""
    head, body, foot = _margins(words)
    return _rows(head) + _read_region(body, 0.0, width, depth=0) + _rows(foot)


def _margins(words: list[Word]) -> tuple[list[Word], list[Word], list[Word]]:
    """Up to two lines at the top and at the bottom of the page set apart from the body by a wide vertical gap
    (a running header or footer, page number): read first and last, not inside a column."""
    lines = [row_box(row) for row in _rows(words)]
    if len(lines) < 4:
        return [], words, []

    def apart(upper: Box, lower: Box) -> bool:
        height = max(upper[3] - upper[1], lower[3] - lower[1], 1.0)
        return lower[1] - upper[3] > max(12.0, 1.5 * height)

    first, last = 0, len(lines)
    for k in range(2):
        if apart(lines[k], lines[k + 1]):
            first = k + 1
    for k in range(2):
        if last - k - 2 >= first and apart(lines[last - k - 2], lines[last - k - 1]):
            last = len(lines) - k - 1
    head_bottom = lines[first - 1][3] if first else float("-inf")
    foot_top = lines[last][1] if last < len(lines) else float("inf")
    head = [w for w in words if w.bottom <= head_bottom + 0.5]
    foot = [w for w in words if w.top >= foot_top - 0.5]
    body = [w for w in words if head_bottom + 0.5 < w.bottom and w.top < foot_top - 0.5]
    return head, body, foot


def _read_region(words: list[Word], left: float, right: float, depth: int) -> list[list[Word]]:
    gutter = _gutter(words, left, right) if depth < 2 else None
    if gutter is None:
        return _rows(words)
    g0, g1 = gutter
    middle = (g0 + g1) / 2
    crossing = [w for w in words if w.x0 < middle < w.x1]
    # Lines that cross the gutter (a title, a full-width caption) cut the region into stripes, each read column by
    # column.
    out: list[list[Word]] = []
    rest = words
    for top, bottom in _merge_spans(sorted((w.top, w.bottom) for w in crossing)):
        above = [w for w in rest if (w.top + w.bottom) / 2 < top]
        band = [w for w in rest if top <= (w.top + w.bottom) / 2 <= bottom]
        rest = [w for w in rest if (w.top + w.bottom) / 2 > bottom]
        out += _columns(above, left, right, g0, g1, depth) + _rows(band)
    return out + _columns(rest, left, right, g0, g1, depth)


def _columns(words: list[Word], left: float, right: float, g0: float, g1: float, depth: int) -> list[list[Word]]:
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


def _gutter(words: list[Word], left: float, right: float) -> tuple[float, float] | None:
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


def _column_like(words: list[Word], left: float, right: float) -> bool:
    """Lines of running text: at least four, and the median line reaches across most of the column's text."""
    lines = [row_box(row) for row in _rows(words)]
    if len(lines) < 4:
        return False
    x0 = min(box[0] for box in lines)
    x1 = max(box[2] for box in lines)
    widths = [box[2] - box[0] for box in lines]
    return statistics.median(widths) >= 0.6 * (x1 - x0)


def _rows(words: list[Word]) -> list[list[Word]]:
    """The words of each line, left to right; lines top to bottom."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        row = rows[-1] if rows else None
        if row is not None:
            top, bottom = min(w.top for w in row), max(w.bottom for w in row)
            overlap = min(bottom, word.bottom) - max(top, word.top)
            if overlap >= 0.5 * min(word.bottom - word.top, bottom - top):
                row.append(word)
                continue
        rows.append([word])
    for row in rows:
        row.sort(key=lambda w: w.x0)
    return rows


def row_box(row: list[Word]) -> Box:
    """The box around a line's words."""
    return (min(w.x0 for w in row), min(w.top for w in row), max(w.x1 for w in row), max(w.bottom for w in row))


def join_parts(parts) -> str:
    """Words of one line joined: a space between them, none where both sides are Chinese."""
    text = ""
    for part in parts:
        if not part:
            continue
        if text and not (_CJK_RE.match(text[-1]) and _CJK_RE.match(part[0])):
            text += " "
        text += part
    return text
