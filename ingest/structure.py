"""Reading a report's structure once, at ingest: typed blocks with exact offsets into the cleaned text.

Markdown, and the Markdown-like text the DOCX and HTML loaders write, goes through a real parser (markdown-it-py,
GFM tables on): headings with levels, lists with nesting and ordinals, tables with header and rows, fenced code.
The parser reads the markup as the loader saw it (``StructureHints.markup``: cleaning strips the indentation that
nests a list) and every block is mapped back to the lines of the cleaned text. The first block is the title when
it is the document's only level-1 heading; single-line paragraphs that are bylines, dates or page furniture are
typed as such; a short line right above a table is its caption.

Plain text and PDF text have no markup, so they are read by layout cues, one pass over the lines:

- page headers and footers: a bare URL, a copyright line, a page number, or a line repeated three times or more
  right beside one of those → ``furniture`` (kept in the text, typed so nothing quotes it or names a section by it);
- table rows: cells the loader split at tabs or runs of spaces (``StructureHints.cells``), or, without that,
  consecutive short lines of space-separated cells; the first row is the header when it has no digits or a rule
  follows it, and a short line right above names the table (its caption);
- ordinals: 第一章 / 一、/ （一）/ 1. / 1.2 / ① / (a) / 趋势1: / Part 2 / bullets. Lines with ordinals and nothing
  but blank lines between them make one list (nested by the order their ordinal patterns appear); a title-like
  ordinal line with body text under it is a heading, its level the depth of its ordinal pattern among the open
  ones (a pattern seen again closes everything opened after it);
- a short unpunctuated line over a long paragraph, a list or a table is a heading one level below the open ones;
- "作者：…" / "By …" lines are bylines, lines that are only a date are dates; the title is a line labelled
  "标题：…", else the first title-like line (see ``title_line``).

In every kind of document, a run of sibling headings that share an ordinal pattern with consecutive numbers
("趋势1 …" … "趋势10 …") is also exposed as a list whose items are the headings with their sections.

All of it is linear in the length of the text (a few regular expressions per line, stacks, no rescans).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from ingest.clean import clean_text
from ingest.document import LoadedDocument
from ingest.enumerations import prose_items
from rag.text.blocks import VOCABULARY, Block, DocumentStructure, Item, is_summary_heading
from rag.text.primitives import display_width

__all__ = [
    "read_structure",
    "ordinal_of",
    "title_line",
    "markdown_title",
    "is_junk_title",
    "markup_document_title",
    "prefer_heading_title",
    "table_cells",
    "table_row_like",
    "display_width",
]

# ----- vocabularies as patterns -----

def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CAPTION_WORDS = frozenset(w.lower() for w in VOCABULARY["caption_words"])
_ORDINAL_WORDS = frozenset(w.lower() for w in VOCABULARY["ordinal_words"])
_CAPTION_RE = re.compile(r"^(?:" + _alternation(VOCABULARY["caption_words"]) + r")\s*[\d一二三四五六七八九十]*\s*[:：.、\s-]",
                         re.IGNORECASE)
# The label is matched in any case; after "By" a name starts with a capital (or is Chinese): "By 2025, …" is no byline.
_BYLINE_RE = re.compile(
    r"^(?:(?i:" + _alternation(VOCABULARY["byline_labels"]) + r")\s*[：:／/|｜]\s*\S"
    r"|(?i:" + _alternation(VOCABULARY["byline_prefixes"]) + r")\s+[A-Z\u4e00-\u9fff])"
)
_TITLE_LABEL_RE = re.compile(r"^(?:" + _alternation(VOCABULARY["title_labels"]) + r")\s*[:：]\s*", re.IGNORECASE)
_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august"
           "|september|october|november|december")
_DATE_CORE = (
    r"(?:\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"
    r"|(?:\d{1,2}\s+)?(?:" + _MONTHS + r")\.?\s+(?:\d{1,2},?\s+)?\d{4}"
    r"|(?:Q[1-4]|H[12])\s*\d{4}|\d{4}\s*(?:Q[1-4]|H[12]))"
)
_DATE_RE = re.compile(
    r"^(?:(?:" + _alternation(VOCABULARY["date_labels"]) + r")\s*[：:]?\s*)?" + _DATE_CORE + r"\s*[.。]?$",
    re.IGNORECASE,
)
_FURNITURE_PREFIX_RE = re.compile(r"^(?:" + _alternation(VOCABULARY["furniture_prefixes"]) + r")", re.IGNORECASE)
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
_JUNK_TITLE_RE = re.compile(
    r"^(?:(?:" + _alternation(VOCABULARY["junk_titles"]) + r")\s*\d*"
    r"|(?:" + _alternation(VOCABULARY["junk_title_prefixes"]) + r").*"
    r"|.*\.(?:docx?|pdf|pptx?|xlsx?|txt|md|html?|wps|pages|key)|[\W\d_]*)$",
    re.IGNORECASE,
)

# ----- ordinals -----

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "一二三四五六七八九十百零〇两"
_BULLETS = "•●○◦■□◆◇▪▫·►▶➢➤✓✔√※→◎★☆❖"

_CHAPTER_RE = re.compile(rf"第\s*([{_CN_NUM}\d]+)\s*([章节節部分篇条條讲講回])\s*[、:：.．]?\s*")
_CN_DUN_RE = re.compile(rf"([{_CN_NUM}]+)\s*[、.．](?!\d)\s*")
_CN_PAREN_RE = re.compile(rf"[（(]\s*([{_CN_NUM}]+)\s*[)）]\s*[、.．]?\s*")
_NUM_PAREN_RE = re.compile(r"[（(]\s*(\d{1,3})\s*[)）]\s*[、.．]?\s*")
_LETTER_PAREN_RE = re.compile(r"[（(]([a-zA-Z])[)）]\s*")
_CIRCLED_RE = re.compile(r"([\u2460-\u2473\u2776-\u277f\u2780-\u2789\u2474-\u2487\u2488-\u249b])\s*")
_DECIMAL_RE = re.compile(r"(\d{1,3}(?:[.．]\d{1,3})*)(?:([.．]?[、)）)]|[.．])(?![\d.．])|(?=\s))\s*")
_ROMAN_RE = re.compile(r"(I{1,3}|IV|VI{0,3}|IX|XI{0,2}|X)[.、)）](?![A-Za-z.])\s*")
_LETTER_RE = re.compile(r"([A-Z])(?:[.、)）](?![A-Za-z.])\s*|\s+(?=[\u4e00-\u9fff]))|([a-z])[.)）]\s+")
_WORD_NUM_RE = re.compile(
    rf"([A-Za-z]{{2,12}}|[\u4e00-\u9fff]{{1,4}})\s*(\d{{1,3}}|[{_CN_NUM}]{{1,3}})(\s*[:：]|\s*[、.．](?![\d.．])|\s+)\s*"
)
_DASH_BULLET_RE = re.compile(r"([-*+])\s+")
_SYMBOL_BULLET_RE = re.compile(rf"([{_BULLETS}])\s*")
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
                 "XI": 11, "XII": 12}


@dataclass(frozen=True)
class Ordinal:
    """A numbering or bullet at the start of a line.

    ``family`` names the pattern ("dec1.", "dec2", "cn、", "word:趋势", "bullet:-"): lines of one family are
    siblings. ``end`` is where the words after the marker begin; ``text`` is the marker as written.
    ``strength``: "bullet", "strong" (a number with its own punctuation) or "weak" ("Part 2 " with a space only).
    """

    family: str
    value: int | None
    text: str
    end: int
    strength: str

    @property
    def numbered(self) -> bool:
        return self.strength != "bullet"


def cn_number(numeral: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105; Arabic digits pass through."""
    if numeral.isdigit():
        return int(numeral)
    total, current = 0, 0
    for ch in numeral:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def ordinal_of(line: str, pos: int = 0) -> Ordinal | None:
    """The ordinal or bullet ``line`` starts with at ``pos`` (after any "**"), or None."""
    if line.startswith(("**", "__"), pos):
        pos += 2
    if pos >= len(line):
        return None
    ch = line[pos]
    match = None
    if ch == "第":
        match = _CHAPTER_RE.match(line, pos)
        if match:
            return _ordinal(f"chap:{match.group(2)}", cn_number(match.group(1)), match, "strong", line)
    if ch in _CN_NUM:
        match = _CN_DUN_RE.match(line, pos)
        if match:
            return _ordinal("cn、", cn_number(match.group(1)), match, "strong", line)
    if ch in "(（":
        for regex, family in ((_CN_PAREN_RE, "cn()"), (_NUM_PAREN_RE, "num()"), (_LETTER_PAREN_RE, "(a)")):
            match = regex.match(line, pos)
            if match:
                value = match.group(1)
                number = cn_number(value) if family != "(a)" else ord(value.lower()) - 96
                return _ordinal(family + ("A" if value.isupper() else ""), number, match, "strong", line)
        return None
    if "\u2460" <= ch <= "\u249b" or "\u2776" <= ch <= "\u2789":
        match = _CIRCLED_RE.match(line, pos)
        if match:
            code = ord(match.group(1))
            for base, family in ((0x2460, "①"), (0x2474, "⑴"), (0x2488, "⒈"), (0x2776, "❶"), (0x2780, "➀")):
                if base <= code < base + 20:
                    return _ordinal(family, code - base + 1, match, "strong", line)
    if ch.isdigit():
        match = _DECIMAL_RE.match(line, pos)
        if match:
            number, delimiter = match.group(1), match.group(2) or ""
            parts = re.split(r"[.．]", number)
            if not delimiter:
                # "1.2 标题" and "01 标题" are ordinals; "12 个月" and "100 companies" are not.
                if len(parts) < 2 and not (len(number) == 2 and number.startswith("0")):
                    return None
                family, strength = (f"dec{len(parts)}", "weak") if len(parts) > 1 else ("dec1pad", "weak")
            elif len(parts) > 1:
                family, strength = f"dec{len(parts)}", "strong"
            else:
                kind = "." if delimiter in (".", "．") else "、" if delimiter.endswith("、") else ")"
                family, strength = f"dec1{kind}", "strong"
            return _ordinal(family, int(parts[-1]), match, strength, line)
        return None
    if ch in "-*+":
        match = _DASH_BULLET_RE.match(line, pos)
        return _ordinal(f"bullet:{ch}", None, match, "bullet", line) if match else None
    if ch in _BULLETS:
        match = _SYMBOL_BULLET_RE.match(line, pos)
        if match:
            return _ordinal(f"bullet:{ch}", None, match, "bullet", line)
    if ch in "IVX":
        match = _ROMAN_RE.match(line, pos)
        if match:
            return _ordinal("roman", _ROMAN_VALUES.get(match.group(1)), match, "strong", line)
    match = _WORD_NUM_RE.match(line, pos)
    if match:
        word = match.group(1)
        delimiter = match.group(3).strip()
        if word.lower() not in _CAPTION_WORDS and (delimiter in (":", "：") or word.lower() in _ORDINAL_WORDS):
            strength = "strong" if delimiter else "weak"
            return _ordinal(f"word:{word.lower()}", cn_number(match.group(2)), match, strength, line)
    if ch.isalpha() and ch.isascii():
        match = _LETTER_RE.match(line, pos)
        if match:
            letter = match.group(1) or match.group(2)
            return _ordinal("A." if letter.isupper() else "a.", ord(letter.lower()) - 96, match, "strong", line)
    return None


