"""Reading a report file of any supported type into a cleaned ``LoadedDocument``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.budget import DEFAULT_BUDGET, Budget, check_chars
from ingest.document import LoadedDocument
from ingest.loaders.docx import load_docx
from ingest.loaders.html import load_html
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import load_markdown, load_plain_text
from ingest.normalise import normalise_chars
from ingest.ocr import PageOcr, shared_page_ocr
from rag.errors import CorruptDocumentError, UnsupportedFileError

LOADERS: dict[str, Callable[[Path, bytes], LoadedDocument]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_plain_text,
    ".text": load_plain_text,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}
SUPPORTED_EXTENSIONS = tuple(LOADERS)


def load_document(
    path: Path, max_bytes: int | None = None, ocr: PageOcr | bool = True, budget: Budget = DEFAULT_BUDGET
) -> LoadedDocument:
    """Read and clean one report.

    ``ocr`` reads PDF pages that have no usable text layer: a ``PageOcr`` (``run_ingest`` makes one per ingest, so
    the models load once), True for one shared by the process, False to refuse such pages.

    Raises:
        UnsupportedFileError: the extension is not one ReportQA reads.
        BudgetExceededError: the document is over one of ``budget``'s limits (the message names the setting).
        CorruptDocumentError: the file is unreadable, empty, too large, or not what its name says.
    """
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    try:
        check_size(path, max_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptDocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if loader is load_pdf:
        reader = shared_page_ocr() if ocr is True else ocr or None
        document = load_pdf(path, data, reader)
    elif loader in (load_docx, load_html, load_markdown):
        document = loader(path, data, budget)
    else:
        document = loader(path, data)
    if not document.text.strip():
        raise CorruptDocumentError(f"{path}: no text after cleaning")
    check_chars(path, len(document.text), budget.max_chars)
    # A title from file metadata (PDF /Title, <title>, front matter) has not been through clean_text.
    return replace(document, title=normalise_chars(document.title).strip() or path.stem)


def check_size(path: Path, max_bytes: int | None) -> None:
    """Refuse a file over ``max_bytes`` by its size on disk, before anything reads it.

    Raises:
        CorruptDocumentError: it is over the limit.
        OSError: it cannot be examined.
    """
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise CorruptDocumentError(f"{path}: {_human_size(size)} is over the {_human_size(max_bytes)} limit")


def _human_size(n_bytes: int) -> str:
    # Megabytes alone print a 2 KB file over a 1 KB limit as "0.0 MB is over the 0 MB limit".
    if n_bytes >= 2**20:
        return f"{n_bytes / 2**20:.1f} MB"
    return f"{n_bytes / 2**10:.1f} KB"
