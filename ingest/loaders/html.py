"""HTML reports written out as Markdown from their DOM: scripts and styles dropped, headings as Markdown headings,
list items with their markers and nesting, tables as pipe tables."""

from __future__ import annotations

from pathlib import Path

from ingest.budget import DEFAULT_BUDGET, Budget, check_html_depth
from ingest.clean import clean_text
from ingest.document import LoadedDocument, StructureHints
from ingest.encoding import decode_bytes
from ingest.normalise import normalise_chars
from ingest.titles import markup_document_title
from rag.errors import CorruptDocumentError

_BLOCKS = ("p", "li", "tr", "div", "section", "article", "blockquote", "pre", "br", "dd", "dt", "caption")
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head")


def load_html(path: Path, data: bytes, budget: Budget = DEFAULT_BUDGET) -> LoadedDocument:
    """Visible text of an HTML page, one block per line.

    Raises:
        BudgetExceededError: the page nests elements deeper than ``budget.max_nesting_depth`` (checked in one
            linear pass before parsing, whose cost grows with the square of the depth).
    """
    from bs4 import BeautifulSoup

    html = decode_bytes(data, path)
    check_html_depth(path, html, budget.max_nesting_depth)
    soup = BeautifulSoup(html, "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for element in soup(_DROP):
        element.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.insert_before("\n\n" + "#" * level + " ")
            heading.insert_after("\n\n")
    _mark_tables(soup)
    _mark_lists(soup)
    for block in soup.find_all(_BLOCKS):
        # A paragraph inside a table cell must not break its row; a list item's line break comes before it.
        if block.name == "tr" or (block.name != "li" and block.find_parent(("td", "th")) is None):
            block.insert_after("\n")
    markup = soup.get_text()
    text = clean_text(markup)
    if not text:
        raise CorruptDocumentError(f"{path}: HTML page has no visible text")
    return LoadedDocument(
        path=path,
        title=markup_document_title(page_title, text, path.stem),
        text=text,
        kind="html",
        hints=StructureHints(markup=normalise_chars(markup), metadata_title=page_title or None),
    )


def _mark_tables(soup) -> None:
    """Each row becomes "| a | b |"; the first row of a table gets the rule a pipe table needs under its header."""
    for table in soup.find_all("table"):
        rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
        for index, row in enumerate(rows):
            cells = [cell for cell in row.find_all(("td", "th")) if cell.find_parent("tr") is row]
            if not cells:
                continue
            row.insert_before("\n" if index else "\n\n")
            row.insert(0, "| ")
            for cell in cells:
                for text in cell.find_all(string=True):
                    if "|" in text:
                        text.replace_with(text.replace("|", "｜"))
                cell.insert_after(" | ")
            if index == 0:  # the row's own line break goes between it and this rule
                row.insert_after("| " + " | ".join("---" for _ in cells) + " |")
        for caption in table.find_all("caption"):
            caption.insert_before("\n\n")
            caption.insert_after("\n\n")
        table.insert_after("\n\n")


def _mark_lists(soup) -> None:
    """Each list item starts a line with its marker ("- ", or "3. " in an ordered list), four spaces deeper per
    enclosing list (cleaning strips the indentation again; the structure reader reads it from the markup)."""
    for listing in soup.find_all(("ul", "ol")):
        depth = len(listing.find_parents("li"))
        start = listing.get("start")
        number = int(start) if listing.name == "ol" and isinstance(start, str) and start.isdigit() else 1
        for item in listing.find_all("li", recursive=False):
            item.insert_before("\n" + "    " * depth)
            item.insert(0, f"{number}. " if listing.name == "ol" else "- ")
            number += 1
        if depth == 0:
            listing.insert_before("\n\n")
            listing.insert_after("\n\n")
