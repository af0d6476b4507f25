"""Reading PDF pages that have no usable text layer: render with pypdfium2, recognise with rapidocr.

rapidocr ships PP-OCR Chinese/English detection, direction and recognition models inside its wheel and runs them with
onnxruntime, so OCR works offline. Both packages are imported on first use, and the models load once per
``PageOcr`` (``run_ingest`` makes one per ingest; they load only if a page needs them).

Which pages are OCR'd (see ``needs_ocr``): a page whose extracted text is empty, or mostly garbage: at least
``GARBAGE_SHARE`` of its non-space characters are U+FFFD replacement characters, private-use or unassigned code
points, or control characters. That is what a font without a usable ToUnicode map produces.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from functools import cache

from ingest.document import PageLine
from ingest.ocr_layout import order_lines

logger = logging.getLogger(__name__)
# OCR takes seconds per page: its one line per page is progress the user should see without --verbose.
logger.setLevel(logging.INFO)

# Share of garbage characters from which a page's text layer is not worth keeping.
GARBAGE_SHARE = 0.3
# Resolution pages are rendered at for recognition (PP-OCR reads 10-12 pt text reliably from about 150 dpi up).
RENDER_DPI = 200
# The text detector reads the page scaled down to this many pixels on its long side (recognition still crops the
# lines from the full 200-dpi page). Its memory grows with the pixels: at rapidocr's 2,000 an A4 page took the
# worker to about 1 GB; at 1,600 the printed-report scan peaked at 820 MB against 1,076 MB, with the same accuracy
# there (1.0000) and on the shipped reports' scans (0.9922 against 0.9905); at 1,280 accuracy fell to 0.9779.
DETECT_MAX_SIDE = 1600
# Fewer letters, digits or ideographs than this on a page is not legible text (a chart's tick, a stray mark).
MIN_LEGIBLE_CHARS = 3
_GARBAGE_CATEGORIES = {"Co", "Cn", "Cc", "Cs"}


class OcrError(RuntimeError):
    """A page could not be rendered or recognised (the message says why)."""


def garbage_share(text: str) -> float:
    """Share of the non-space characters of ``text`` that are replacement, private-use, unassigned or controls."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return 0.0
    bad = sum(1 for ch in chars if ch == "\ufffd" or unicodedata.category(ch) in _GARBAGE_CATEGORIES)
    return bad / len(chars)


def needs_ocr(text: str) -> bool:
    """True when a page's extracted text is empty or mostly garbage (see the module docstring)."""
    return not text.strip() or garbage_share(text) >= GARBAGE_SHARE


def is_legible(lines: list[PageLine]) -> bool:
    """Enough letters, digits or ideographs to call what OCR read text."""
    return sum(ch.isalnum() for line in lines for ch in line.text) >= MIN_LEGIBLE_CHARS


class PageOcr:
    """Renders PDF pages and reads them with rapidocr; the models load on first use and are kept."""

    def __init__(self, dpi: int = RENDER_DPI) -> None:
        self.dpi = dpi
        self._engine = None

    def _load(self):
        if self._engine is None:
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:  # pragma: no cover - a dependency of the project
                raise OcrError("OCR needs the rapidocr package (pip install rapidocr)") from exc
            started = time.perf_counter()
            self._engine = RapidOCR(params={"Global.log_level": "warning", "Global.max_side_len": DETECT_MAX_SIDE})
            logger.debug("OCR models loaded in %.1f s", time.perf_counter() - started)
        return self._engine

    def read_pages(self, data: bytes, numbers: list[int], label: str) -> dict[int, list[PageLine] | OcrError | None]:
        """OCR the 1-based pages ``numbers`` of the PDF in ``data``.

        Each page maps to the lines read on it (empty when nothing legible), its error, or None when nothing at all
        is drawn on it (a blank page is not OCR'd).

        Raises:
            OcrError: the file cannot be opened for rendering.
        """
        try:
            import pypdfium2 as pdfium

            document = pdfium.PdfDocument(data, password="")
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise OcrError("OCR needs the pypdfium2 package (pip install pypdfium2)") from exc
        except Exception as exc:  # pdfium raises PdfiumError for a file it cannot open
            raise OcrError(f"pdfium cannot open the file ({exc})") from exc
        results: dict[int, list[PageLine] | OcrError | None] = {}
        try:
            for done, number in enumerate(numbers, start=1):
                started = time.perf_counter()
                page = document[number - 1]
                try:
                    if not any(True for _ in page.get_objects()):
                        results[number] = None
                        continue
                    results[number] = self.read_page(page)
                except OcrError as exc:
                    results[number] = exc
                finally:
                    page.close()
                found = results[number]
                what = f"{len(found)} lines" if isinstance(found, list) else f"failed: {found}"
                logger.info("OCR %s: page %d (%d/%d) %s, %.1f s", label, number, done, len(numbers), what,
                            time.perf_counter() - started)
        finally:
            document.close()
        return results

    def read_page(self, page) -> list[PageLine]:
        """The lines of one pypdfium2 page in reading order (``ingest.ocr_layout``), with boxes in PDF points."""
        scale = self.dpi / 72
        try:
            image = page.render(scale=scale).to_pil().convert("RGB")
        except Exception as exc:  # pdfium's errors on a damaged page
            raise OcrError(f"page cannot be rendered ({exc})") from exc
        try:
            output = self._load()(image)
        except OcrError:
            raise
        except Exception as exc:  # onnxruntime and OpenCV errors on a strange image
            raise OcrError(f"OCR failed ({type(exc).__name__}: {exc})") from exc
        if not getattr(output, "txts", None):
            return []
        lines, quads = [], []
        for text, quad, score in zip(output.txts, output.boxes, output.scores):
            if not any(ch.isalnum() for ch in text):
                continue  # a rule, a bullet or a chart mark read as "_" or "■"
            points = [(float(p[0]) / scale, float(p[1]) / scale) for p in quad]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            lines.append(PageLine(text.strip(), (min(xs), min(ys), max(xs), max(ys)), float(score)))
            quads.append(points)
        return order_lines(lines, quads, image.width / scale, image.height / scale)


@cache
def shared_page_ocr() -> PageOcr:
    """One reader for the process, for callers that load a single document outside an ingest (upload checks)."""
    return PageOcr()
