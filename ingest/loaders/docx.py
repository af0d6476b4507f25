"""Word reports: headings become Markdown headings so the chunker keeps sections; tables become rows."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ingest.clean import clean_text
from ingest.document import LoadedDocument
from ingest.loaders.text import first_heading
from rag.errors import CorruptDocumentError

# A real report's XML is a few MB; hundreds of MB, or a huge compression ratio, is a zip bomb.
_MAX_UNCOMPRESSED = 200 * 1024 * 1024
_MAX_RATIO = 200


def load_docx(path: Path, data: bytes) -> LoadedDocument:
    """Read paragraphs and tables in document order.

    Raises:
        CorruptDocumentError: not a zip, not a Word document, or suspiciously compressed.
    """
    _check_zip(path, data)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors... for a broken package
        raise CorruptDocumentError(f"{path}: not a readable Word document ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            text = paragraph.text.strip()
            if text:
                level = _heading_level(paragraph.style.name if paragraph.style is not None else "")
                lines.append(f"{'#' * level} {text}" if level else text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells = [cell.text.strip().replace("\n", " ") for cell in row.cells]
                lines.append("| " + " | ".join(cells) + " |")
    text = clean_text("\n\n".join(lines))
    if not text:
        raise CorruptDocumentError(f"{path}: Word document has no text")
    core_title = (document.core_properties.title or "").strip()
    return LoadedDocument(path=path, title=core_title or first_heading(text) or path.stem, text=text, kind="docx")


def _heading_level(style_name: str) -> int:
    name = style_name.lower()
    if name == "title":
        return 1
    if name.startswith("heading "):
        digits = name.removeprefix("heading ").strip()
        return min(int(digits), 6) if digits.isdigit() else 0
    return 0


def _check_zip(path: Path, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise CorruptDocumentError(f"{path}: not a valid .docx (it is not a zip archive)") from exc
    total = sum(info.file_size for info in infos)
    if total > _MAX_UNCOMPRESSED or total > _MAX_RATIO * max(len(data), 1):
        raise CorruptDocumentError(
            f"{path}: refused: it would expand to {total / 2**20:.0f} MB from {len(data) / 2**20:.1f} MB (zip bomb?)"
        )
    if not any(info.filename == "word/document.xml" for info in infos):
        raise CorruptDocumentError(f"{path}: a zip archive but not a Word document (no word/document.xml)")
