"""What one line of a report is, on its own: a byline, a date, page furniture, a caption, a table row, a title-like
line; and where an item's head ends. The vocabularies come from ``rag.text.block_words.VOCABULARY``.
"""

from __future__ import annotations

import re

from ingest.clean import clean_text
from ingest.ordinals import ordinal_of
from rag.text.block_words import VOCABULARY, alternation, is_summary_heading
from rag.text.primitives import display_width


CAPTION_RE = re.compile(r"^(?:" + alternation(VOCABULARY["caption_words"]) + r")\s*[\d一二三四五六七八九十]*\s*[:：.、\s-]",
                         re.IGNORECASE)
# The label is matched in any case; after "By" a name starts with a capital (or is Chinese): "By 2025, …" is no byline.
_BYLINE_RE = re.compile(
    r"^(?:(?i:" + alternation(VOCABULARY["byline_labels"]) + r")\s*[：:／/|｜]\s*\S"
    r"|(?i:" + alternation(VOCABULARY["byline_prefixes"]) + r")\s+[A-Z\u4e00-\u9fff])"
)
TITLE_LABEL_RE = re.compile(r"^(?:" + alternation(VOCABULARY["title_labels"]) + r")\s*[:：]\s*", re.IGNORECASE)
_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august"
           "|september|october|november|december")
_DATE_CORE = (
    r"(?:\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"
    r"|(?:\d{1,2}\s+)?(?:" + _MONTHS + r")\.?\s+(?:\d{1,2},?\s+)?\d{4}"
    r"|(?:Q[1-4]|H[12])\s*\d{4}|\d{4}\s*(?:Q[1-4]|H[12]))"
)
_DATE_RE = re.compile(
    r"^(?:(?:" + alternation(VOCABULARY["date_labels"]) + r")\s*[：:]?\s*)?" + _DATE_CORE + r"\s*[.。]?$",
    re.IGNORECASE,
)
_FURNITURE_PREFIX_RE = re.compile(r"^(?:" + alternation(VOCABULARY["furniture_prefixes"]) + r")", re.IGNORECASE)
_URL_RE = re.compile(
    r"^(?:https?://\S+|www\.[\w-]+(?:\.[\w-]+)+\S*|[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|io|ai|gov|edu|co|info|biz)"
    r"(?:\.[a-z]{2})?(?:/\S*)?)$",
    re.IGNORECASE,
)
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-–—]\s*\d{1,4}\s*[-–—]|第\s*\d{1,4}\s*页(?:\s*[/／共]\s*\d{1,4}\s*页?)?|page\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?"
    r"|\d{1,4}\s*/\s*\d{1,4})$",
    re.IGNORECASE,
)
_BARE_NUMBER_RE = re.compile(r"^\d{1,4}$")
JUNK_TITLE_RE = re.compile(
    r"^(?:(?:" + alternation(VOCABULARY["junk_titles"]) + r")\s*\d*"
    r"|(?:" + alternation(VOCABULARY["junk_title_prefixes"]) + r").*"
    r"|.*\.(?:docx?|pdf|pptx?|xlsx?|txt|md|html?|wps|pages|key)|[\W\d_]*)$",
    re.IGNORECASE,
)


CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
TERMINAL = ("。", "！", "？", "；", "!", "?", ";", "…", "：", ":", ".", "．")
_CLAUSE_PUNCT = frozenset("，,；;。！？!?")
_EMPHASIS_RE = re.compile(r"\*\*|__|`")


def plain_line(line: str) -> str:
    return _EMPHASIS_RE.sub("", line).strip()


def title_like(line: str, max_width: int = 120) -> bool:
    """A line that could be a title or heading: short, not ending a sentence or leading in, no markup."""
    stripped = plain_line(line)
    if not stripped or display_width(stripped) > max_width or stripped.endswith(TERMINAL):
        return False
    return not stripped.startswith(("#", ">", "|", "```", "<", "[", "!"))


def short_title(line: str) -> bool:
    """An unnumbered heading: at most ~24 Chinese (48 Latin) characters, two letters or more, no clause
    punctuation."""
    stripped = plain_line(line)
    return (
        title_like(stripped, 48)
        and not (_CLAUSE_PUNCT & set(stripped))
        and sum(1 for ch in stripped if ch.isalpha()) >= 2
    )


def is_date(line: str) -> bool:
    stripped = plain_line(line).strip("*_ ")
    return len(stripped) <= 40 and bool(_DATE_RE.match(stripped))


def is_byline(line: str) -> bool:
    stripped = plain_line(line).strip("*_ ")
    return len(stripped) <= 80 and bool(_BYLINE_RE.match(stripped))


def furniture_line(line: str, pdf: bool) -> bool:
    """A bare URL, a copyright line, a page number ("第 3 页", "- 3 -", "3/20"; a bare number in PDFs)."""
    stripped = plain_line(line)
    if len(stripped) > 60:
        return False
    if _URL_RE.match(stripped) or _PAGE_NUMBER_RE.match(stripped) or (pdf and _BARE_NUMBER_RE.match(stripped)):
        return True
    return bool(_FURNITURE_PREFIX_RE.match(stripped)) and not stripped.endswith(("。", "."))


def summary_label(line: str) -> bool:
    """"总结：…" / "Conclusion: …" on a line of its own: the head of a summary."""
    stripped = plain_line(line)
    return title_like(stripped, 120) and is_summary_heading(stripped) and bool(re.search(r"[:：]", stripped[:16]))


def table_cells(line: str) -> tuple[str, ...] | None:
    """The cells of a raw plain-text line that is a table row: split at tabs, or at runs of two or more spaces
    when that gives three cells or more and the line does not end a sentence. None for any other line (a line only
    indented by a tab is not a row)."""
    body = line.strip(" \t\u3000\r")
    if "\t" in body:
        cells = line.rstrip("\r").split("\t")
        if line[:1] in " \u3000":  # indentation before the first cell is not a cell
            cells[0] = cells[0].strip()
        return tuple(clean_text(c) for c in cells)
    if "  " in body and not body.endswith(TERMINAL):
        cells = re.split(r" {2,}|\u3000+", body)
        if len(cells) >= 3:
            return tuple(clean_text(c) for c in cells)
    return None


_HEAD_STOP_RE = re.compile(r"[：。]|:(?!\d)|\.(?=\s|$)|\s[-–—]\s")


def item_head_end(text: str, head_start: int, line_end: int, ordinal_end: int) -> int:
    """Where an item's head ends: after its leading bold run, else before the first "：:。" (or ". ", " - ") past its
    ordinal, else at the end of its first line; trailing spaces and emphasis marks trimmed."""
    words = ordinal_end
    while words < line_end and text[words] == " ":
        words += 1
    for marker in ("**", "__"):
        if text.startswith(marker, words):
            close = text.find(marker, words + 2, line_end)
            if close > words + 2:
                return close + 2
    match = _HEAD_STOP_RE.search(text, words, line_end)
    end = match.start() if match and match.start() > words else line_end
    while end > head_start and text[end - 1] in " *_":
        end -= 1
    return max(end, head_start)


def table_row_like(line: str) -> bool:
    """Short space-separated cells with no sentence end: what a table row looks like once its tabs are gone."""
    stripped = line.strip()
    if len(stripped) > 80 or stripped.endswith(TERMINAL) or ordinal_of(stripped) is not None:
        return False
    return 2 <= len(stripped.split()) <= 10 and bool(CJK_RE.search(stripped) or re.search(r"\d", stripped))
