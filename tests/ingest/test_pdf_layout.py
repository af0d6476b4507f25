"""Text PDFs read by their layout (pdfplumber): columns in reading order, tables as rows under their header, every
line with its box, damaged files still read by pypdf or named with their reason.

The report is printed from HTML by headless Chromium (``tests/printed_pdf.py``): two columns, a running header and
footer on every page, a ruled table with a caption, a chart image with a caption."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import filemakers
import printed_pdf
from ingest.chunking import split_into_chunks
from ingest.loaders import load_document
from ingest.loaders import pdf as pdf_loader
from ingest.structure import read_structure
from rag.errors import CorruptDocumentError

REPORT = printed_pdf.sample_report(16)


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> Path:
    return printed_pdf.print_pdf(tmp_path_factory.mktemp("printed") / "海上风电运维机器人.pdf", REPORT)


@pytest.fixture(scope="module")
def document(printed):
    return load_document(printed, ocr=False)


def test_a_chromium_printed_report_runs_over_several_pages_in_two_columns(printed):
    reader = PdfReader(printed)
    assert len(reader.pages) >= 3  # enough pages for the running header and footer to repeat


def test_two_columns_are_read_column_by_column_with_wrapped_sentences_intact(document):
    text = _squash(document.text)
    assert _squash(printed_pdf.CROSSING) in text  # wrapped over five lines of column 1, joined again
    paragraphs = [_squash(p) for _, body in REPORT.sections for p in body]
    positions = [text.find(p) for p in paragraphs]
    assert -1 not in positions, [p for p, at in zip(paragraphs, positions) if at < 0]
    # Column 1's paragraphs, then column 2's, page after page: the report's own order.
    assert positions == sorted(positions)


def test_the_running_header_and_footer_are_in_no_chunk(document):
    assert "海风智库" not in document.text
    for span in split_into_chunks(document, 400, 80, read_structure(document)):
        chunk = document.text[span.start : span.end]
        assert REPORT.header not in chunk and REPORT.footer not in chunk


def test_a_ruled_table_becomes_a_table_block_with_its_caption_header_and_rows(document):
    tables = [b for b in read_structure(document).blocks if b.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    assert table.header == tuple(printed_pdf.SAMPLE_TABLE.header)  # a header row with digits in it ("2026年")
    assert document.text[slice(*table.caption)] == printed_pdf.SAMPLE_TABLE.caption
    rows = [tuple(document.text[a:b] for a, b in cells) for cells in table.cells]
    assert rows == [tuple(row) for row in printed_pdf.SAMPLE_TABLE.rows]
    assert table.page == 1


def test_every_line_of_the_text_keeps_its_box_on_its_page(document):
    boxes = document.line_boxes
    assert boxes and [b.start for b in boxes] == sorted(b.start for b in boxes)
    width, height = document.page_sizes[1]
    assert (round(width), round(height)) == (596, 843)  # A4 in points
    crossing = document.text.index(printed_pdf.CROSSING[:12])
    first = next(b for b in boxes if b.start <= crossing < b.end)
    assert first.page == 1 and document.text[first.start : first.end] == printed_pdf.CROSSING[: first.end - first.start]
    x0, top, x1, bottom = first.box
    assert x0 < width / 2 < x1 + 60 and x1 < width / 2 + 10  # the left column
    assert 0 < top < bottom < height / 3
    row = next(b for b in boxes if document.text[b.start : b.end] == "中国 980 2,050 3,960")
    assert row.box[0] > width / 2  # the table stands in the right column
    for box in boxes:
        assert document.page_at(box.start) == box.page
        assert 0 <= box.box[0] < box.box[2] <= width and 0 <= box.box[1] < box.box[3] <= height


def test_a_file_pdfplumber_cannot_read_is_read_by_pypdf(tmp_path, monkeypatch):
    path = filemakers.make_cjk_pdf(tmp_path / "plain.pdf", ["第一页：算力租赁价格回落。", "第二页：存储价格上涨。"])

    def fail(data):
        raise ValueError("pdfminer choked")

    monkeypatch.setattr(pdf_loader, "read_layout", fail)
    doc = load_document(path, ocr=False)
    assert "算力租赁价格回落" in doc.text and [span.page for span in doc.pages] == [1, 2]
    assert doc.line_boxes == ()  # pypdf has no layout


def test_a_page_turned_ninety_degrees_is_still_read(tmp_path):
    path = filemakers.make_cjk_pdf(tmp_path / "rotated.pdf", ["第一页：市场规模达到八十亿元。", "第二页：转过来的一页。"])
    writer = PdfWriter(clone_from=path)
    writer.pages[1].rotate(90)
    writer.write(tmp_path / "turned.pdf")
    doc = load_document(tmp_path / "turned.pdf", ocr=False)
    assert "市场规模达到八十亿元" in doc.text and "转过来的一页" in _squash(doc.text)


def test_a_pdf_with_a_malformed_xref_table_is_read_or_named(tmp_path):
    path = filemakers.make_cjk_pdf(tmp_path / "good.pdf", ["交叉引用表损坏的文件仍然可读。"])
    data = path.read_bytes()
    xref = data.rindex(b"startxref")
    broken = tmp_path / "broken-xref.pdf"
    broken.write_bytes(data[:xref] + b"startxref\n999999\n%%EOF\n")
    try:
        doc = load_document(broken, ocr=False)
    except CorruptDocumentError as exc:
        assert str(broken) in str(exc)
    else:
        assert "交叉引用表损坏的文件仍然可读" in _squash(doc.text)


def test_a_truncated_pdf_is_named_with_its_reason(tmp_path):
    path = filemakers.make_corrupt_pdf(tmp_path / "truncated.pdf")
    with pytest.raises(CorruptDocumentError) as caught:
        load_document(path, ocr=False)
    assert str(path) in str(caught.value)
