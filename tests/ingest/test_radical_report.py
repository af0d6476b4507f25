"""A report Chromium printed in a font that maps radicals to the ideographs' glyphs (as Source Han Sans and Noto
Sans CJK do): the page shows 人, 风, 长; its text layer says ⼈ (U+2F08), ⻛ (U+2EDB), ⻓ (U+2ED3). None of those
reaches the index, and questions typed with the ordinary ideographs find and quote it."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

import printed_pdf
from ingest.pipeline import run_ingest
from rag.engine import Engine
from rag.index.docfiles import read_sidecar

REPORT = printed_pdf.sample_report(12)
RADICALS = range(0x2E80, 0x2FE0)


def _radicals(text: str) -> list[str]:
    return [ch for ch in text if ord(ch) in RADICALS]


@pytest.fixture(scope="module")
def radical_pdf(tmp_path_factory) -> Path:
    mapping = printed_pdf.kangxi_radicals(printed_pdf.report_markdown(REPORT))
    report = printed_pdf.with_radical_font(REPORT, mapping)
    return printed_pdf.print_pdf(tmp_path_factory.mktemp("radical") / "corpus" / "海上风电运维机器人.pdf", report)


@pytest.fixture(scope="module")
def engine(radical_pdf, tmp_path_factory):
    from rag.settings import Settings

    settings = Settings(corpus_dir=radical_pdf.parent, data_dir=tmp_path_factory.mktemp("radical-data"))
    assert run_ingest(settings).ok
    return Engine.from_settings(settings)


def test_the_printed_text_layer_holds_radicals_where_the_page_shows_ideographs(radical_pdf):
    text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(radical_pdf).pages)
    assert "海上⻛电运维机器⼈" in text  # U+2EDB, U+2F08: what a browser-printed report really extracts as
    assert len(_radicals(text)) > 100


def test_no_radical_code_point_reaches_any_indexed_chunk(engine):
    chunks = []
    for record in engine.documents():
        sidecar = read_sidecar(engine.settings.docs_dir, record.doc_id)
        chunks += [sidecar["text"][c["start"] : c["end"]] for c in sidecar["chunks"]]
    assert chunks
    assert [ch for chunk in chunks for ch in _radicals(chunk)] == []
    assert any("海上风电运维机器人" in chunk for chunk in chunks)


def test_a_question_typed_with_ordinary_ideographs_finds_and_quotes_the_passage(engine):
    answer = engine.ask("海上风电运维机器人能把单台风机每年的停机检修时间缩短到多少天？")
    assert not answer.refused and answer.citations
    quote = answer.citations[0].quote
    assert "不足三天" in "".join(quote.split()) and "风机" in quote
    assert _radicals(" ".join(c.quote for c in answer.citations)) == []
