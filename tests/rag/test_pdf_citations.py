"""Questions over a report printed to PDF by headless Chromium: a table row is quoted with its header, and every
citation names the right page and carries the boxes of its quote on that page (``ask --json``)."""

from __future__ import annotations

import pytest

import printed_pdf
from ingest.pipeline import run_ingest
from rag.engine import Engine
from rag.index.docfiles import read_sidecar

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("printed-shelf")
    printed_pdf.print_pdf(root / "corpus" / "海上风电运维机器人.pdf", printed_pdf.sample_report(16))
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus")
    assert run_ingest(settings).ok
    return Engine.from_settings(settings)


def _row_quote(answer, cells):
    return next((c for c in answer.citations if all(cell in c.quote for cell in cells)), None)


@pytest.mark.parametrize("question, cells", printed_pdf.TABLE_QUESTIONS[:3])
def test_a_table_question_is_answered_by_quoting_the_row_with_its_header(engine, question, cells):
    answer = engine.ask(question)
    assert not answer.refused
    cited = _row_quote(answer, cells)
    assert cited is not None, answer.text
    assert "地区 2026年 2028年 2030年" in cited.quote  # the header row goes with it


def test_a_cited_table_row_names_its_page_and_its_boxes_lie_on_the_row(engine):
    question, cells = printed_pdf.TABLE_QUESTIONS[0]
    answer = engine.ask(question)
    cited = _row_quote(answer, cells)
    record = cited.to_record()
    assert record["page"] == 1
    boxes = record["boxes"]
    assert boxes and {box["page"] for box in boxes} == {1}
    width, height = boxes[0]["page_size"]
    assert round(width) == 596 and round(height) == 843
    # The row "中国 …" is among the quote's lines, in the right column where the table stands.
    doc = read_sidecar(engine.settings.docs_dir, cited.chunk.doc_id)
    row_start = doc["text"].index("中国 980 2,050 3,960")
    row_line = next(line for line in doc["boxes"]["lines"] if line[0] == row_start)
    assert any(abs(box["box"][1] - row_line[4]) < 0.2 for box in boxes)
    assert all(box["box"][0] > width / 2 for box in boxes)


def test_a_quote_in_the_running_text_is_boxed_on_its_own_lines_only(engine):
    answer = engine.ask("海上风电运维机器人能把单台风机每年的停机检修时间缩短到多少？")
    cited = next(c for c in answer.citations if "不足三天" in c.quote)
    assert cited.chunk.page == 1
    tops = sorted(box.top for box in cited.boxes)
    assert 1 <= len(tops) <= 6  # the sentence's lines, not the page
    assert all(box.x1 < box.page_width / 2 for box in cited.boxes)  # column 1
    assert all(0 < box.top < box.bottom < box.page_height / 3 for box in cited.boxes)
