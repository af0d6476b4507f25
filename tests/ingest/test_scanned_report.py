"""A scanned copy of a Chromium-printed report (pages rasterised at 150 dpi, each turned 1–2° and blurred, no text
layer) is read by OCR: columns in reading order, running header and footer kept out, facts answered from the right
page. The ordering of OCR'd lines is also pinned on synthetic boxes (fast, no OCR)."""

from __future__ import annotations

import math
from pathlib import Path

import pypdf
import pytest

import printed_pdf
from ingest.chunking import split_into_chunks
from ingest.document import PageLine
from ingest.loaders import load_document
from ingest.ocr_layout import order_lines, skew_degrees
from ingest.pipeline import run_ingest
from ingest.structure import read_structure
from rag.engine import Engine
from rag.errors import CorruptDocumentError

REPORT = printed_pdf.sample_report(12)


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> Path:
    return printed_pdf.print_pdf(tmp_path_factory.mktemp("printed") / "海上风电运维机器人.pdf", REPORT)


@pytest.fixture(scope="module")
def scanned(printed, tmp_path_factory) -> Path:
    return printed_pdf.scan_pdf(printed, tmp_path_factory.mktemp("scanned") / "海上风电运维机器人-扫描.pdf")


@pytest.fixture(scope="module")
def document(scanned):
    return load_document(scanned)


def test_the_scanned_copy_has_the_printed_pages_and_no_text_layer(printed, scanned):
    pages = pypdf.PdfReader(scanned).pages
    assert len(pages) == len(pypdf.PdfReader(printed).pages) >= 3  # the running header repeats on 3+ pages
    assert all(not (page.extract_text() or "").strip() for page in pages)
    with pytest.raises(CorruptDocumentError, match="no text layer, OCR off"):
        load_document(scanned, ocr=False)


def test_ocr_reads_the_two_columns_of_a_turned_scan_column_by_column(document):
    text = _squash(document.text)
    # The first paragraph wraps over five lines of the left column, beside the table in the right column.
    assert _squash(printed_pdf.CROSSING) in text
    # Each paragraph's opening, looked for after the one before it: the report's own order, column 1 then column 2,
    # page after page (a few openings may be misread).
    paragraphs = [_squash(p) for _, body in REPORT.sections for p in body]
    cursor, missed = 0, []
    for paragraph in paragraphs:
        at = text.find(paragraph[:12], cursor)
        if at < 0:
            missed.append(paragraph)
        else:
            cursor = at + 12
    assert len(missed) <= 0.1 * len(paragraphs), missed
    for row in printed_pdf.SAMPLE_TABLE.rows:  # a table row's cells, read apart, come out as one line
        assert " ".join(row) in document.text


def test_the_running_header_and_footer_of_the_scan_are_in_no_chunk(document):
    assert "海风智库" not in document.text
    chunks = split_into_chunks(document, 400, 80, read_structure(document))
    assert chunks
    for span in chunks:
        assert "海风智库" not in document.text[span.start : span.end]
    assert document.title == REPORT.title


@pytest.mark.slow
def test_a_question_over_the_scan_is_answered_citing_the_page_the_fact_is_on(printed, scanned, make_settings,
                                                                             tmp_path):
    n = 5  # the one section on 拉美's 水下基础监测, past the first page
    fact = REPORT.sections[n][1][1].split("；")[0]  # "水下基础监测作业在拉美的单次平均时长约为8小时，…"
    truth = [n for n, page in enumerate(pypdf.PdfReader(printed).pages, start=1)
             if _squash(fact)[:20] in _squash(page.extract_text() or "")]
    assert truth and truth[0] > 1
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / scanned.name).write_bytes(scanned.read_bytes())
    settings = make_settings(corpus_dir=corpus)
    assert run_ingest(settings).ok
    answer = Engine.from_settings(settings).ask("水下基础监测作业在拉美的单次平均时长约为多少小时？")
    assert not answer.refused and answer.citations
    cited = answer.citations[0]
    assert f"约为{n + 3}小时" in cited.quote
    assert cited.boxes and {box.page for box in cited.boxes} == {truth[0]}


# ----- ordering on synthetic boxes (no OCR) -----

def _turned(box, degrees: float, centre=(298.0, 421.0)):
    """The quadrilateral of an upright ``box`` after the page is turned by ``degrees`` about ``centre``."""
    a = math.radians(degrees)
    x0, y0, x1, y1 = box
    out = []
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
        dx, dy = x - centre[0], y - centre[1]
        out.append((centre[0] + dx * math.cos(a) - dy * math.sin(a), centre[1] + dx * math.sin(a) + dy * math.cos(a)))
    return out


def _two_column_page(degrees: float):
    """A running header, 30 lines in each of two columns 34 points apart, a footer; turned by ``degrees``."""
    boxes = [("header", (46, 30, 300, 40))]
    for row in range(30):
        top = 80 + row * 16.3
        boxes.append((f"L{row:02d}", (46, top, 280, top + 10.5)))
        boxes.append((f"R{row:02d}", (314, top, 549, top + 10.5)))
    boxes.append(("footer", (46, 800, 200, 810)))
    quads = [_turned(box, degrees) for _, box in boxes]
    lines = []
    for (text, _), quad in zip(boxes, quads):
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        lines.append(PageLine(text, (min(xs), min(ys), max(xs), max(ys)), 0.99))
    return lines, quads


@pytest.mark.parametrize("degrees", [0.0, 1.0, -1.5, 2.0])
def test_ocr_lines_of_a_turned_two_column_page_are_ordered_column_by_column(degrees):
    lines, quads = _two_column_page(degrees)
    assert skew_degrees(quads) == pytest.approx(degrees, abs=0.05)
    ordered = [line.text for line in order_lines(lines, quads, 596, 842)]
    expected = ["header", *(f"L{r:02d}" for r in range(30)), *(f"R{r:02d}" for r in range(30)), "footer"]
    assert ordered == expected
    # The boxes kept are those drawn on the turned page, for highlighting a quote where it is.
    assert {line.box for line in order_lines(lines, quads, 596, 842)} == {line.box for line in lines}


def test_pieces_ocr_read_apart_on_one_line_become_one_line_with_their_union_box():
    boxes = [("地区", (314, 100, 340, 110)), ("2026年", (380, 100, 420, 110)), ("2030年", (460, 100, 500, 110)),
             ("欧洲", (314, 120, 340, 130)), ("1,250", (380, 120, 410, 130)), ("3,420", (460, 120, 490, 130))]
    quads = [_turned(box, 0.0) for _, box in boxes]
    lines = [PageLine(text, box, 0.9 + i / 100) for i, (text, box) in enumerate(boxes)]
    ordered = order_lines(lines, quads, 596, 842)
    assert [line.text for line in ordered] == ["地区 2026年 2030年", "欧洲 1,250 3,420"]
    assert ordered[0].box == (314, 100, 500, 110) and ordered[0].score == pytest.approx(0.9)
