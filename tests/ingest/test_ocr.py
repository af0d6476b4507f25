"""Scanned PDF pages (no text layer, or a garbage one) are read by OCR offline, with their pages and line boxes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import filemakers
from ingest.loaders import load_document
from ingest.ocr import garbage_share, needs_ocr
from ingest.pipeline import run_ingest
from rag.engine import Engine
from rag.errors import CorruptDocumentError

REPO = Path(__file__).resolve().parents[2]
PAGE_1 = ("智能客服市场报告\n2024年中国智能客服市场规模达到八十亿元，同比增长百分之二十三。\n"
          "Enterprise adoption of chatbots grew 23% in 2024, led by banks and telecom operators.")
PAGE_2 = "第二页：长期合作的客户续约率为百分之九十一，银行业客户占比最高。"
A4_POINTS = (595.3, 841.9)


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def scanned_pdf(tmp_path_factory) -> Path:
    """Two pages of Chinese and English text, drawn as images at 150 dpi, slightly rotated and blurred."""
    return filemakers.make_scanned_pdf(
        tmp_path_factory.mktemp("scan") / "扫描版报告.pdf", [PAGE_1, PAGE_2], rotate=0.5, blur=0.5
    )


@pytest.fixture(scope="module")
def scanned_doc(scanned_pdf):
    return load_document(scanned_pdf)


def test_a_scanned_pdf_is_read_by_ocr_page_by_page(scanned_doc):
    squashed = _squash(scanned_doc.text)
    assert _squash("2024年中国智能客服市场规模达到八十亿元，同比增长百分之二十三。") in squashed
    assert "Enterprise adoption of chatbots grew 23% in 2024" in scanned_doc.text
    assert _squash(PAGE_2) in squashed
    page_2 = scanned_doc.text.index("第二页")
    assert scanned_doc.page_at(page_2) == 2 and scanned_doc.page_at(0) == 1
    assert scanned_doc.title == "智能客服市场报告"


def test_ocr_keeps_the_box_of_every_line_on_its_page(scanned_doc):
    assert set(scanned_doc.page_lines) == {1, 2}
    lines = scanned_doc.page_lines[1]
    assert [line.text for line in lines][0] == "智能客服市场报告"
    tops = [line.box[1] for line in lines]
    assert tops == sorted(tops)  # top to bottom
    for line in lines:
        x0, y0, x1, y1 = line.box
        assert 0 <= x0 < x1 <= A4_POINTS[0] and 0 <= y0 < y1 <= A4_POINTS[1]
        assert 40 < x0 < 80  # the 0.8-inch left margin, in points


def test_the_text_ocr_read_keeps_the_box_of_its_line_for_showing_a_quote_on_its_page(scanned_doc):
    at = scanned_doc.text.index("第二页")
    box = next(b for b in scanned_doc.line_boxes if b.start <= at < b.end)
    assert box.page == 2 and 40 < box.box[0] < 80
    assert scanned_doc.text[box.start : box.end] in scanned_doc.text
    width, height = scanned_doc.page_sizes[2]
    assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2


def test_with_ocr_off_a_scanned_pdf_is_refused_saying_what_was_found(scanned_pdf):
    with pytest.raises(CorruptDocumentError) as caught:
        load_document(scanned_pdf, ocr=False)
    assert str(scanned_pdf) in str(caught.value)
    assert "2 pages, no text layer, OCR off" in str(caught.value)


def test_a_pdf_of_marks_without_text_is_refused_because_ocr_found_no_legible_text(tmp_path):
    path = filemakers.make_image_only_pdf(tmp_path / "chart-only.pdf")
    with pytest.raises(CorruptDocumentError, match="2 pages, no text layer, and OCR found no legible text"):
        load_document(path)


def test_a_scan_whose_text_layer_is_only_a_stamped_page_number_is_read_by_ocr(tmp_path):
    path = filemakers.make_scanned_pdf(tmp_path / "stamped.pdf", [PAGE_2], page_number_stamp=True)
    assert "第 1 页" in PdfReader(path).pages[0].extract_text()  # the stamp is the whole text layer
    assert _squash(PAGE_2) in _squash(load_document(path).text)


def test_a_page_whose_text_layer_is_garbage_is_read_by_ocr(tmp_path):
    text = "算力租赁价格在下半年回落了百分之十五。"
    garbage = {ch: chr(0xE000 + i) for i, ch in enumerate(dict.fromkeys(text))}  # a font without a real ToUnicode
    path = filemakers.make_radical_pdf(tmp_path / "no-tounicode.pdf", [text], garbage)
    doc = load_document(path)
    assert _squash(text) in _squash(doc.text)
    assert not any(0xE000 <= ord(ch) <= 0xF8FF for ch in doc.text)


def test_the_garbage_criterion_counts_replacement_private_use_and_unassigned_characters():
    assert garbage_share("正常的文字 normal text") == 0
    assert garbage_share("\ue001\ue002\ufffd正常") == pytest.approx(0.6)
    assert needs_ocr("") and needs_ocr("  \n ") and needs_ocr("\ue001\ue002\ue003 ab")
    assert not needs_ocr("一页正常的文字，偶尔有一个\ufffd字符。")


def test_a_page_ocr_cannot_read_is_named_in_the_ingest_summary_and_the_rest_is_ingested(tmp_path, make_settings):
    corpus = tmp_path / "corpus"
    text_pdf = filemakers.make_cjk_pdf(tmp_path / "text.pdf", ["第一页正文：云计算收入同比增长百分之二十。"])
    marks_pdf = filemakers.make_image_only_pdf(tmp_path / "marks.pdf", pages=1)
    writer = PdfWriter()
    for source in (text_pdf, marks_pdf):
        for page in PdfReader(source).pages:
            writer.add_page(page)
    corpus.mkdir()
    with (corpus / "mixed.pdf").open("wb") as fh:
        writer.write(fh)
    report = run_ingest(make_settings(corpus_dir=corpus))
    assert report.ok and [Path(s).name for s in report.added] == ["mixed.pdf"]
    assert [(Path(w.path).name, w.message) for w in report.warnings] == [
        ("mixed.pdf", "page 2: OCR found no legible text")
    ]
    assert report.to_dict()["warnings"][0]["message"] == "page 2: OCR found no legible text"


def test_repeated_one_line_pages_are_kept_not_refused_as_having_no_text_layer(tmp_path):
    """Bug: furniture detection removed every line of a deck of identical one-line pages, then said "needs OCR"."""
    path = filemakers.make_cjk_pdf(tmp_path / "slides.pdf", ["本页内容见附件"] * 4)
    doc = load_document(path, ocr=False)
    assert "本页内容见附件" in doc.text


@pytest.mark.slow
def test_a_question_finds_and_quotes_the_text_ocr_read_from_a_scan(scanned_pdf, scanned_doc, make_settings, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / scanned_pdf.name).write_bytes(scanned_pdf.read_bytes())
    settings = make_settings(corpus_dir=corpus)
    assert run_ingest(settings).ok
    answer = Engine.from_settings(settings).ask("客户续约率是多少？")
    assert not answer.refused
    cited = answer.citations[0]
    assert "百分之九十一" in cited.quote
    # The quote lies on page 2 (its chunk starts on page 1: a chunk carries the page it starts on).
    assert scanned_doc.text[cited.quote_start : cited.quote_end] == cited.quote
    assert scanned_doc.page_at(cited.quote_start) == 2


def test_ingest_no_ocr_flag_names_the_scanned_file_with_its_reason(scanned_pdf, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "scan.pdf").write_bytes(scanned_pdf.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ingest", str(corpus), "--no-ocr", "--json",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, encoding="utf-8", timeout=300, cwd=REPO, env=env,
    )
    assert result.returncode == 1, result.stderr
    failed = json.loads(result.stdout)["failed"]
    assert [(Path(f["path"]).name, f["reason"]) for f in failed] == [
        ("scan.pdf", "2 pages, no text layer, OCR off; ingest with OCR on to read it")
    ]