def _ordinal(family: str, value: int | None, match: re.Match, strength: str, line: str) -> Ordinal | None:
    if match.end() >= len(line):  # a marker with nothing after it is no item
        return None
    return Ordinal(family, value, match.group(0).strip(), match.end(), strength)


# ----- line predicates -----

_CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_TERMINAL = ("。", "！", "？", "；", "!", "?", ";", "…", "：", ":", ".", "．")
_CLAUSE_PUNCT = frozenset("，,；;。！？!?")
_EMPHASIS_RE = re.compile(r"\*\*|__|`")


def _plain(line: str) -> str:
    return _EMPHASIS_RE.sub("", line).strip()


def _title_like(line: str, max_width: int = 120) -> bool:
    """A line that could be a title or heading: short, not ending a sentence or leading in, no markup."""
    stripped = _plain(line)
    if not stripped or display_width(stripped) > max_width or stripped.endswith(_TERMINAL):
        return False
    return not stripped.startswith(("#", ">", "|", "```", "<", "[", "!"))


def _short_title(line: str) -> bool:
    """An unnumbered heading: at most ~24 Chinese (48 Latin) characters, two letters or more, no clause
    punctuation."""
    stripped = _plain(line)
    return (
        _title_like(stripped, 48)
        and not (_CLAUSE_PUNCT & set(stripped))
        and sum(1 for ch in stripped if ch.isalpha()) >= 2
    )


