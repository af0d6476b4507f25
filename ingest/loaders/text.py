"""Markdown and plain-text reports."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.budget import DEFAULT_BUDGET, Budget, check_markdown_depth
from ingest.clean import clean_text, rejoin_wrapped_lines, split_front_matter
from ingest.document import LoadedDocument, StructureHints
from ingest.encoding import decode_bytes
from ingest.line_kinds import table_cells
from ingest.normalise import normalise_chars
from ingest.ordinals import ordinal_of
from ingest.titles import markdown_title, prefer_heading_title, title_line

# Table rows are wrapped in these while wrapped lines are re-joined, so no row is joined to its neighbours: the
# leading "#" stops a line joining the one above, the closing "。" stops the next line joining it.
_ROW_OPEN, _ROW_CLOSE = "#\ue000", "\ue000。"
_ROW_RE = re.compile("^" + re.escape(_ROW_OPEN) + "(.*)" + re.escape(_ROW_CLOSE) + "$")
# A line opening with an ordinal ("100. …", "①…", "趋势3：…") starts an item or a heading: it is never joined to
# the line above (the cleaner knows only a few ordinals), though a wrapped continuation may still join it.
_ITEM_OPEN = "#\ue001"


def load_markdown(path: Path, data: bytes, budget: Budget = DEFAULT_BUDGET) -> LoadedDocument:
    """A Markdown report: front matter stripped, headings left for the structure reader.

    The title is the front matter's ``title``, unless the body's H1 names the report better (see
    ``ingest.titles.prefer_heading_title``: "AI笔记15" loses to "# AI基础服务市场分析"); else the first heading,
    the first title-like line, and the file name only as a last resort.
    """
    body, fields = split_front_matter(decode_bytes(data, path).lstrip("\ufeff"))
    check_markdown_depth(path, body, budget.max_nesting_depth)
    text = clean_text(body)
    front_matter = str(fields.get("title") or "").strip()
    heading, level = markdown_title(text) or (None, 0)
    if front_matter and not prefer_heading_title(front_matter, heading, level):
        title = front_matter
    else:
        title = heading or front_matter or title_line(text) or path.stem
    return LoadedDocument(
        path=path, title=title, text=text, kind="markdown", hints=StructureHints(markup=normalise_chars(body))
    )


def load_plain_text(path: Path, data: bytes) -> LoadedDocument:
    """A plain-text report, titled by its first title-like line (the file name when it has none).

    Text exported from PDFs or slides is often hard-wrapped mid-sentence; such lines are re-joined as for PDFs,
    except table rows (cells split by tabs or runs of spaces), which keep their lines and whose cells are handed to
    the structure reader (cleaning turns the tabs into single spaces).
    """
    text, cells = _clean_keeping_rows(decode_bytes(data, path).lstrip("\ufeff"))
    return LoadedDocument(
        path=path,
        title=title_line(text, rows=cells) or path.stem,
        text=text,
        kind="text",
        hints=StructureHints(cells=cells),
    )


def _clean_keeping_rows(raw: str) -> tuple[str, dict[int, tuple[str, ...]]]:
    """Cleaned, re-joined text, and line number → cells for every table row in it."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rows = [table_cells(line) for line in lines]
    marked_lines = []
    for line, cells in zip(lines, rows):
        if cells and any(cells):
            marked_lines.append(f"{_ROW_OPEN}{line.strip()}{_ROW_CLOSE}")
        else:
            stripped = line.strip()
            ordinal = ordinal_of(stripped) if stripped[:1] not in ("", "#") else None
            numbered = ordinal is not None and ordinal.strength != "weak"
            marked_lines.append(f"{_ITEM_OPEN}{stripped}" if numbered else line)
    row_cells = iter(cells for cells in rows if cells and any(cells))
    out_lines: list[str] = []
    found: dict[int, tuple[str, ...]] = {}
    for number, line in enumerate(clean_text(rejoin_wrapped_lines(clean_text("\n".join(marked_lines)))).split("\n")):
        match = _ROW_RE.match(line)
        if match:
            line = clean_text(match.group(1))
            found[number] = next(row_cells, ())
        elif line.startswith(_ITEM_OPEN):
            line = line[len(_ITEM_OPEN) :]
        out_lines.append(line)
    return "\n".join(out_lines), found
