"""Cleaning that every loader shares: whitespace, invisible characters, front matter, PDF page furniture."""

from __future__ import annotations

import re
from collections import Counter

import yaml

from ingest.normalise import normalise_chars

_SPACES_RE = re.compile(r"[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_FRONT_MATTER_RE = re.compile(r"\A\s*---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|第\s*\d{1,4}\s*页(?:\s*[/／共]\s*\d{1,4}\s*页?)?|page\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?"
    r"|\d{1,4}\s*/\s*\d{1,4})$",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"\d+")
_SENTENCE_END = "。！？；：:!?;….”」』"
_LIST_OR_HEADING_RE = re.compile(r"^(?:[-*•·●○■□◆◇▪]\s|\d{1,2}[.、)）]\s?|[（(]?[一二三四五六七八九十]+[、)）.]|第[一二三四五六七八九十\d]+[章节部分篇]|#)")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def clean_text(text: str) -> str:
    """Normalise line breaks, whitespace and characters (``ingest.normalise``), keeping the line structure."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = normalise_chars(text)
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def split_front_matter(text: str) -> tuple[str, dict]:
    """Remove a leading YAML front matter block; return the body and the parsed fields (empty if none or invalid)."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return text, {}
    try:
        fields = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        fields = None
    if not isinstance(fields, dict):
        # Not YAML after all (a Markdown horizontal rule at the top): leave the text alone.
        if fields is None and ":" in match.group(1):
            return text[match.end():], {}
        return text, {}
    return text[match.end():], fields


def is_page_number(line: str) -> bool:
    """A line that is only a page number ("12", "- 12 -", "第 12 页", "Page 12 of 40", "12/40")."""
    return bool(_PAGE_NUMBER_RE.match(line.strip()))


def remove_page_furniture(pages: list[str]) -> list[str]:
    """Drop running headers, footers and page numbers from PDF pages.

    A line counts as furniture when it is a bare page number, or when it sits among the first or last two lines of
    a page and the same line (digits and spacing ignored) sits there on at least half of the pages (and on three or
    more).
    """
    split_pages = [[line.strip() for line in page.split("\n")] for page in pages]
    edge_counts: Counter[str] = Counter()
    for lines in split_pages:
        nonempty = [line for line in lines if line]
        edges = {_furniture_key(line) for line in nonempty[:2] + nonempty[-2:]}
        edge_counts.update(edges)
    threshold = max(3, (len(pages) + 1) // 2)
    repeated = {key for key, count in edge_counts.items() if count >= threshold}
    cleaned = []
    for lines in split_pages:
        nonempty_idx = [i for i, line in enumerate(lines) if line]
        edge_idx = set(nonempty_idx[:2] + nonempty_idx[-2:])
        kept = [
            line
            for i, line in enumerate(lines)
            if not (i in edge_idx and (_PAGE_NUMBER_RE.match(line) or _furniture_key(line) in repeated))
        ]
        cleaned.append("\n".join(kept))
    return cleaned


def _furniture_key(line: str) -> str:
    """What makes two edge lines the same running header: digits (page numbers, years) and spacing ignored, since
    OCR reads "行业简报2030" on one page and "行业简报 2030" on the next."""
    return _DIGITS_RE.sub("#", "".join(line.split()))


def rejoin_wrapped_lines(text: str) -> str:
    """Re-join lines that a PDF broke for layout, not for meaning.

    A line is joined to the next when it runs to (nearly) the full width of the page's text, does not end a
    sentence, and the next line does not start a list item or heading. Chinese joins without a space, English with
    one; ``infor-`` + ``mation`` loses its hyphen.
    """
    lines = [line.strip() for line in text.split("\n")]
    widths = sorted(_width(line) for line in lines if line)
    full_width = widths[int(len(widths) * 0.9)] if widths else 0
    out: list[str] = []
    previous_full = False
    for line in lines:
        if not line:
            out.append("")
            previous_full = False
            continue
        joinable = (
            out
            and out[-1]
            and previous_full
            and not out[-1].endswith(tuple(_SENTENCE_END))
            and not _LIST_OR_HEADING_RE.match(line)
        )
        previous_full = _width(line) >= 0.75 * full_width
        if joinable:
            prev = out[-1]
            if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and line[:1].islower():
                out[-1] = prev[:-1] + line
            elif _CJK.match(prev[-1]) or _CJK.match(line[0]):
                out[-1] = prev + line
            else:
                out[-1] = prev + " " + line
        else:
            out.append(line)
    return "\n".join(out)


def _width(line: str) -> int:
    """Display width: a Chinese character is about two Latin ones wide."""
    return sum(2 if _CJK.match(ch) else 1 for ch in line)