def _is_date(line: str) -> bool:
    stripped = _plain(line).strip("*_ ")
    return len(stripped) <= 40 and bool(_DATE_RE.match(stripped))


def _is_byline(line: str) -> bool:
    stripped = _plain(line).strip("*_ ")
    return len(stripped) <= 80 and bool(_BYLINE_RE.match(stripped))


def _furniture_line(line: str, pdf: bool) -> bool:
    """A bare URL, a copyright line, a page number ("第 3 页", "- 3 -", "3/20"; a bare number in PDFs)."""
    stripped = _plain(line)
    if len(stripped) > 60:
        return False
    if _URL_RE.match(stripped) or _PAGE_NUMBER_RE.match(stripped) or (pdf and _BARE_NUMBER_RE.match(stripped)):
        return True
    return bool(_FURNITURE_PREFIX_RE.match(stripped)) and not stripped.endswith(("。", "."))


def _summary_label(line: str) -> bool:
    """"总结：…" / "Conclusion: …" on a line of its own: the head of a summary."""
    stripped = _plain(line)
    return _title_like(stripped, 120) and is_summary_heading(stripped) and bool(re.search(r"[:：]", stripped[:16]))


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
    if "  " in body and not body.endswith(_TERMINAL):
        cells = re.split(r" {2,}|\u3000+", body)
        if len(cells) >= 3:
            return tuple(clean_text(c) for c in cells)
    return None


# ----- heads of items -----

_HEAD_STOP_RE = re.compile(r"[：。]|:(?!\d)|\.(?=\s|$)|\s[-–—]\s")


def _head_end(text: str, head_start: int, line_end: int, ordinal_end: int) -> int:
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


# ----- titles -----

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
            words = _plain(re.sub(r"[*_`]+", "", match.group(2)))
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
    return len(stripped) < 2 or bool(_JUNK_TITLE_RE.match(stripped))


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
    labelled = _labelled_title(lines)
    if labelled is not None:
        return _TITLE_LABEL_RE.sub("", _plain(lines[labelled]), count=1).strip()
    span = _title_span(lines[:80], pdf)
    return _plain(span[1]) if span and span[0] not in rows else None


def _labelled_title(lines: list[str]) -> int | None:
    """The index of the first line that labels the title ("标题：…"), if any."""
    for index, line in enumerate(lines):
        if line[:1] and len(line) <= 120 and _TITLE_LABEL_RE.match(_plain(line)):
            rest = _TITLE_LABEL_RE.sub("", _plain(line), count=1).strip()
            if rest and not rest.endswith(("。", ".")):
                return index
    return None


def _title_span(lines: list[str], pdf: bool) -> tuple[int, str] | None:
    """(line index, line) of the title among the first lines."""
    candidate = None
    seen = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if candidate is None:
            if _furniture_line(stripped, pdf) or _is_date(stripped) or _is_byline(stripped):
                continue
            if not _title_like(stripped, 100) or ordinal_of(stripped) is not None:
                return None
            candidate = (index, stripped)
            continue
        seen += 1
        if seen > 8 or display_width(stripped) > 100:
            break
        core = _plain(candidate[1])
        if core in stripped and len(stripped) > len(core) and _title_like(stripped, 100):
            return index, stripped
    return candidate


def table_row_like(line: str) -> bool:
    """Short space-separated cells with no sentence end: what a table row looks like once its tabs are gone."""
    stripped = line.strip()
    if len(stripped) > 80 or stripped.endswith(_TERMINAL) or ordinal_of(stripped) is not None:
        return False
    return 2 <= len(stripped.split()) <= 10 and bool(_CJK_RE.search(stripped) or re.search(r"\d", stripped))


# ----- the reader -----

def read_structure(document: LoadedDocument) -> DocumentStructure:
    """The typed blocks of ``document`` with exact offsets into ``document.text``."""
    if document.kind in ("markdown", "docx", "html"):
        blocks = _MarkupReader(document).read()
    else:
        blocks = _LayoutReader(document).read()
    return DocumentStructure(title=document.title, blocks=tuple(blocks), text=document.text)


class _Lines:
    """The lines of a text with their offsets; line ``i`` is ``text[starts[i]:ends[i]]``."""

    def __init__(self, text: str):
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        offset = 0
        for line in text.split("\n"):
            self.starts.append(offset)
            self.ends.append(offset + len(line))
            offset += len(line) + 1

    def __len__(self) -> int:
        return len(self.starts)

    def line(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]


def _page_lookup(document: LoadedDocument):
    if not document.pages:
        return lambda offset: None
    starts = [p.start for p in document.pages]

    def page(offset: int) -> int | None:
        index = bisect.bisect_right(starts, offset) - 1
        return document.pages[max(index, 0)].page

    return page


@dataclass
class _Heading:
    """A heading while the reader works: where it is, its level and numbering, and what it sits under."""

    block: int  # index into the reader's block list
    level: int
    words: str
    ordinal: Ordinal | None
    parent: int = -1  # index into the heading list, -1 at the top (set by _finish)


