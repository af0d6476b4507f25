"""What a loader hands to the chunker: one report's cleaned text and where its pages lie."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PageSpan:
    """Characters ``[start, end)`` of the cleaned text came from PDF page ``page`` (1-based)."""

    start: int
    end: int
    page: int


@dataclass(frozen=True)
class LoadedDocument:
    """A report read from disk and cleaned. All chunk offsets refer to ``text``."""

    path: Path
    title: str
    text: str
    kind: str
    pages: tuple[PageSpan, ...] = field(default=())

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding ``offset``, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None
