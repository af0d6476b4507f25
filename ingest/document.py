"""What a loader hands on: one report's cleaned text, its title, where its pages lie, and hints for its structure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PageSpan:
    """Characters ``[start, end)`` of the cleaned text came from PDF page ``page`` (1-based)."""

    start: int
    end: int
    page: int


@dataclass(frozen=True)
class PageLine:
    """One line of text OCR read on a PDF page, with its box in PDF points from the page's top-left corner.
    ``cells`` is set for a row of a table (``header`` for its first row)."""

    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float
    cells: tuple[str, ...] | None = None
    header: bool = False


@dataclass(frozen=True)
class LineBox:
    """Characters ``[start, end)`` of the cleaned text were drawn in ``box`` on PDF page ``page`` (points from the
    page's top-left corner: x0, top, x1, bottom)."""

    start: int
    end: int
    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class StructureHints:
    """What a loader saw before cleaning flattened it, for ``ingest.structure`` to read the blocks with.

    Cleaning strips every line, so Markdown's list nesting and a plain-text table's tab-separated cells are gone
    from ``LoadedDocument.text``; the loader keeps them here. Never stored: the blocks are.

    Attributes:
        markup: the Markdown-like text before cleaning (Markdown's body, or what the DOCX/HTML loader wrote), whose
            non-blank lines are, in order, the non-blank lines of the cleaned text (cleaning only strips and
            squeezes them); None when there is none or it does not line up.
        cells: line number in the cleaned text → the cells of that table row as the loader split them (tabs or
            runs of spaces), empty cells kept.
        metadata_title: the title in the file's metadata (PDF ``/Title``, DOCX core title, HTML ``<title>``).
        header_rows: line numbers of table rows the loader knows to be a table's header row (a PDF table's first
            row), whatever their words look like.
    """

    markup: str | None = None
    cells: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    metadata_title: str | None = None
    header_rows: frozenset[int] = frozenset()


@dataclass(frozen=True)
class LoadedDocument:
    """A report read from disk and cleaned. All chunk offsets refer to ``text``."""

    path: Path
    title: str
    text: str
    kind: str
    pages: tuple[PageSpan, ...] = field(default=())
    hints: StructureHints = field(default_factory=StructureHints, compare=False, repr=False)
    # PDF page number → the lines OCR read on it, with their boxes (only pages read by OCR).
    page_lines: Mapping[int, tuple[PageLine, ...]] = field(default_factory=dict, compare=False, repr=False)
    # Where each line of a PDF's text was drawn (text layer or OCR), in text order, and each page's size in points:
    # what shows a quote on its page.
    line_boxes: tuple[LineBox, ...] = field(default=(), compare=False, repr=False)
    page_sizes: Mapping[int, tuple[float, float]] = field(default_factory=dict, compare=False, repr=False)
    # What went wrong on part of the document (a page OCR could not read); the ingest summary lists them.
    warnings: tuple[str, ...] = field(default=())

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding ``offset``, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None