def _heading_lists(text: str, blocks: list[Block], headings: list[_Heading], ends: list[int]) -> list[Block]:
    """Lists made of runs of sibling headings that share an ordinal pattern and number consecutively."""
    runs: dict[tuple[int, str], list[int]] = {}
    finished: list[list[int]] = []
    for index, heading in enumerate(headings):
        if heading.ordinal is None:
            continue
        key = (heading.parent, heading.ordinal.family)
        run = runs.get(key)
        if run is not None:
            last = headings[run[-1]]
            if last.level == heading.level and (
                heading.ordinal.value is None
                or last.ordinal.value is None
                or heading.ordinal.value == last.ordinal.value + 1
            ):
                run.append(index)
                continue
            if len(run) >= 2:
                finished.append(run)
        runs[key] = [index]
    finished.extend(run for run in runs.values() if len(run) >= 2)
    finished.sort()
    lists = []
    for run in finished:
        items = []
        for index in run:
            block = blocks[headings[index].block]
            head_start, line_end = block.text_span or (block.start, block.end)
            line_end = min(line_end, block.end)
            inner = ordinal_of(text[head_start:line_end])
            ordinal_end = head_start + inner.end if inner is not None and inner.numbered else head_start
            items.append(Item(block.start, ends[index], head_start, _head_end(text, head_start, line_end, ordinal_end),
                              headings[index].ordinal.text))
        first = blocks[headings[run[0]].block]
        lists.append(Block("list", items[0].start, items[-1].end, level=first.level, path=first.path[:-1],
                           items=tuple(items), of_headings=True, page=first.page))
    return lists


def _finish(text: str, blocks: list[Block], headings: list[_Heading]) -> list[Block]:
    """Parents and paths from the heading levels, then the lists of sibling headings, and the lists a paragraph
    writes as prose ("包括A、B和C"; ``ingest.enumerations``); blocks in order."""
    stack: list[int] = []
    for index, heading in enumerate(headings):
        while stack and headings[stack[-1]].level >= heading.level:
            stack.pop()
        heading.parent = stack[-1] if stack else -1
        stack.append(index)
    blocks = _with_paths(blocks, headings)
    # A heading's section runs to the next heading at the same or a higher level, less trailing page furniture.
    starts = [b.start for b in blocks]
    ends = [len(text)] * len(headings)
    stack = []
    for index, heading in enumerate(headings):
        while stack and headings[stack[-1]].level >= heading.level:
            ends[stack.pop()] = blocks[heading.block].start
        stack.append(index)
    for index, end in enumerate(ends):
        position = bisect.bisect_left(starts, end) - 1
        while position >= 0 and blocks[position].kind == "furniture":
            position -= 1
        if position >= 0:
            ends[index] = min(end, blocks[position].end)
    for block in blocks:
        if block.kind == "paragraph":
            # Made by this reader a moment ago (see _with_paths): setting the field is safe.
            object.__setattr__(block, "items", prose_items(text, block.start, block.end))
    return sorted(blocks + _heading_lists(text, blocks, headings, ends), key=lambda b: (b.start, b.of_headings))


def _with_paths(blocks: list[Block], headings: list[_Heading]) -> list[Block]:
    """Set each block's path from the headings before it (a heading's path ends with itself)."""
    by_block = {h.block: h for h in headings}
    out: list[Block] = []
    stack: list[tuple[int, str]] = []
    for index, block in enumerate(blocks):
        heading = by_block.get(index)
        if heading is not None:
            while stack and stack[-1][0] >= heading.level:
                stack.pop()
            stack.append((heading.level, heading.words))
        path = tuple(words for _, words in stack) if block.kind != "title" else ()
        if path != block.path:
            # The blocks were made a moment ago by this reader and nobody else holds them: setting the field is
            # safe, and dataclasses.replace on every block costs more than the rest of the reading.
            object.__setattr__(block, "path", path)
        out.append(block)
    return out


def _replace(block: Block, **changes) -> Block:
    from dataclasses import replace

    return replace(block, **changes)


# ----- Markdown, DOCX and HTML -----

@lru_cache(maxsize=1)
def _markdown_parser():
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": 40}).enable("table")
    # Only block structure is needed: inline parsing (emphasis, links) is the slow half and changes no offsets.
    parser.disable(["inline", "text_join"], ignoreInvalid=True)
    return parser


_MD_MARKER_RE = re.compile(r"([-*+]|\d{1,9}[.)])(?:\s+|$)")
_MD_HEADING_PREFIX_RE = re.compile(r"#{1,6}(?:\s+|$)")
_MD_HEADING_SUFFIX_RE = re.compile(r"\s+#+\s*$|^#+\s*$")
_PIPE_RE = re.compile(r"(?<!\\)\|")


def _map_markup_lines(markup: str, text: str) -> list[int] | None:
    """For each line of ``markup``, the line of ``text`` it became (-1 for a blank line).

    Cleaning strips and squeezes lines and drops blank ones but keeps every other line, in order, so the k-th
    non-blank markup line is the k-th non-blank cleaned line. None when they do not line up.
    """
    cleaned_nonblank = [i for i, line in enumerate(text.split("\n")) if line]
    mapping: list[int] = []
    k = 0
    for line in markup.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip() and clean_text(line):
            if k >= len(cleaned_nonblank):
                return None
            mapping.append(cleaned_nonblank[k])
            k += 1
        else:
            mapping.append(-1)
    return mapping if k == len(cleaned_nonblank) else None


