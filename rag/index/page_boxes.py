"""Where a quote was drawn on its PDF page: the boxes of its lines, kept with the document files.

At ingest, every line of a PDF's cleaned text that has a box (pdfplumber's words, or OCR's lines) is stored in the
document's sidecar under ``"boxes"``, compactly: ``{"sizes": {page: [width, height]}, "lines": [[start, end, page,
x0, top, x1, bottom], ...]}`` in points from the page's top-left corner, rounded to 0.1 pt, lines in text order.
A citation's boxes are the lines its quote overlaps, each narrowed to the part of the line the quote covers (by
the display width of the characters before and after it: a Chinese character is about two Latin ones wide).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.index.docfiles import read_sidecar
from rag.models import Citation, PageBox
from rag.text.primitives import display_width

__all__ = ["PageBox", "PageBoxes", "boxes_record", "quote_boxes", "with_boxes"]


def boxes_record(lines: Iterable[Any], sizes: dict[int, tuple[float, float]]) -> dict[str, Any] | None:
    """The sidecar's ``"boxes"`` for a document's line boxes (objects with ``start, end, page, box``); None when
    it has none (every format but PDF)."""
    rows = [[line.start, line.end, line.page, *(round(v, 1) for v in line.box)] for line in lines]
    if not rows:
        return None
    return {"sizes": {str(page): [round(w, 1), round(h, 1)] for page, (w, h) in sizes.items()}, "lines": rows}


def quote_boxes(record: dict[str, Any], text: str, start: int, end: int) -> tuple[PageBox, ...]:
    """The boxes of the characters ``[start, end)`` of the document ``text``, from its ``"boxes"`` record."""
    lines: Sequence[Sequence[float]] = record.get("lines") or []
    sizes = record.get("sizes") or {}
    starts = [row[0] for row in lines]
    found = []
    for index in range(max(bisect.bisect_right(starts, start) - 1, 0), len(lines)):
        line_start, line_end, page, x0, top, x1, bottom = lines[index]
        if line_start >= end:
            break
        if line_end <= start:
            continue
        size = sizes.get(str(int(page)))
        if size is None:
            continue
        line = text[int(line_start) : int(line_end)]
        whole = display_width(line) or 1
        left = display_width(line[: max(start - int(line_start), 0)]) / whole
        right = display_width(line[: min(end, int(line_end)) - int(line_start)]) / whole
        found.append(PageBox(page=int(page), x0=round(x0 + (x1 - x0) * left, 1), top=top,
                             x1=round(x0 + (x1 - x0) * right, 1), bottom=bottom, page_width=size[0],
                             page_height=size[1]))
    return tuple(found)


class PageBoxes:
    """The ``"boxes"`` records of PDF documents (with their text), read from the sidecars, the last few kept."""

    def __init__(self, docs_dir: Path, capacity: int = 16) -> None:
        self.docs_dir = docs_dir
        self.get = functools.lru_cache(maxsize=capacity)(self._read)

    def _read(self, doc_id: str) -> tuple[dict, str] | None:
        sidecar = read_sidecar(self.docs_dir, doc_id)
        return (sidecar["boxes"], sidecar.get("text", "")) if sidecar and sidecar.get("boxes") else None

    def clear(self) -> None:
        self.get.cache_clear()


def with_boxes(citations: Sequence[Citation], boxes_of: Callable[[str], tuple[dict, str] | None]) -> list[Citation]:
    """The citations, each from a document with line boxes carrying the boxes of its quote."""
    out = []
    for citation in citations:
        entry = boxes_of(citation.chunk.doc_id)
        if entry is None:
            out.append(citation)
            continue
        record, text = entry
        boxes = quote_boxes(record, text, citation.quote_start, citation.quote_end)
        out.append(citation.model_copy(update={"boxes": boxes}) if boxes else citation)
    return out

