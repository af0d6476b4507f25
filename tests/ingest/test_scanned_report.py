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


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scan")


@pytest.fixture(scope="module")
def printed(folder) -> Path:
    return printed_pdf.print_pdf(folder / "printed.pdf", REPORT)


@pytest.fixture(scope="module")
def scanned(printed, folder) -> Path:
    """The scan, alone in a corpus folder."""
    return printed_pdf.scan_pdf(printed, folder / "corpus" / "海上风电运维机器人-扫描.pdf")


@pytest.fixture(scope="module")
def document(scanned):
    return load_document(scanned)


def _squash(text: str) -> str:
    return "".join(text.split())


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


def test_the_table_of_the_scan_becomes_a_table_block_with_its_caption_header_and_rows(document):
    tables = [block for block in read_structure(document).blocks if block.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    assert table.header == tuple(printed_pdf.SAMPLE_TABLE.header)  # words over numbers: OCR has no fonts
    assert _squash(document.text[slice(*table.caption)]) == _squash(printed_pdf.SAMPLE_TABLE.caption)
    rows = [tuple(document.text[a:b] for a, b in cells) for cells in table.cells]
    assert rows == [tuple(row) for row in printed_pdf.SAMPLE_TABLE.rows]


def test_the_running_header_and_footer_of_the_scan_are_in_no_chunk(document):
    assert "海风智库" not in document.text
    chunks = split_into_chunks(document, 400, 80, read_structure(document))
    assert chunks
    for span in chunks:
        assert "海风智库" not in document.text[span.start : span.end]
    assert document.title == REPORT.title


@pytest.mark.slow
def test_a_question_over_the_scan_is_answered_citing_the_page_the_fact_is_on(printed, scanned, make_settings):
    n = 5  # the one section on 拉美's 水下基础监测, past the first page
    fact = REPORT.sections[n][1][1].split("；")[0]  # "水下基础监测作业在拉美的单次平均时长约为8小时，…"
    truth = [n for n, page in enumerate(pypdf.PdfReader(printed).pages, start=1)
             if _squash(fact)[:20] in _squash(page.extract_text() or "")]
    assert truth and truth[0] > 1
    settings = make_settings(corpus_dir=scanned.parent)
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


@pytest.mark.parametrize("degrees", [0.0, 2.0])
def test_pieces_ocr_read_apart_on_one_line_of_a_turned_page_become_one_line_with_their_union_box(degrees):
    """A row across the page turned 2° drops 17 points from end to end: read upright, its pieces stay together."""
    text = ("A field note on spare parts: operators report that robots cut crane hire and the waiting time for "
            "parts, while insurers still ask for a pilot on standby.")
    rows = [[("Region", 46), ("2026", 250), ("2030", 480)], [("Europe", 46), ("1,250", 250), ("3,420", 480)]]
    boxes = [("intro", (46, 80, 549, 91))] + [(cell, (x, 100 + 16 * r, x + 60, 111 + 16 * r))
                                              for r, row in enumerate(rows) for cell, x in row]
    boxes += [(f"{text} {n}", (46, 140 + 16 * n, 549, 151 + 16 * n)) for n in range(4)]
    quads = [_turned(box, degrees) for _, box in boxes]
    lines = []
    for i, ((label, _), quad) in enumerate(zip(boxes, quads)):
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        lines.append(PageLine(label, (min(xs), min(ys), max(xs), max(ys)), 0.9 + i / 100))
    ordered = order_lines(lines, quads, 596, 842)
    assert [line.text for line in ordered][1:3] == ["Region 2026 2030", "Europe 1,250 3,420"]
    members = [line.box for line in lines[1:4]]
    assert ordered[1].box == (min(b[0] for b in members), min(b[1] for b in members),
                              max(b[2] for b in members), max(b[3] for b in members))
    assert ordered[1].score == pytest.approx(0.91)
