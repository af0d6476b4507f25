"""Markdown and plain-text reports."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.clean import clean_text, rejoin_wrapped_lines, split_front_matter
from ingest.document import LoadedDocument
from ingest.encoding import decode_bytes

_HEADING_RE = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_EMPHASIS_RE = re.compile(r"[*_`]+")


def load_markdown(path: Path, data: bytes) -> LoadedDocument:
    """A Markdown report: front matter stripped (its ``title`` kept), headings left for the chunker."""
    body, fields = split_front_matter(decode_bytes(data, path).lstrip("\ufeff"))
    text = clean_text(body)
    title = str(fields.get("title") or "").strip() or first_heading(text) or path.stem
    return LoadedDocument(path=path, title=title, text=text, kind="markdown")


def load_plain_text(path: Path, data: bytes) -> LoadedDocument:
    """A plain-text report; its title is the file name (plain text has no reliable heading).

    Text exported from PDFs or slides is often hard-wrapped mid-sentence; such lines are re-joined as for PDFs.
    """
    text = clean_text(rejoin_wrapped_lines(clean_text(decode_bytes(data, path).lstrip("\ufeff"))))
    return LoadedDocument(path=path, title=path.stem, text=text, kind="text")


def first_heading(text: str) -> str | None:
    """The text of the first Markdown heading, without emphasis markers."""
    match = _HEADING_RE.search(text)
    if match is None:
        return None
    return _EMPHASIS_RE.sub("", match.group(1)).strip() or None
