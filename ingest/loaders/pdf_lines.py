"""A PDF page's lines on their way through cleaning: table rows kept whole, and every line's box found again.

Cleaning a PDF page re-joins the lines its layout wrapped and drops running headers and footers, so the cleaned
text no longer has the page's lines. Two things must survive it:

- table rows: each row is wrapped in markers that stop it joining its neighbours and that carry its index, so
  after cleaning the row's line is known and its cells go to the structure reader (``StructureHints.cells``);
- line boxes: each source line (pdfplumber's, or OCR's) is looked up, in order, in the cleaned page text; the
  characters it became get its box (``LineBox``), which is how a quote is shown on its page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.clean import clean_text
from ingest.document import LineBox

# The leading "#" stops a row joining the line above it, the closing "。" stops the next line joining it (see
# ``ingest.clean.rejoin_wrapped_lines``); private-use characters never occur in extracted text.
_ROW_OPEN, _ROW_MID, _ROW_CLOSE = "#\ue000", "\ue002", "\ue000。"
_ROW_RE = re.compile(r"^#\ue000(\d+)\ue002(.*)\ue000。$", re.MULTILINE)
# How far past the previous line's end a line may be found (a space, a line break, a blank line).
_SLACK = 4


@dataclass(frozen=True)
class TableRow:
    """A table row's cells as the PDF drew them (cleaned, empty cells kept) and whether it is the header row."""

    cells: tuple[str, ...]
    header: bool = False


def marked_row(index: int, cells: Sequence[str]) -> str:
    """The line that stands for table row ``index`` until ``unmark`` reads it back."""
    return f"{_ROW_OPEN}{index}{_ROW_MID}{row_text(cells)}{_ROW_CLOSE}"


def row_text(cells: Sequence[str]) -> str:
    """A row as a line of text: its non-empty cells, cleaned, with a space between them."""
    return " ".join(clean_text(cell) for cell in cells if clean_text(cell))


def unmarked(text: str) -> str:
    """``text`` with every marked row turned back into its plain line."""
    return _ROW_RE.sub(lambda m: m.group(2), text)


def unmark(page_text: str) -> tuple[str, list[tuple[int, int]]]:
    """The page's plain text, and (line number in it, row index) for every marked row."""
    rows = []
    lines = page_text.split("\n")
    for number, line in enumerate(lines):
        match = _ROW_RE.match(line)
        if match:
            rows.append((number, int(match.group(1))))
            lines[number] = match.group(2)
    return "\n".join(lines), rows


def line_boxes(text: str, offset: int, page: int,
               lines: Sequence[tuple[str, tuple[float, float, float, float]]]) -> list[LineBox]:
    """Where each source line of one page lies in its cleaned text ``text`` (which starts at document offset
    ``offset``), with its box. Lines dropped by cleaning (a running header) are not found and get no box."""
    found: list[LineBox] = []
    cursor, missed = 0, 0
    for raw, box in lines:
        key = clean_text(raw)
        if not key:
            continue
        at = text.find(key, cursor)
        length = len(key)
        if at < 0 and key.endswith("-"):  # "infor-" lost its hyphen when joined to "mation"
            length -= 1
            at = text.find(key[:-1], cursor)
        if at < 0 or at - cursor > _SLACK + missed:
            missed += len(key) + 1
            continue
        found.append(LineBox(offset + at, offset + at + length, page, box))
        cursor, missed = at + length, 0
    return found
