"""HTML reports: scripts and styles dropped, headings kept as Markdown headings."""

from __future__ import annotations

from pathlib import Path

from ingest.clean import clean_text
from ingest.document import LoadedDocument
from ingest.encoding import decode_bytes
from ingest.loaders.text import first_heading
from rag.errors import CorruptDocumentError

_BLOCKS = ("p", "li", "tr", "div", "section", "article", "blockquote", "pre", "br", "dd", "dt", "caption")
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head")


def load_html(path: Path, data: bytes) -> LoadedDocument:
    """Visible text of an HTML page, one block per line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_bytes(data, path), "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for element in soup(_DROP):
        element.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.insert_before("\n\n" + "#" * level + " ")
            heading.insert_after("\n\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after(" | ")
    for block in soup.find_all(_BLOCKS):
        block.insert_after("\n")
    text = clean_text(soup.get_text())
    if not text:
        raise CorruptDocumentError(f"{path}: HTML page has no visible text")
    return LoadedDocument(path=path, title=page_title or first_heading(text) or path.stem, text=text, kind="html")
