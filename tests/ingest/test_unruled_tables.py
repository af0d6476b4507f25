"""Tables printed without ruling lines (Chromium, borderless HTML tables) become table blocks only when their words
line up as one (cells aligned over a header and several rows) and the header row is distinct; prose and aligned
lists without a header stay text."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import pytest

import printed_pdf
from ingest.loaders import load_document
from ingest.structure import read_structure

NO_RULES = "table, th, td { border: none; }"
GLOSSARY = (("叶片检测", "用无人机检查叶片表面"), ("塔筒清洗", "爬壁机器人清除盐雾"), ("海缆巡检", "水下机器人沿海缆巡航"),
            ("螺栓紧固", "机械臂按力矩复紧螺栓"))


def _tables(document):
    return [block for block in read_structure(document).blocks if block.kind == "table"]


def _rows(document, table):
    return [tuple(document.text[a:b] for a, b in cells) for cells in table.cells]


@pytest.fixture(scope="module")
def unruled(tmp_path_factory) -> Path:
    report = replace(printed_pdf.sample_report(12), extra_css=NO_RULES)
    return printed_pdf.print_pdf(tmp_path_factory.mktemp("unruled") / "无框表格.pdf", report)


def _glossary_pdf(folder: Path, header: bool) -> Path:
    """One page: a paragraph, then a borderless two-column table of terms (with a bold header row or none)."""
    head = "<tr><th>作业</th><th>做法</th></tr>" if header else ""
    rows = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in GLOSSARY)
    page = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
            'body { font-family: "WenQuanYi Micro Hei"; font-size: 11pt; } td, th { padding: 2pt 24pt 2pt 0; '
            'text-align: left; }</style></head><body><p>下表列出四类运维作业及其常见做法，供业主参考。</p>'
            f"<table>{head}{rows}</table><p>以上做法均已在试点风电场验证。</p></body></html>")
    name = "with-header.pdf" if header else "no-header.pdf"
    return printed_pdf.print_html_pages(folder / name, [page], "术语表", "第")[0]


def test_a_table_printed_without_rules_becomes_a_table_block_with_its_caption_header_and_rows(unruled):
    document = load_document(unruled, ocr=False)
    tables = _tables(document)
    assert len(tables) == 1  # and no false table among the two columns of prose
    table = tables[0]
    assert table.header == tuple(printed_pdf.SAMPLE_TABLE.header)
    assert document.text[slice(*table.caption)] == printed_pdf.SAMPLE_TABLE.caption
    assert _rows(document, table) == [tuple(row) for row in printed_pdf.SAMPLE_TABLE.rows]


def test_two_columns_of_prose_are_not_taken_for_a_table(tmp_path):
    report = replace(printed_pdf.sample_report(12), table=None, extra_css=NO_RULES)
    document = load_document(printed_pdf.print_pdf(tmp_path / "prose.pdf", report), ocr=False)
    assert _tables(document) == []


def test_an_aligned_list_becomes_a_table_only_under_a_distinct_header_row(tmp_path):
    with_header = load_document(_glossary_pdf(tmp_path, header=True), ocr=False)
    tables = _tables(with_header)
    assert len(tables) == 1 and tables[0].header == ("作业", "做法")
    assert _rows(with_header, tables[0]) == list(GLOSSARY)
    # The same rows with no header: aligned, but nothing says which line names the columns; they stay text.
    without = load_document(_glossary_pdf(tmp_path, header=False), ocr=False)
    assert _tables(without) == []
    assert "叶片检测用无人机检查叶片表面" in without.text.replace(" ", "")
