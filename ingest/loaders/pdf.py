"""PDF reports, read one page at a time so every chunk knows its page."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from ingest.clean import clean_text, rejoin_wrapped_lines, remove_page_furniture
from ingest.document import LoadedDocument, PageSpan, StructureHints
from ingest.structure import is_junk_title, title_line
from rag.errors import CorruptDocumentError

logger = logging.getLogger(__name__)
_PAGE_SEPARATOR = "\n\n"


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    """Extract, de-furnish and re-join the text of every page.

    Raises:
        CorruptDocumentError: broken or truncated file, a password, or no text layer at all (scanned pages).
    """
    import pypdf
    from pypdf.errors import DependencyError, PdfReadError

    # pypdf logs every repair it attempts; the one-line reason in our error is what the user needs.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        # Many reports are encrypted only to restrict printing or copying: their user password is empty.
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptDocumentError(
                f"{path}: encrypted PDF that needs a password to open; skipped (remove the password and ingest it again)"
            )
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        title = _metadata_title(reader)
    except CorruptDocumentError:
        raise
    except DependencyError as exc:  # AES needs the cryptography package
        raise CorruptDocumentError(f"{path}: encrypted PDF that cannot be decrypted here ({exc})") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise CorruptDocumentError(f"{path}: corrupt PDF ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises many private types on damaged files; all mean the same to a user.
        if "crypt" in str(exc).lower():
            raise CorruptDocumentError(f"{path}: encrypted PDF that cannot be read ({exc})") from exc
        raise CorruptDocumentError(f"{path}: corrupt PDF ({type(exc).__name__}: {exc})") from exc
    if not raw_pages:
        raise CorruptDocumentError(f"{path}: PDF has no pages")
    pages = [clean_text(rejoin_wrapped_lines(page)) for page in remove_page_furniture([clean_text(p) for p in raw_pages])]
    if not any(pages):
        raise CorruptDocumentError(f"{path}: PDF has no text layer (scanned pages?); it needs OCR before ingesting")
    text_parts, spans, offset = [], [], 0
    for number, page_text in enumerate(pages, start=1):
        if not page_text:
            continue
        if text_parts:
            offset += len(_PAGE_SEPARATOR)
        spans.append(PageSpan(offset, offset + len(page_text), number))
        text_parts.append(page_text)
        offset += len(page_text)
    text = _PAGE_SEPARATOR.join(text_parts)
    # The metadata title, unless it names the tool or the file ("Microsoft Word - x.docx"); else the first page's
    # first title-like line; the file name only as a last resort.
    chosen = (title if not is_junk_title(title) else None) or title_line(text, pdf=True) or path.stem
    return LoadedDocument(
        path=path, title=chosen, text=text, kind="pdf", pages=tuple(spans), hints=StructureHints(metadata_title=title)
    )


def _metadata_title(reader) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # a damaged info dictionary only costs us the title
        return None
    title = str(title).strip() if title else ""
    return title or None
