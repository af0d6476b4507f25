"""Loaders read every supported file type into clean text with a title (and pages for PDFs)."""

from __future__ import annotations

import re

import pytest

import filemakers
from ingest.loaders import load_document

_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


# Each page is long enough that fpdf2 wraps its first sentence over two lines on an A4 page.
PDF_PAGES = [
    "2024年中国人工智能市场规模达到了新的高度，同比增长百分之二十三，其中大模型相关收入占比显著提升，"
    "企业级应用将在未来三年成为主要增长点，这是一个很长的句子需要换行才能放下。\n第一页的第二段只有一行。",
    "第二页的内容讲述了算力基础设施的建设情况，数据中心的规模持续扩大，智能算力的占比不断提升，"
    "国产芯片的出货量也在快速增长之中。",
    "第三页总结了行业的十大趋势，包括多模态模型、智能体应用、端侧部署以及行业大模型的加速落地，"
    "这些趋势将深刻影响未来的市场格局。",
]
PDF_HEADER = "易观分析 2025"


@pytest.fixture(scope="module")
def cjk_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "行业报告.pdf"
    filemakers.make_cjk_pdf(path, PDF_PAGES, title="中国人工智能市场报告", header=PDF_HEADER, footer=True)
    return load_document(path)


def test_markdown_front_matter_gives_the_title_and_is_removed_from_the_text(tmp_path):
    path = filemakers.make_markdown_with_front_matter(
        tmp_path / "report.md",
        title="2025 大模型应用报告",
        body="# 概述\n\n大模型应用在企业中快速普及。",
        meta={"author": "易观分析", "date": "2025-01-01"},
    )
    doc = load_document(path)
    assert doc.title == "2025 大模型应用报告"
    assert doc.kind == "markdown"
    assert doc.text.startswith("# 概述")
    assert "author" not in doc.text and "---" not in doc.text and "2025-01-01" not in doc.text
    assert "大模型应用在企业中快速普及。" in doc.text


