"""PDF reports, read one page at a time so every chunk knows its page and every line its box; pages without a
usable text layer by OCR. The page layout (columns, tables) is ``ingest.loaders.pdf_layout``'s."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from ingest.clean import clean_text, is_page_number, rejoin_wrapped_lines, remove_page_furniture
from ingest.document import LineBox, LoadedDocument, PageLine, PageSpan, StructureHints
from ingest.loaders.pdf_layout import LayoutLine, PageLayout, read_layout
from ingest.loaders.pdf_lines import TableRow, line_boxes, marked_row, row_text, unmark, unmarked
from ingest.ocr import OcrError, PageOcr, is_legible, needs_ocr
from ingest.titles import is_junk_title, title_line
from rag.errors import CorruptDocumentError

logger = logging.getLogger(__name__)
_PAGE_SEPARATOR = "\n\n"


def load_pdf(path: Path, data: bytes, ocr: PageOcr | None = None) -> LoadedDocument:
    """Read every page's layout (pdfplumber; pypdf when pdfplumber cannot read the file), de-furnish and re-join
    the text; OCR the pages that have none (when ``ocr`` is given). Tables become rows with cells and a header
    (``StructureHints``); every line keeps its box on its page (``LoadedDocument.line_boxes``).

    Raises:
        CorruptDocumentError: broken or truncated file, a password, or no readable text on any page (the reason
            says what was found: "12 pages, no text layer, OCR off").
    """
    layouts, title = _read_pages(path, data)
    if not layouts:
        raise CorruptDocumentError(f"{path}: PDF has no pages")
    rows: list[TableRow] = []
    raw_pages = [clean_text(_page_text(layout, rows)) for layout in layouts]
    scan = _read_scanned_pages(path, data, raw_pages, ocr, rows)
    pages = [clean_text(rejoin_wrapped_lines(page)) for page in remove_page_furniture(scan.pages)]
    if not any(pages) and any(scan.pages):
        # Every line repeats on every page (a deck of one-line slides): furniture detection would leave nothing.
        pages = [clean_text(rejoin_wrapped_lines(page)) for page in scan.pages]
    if not any(pages):
        raise CorruptDocumentError(f"{path}: {scan.refusal(len(raw_pages))}")
    text, spans, hints, boxes = _assemble(pages, layouts, scan, rows)
    # The metadata title, unless it names the tool or the file ("Microsoft Word - x.docx"); else the first page's
    # first title-like line; the file name only as a last resort.
    chosen = (title if not is_junk_title(title) else None) or title_line(text, pdf=True) or path.stem
    return LoadedDocument(
        path=path, title=chosen, text=text, kind="pdf", pages=tuple(spans),
        hints=StructureHints(metadata_title=title, cells=hints[0], header_rows=frozenset(hints[1])),
        page_lines=scan.lines, warnings=tuple(scan.warnings()), line_boxes=tuple(boxes),
        page_sizes={layout.number: (layout.width, layout.height) for layout in layouts},
    )


def _page_text(layout: PageLayout, rows: list[TableRow]) -> str:
    """A page's raw text, its table rows marked (``ingest.loaders.pdf_lines``) and appended to ``rows``.

    A table stands apart as a Markdown table does: a blank line before its caption (the line just above it, when
    close), one between caption and header row, one after its last row. Answering reads a row in the context of
    its block's first line (the header) and of the one-line paragraph above the block (the caption).
    """
    lines: list[str] = []
    previous = None
    for line in layout.lines:
        if line.cells is None:
            if previous is not None and previous.cells is not None:
                lines.append("")
            lines.append(line.text)
        else:
            if line.header or previous is None or previous.cells is None:
                if _caption_above(previous, line):
                    lines.insert(len(lines) - 1, "")
                lines.append("")
            cells = tuple(clean_text(cell) for cell in line.cells)
            lines.append(marked_row(len(rows), cells))
            rows.append(TableRow(cells, line.header))
        previous = line
    return "\n".join(lines)


def _caption_above(line: LayoutLine | None, first_row: LayoutLine) -> bool:
    """Whether ``line`` is the table's caption: a plain line right above its first row (within two line heights)."""
    if line is None or line.cells is not None or line.box is None or first_row.box is None:
        return False
    height = line.box[3] - line.box[1]
    return 0 <= first_row.box[1] - line.box[3] <= 2 * max(height, 1.0)


def _assemble(pages: list[str], layouts: list[PageLayout], scan: _Scan, rows: list[TableRow]):
    """The document text (pages joined), its page spans, the table hints (line → cells, header lines) and the
    line boxes."""
    text_parts: list[str] = []
    spans: list[PageSpan] = []
    cells: dict[int, tuple[str, ...]] = {}
    headers: set[int] = set()
    boxes: list[LineBox] = []
    offset = line_number = 0  # where the page starts: characters, lines
    for number, page_text in enumerate(pages, start=1):
        if not page_text:
            continue
        if text_parts:
            offset += len(_PAGE_SEPARATOR)
            line_number += _PAGE_SEPARATOR.count("\n")
        plain, marked = unmark(page_text)
        for line, index in marked:
            cells[line_number + line] = rows[index].cells
            if rows[index].header:
                headers.add(line_number + line)
        if number in scan.lines:
            source = [(line.text, line.box) for line in scan.lines[number]]
        else:
            source = [(row_text(line.cells) if line.cells is not None else line.text, line.box)
                      for line in layouts[number - 1].lines if line.box is not None]
        boxes += line_boxes(plain, offset, number, source)
        spans.append(PageSpan(offset, offset + len(plain), number))
        text_parts.append(plain)
        offset += len(plain)
        line_number += plain.count("\n")
    return _PAGE_SEPARATOR.join(text_parts), spans, (cells, headers), boxes


