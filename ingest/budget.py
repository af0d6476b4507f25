"""Budgets per document: how far one report may inflate, nest, run on and fan out before it is refused.

A small file can cost without bound: a DOCX that inflates to hundreds of MB, an HTML page nested 200,000 deep (the
HTML reader's cost grows with the square of the depth), a text file that means 64k texts to embed. Each budget is
an ``ingest`` setting; a document over one raises ``BudgetExceededError`` naming that setting, and the ingest goes on
with the other files. The checks here cost time linear in the input and memory bounded by a read chunk.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.errors import CorruptDocumentError
from rag.settings import IngestSettings

_READ_CHUNK = 1 << 16


class BudgetExceededError(CorruptDocumentError):
    """A document over one of its budgets; ``setting`` names the limit it hit (e.g. ``ingest.max_chars``)."""

    def __init__(self, path: Path | str, what: str, setting: str) -> None:
        self.path, self.what, self.setting = str(path), what, setting
        super().__init__(f"{path}: {what} ({setting})")

    def __reduce__(self):  # crosses the worker's pipe: rebuilt from its parts, not from the formatted message
        return type(self), (self.path, self.what, self.setting)


@dataclass(frozen=True)
class Budget:
    """The limits a loader and the chunker apply to one document (see ``IngestSettings`` for each)."""

    max_expanded_bytes: int
    max_nesting_depth: int
    max_chars: int
    max_texts_to_embed: int

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> Budget:
        return cls(ingest.max_expanded_bytes, ingest.max_nesting_depth, ingest.max_chars, ingest.max_texts_to_embed)


DEFAULT_BUDGET = Budget.from_settings(IngestSettings())


def check_zip_expansion(path: Path, data: bytes, limit: int) -> None:
    """Inflate every member of the archive ``data`` a chunk at a time, counting the bytes that come out.

    The sizes in a zip's directory are whatever its writer put there, so they are not trusted: the count is of
    what decompression produces, and it stops at the first chunk past ``limit``.

    Raises:
        BudgetExceededError: more than ``limit`` bytes come out.
        CorruptDocumentError: the archive cannot be read.
    """
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    while chunk := member.read(_READ_CHUNK):
                        total += len(chunk)
                        if total > limit:
                            break
                if total > limit:
                    break
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: a compression method zipfile lacks.
        raise CorruptDocumentError(f"{path}: a damaged zip archive ({type(exc).__name__}: {exc})") from exc
    if total > limit:
        raise BudgetExceededError(path, f"expands past {_mb(limit)} (a zip bomb?)", "ingest.max_expanded_bytes")


# A tag opening or closing, or the start of a comment; names as the HTML tokenizer reads them.
_TAG_START = re.compile(r"<(!--|/?[A-Za-z][^\s/>]*)")
# Elements that never hold others; a parser never nests anything under them.
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr basefont bgsound frame keygen".split()
)
# Elements whose content the HTML tokenizer reads as text up to their closing tag (``HTMLParser``'s CDATA
# elements): tags inside them open nothing.
_RAW_TEXT = frozenset(("script", "style"))


def html_nesting_depth(html: str, limit: int) -> int:
    """Deepest element nesting of ``html`` as a forgiving parser (Beautiful Soup's ``html.parser``) builds it,
    counted only up to ``limit + 1``: unclosed elements stay open, a closing tag closes everything opened after its
    element, a stray closing tag is ignored. One pass, time linear in the text.
    """
    lowered = html.lower()
    stack: list[str] = []
    open_counts: Counter[str] = Counter()
    deepest = pos = 0
    while (match := _TAG_START.search(lowered, pos)) is not None:
        token = match.group(1)
        if token == "!--":
            end = lowered.find("-->", match.end())
            if end < 0:
                break
            pos = end + 3
            continue
        close = lowered.find(">", match.end())
        if close < 0:
            break
        pos = close + 1
        if token.startswith("/"):
            name = token[1:]
            if open_counts[name]:  # pops every element opened after it, as the parser does
                while (popped := stack.pop()) != name:
                    open_counts[popped] -= 1
                open_counts[name] -= 1
            continue
        if token in _VOID or lowered[close - 1] == "/":  # an element with nothing under it
            deepest = max(deepest, len(stack) + 1)
            continue
        stack.append(token)
        open_counts[token] += 1
        deepest = max(deepest, len(stack))
        if deepest > limit:
            return deepest
        if token in _RAW_TEXT:
            end = lowered.find(f"</{token}", pos)
            pos = end if end >= 0 else len(lowered)
    return deepest


def check_html_depth(path: Path, html: str, limit: int) -> None:
    """Raises BudgetExceededError when ``html`` nests elements deeper than ``limit``."""
    if html_nesting_depth(html, limit) > limit:
        raise BudgetExceededError(path, f"nests HTML elements deeper than {limit:,}", "ingest.max_nesting_depth")


def markdown_nesting_depth(markdown: str) -> int:
    """Deepest nesting of a Markdown line, read from its indentation: a level every two columns (a nested list item
    needs two under "- "), a tab four columns. One pass, time linear in the text."""
    deepest = 0
    for line in markdown.splitlines():
        body = line.lstrip(" \t")
        if body:
            deepest = max(deepest, len(line[: len(line) - len(body)].expandtabs(4)) // 2)
    return deepest


def check_markdown_depth(path: Path, markdown: str, limit: int) -> None:
    """Raises BudgetExceededError when ``markdown`` nests lines deeper than ``limit`` (see
    ``markdown_nesting_depth``): the structure reader walks every level of every line's nesting."""
    if markdown_nesting_depth(markdown) > limit:
        raise BudgetExceededError(path, f"nests Markdown deeper than {limit:,} levels", "ingest.max_nesting_depth")


def check_chars(path: Path, n_chars: int, limit: int) -> None:
    """Raises BudgetExceededError when the cleaned text has more than ``limit`` characters."""
    if n_chars > limit:
        raise BudgetExceededError(path, f"has {n_chars:,} characters of text, over {limit:,}", "ingest.max_chars")


def check_texts_to_embed(path: Path, n_texts: int, limit: int) -> None:
    """Raises BudgetExceededError when chunks plus sentences to embed number more than ``limit``."""
    if n_texts > limit:
        raise BudgetExceededError(
            path, f"needs {n_texts:,} texts embedded, over {limit:,}", "ingest.max_texts_to_embed"
        )


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MB" if n_bytes >= 2**20 else f"{n_bytes / 2**10:,.0f} KB"