class _MarkupReader:
    def __init__(self, document: LoadedDocument):
        self.document = document
        self.text = document.text
        self.lines = _Lines(self.text)
        self.page = _page_lookup(document)
        markup = document.hints.markup
        mapping = _map_markup_lines(markup, self.text) if markup is not None else None
        if mapping is None:
            markup, mapping = self.text, [i if line else -1 for i, line in enumerate(self.text.split("\n"))]
        self.markup = markup
        self.mapping = mapping
        # The first and last mapped markup line at or after / at or before each markup line.
        n = len(mapping)
        self.next_mapped = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            self.next_mapped[i] = i if mapping[i] >= 0 else self.next_mapped[i + 1]
        self.prev_mapped = [-1] * n
        last = -1
        for i in range(n):
            if mapping[i] >= 0:
                last = i
            self.prev_mapped[i] = last

    def lines_of(self, line_map: list[int] | None) -> tuple[int, int] | None:
        """The cleaned lines (first, last) of a token's markup line range, or None when all of it is blank."""
        if not line_map:
            return None
        begin, stop = line_map
        stop = min(stop, len(self.mapping))
        first = self.next_mapped[begin] if begin < len(self.mapping) else len(self.mapping)
        last = self.prev_mapped[stop - 1] if stop > 0 else -1
        if first >= stop or last < begin or first > last:
            return None
        return self.mapping[first], self.mapping[last]

    def span(self, line_map) -> tuple[int, int] | None:
        found = self.lines_of(line_map)
        if found is None:
            return None
        return self.lines.starts[found[0]], self.lines.ends[found[1]]

    def read(self) -> list[Block]:
        tokens = _markdown_parser().parse(self.markup)
        blocks: list[Block] = []
        headings: list[_Heading] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            close = _closing(tokens, i)
            kind = token.type
            if kind == "heading_open":
                self._heading(token, blocks, headings)
            elif kind in ("paragraph_open", "blockquote_open", "html_block"):
                self._paragraph(token, blocks)
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self._list(tokens, i, close, blocks)
            elif kind == "table_open":
                self._table(tokens, i, close, blocks)
            elif kind in ("fence", "code_block"):
                span = self.span(token.map)
                if span:
                    blocks.append(Block("code", *span, page=self.page(span[0])))
            i = close + 1
        self._title(blocks, headings)
        return _finish(self.text, blocks, headings)

    def _heading(self, token, blocks: list[Block], headings: list[_Heading]) -> None:
        found = self.lines_of(token.map)
        if found is None:
            return
        start, end = self.lines.starts[found[0]], self.lines.ends[found[1]]
        line_end = self.lines.ends[found[0]]
        line = self.text[start:line_end]
        words_start = start
        prefix = _MD_HEADING_PREFIX_RE.match(line)
        if prefix:
            words_start = start + prefix.end()
            suffix = _MD_HEADING_SUFFIX_RE.search(line, prefix.end())
            words_end = start + suffix.start() if suffix else line_end
        else:  # a setext heading: its words are its first line
            words_end = line_end
        words = _plain(re.sub(r"[*_`]+", "", self.text[words_start:words_end]))
        if not words:
            blocks.append(Block("paragraph", start, end, page=self.page(start)))
            return
        ordinal = ordinal_of(self.text[words_start:words_end])
        level = int(token.tag[1])
        blocks.append(Block("heading", start, end, level=level, text_span=(words_start, max(words_end, words_start)),
                            ordinal=ordinal.text if ordinal and ordinal.numbered else "", page=self.page(start)))
        headings.append(_Heading(len(blocks) - 1, level, words, ordinal if ordinal and ordinal.numbered else None))

    def _paragraph(self, token, blocks: list[Block]) -> None:
        found = self.lines_of(token.map)
        if found is None:
            return
        first, last = found
        pdf = self.document.kind == "pdf"
        kinds = []
        for index in range(first, last + 1):
            line = self.lines.line(index)
            if not line:
                kinds.append(None)
            elif _is_byline(line):
                kinds.append("byline")
            elif _is_date(line):
                kinds.append("date")
            elif _furniture_line(line, pdf):
                kinds.append("furniture")
            else:
                kinds.append("")
        if all(k for k in kinds if k is not None) and any(kinds):
            for index, kind in zip(range(first, last + 1), kinds):
                if kind:
                    start = self.lines.starts[index]
                    blocks.append(Block(kind, start, self.lines.ends[index], page=self.page(start)))
            return
        start, end = self.lines.starts[first], self.lines.ends[last]
        blocks.append(Block("paragraph", start, end, page=self.page(start)))

    def _list(self, tokens, begin: int, close: int, blocks: list[Block]) -> None:
        span = self.span(tokens[begin].map)
        if span is None:
            return
        # Every item with its depth (the number of items it sits in), in order; _nest builds the tree.
        flat: list[tuple[int, Item]] = []
        depth = -1
        for token in tokens[begin : close + 1]:
            if token.type == "list_item_open":
                depth += 1
                item = self._item(token, depth)
                if item is not None:
                    flat.append((depth, item))
            elif token.type == "list_item_close":
                depth -= 1
        items = _nest(flat)
        if not items:
            blocks.append(Block("paragraph", *span, page=self.page(span[0])))
            return
        blocks.append(Block("list", span[0], span[1], items=tuple(items), page=self.page(span[0])))

    def _item(self, token, depth: int) -> Item | None:
        found = self.lines_of(token.map)
        if found is None:
            return None
        first, last = found
        start, end = self.lines.starts[first], self.lines.ends[last]
        line_end = self.lines.ends[first]
        line = self.text[start:line_end]
        marker = _MD_MARKER_RE.match(line)
        head_start = start + (marker.end() if marker else 0)
        ordinal_text = marker.group(1) if marker else ""
        ordinal_end = head_start
        inner = ordinal_of(self.text[head_start:line_end])
        if marker and marker.group(1)[0].isdigit():
            ordinal_end = head_start
            head_start = start  # a number is part of the item's head: "1. **技术瓶颈**"
        elif inner is not None and inner.numbered:
            ordinal_text = inner.text
            ordinal_end = head_start + inner.end
        head_end = _head_end(self.text, head_start, line_end, ordinal_end)
        return Item(start, end, head_start, head_end, ordinal_text, depth)

    def _table(self, tokens, begin: int, close: int, blocks: list[Block]) -> None:
        span = self.span(tokens[begin].map)
        if span is None:
            return
        header: list[str] = []
        header_span = None
        rows: list[tuple[int, int]] = []
        cells: list[tuple[tuple[int, int], ...]] = []
        section = None
        for index in range(begin, close):
            token = tokens[index]
            if token.type in ("thead_open", "tbody_open"):
                section = token.type
            elif token.type == "tr_open":
                row = self.span(token.map)
                if row is None:
                    continue
                if section == "thead_open":
                    header_span = row
                else:
                    rows.append(row)
                    cells.append(_pipe_cells(self.text, *row))
            elif token.type == "inline" and section == "thead_open":
                header.append(_plain(token.content))
        caption = None
        start = span[0]
        if blocks and blocks[-1].kind == "paragraph":
            previous = blocks[-1]
            words = self.text[previous.start : previous.end]
            between = self.text[previous.end : start]
            if "\n" not in words and between.count("\n") <= 2 and (_CAPTION_RE.match(_plain(words))
                                                                   or _title_like(words, 80)):
                blocks.pop()
                caption, start = (previous.start, previous.end), previous.start
        blocks.append(Block("table", start, span[1], header=tuple(header) if header_span else None,
                            header_span=header_span, rows=tuple(rows), cells=tuple(cells), caption=caption,
                            page=self.page(start)))

    def _title(self, blocks: list[Block], headings: list[_Heading]) -> None:
        """The first block is the title when it is the only level-1 heading and names the report (the document's
        title holds its words or they hold the title): "# 概述" under a front-matter title stays a heading."""
        first = next((i for i, b in enumerate(blocks) if b.kind not in ("byline", "date", "furniture")), None)
        if first is None or blocks[first].kind != "heading" or blocks[first].level != 1:
            return
        if sum(1 for h in headings if h.level <= 1) != 1:
            return
        words = re.sub(r"\s+", "", headings[0].words).casefold()
        title = re.sub(r"\s+", "", self.document.title).casefold()
        if not words or not title or (words not in title and title not in words):
            return
        block = blocks[first]
        blocks[first] = _replace(block, kind="title", ordinal="")
        headings[:] = [h for h in headings if h.block != first]