def _read_pages(path: Path, data: bytes) -> tuple[list[PageLayout], str | None]:
    """Every page's layout by pdfplumber, or, when it cannot read the file, each page's text by pypdf (lines
    without boxes), whose errors name what is wrong with the file."""
    try:
        pages, title = read_layout(data)
        return list(pages), title
    except Exception as exc:  # pdfminer raises many private types on damaged files; pypdf says what is wrong
        logger.info("%s: pdfplumber could not read it (%s: %s); reading it with pypdf", path.name,
                    type(exc).__name__, exc)
    texts, sizes, title = _extract(path, data)
    layouts = [PageLayout(n, w, h, [LayoutLine(line, None) for line in text.split("\n")])
               for n, (text, (w, h)) in enumerate(zip(texts, sizes), start=1)]
    return layouts, title


def _extract(path: Path, data: bytes) -> tuple[list[str], list[tuple[float, float]], str | None]:
    """Each page's text layer as pypdf extracts it, each page's size, and the metadata title."""
    import pypdf
    from pypdf.errors import DependencyError, PdfReadError

    # pypdf logs every repair it attempts; the one-line reason in our error is what the user needs.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        # Many reports are encrypted only to restrict printing or copying: their user password is empty.
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptDocumentError(
                f"{path}: encrypted PDF that needs a password to open; skipped "
                "(remove the password and ingest it again)"
            )
        texts, sizes = [], []
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            sizes.append((float(page.mediabox.width), float(page.mediabox.height)))
        return texts, sizes, _metadata_title(reader)
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


class _Scan:
    """The pages after OCR, and what OCR did: which pages it read, could not read, or was not allowed to read."""

    def __init__(self, pages: list[str], unreadable: list[int], garbage: list[int]) -> None:
        self.pages = pages
        self.unreadable = unreadable  # pages with no text layer (or a garbage one)
        self.garbage = garbage  # of those, the pages whose text layer was garbage
        self.lines: dict[int, tuple[PageLine, ...]] = {}
        self.ocr_on = False
        self.illegible: list[int] = []  # OCR ran and read nothing legible
        self.failed: dict[int, str] = {}  # OCR could not run on the page

    def warnings(self) -> list[str]:
        notes = [f"page {n}: OCR found no legible text" for n in self.illegible]
        notes += [f"page {n}: OCR failed ({reason})" for n, reason in self.failed.items()]
        if not self.ocr_on and self.unreadable:
            notes.append(f"{_pages(self.unreadable)}: no text layer, OCR off")
        return notes

    def refusal(self, n_pages: int) -> str:
        what = f"{n_pages} page{'s' if n_pages != 1 else ''}"
        layer = "text layer unreadable (garbage characters)" if self.garbage else "no text layer"
        if not self.ocr_on:
            return f"{what}, {layer}, OCR off; ingest with OCR on to read it"
        if self.failed and not self.illegible:
            return f"{what}, {layer}, and OCR failed ({next(iter(self.failed.values()))})"
        if not self.unreadable or not (self.illegible or self.failed):
            return f"{what}, nothing drawn on them and no text"
        return f"{what}, {layer}, and OCR found no legible text"


def _read_scanned_pages(path: Path, data: bytes, raw_pages: list[str], ocr: PageOcr | None,
                        rows: list[TableRow]) -> _Scan:
    """OCR every page without a usable text layer; a page OCR cannot read keeps what it had (nothing, or garbage).
    The rows of tables OCR found are marked and appended to ``rows``, as a text layer's are.

    A page whose text layer is only its page number counts as having none: scanning software often stamps one.
    """
    bodies = ["\n".join(line for line in unmarked(page).split("\n") if not is_page_number(line)) for page in raw_pages]
    unreadable = [n for n, body in enumerate(bodies, start=1) if needs_ocr(body)]
    scan = _Scan(list(raw_pages), unreadable, [n for n in unreadable if bodies[n - 1].strip()])
    if not unreadable or ocr is None:
        return scan
    scan.ocr_on = True
    try:
        results = ocr.read_pages(data, unreadable, path.name)
    except OcrError as exc:
        scan.failed = {n: str(exc) for n in unreadable}
        return scan
    for number, found in results.items():
        if found is None:
            continue  # nothing drawn on the page: a blank page, not a scan
        if isinstance(found, OcrError):
            scan.failed[number] = str(found)
        elif is_legible(found):
            lines = [LayoutLine(line.text, line.box, line.cells, line.header) for line in found]
            scan.pages[number - 1] = clean_text(_page_text(PageLayout(number, 0.0, 0.0, lines), rows))
            scan.lines[number] = tuple(found)
        else:
            scan.illegible.append(number)
    return scan


def _pages(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:10])
    return f"pages {shown}{', …' if len(numbers) > 10 else ''}"


def _metadata_title(reader) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # a damaged info dictionary only costs us the title
        return None
    title = str(title).strip() if title else ""
    return title or None
