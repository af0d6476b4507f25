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

Here: ``read_structure``, which hands a document to its reader. The readers are ``ingest.markup_reader`` and
``ingest.layout_reader``; what both share is in ``ingest.block_assembly`` (lines, heading paths, the finished
structure); what one line is, on its own, in ``ingest.line_kinds``; ordinals in ``ingest.ordinals``; the document's
title in ``ingest.titles``.
"""

from __future__ import annotations

from ingest.document import LoadedDocument
from ingest.layout_reader import LayoutReader
from ingest.markup_reader import MarkupReader
from rag.text.document_structure import DocumentStructure

__all__ = ["read_structure"]


def read_structure(document: LoadedDocument) -> DocumentStructure:
    """The typed blocks of ``document`` with exact offsets into ``document.text``."""
    if document.kind in ("markdown", "docx", "html"):
        blocks = MarkupReader(document).read()
    else:
        blocks = LayoutReader(document).read()
    return DocumentStructure(title=document.title, blocks=tuple(blocks), text=document.text)
