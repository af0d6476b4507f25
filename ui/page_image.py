"""A cited PDF page as an image beside the source viewer's text, with the quote's boxes highlighted.

The card carries the page's frame and the highlights (boxes as percentages of the page, so they sit right at any
size); the image itself is fetched when the card is opened, through the page's named endpoint ``/page_image``
(Gradio's own routes, behind the page's password and guard), which renders the page with pypdfium2. Only a PDF
that is a document of the index and lies inside the corpus folder or the uploads folder is ever opened.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from pathlib import Path

from rag.errors import ReportQAError
from rag.models import Citation, PageBox
from ui.markup import esc

# Rendering scale: 1.5 × 72 dpi reads well in a card and keeps a page's PNG around 100-200 KB.
SCALE = 1.5
MAX_PIXELS = 2400  # longest side, whatever the page size


def page_figure_html(citation: Citation, turn: int = 0) -> str:
    """The page of the citation's first box, its boxes on that page highlighted ("" for a quote with no boxes).

    The element id names the document and page (the chat's sanitizer keeps ids, not data attributes):
    ``rq-page-<turn>-<n>-<doc id>-<page>``.
    """
    if not citation.boxes:
        return ""
    page = citation.boxes[0].page
    boxes = [box for box in citation.boxes if box.page == page]
    first = boxes[0]
    marks = "".join(_highlight(box) for box in boxes)
    ratio = f"{first.page_width:.1f} / {first.page_height:.1f}"
    return (
        f'<div class="rq-page" id="rq-page-{turn}-{citation.n}-{esc(citation.chunk.doc_id)}-{page}">'
        f'<div class="rq-page-head">p. {page} · 第{page}页</div>'
        f'<div class="rq-page-sheet" style="aspect-ratio: {ratio}">'
        f'<img class="rq-page-img" alt="page {page} · 第{page}页">{marks}</div></div>'
    )


def _highlight(box: PageBox) -> str:
    left, top = 100 * box.x0 / box.page_width, 100 * box.top / box.page_height
    width = 100 * max(box.x1 - box.x0, 1.0) / box.page_width
    height = 100 * max(box.bottom - box.top, 1.0) / box.page_height
    return (f'<span class="rq-page-mark" style="left:{left:.2f}%;top:{top:.2f}%;width:{width:.2f}%;'
            f'height:{height:.2f}%"></span>')


def render_page_png(path: Path, page: int, scale: float = SCALE) -> bytes:
    """Page ``page`` (1-based) of the PDF at ``path`` as a PNG.

    Raises:
        ReportQAError: the file cannot be opened or has no such page.
    """
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise ReportQAError(f"{path.name}: cannot open the PDF to show its page ({exc})") from exc
    try:
        if not 1 <= page <= len(document):
            raise ReportQAError(f"{path.name} has no page {page}")
        pdf_page = document[page - 1]
        width, height = pdf_page.get_size()
        scale = min(scale, MAX_PIXELS / max(width, height, 1.0))
        image = pdf_page.render(scale=scale).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, "PNG", optimize=False)
        pdf_page.close()
        return buffer.getvalue()
    finally:
        document.close()


def page_data_uri(path: Path, page: int) -> str:
    return "data:image/png;base64," + base64.b64encode(render_page_png(path, page)).decode("ascii")


def shown_file(record_path: str, folders: Sequence[Path]) -> Path:
    """The PDF a document record names, when it lies (after resolving links) inside one of ``folders``.

    Raises:
        ReportQAError: it lies elsewhere, or is not there any more.
    """
    resolved = Path(os.path.realpath(record_path))
    inside = any(resolved.is_relative_to(Path(os.path.realpath(folder))) for folder in folders)
    if not inside:
        raise ReportQAError("the report's file is outside the corpus and uploads folders; its page is not shown")
    if resolved.suffix.lower() != ".pdf" or not resolved.is_file():
        raise ReportQAError(f"{resolved.name}: the report's file is gone; ingest again to show its pages")
    return resolved