def _closing(tokens, index: int) -> int:
    """Index of the token closing ``tokens[index]`` (itself for a token that opens nothing)."""
    token = tokens[index]
    if token.nesting != 1:
        return index
    depth = 0
    for j in range(index, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _nest(flat: list[tuple[int, Item]]) -> list[Item]:
    """Items with their depths, in order → the tree (a parent's span grows to cover its children)."""
    roots: list[Item] = []
    stack: list[tuple[int, Item, list[Item]]] = []  # (depth, item, children)

    def close_top() -> None:
        depth, item, children = stack.pop()
        end = max([item.end] + [c.end for c in children])
        done = Item(item.start, end, item.head_start, item.head_end, item.ordinal, item.depth, tuple(children))
        (stack[-1][2] if stack else roots).append(done)

    for depth, item in flat:
        while stack and stack[-1][0] >= depth:
            close_top()
        stack.append((depth, Item(item.start, item.end, item.head_start, item.head_end, item.ordinal, len(stack)),
                      []))
    while stack:
        close_top()
    return roots


def _pipe_cells(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Cell spans of a "| a | b |" row, each trimmed."""
    bounds = [start - 1] + [m.start() + start for m in _PIPE_RE.finditer(text[start:end])] + [end]
    cells = []
    for left, right in zip(bounds, bounds[1:]):
        a, b = left + 1, right
        if a == start and b == a:  # before a leading pipe
            continue
        while a < b and text[a] == " ":
            a += 1
        while b > a and text[b - 1] == " ":
            b -= 1
        cells.append((a, b))
    if text[start:end].rstrip().endswith("|") and cells and cells[-1][0] == cells[-1][1] and cells[-1][0] >= end - 1:
        cells.pop()
    return tuple(cells)


# ----- plain text and PDF -----

class _LayoutReader:
    def __init__(self, document: LoadedDocument):
        self.document = document
        self.text = document.text
        self.lines = _Lines(self.text)
        self.page = _page_lookup(document)
        self.pdf = document.kind == "pdf"
        self.cells = dict(document.hints.cells)
        self.header_rows = document.hints.header_rows

    def read(self) -> list[Block]:
        lines = self.lines
        n = len(lines)
        texts = [lines.line(i) for i in range(n)]
        kinds = [""] * n
        ordinals: list[Ordinal | None] = [None] * n
        nonblank = [i for i in range(n) if texts[i]]

        self._furniture(texts, kinds, nonblank)
        title = self._title(texts, kinds, nonblank)
        tables = self._tables(texts, kinds, nonblank)
        for i in nonblank:
            if not kinds[i]:
                ordinals[i] = ordinal_of(texts[i])
                if ordinals[i] is not None:
                    kinds[i] = "ordinal"
                elif _is_byline(texts[i]):
                    kinds[i] = "byline"
                elif _is_date(texts[i]):
                    kinds[i] = "date"
        content = [i for i in nonblank if kinds[i] != "furniture"]
        lists = self._clusters(texts, kinds, ordinals, content)
        # Unnumbered headings: a short line over a long paragraph, an ordinal line or a table; "总结：…" lines.
        for k, i in enumerate(content):
            if kinds[i]:
                continue
            following = content[k + 1] if k + 1 < len(content) else None
            if following is None:
                continue
            if _summary_label(texts[i]) or (
                _short_title(texts[i])
                and (len(texts[following]) > 40 or kinds[following] in ("heading", "table", "caption", "list"))
            ):
                kinds[i] = "leaf"
        return self._assemble(texts, kinds, ordinals, title, tables, lists)

    # -- furniture: URLs, copyright lines, page numbers, and lines repeated beside them --
    def _furniture(self, texts: list[str], kinds: list[str], nonblank: list[int]) -> None:
        for i in nonblank:
            if _furniture_line(texts[i], self.pdf):
                kinds[i] = "furniture"
        counts = Counter(re.sub(r"\d+", "#", texts[i]) for i in nonblank if len(texts[i]) <= 40)
        for k, i in enumerate(nonblank):
            # A running header is short and ends no sentence: a repeated sentence is the report's own words.
            if kinds[i] or len(texts[i]) > 40 or texts[i].endswith(_TERMINAL):
                continue
            if counts[re.sub(r"\d+", "#", texts[i])] < 3:
                continue
            neighbours = nonblank[max(k - 1, 0) : k] + nonblank[k + 1 : k + 2]
            if any(kinds[j] == "furniture" for j in neighbours) and ordinal_of(texts[i]) is None:
                kinds[i] = "furniture"

    def _title(self, texts: list[str], kinds: list[str], nonblank: list[int]) -> int | None:
        labelled = _labelled_title(texts)
        if labelled is not None and not kinds[labelled]:
            kinds[labelled] = "title"
            return labelled
        limit = nonblank[39] + 1 if len(nonblank) > 40 else len(texts)
        found = _title_span(texts[:limit], self.pdf)
        if found is None or kinds[found[0]] or found[0] in self.cells:  # a table's first row is no title
            return None
        kinds[found[0]] = "title"
        return found[0]

    # -- tables --
    def _tables(self, texts: list[str], kinds: list[str], nonblank: list[int]) -> list[tuple[int, int, int | None]]:
        """(first row line, last row line, caption line) of every table; its lines are marked."""
        row = [False] * len(texts)
        for i in nonblank:
            if kinds[i]:
                continue
            cells = self.cells.get(i)
            if cells is not None:
                row[i] = sum(1 for c in cells if c) >= 2 or len(cells) >= 2
        found: list[tuple[int, int, int | None]] = []
        i = 0
        n = len(texts)
        while i < n:
            if row[i]:
                j = i
                while j + 1 < n and row[j + 1]:
                    j += 1
                found.append((i, j, None))
                i = j + 1
                continue
            if texts[i] and not kinds[i] and i not in self.cells and self._row_like(texts[i]):
                j = i
                width = len(texts[i].split())
                while (j + 1 < n and texts[j + 1] and not kinds[j + 1] and (j + 1) not in self.cells
                       and self._row_like(texts[j + 1]) and abs(len(texts[j + 1].split()) - width) <= 1):
                    j += 1
                rows = texts[i : j + 1]
                latin = not any(_CJK_RE.search(r) for r in rows)
                if j > i and (not latin or sum(1 for r in rows[1:] if re.search(r"\d", r)) * 2 >= len(rows) - 1):
                    found.append((i, j, None))
                    i = j + 1
                    continue
            i += 1
        out = []
        for first, last, _ in found:
            for k in range(first, last + 1):
                kinds[k] = "table"
            caption = None
            k = first - 1
            while k >= 0 and not texts[k] and first - k <= 2:
                k -= 1
            if k >= 0 and texts[k] and not kinds[k] and ordinal_of(texts[k]) is None and not _is_date(texts[k]):
                words = _plain(texts[k])
                if _CAPTION_RE.match(words) or (_title_like(words, 80) and not words.endswith(("：", ":"))):
                    caption = k
                    kinds[k] = "caption"
            out.append((first, last, caption))
        return out

    @staticmethod
    def _row_like(line: str) -> bool:
        return table_row_like(line) and not _is_byline(line) and not _is_date(line)

    # -- ordinal lines: lists, and the headings among them --
    def _clusters(self, texts, kinds, ordinals, content: list[int]) -> list[list[int]]:
        """Group ordinal lines with nothing but blank lines (and furniture) between them into lists; return the
        lists (line indices of their items). Ordinal lines that head a body are marked as headings instead.

        Nested items follow their parent on the next line, so a blank line followed by an ordinal pattern not yet
        seen in the group starts a new group ("- 摘要条目" … blank … "趋势1：…" is a list, then a heading).
        """
        groups: list[list[int]] = []
        for k, i in enumerate(content):
            if kinds[i] != "ordinal":
                continue
            previous = content[k - 1] if k else -1
            if groups and groups[-1][-1] == previous:
                group = groups[-1]
                gap = any(not texts[j] for j in range(previous + 1, i))
                if not gap or any(ordinals[j].family == ordinals[i].family for j in group):
                    group.append(i)
                    continue
            groups.append([i])
        last_content = content[-1] if content else -1
        lists: list[list[int]] = []
        for cluster in groups:
            has_body = cluster[-1] < last_content
            # A title-like numbered line whose pattern does not come back in the group heads what follows.
            while cluster:
                first = cluster[0]
                family = ordinals[first].family
                if len(cluster) == 1:
                    if _title_like(texts[first]) and has_body:
                        kinds[first] = "heading"
                    elif ordinals[first].strength != "weak":
                        lists.append(cluster)
                    else:
                        kinds[first] = ""
                    break
                if all(ordinals[j].family != family for j in cluster[1:]) and _title_like(texts[first]):
                    kinds[first] = "heading"
                    cluster = cluster[1:]
                    continue
                lists.append(cluster)
                break
        for cluster in lists:
            for j in cluster:
                kinds[j] = "list"
        return lists

    # -- blocks --
    def _assemble(self, texts, kinds, ordinals, title, tables, lists) -> list[Block]:
        lines = self.lines
        starts, ends = lines.starts, lines.ends
        blocks: list[Block] = []
        headings: list[_Heading] = []
        # Heading levels: the depth of the ordinal pattern among the open ones; unnumbered headings one deeper.
        stack: list[tuple[str | None, int]] = []  # (family or None for an unnumbered heading, heading index)
        table_at = {first: (last, caption) for first, last, caption in tables}
        caption_of = {caption: first for first, _, caption in tables if caption is not None}
        list_at = {cluster[0]: cluster for cluster in lists}
        i = 0
        n = len(texts)
        while i < n:
            kind = kinds[i]
            if not texts[i]:
                i += 1
                continue
            if kind == "caption" and i in caption_of:
                i = caption_of[i]
                continue
            start = starts[i]
            if kind == "table":
                last, caption = table_at.get(i, (i, None))
                blocks.append(self._table(texts, i, last, caption))
                i = last + 1
                continue
            if kind == "list":
                cluster = list_at[i]
                blocks.append(self._list(texts, ordinals, cluster))
                i = cluster[-1] + 1
                continue
            if kind in ("furniture", "byline", "date"):
                blocks.append(Block(kind, start, ends[i], page=self.page(start)))
                i += 1
                continue
            if kind == "title":
                words = _TITLE_LABEL_RE.sub("", _plain(texts[i]), count=1).strip()
                offset = texts[i].find(words) if words else 0
                blocks.append(Block("title", start, ends[i], level=1, text_span=(start + offset, start + offset +
                                                                                  len(words)), page=self.page(start)))
                i += 1
                continue
            if kind in ("heading", "leaf"):
                ordinal = ordinals[i] if kind == "heading" else None
                family = ordinal.family if ordinal is not None else None
                if family is not None:
                    position = next((p for p in range(len(stack) - 1, -1, -1) if stack[p][0] == family), None)
                    if position is not None:
                        del stack[position:]
                    elif ordinal.numbered:
                        # Unnumbered and bulleted headings are labels (a chart's title, a sub-topic): numbered
                        # headings are the report's skeleton and never sit under one.
                        while stack and (stack[-1][0] is None or stack[-1][0].startswith("bullet:")):
                            stack.pop()
                else:
                    while stack and stack[-1][0] is None:
                        stack.pop()
                level = len(stack) + 1
                words_start = start + (ordinal.end if ordinal is not None and not ordinal.numbered else 0)
                if texts[i].startswith(("**", "__")) and ordinal is None:
                    words_start = start
                words = _plain(self.text[words_start : ends[i]])
                blocks.append(Block("heading", start, ends[i], level=level, text_span=(words_start, ends[i]),
                                    ordinal=ordinal.text if ordinal is not None and ordinal.numbered else "",
                                    page=self.page(start)))
                headings.append(_Heading(len(blocks) - 1, level, words, ordinal))
                stack.append((family, len(headings) - 1))
                i += 1
                continue
            # A paragraph: consecutive plain lines.
            j = i
            while j + 1 < n and texts[j + 1] and kinds[j + 1] in ("", "ordinal"):
                j += 1
            blocks.append(Block("paragraph", start, ends[j], page=self.page(start)))
            i = j + 1
        return _finish(self.text, blocks, headings)

    def _table(self, texts, first: int, last: int, caption: int | None) -> Block:
        starts, ends = self.lines.starts, self.lines.ends
        row_lines = list(range(first, last + 1))
        header_line = None
        rule = len(row_lines) > 1 and re.fullmatch(r"[-=—_|+:\s]{3,}", texts[row_lines[1]]) is not None
        first_cells = self._row_cells(first, texts[first])
        first_words = [self.text[a:b] for a, b in first_cells]
        known = first in self.header_rows  # the loader saw the table (a PDF's ruled table): its first row heads it
        if len(row_lines) > 1 and (known or rule or not any(re.search(r"\d", w) for w in first_words)):
            header_line = first
        header = None
        if header_line is not None:
            hinted = self.cells.get(first)
            header = tuple(hinted) if hinted is not None else tuple(first_words)
        rows, cells = [], []
        for k in row_lines:
            if k == header_line or (rule and k == row_lines[1]):
                continue
            rows.append((starts[k], ends[k]))
            cells.append(self._row_cells(k, texts[k]))
        start = starts[caption] if caption is not None else starts[first]
        return Block("table", start, ends[last], header=header,
                     header_span=(starts[first], ends[first]) if header_line is not None else None,
                     rows=tuple(rows), cells=tuple(cells),
                     caption=(starts[caption], ends[caption]) if caption is not None else None,
                     page=self.page(start))

    def _row_cells(self, index: int, line: str) -> tuple[tuple[int, int], ...]:
        """Cell spans of a row: the loader's cells found in order in the line, or its space-separated words."""
        base = self.lines.starts[index]
        hinted = self.cells.get(index)
        spans = []
        if hinted is not None:
            cursor = 0
            for cell in hinted:
                if not cell:
                    spans.append((base + cursor, base + cursor))
                    continue
                found = line.find(cell, cursor)
                if found < 0:
                    break
                spans.append((base + found, base + found + len(cell)))
                cursor = found + len(cell)
            else:
                return tuple(spans)
            spans = []
        for match in re.finditer(r"\S+", line):
            spans.append((base + match.start(), base + match.end()))
        return tuple(spans)

    def _list(self, texts, ordinals, cluster: list[int]) -> Block:
        starts, ends = self.lines.starts, self.lines.ends
        flat: list[tuple[int, Item]] = []
        families: list[str] = []
        for i in cluster:
            ordinal = ordinals[i]
            if ordinal.family in families:
                del families[families.index(ordinal.family) + 1 :]
            else:
                families.append(ordinal.family)
            depth = len(families) - 1
            start, line_end = starts[i], ends[i]
            if ordinal.numbered:
                head_start, ordinal_end = start, start + ordinal.end
                text = ordinal.text
            else:
                head_start = start + ordinal.end
                inner = ordinal_of(texts[i], ordinal.end)
                ordinal_end = start + inner.end if inner is not None and inner.numbered else head_start
                text = inner.text if inner is not None and inner.numbered else ordinal.text
            head_end = _head_end(self.text, head_start, line_end, ordinal_end)
            flat.append((depth, Item(start, line_end, head_start, head_end, text, depth)))
        items = _nest(flat)
        return Block("list", starts[cluster[0]], ends[cluster[-1]], items=tuple(items),
                     page=self.page(starts[cluster[0]]))
