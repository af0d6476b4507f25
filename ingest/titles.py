"""Which line names a document: a Markdown level-1 heading, a labelled title ("标题：…"), the first title-like line;
file names and placeholders ("Untitled", "Microsoft Word - …") are no title.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ingest.line_kinds import JUNK_TITLE_RE, TITLE_LABEL_RE, furniture_line, is_byline, is_date, plain_line, title_like
from ingest.ordinals import ordinal_of
from rag.text.primitives import display_width

_MD_HEADING_LINE_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_UNITS_RE = re.compile(r"[A-Za-z]+|\d+|[\u3400-\u9fff]+")


def markdown_title(text: str) -> tuple[str, int] | None:
    """The first Markdown heading outside code fences, as (words without emphasis, level)."""
    in_fence = False
    for line in text.split("\n"):
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not line.startswith("#"):
            continue
        match = _MD_HEADING_LINE_RE.match(line)
        if match:
            words = plain_line(re.sub(r"[*_`]+", "", match.group(2)))
            if words:
                return words, len(match.group(1))
    return None


def _content_units(text: str) -> set[str]:
    """Latin words and numbers (case-folded) and Chinese character bigrams: what two titles can share."""
    units = set()
    for run in _UNITS_RE.findall(text):
        if run[0] >= "\u3400":
            units.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
        else:
            units.add(run.casefold())
    return units


def prefer_heading_title(front_matter_title: str, heading: str | None, level: int) -> bool:
    """Whether the body's H1 should name a Markdown report instead of its front matter ``title``.

    The rule: the front matter wins unless the body has a level-1 heading that is wider than the front-matter
    title and shares fewer than half of its words (Latin words, numbers, Chinese character pairs). A short title
    unrelated to the document's own H1 is a note id or a slug ("AI笔记15", "post-12"); a shorter H1 ("概述") is a
    section name, and a related H1 is the same title either way.
    """
    if not heading or level != 1 or not front_matter_title:
        return bool(heading) and not front_matter_title
    units = _content_units(front_matter_title)
    shared = len(units & _content_units(heading))
    return display_width(heading) > display_width(front_matter_title) and shared * 2 < len(units)


def is_junk_title(title: str | None) -> bool:
    """A metadata title that names a tool, a template or a file ("Microsoft Word - x.docx", "untitled", "1")."""
    stripped = (title or "").strip()
    return len(stripped) < 2 or bool(JUNK_TITLE_RE.match(stripped))


def markup_document_title(metadata_title: str, text: str, fallback: str) -> str:
    """The title of a DOCX or HTML report: its metadata title unless it is junk, else its first heading, else its
    first title-like line, else ``fallback`` (the file name)."""
    heading = markdown_title(text)
    title = (metadata_title if not is_junk_title(metadata_title) else "") or (heading[0] if heading else "")
    return title or title_line(text) or fallback


def title_line(text: str, pdf: bool = False, rows: Collection[int] = ()) -> str | None:
    """The title of a text without markup: a line labelled as the title ("标题：…", "Title: …") anywhere, else
    its first title-like line.

    Leading dates, bylines and page furniture are skipped. A cover page often breaks the title over lines and then
    repeats it whole ("2025年" / "AI产业发展十大趋势" … "2025年AI产业发展十大趋势"): a later cover line holding the
    first one is taken instead. Lines starting with markup ("# …") and table rows (line numbers in ``rows``) are
    not titles.
    """
    lines = text.split("\n")
    labelled = labelled_title(lines)
    if labelled is not None:
        return TITLE_LABEL_RE.sub("", plain_line(lines[labelled]), count=1).strip()
    span = title_span(lines[:80], pdf)
    return plain_line(span[1]) if span and span[0] not in rows else None


def labelled_title(lines: list[str]) -> int | None:
    """The index of the first line that labels the title ("标题：…"), if any."""
    for index, line in enumerate(lines):
        if line[:1] and len(line) <= 120 and TITLE_LABEL_RE.match(plain_line(line)):
            rest = TITLE_LABEL_RE.sub("", plain_line(line), count=1).strip()
            if rest and not rest.endswith(("。", ".")):
                return index
    return None


def title_span(lines: list[str], pdf: bool) -> tuple[int, str] | None:
    """(line index, line) of the title among the first lines."""
    candidate = None
    seen = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if candidate is None:
            if furniture_line(stripped, pdf) or is_date(stripped) or is_byline(stripped):
                continue
            if not title_like(stripped, 100) or ordinal_of(stripped) is not None:
                return None
            candidate = (index, stripped)
            continue
        seen += 1
        if seen > 8 or display_width(stripped) > 100:
            break
        core = plain_line(candidate[1])
        if core in stripped and len(stripped) > len(core) and title_like(stripped, 100):
            return index, stripped
    return candidate