def test_markdown_without_front_matter_takes_its_title_from_the_first_heading(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("导语一行。\n\n## **算力** 市场回顾\n\n内容。\n\n# 第二个标题\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "算力 市场回顾"
    assert doc.text.startswith("导语一行。")


def test_plain_text_title_is_the_file_name(tmp_path):
    path = filemakers.make_text(tmp_path / "2025年AI行业十大趋势.txt", "# 不是标题\n\n正文第一句。\n")
    doc = load_document(path)
    assert doc.title == "2025年AI行业十大趋势"
    assert doc.kind == "text"
    assert doc.text == "# 不是标题\n\n正文第一句。"


def test_every_page_of_a_chinese_pdf_comes_back(cjk_pdf):
    squashed = _squash(cjk_pdf.text)
    for page in PDF_PAGES:
        assert _squash(page) in squashed
    assert cjk_pdf.kind == "pdf"
    assert cjk_pdf.title == "中国人工智能市场报告"


def test_pdf_running_header_and_page_number_footers_are_removed(cjk_pdf):
    assert "易观分析" not in cjk_pdf.text
    for number in (1, 2, 3):
        assert f"第 {number} 页" not in cjk_pdf.text
    assert _squash(cjk_pdf.text) == "".join(_squash(p) for p in PDF_PAGES)


def test_a_running_header_read_with_other_spacing_on_one_page_is_still_removed():
    """OCR read "海风智库·行业简报2030" on two pages and "海风智库·行业简报 2030" on the third: the header stayed."""
    from ingest.clean import remove_page_furniture

    bodies = ["风机叶片检测需求增长。", "运维船只的租金下降。", "海缆巡检开始使用无人机。"]
    pages = [f"海风智库·行业简报{gap}2030\n{body}\n版权所有·{n}/3"
             for n, gap, body in zip((1, 2, 3), ("", "", " "), bodies)]
    cleaned = remove_page_furniture(pages)
    assert [page.strip() for page in cleaned] == bodies


def test_pdf_pages_are_recorded_for_every_offset(cjk_pdf):
    assert [span.page for span in cjk_pdf.pages] == [1, 2, 3]
    assert cjk_pdf.page_at(cjk_pdf.text.index("2024年")) == 1
    assert cjk_pdf.page_at(cjk_pdf.text.index("第二页的内容")) == 2
    assert cjk_pdf.page_at(cjk_pdf.text.index("国产芯片")) == 2
    assert cjk_pdf.page_at(cjk_pdf.text.index("第三页总结")) == 3
    assert cjk_pdf.page_at(len(cjk_pdf.text) - 1) == 3
    for span in cjk_pdf.pages:
        assert cjk_pdf.text[span.start : span.end] == cjk_pdf.text[span.start : span.end].strip()


def test_pdf_lines_wrapped_by_the_layout_are_joined_again(cjk_pdf):
    lines = cjk_pdf.text.split("\n")
    # Each of these sentences was wrapped over two lines on its page.
    for sentence in (
        "2024年中国人工智能市场规模达到了新的高度，同比增长百分之二十三，其中大模型相关收入占比显著提升，"
        "企业级应用将在未来三年成为主要增长点，这是一个很长的句子需要换行才能放下。",
        PDF_PAGES[1],
        PDF_PAGES[2],
    ):
        assert sentence in lines
    # ...but a real paragraph break is kept.
    assert "第一页的第二段只有一行。" in lines


def test_docx_headings_become_markdown_headings_and_tables_become_rows(tmp_path):
    path = filemakers.make_docx(
        tmp_path / "market.docx",
        [
            ("h1", "云服务市场"),
            ("p", "公有云市场继续增长。"),
            ("h2", "厂商份额"),
            ("table", [["厂商", "份额"], ["阿里云", "26%"], ["华为云", "13%"]]),
        ],
    )
    doc = load_document(path)
    assert doc.kind == "docx"
    assert doc.title == "云服务市场"
    assert "# 云服务市场" in doc.text.split("\n")
    assert "## 厂商份额" in doc.text.split("\n")
    assert "| 阿里云 | 26% |" in doc.text
    assert doc.text.index("## 厂商份额") < doc.text.index("| 厂商 | 份额 |") < doc.text.index("| 华为云 | 13% |")


def test_docx_core_title_wins_over_the_first_heading(tmp_path):
    path = filemakers.make_docx(tmp_path / "t.docx", [("h1", "第一章"), ("p", "内容。")], title="年度报告")
    assert load_document(path).title == "年度报告"


def test_html_drops_scripts_and_styles_keeps_headings_and_uses_the_page_title(tmp_path):
    path = filemakers.make_html(
        tmp_path / "page.html",
        "AI 市场观察",
        "<h2>市场规模</h2><p>市场规模达到 <b>500</b> 亿元。</p><table><tr><td>年份</td><td>2024</td></tr></table>",
    )
    doc = load_document(path)
    assert doc.kind == "html"
    assert doc.title == "AI 市场观察"
    assert "SCRIPT_SHOULD_NOT_APPEAR" not in doc.text
    assert "STYLE_SHOULD_NOT_APPEAR" not in doc.text
    assert "dataLayer" not in doc.text
    assert "## 市场规模" in doc.text.split("\n")
    assert "市场规模达到 500 亿元。" in doc.text
    assert "年份" in doc.text and "2024" in doc.text


CHINESE = "人工智能市场规模持续增长，企业对大模型的需求不断提升。"
TRADITIONAL = "人工智慧市場規模持續成長，企業對大型模型的需求不斷提升。"


@pytest.mark.parametrize(
    ("name", "text", "encoding", "bom"),
    [
        ("utf8-bom.txt", CHINESE, "utf-8", True),
        ("utf8-bom.md", "# 标题\n\n" + CHINESE, "utf-8", True),
        ("utf8.txt", CHINESE, "utf-8", False),
        ("gbk.txt", CHINESE, "gbk", False),
        ("gb18030.txt", CHINESE, "gb18030", False),
        ("big5.txt", TRADITIONAL, "big5", False),
        ("utf16.txt", CHINESE, "utf-16-le", True),
    ],
)
def test_chinese_text_in_any_common_encoding_decodes_exactly(tmp_path, name, text, encoding, bom):
    path = filemakers.make_text(tmp_path / name, text, encoding=encoding, bom=bom)
    doc = load_document(path)
    assert doc.text == text
    assert "\ufeff" not in doc.title and "\ufeff" not in doc.text
