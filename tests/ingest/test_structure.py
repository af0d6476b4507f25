"""Structure is read once, at ingest: typed blocks with exact offsets into the cleaned text, for every file type."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import filemakers
from ingest.loaders import load_document
from ingest.ordinals import ordinal_of
from ingest.structure import read_structure
from ingest.titles import is_junk_title, prefer_heading_title
from rag.text.blocks import item_heads
from rag.text.document_structure import DocumentStructure

REPO = Path(__file__).resolve().parents[2]
TEN_TRENDS = REPO / "corpus" / "analysys-2025-ai-industry-ten-trends.txt"
# Bad input must be read in bounded time, on a slow shared machine too.
TIME_LIMIT_S = 10.0


def _load(tmp_path: Path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    document = load_document(path)
    return document, read_structure(document)


def _words(document, span) -> str:
    return document.text[span[0] : span[1]]


def _check_offsets(document, structure: DocumentStructure) -> None:
    """Every block is an exact, trimmed span of the text; flow blocks do not overlap; items lie in their list."""
    text = document.text
    previous_end = 0
    for block in structure.blocks:
        assert 0 <= block.start <= block.end <= len(text)
        assert text[block.start : block.end] == text[block.start : block.end].strip()
        if not block.of_headings:
            assert block.start >= previous_end, block
            previous_end = block.end
        for item in block.all_items():
            assert block.start <= item.start <= item.head_start <= item.head_end <= item.end <= block.end
        for row in block.rows:
            assert block.start <= row[0] <= row[1] <= block.end
    assert json.loads(json.dumps(structure.to_dict())) == structure.to_dict()
    assert DocumentStructure.from_dict(structure.to_dict()) == structure


# ----- Markdown -----

REPORT_MD = """---
title: AI笔记15
author: someone
---

# AI基础服务市场分析

*分析：市场研究部 王涛*
*日期：2024年4月5日*

## 一、市场分类

### 1.1 模型训练平台

**云服务商（企业级）**
- **AWS SageMaker** - 端到端机器学习平台
  - 特点：完整的MLOps生态
  - 优势：与AWS生态深度集成
- **阿里云PAI** - 人工智能平台
  - 适用：中国企业客户

1. **技术瓶颈**：包括数据标注、模型压缩等问题。
2. **市场定位**：需要根据市场需求明确产品功能。

表1 主要厂商

| 厂商 | 份额 |
|---|---|
| 阿里云 | 26% |
| 华为云 | 13% |

```python
# not a heading
print("hi")
```

## 二、市场特点

Growth continues.
"""


def test_markdown_blocks_have_kinds_levels_paths_and_exact_offsets(tmp_path):
    document, structure = _load(tmp_path, "report.md", REPORT_MD)
    _check_offsets(document, structure)
    kinds = [b.kind for b in structure.blocks if not b.of_headings]
    assert kinds[:4] == ["title", "byline", "date", "heading"]
    assert {"list", "table", "code", "paragraph"} <= set(kinds)
    title = structure.title_block()
    assert _words(document, title.text_span) == "AI基础服务市场分析" and title.path == ()
    assert [(b.level, b.path) for b in structure.outline()] == [
        (2, ("一、市场分类",)),
        (3, ("一、市场分类", "1.1 模型训练平台")),
        (2, ("二、市场特点",)),
    ]
    code = next(b for b in structure.blocks if b.kind == "code")
    assert "# not a heading" in document.text[code.start : code.end]
    assert structure.heading_path(code.start) == ("一、市场分类", "1.1 模型训练平台")


def test_markdown_lists_keep_nesting_ordinals_and_item_heads(tmp_path):
    """Cleaning strips every line, so nesting is read from the Markdown before cleaning."""
    document, structure = _load(tmp_path, "report.md", REPORT_MD)
    bullets, numbered = [b for b in structure.lists() if not b.of_headings]
    assert [document.text[i.head_start : i.head_end] for i in bullets.items] == [
        "**AWS SageMaker**",
        "**阿里云PAI**",
    ]
    assert item_heads(document.text, bullets) == ["AWS SageMaker", "阿里云PAI"]
    assert item_heads(document.text, bullets, depth=1) == ["特点", "优势", "适用"]
    assert [len(i.children) for i in bullets.items] == [2, 1]
    first = bullets.items[0]
    assert first.end >= first.children[-1].end  # a parent covers its children
    assert [i.ordinal for i in numbered.items] == ["1.", "2."]
    assert item_heads(document.text, numbered) == ["1. 技术瓶颈", "2. 市场定位"]


def test_markdown_pipe_table_has_caption_header_rows_and_cells(tmp_path):
    document, structure = _load(tmp_path, "report.md", REPORT_MD)
    table = next(b for b in structure.blocks if b.kind == "table")
    assert _words(document, table.caption) == "表1 主要厂商"
    assert table.header == ("厂商", "份额")
    assert [_words(document, r) for r in table.rows] == ["| 阿里云 | 26% |", "| 华为云 | 13% |"]
    assert [[_words(document, c) for c in row] for row in table.cells] == [["阿里云", "26%"], ["华为云", "13%"]]


def test_front_matter_note_id_loses_to_the_h1_that_names_the_report(tmp_path):
    """Regression: source cards showed "AI笔记15" (a front-matter note id) as the report's name."""
    document, structure = _load(tmp_path, "ai-notes.md", REPORT_MD)
    assert document.title == structure.title == "AI基础服务市场分析"


@pytest.mark.parametrize(
    ("front_matter", "heading", "level", "expected"),
    [
        ("AI笔记15", "AI基础服务市场分析", 1, True),  # a short id unrelated to a longer H1
        ("2025 大模型应用报告", "概述", 1, False),  # the H1 is a section name
        ("AI Market Report", "AI Market Report 2024: trends and outlook", 1, False),  # the same title
        ("post-12", "Cloud spending in Europe", 2, False),  # no H1
        ("", "Cloud spending in Europe", 1, True),
    ],
)
def test_the_title_rule_prefers_a_longer_unrelated_h1_over_the_front_matter(front_matter, heading, level, expected):
    assert prefer_heading_title(front_matter, heading, level) is expected


def test_an_h1_that_does_not_name_the_report_stays_a_heading(tmp_path):
    path = filemakers.make_markdown_with_front_matter(
        tmp_path / "r.md", title="2025 大模型应用报告", body="# 概述\n\n大模型应用在企业中快速普及。"
    )
    document = load_document(path)
    structure = read_structure(document)
    assert document.title == "2025 大模型应用报告"
    assert structure.title_block() is None
    assert [b.path for b in structure.outline()] == [("概述",)]
    assert [document.text[b.start : b.end] for b in structure.summary_blocks()] == ["大模型应用在企业中快速普及。"]


def test_sibling_markdown_headings_sharing_an_ordinal_are_also_a_list(tmp_path):
    body = "# 2025 AI trends\n\n" + "\n\n".join(
        f"## 趋势{n}：第{n}个趋势的标题：细节\n\n第{n}个趋势的正文。" for n in range(1, 6)
    ) + "\n\n## 附录\n\n其他。\n"
    document, structure = _load(tmp_path, "trends.md", body)
    _check_offsets(document, structure)
    trends = next(b for b in structure.lists() if b.of_headings)
    assert item_heads(document.text, trends) == [f"趋势{n}：第{n}个趋势的标题" for n in range(1, 6)]
    assert [i.ordinal for i in trends.items] == [f"趋势{n}：" for n in range(1, 6)]
    # Each item is its heading with its section; the run stops before the unnumbered sibling.
    assert document.text[trends.items[0].start : trends.items[0].end].endswith("第1个趋势的正文。")
    assert "附录" not in document.text[trends.start : trends.end]
    assert structure.list_of(document.text.index("第3个趋势的正文")) == trends


def test_english_markdown_reads_the_same_way(tmp_path):
    body = (
        "# Cloud Market Review\n\nBy Jane Doe\n\nMarch 2024\n\n## Key findings\n\n"
        "- Spending grew: up 20% in a year\n- Prices fell. Vendors compete on price\n\n"
        "## Part 1 Vendors\n\nText.\n\n## Part 2 Buyers\n\nText.\n"
    )
    document, structure = _load(tmp_path, "cloud.md", body)
    _check_offsets(document, structure)
    assert [b.kind for b in structure.blocks[:3]] == ["title", "byline", "date"]
    findings = next(b for b in structure.lists() if not b.of_headings)
    assert item_heads(document.text, findings) == ["Spending grew", "Prices fell"]
    assert [document.text[b.start : b.end] for b in structure.summary_blocks()][0].startswith("- Spending grew")
    parts = next(b for b in structure.lists() if b.of_headings)
    assert [i.ordinal for i in parts.items] == ["Part 1", "Part 2"]


# ----- plain text -----

PLAIN = """2025年

中国云服务市场报告

作者：易观分析

2025年中国云服务市场报告

第一章 市场概况

云服务市场在过去一年继续保持较快增长，公有云与私有云的结构也在发生变化，企业上云进入深水区。

一、公有云

公有云市场的集中度进一步提高，头部厂商的份额持续上升，中小厂商转向细分领域寻求突破。

（一）IaaS

基础设施服务的价格竞争仍然激烈，厂商通过自研芯片和规模效应降低成本，毛利率承压明显。

©易观分析

www.example.cn

（二）PaaS

平台服务的增长快于基础设施，数据库、中间件和AI平台成为新的增长点，客户更看重一体化能力。

第二章 发展趋势

趋势1：AI驱动云需求
趋势2：混合云成为主流
趋势3：出海加速

- 厂商加大投入
  - 自研芯片
- 客户更理性

©易观分析

www.example.cn

总结：市场进入理性增长期

未来三年市场规模预计将保持百分之二十左右的复合增速，竞争焦点从价格转向服务与生态能力。
"""


def test_plain_text_title_is_the_cover_title_not_the_file_name(tmp_path):
    document, structure = _load(tmp_path, "cloud-2025.txt", PLAIN)
    assert document.title == structure.title == "2025年中国云服务市场报告"
    title = structure.title_block()
    assert document.text[title.start : title.end] == "2025年中国云服务市场报告"
    assert [b.kind for b in structure.blocks[:3]] == ["date", "paragraph", "byline"]


def test_plain_text_numbered_headings_nest_by_their_ordinal_patterns(tmp_path):
    document, structure = _load(tmp_path, "cloud-2025.txt", PLAIN)
    _check_offsets(document, structure)
    outline = [(b.level, document.text[b.start : b.end]) for b in structure.outline()]
    assert outline[:5] == [
        (1, "第一章 市场概况"),
        (2, "一、公有云"),
        (3, "（一）IaaS"),
        (3, "（二）PaaS"),
        (1, "第二章 发展趋势"),
    ]
    paas_body = document.text.index("平台服务的增长")
    assert structure.heading_path(paas_body) == ("第一章 市场概况", "一、公有云", "（二）PaaS")


def test_a_run_of_ordinal_lines_is_one_list_with_nested_items(tmp_path):
    document, structure = _load(tmp_path, "cloud-2025.txt", PLAIN)
    trends = structure.list_of(document.text.index("混合云"))
    assert trends is not None and not trends.of_headings
    assert item_heads(document.text, trends) == ["趋势1：AI驱动云需求", "趋势2：混合云成为主流", "趋势3：出海加速"]
    bullets = structure.list_of(document.text.index("客户更理性"))
    assert item_heads(document.text, bullets, depth=None) == ["厂商加大投入", "自研芯片", "客户更理性"]


def test_page_footers_are_furniture_and_never_name_a_section(tmp_path):
    """Regression: source cards showed "www.analysys.cn", a page footer, as the section of a passage."""
    document, structure = _load(tmp_path, "cloud-2025.txt", PLAIN)
    furniture = [document.text[b.start : b.end] for b in structure.furniture()]
    assert furniture == ["©易观分析", "www.example.cn"] * 2
    for offset in range(len(document.text)):
        assert "www.example.cn" not in structure.heading_path(offset)
    for section in structure.sections(len(document.text)):
        assert all("example.cn" not in words and "©" not in words for words in section.path)
    assert structure.section_title(document.text.index("平台服务的增长")) == "（二）PaaS"


def test_a_summary_label_line_opens_summary_blocks(tmp_path):
    document, structure = _load(tmp_path, "cloud-2025.txt", PLAIN)
    summary = [document.text[b.start : b.end] for b in structure.summary_blocks()]
    assert summary == [document.text.strip().split("\n")[-1]]


def test_tab_separated_rows_are_a_table_whose_first_row_is_its_header(tmp_path):
    content = "前言一句。\n\n厂商份额\n\n厂商\t份额\t备注\n阿里云\t26%\t第一\n\t13%\t合并单元格\n\n正文继续。\n"
    document, structure = _load(tmp_path, "table.txt", content)
    _check_offsets(document, structure)
    table = next(b for b in structure.blocks if b.kind == "table")
    assert table.header == ("厂商", "份额", "备注")
    assert _words(document, table.caption) == "厂商份额"
    assert [[_words(document, c) for c in row] for row in table.cells] == [["阿里云", "26%", "第一"],
                                                                          ["", "13%", "合并单元格"]]


def test_table_rows_are_not_rejoined_as_wrapped_lines(tmp_path):
    """Regression: long tab-separated rows of a plain-text table were joined into one line as if wrapped."""
    row = "\t".join(["很长的单元格内容" * 6, "第二列内容" * 4, "没有句号结尾的说明" * 3])
    content = "前言段落。\n\n" + "\n".join([row] * 4) + "\n\n" + ("正文内容很长很长。" * 12 + "\n") * 3
    document, structure = _load(tmp_path, "rows.txt", content)
    table = next(b for b in structure.blocks if b.kind == "table")
    assert len(table.rows) + (table.header is not None) == 4


def test_a_table_without_a_header(tmp_path):
    content = "年度数据\n\n2021\t100\t200\n2022\t150\t260\n2023\t180\t300\n"
    document, structure = _load(tmp_path, "years.txt", content)
    table = next(b for b in structure.blocks if b.kind == "table")
    assert table.header is None and table.header_span is None and len(table.rows) == 3


def test_plain_text_labelled_title_and_bylines_with_bars(tmp_path):
    content = "撰文 | 吳坤諺\n編輯 | 吳先之\n正文第一段很長很長很長很長很長很長很長很長很長很長。\n標題:大模型沒過“試用期”\n"
    document, structure = _load(tmp_path, "article.txt", content)
    assert document.title == "大模型沒過“試用期”"
    assert [b.kind for b in structure.blocks] == ["byline", "byline", "paragraph", "title"]


def test_the_shipped_ten_trends_report_gives_its_ten_trends_as_one_list():
    document = load_document(TEN_TRENDS)
    structure = read_structure(document)
    _check_offsets(document, structure)
    assert document.title == "2025年AI产业发展十大趋势"
    trend_lists = [b for b in structure.lists() if all(i.ordinal.startswith("趋势") for i in b.items)]
    assert len(trend_lists) == 1
    heads = item_heads(document.text, trend_lists[0])
    assert len(heads) == 10
    assert [h.split("：")[0].split(":")[0] for h in heads] == [f"趋势{n}" for n in range(1, 11)]
    assert heads[7] == "趋势8：AI赋能千行百业，行业“小”模型催生“智能链主”"
    # Asked from the body of a trend, the list is the ten trends.
    assert structure.list_of(document.text.index("由OpenAI发布的GPT3作为序幕")) is trend_lists[0]
    footers = [b for b in structure.furniture() if document.text[b.start : b.end] == "www.analysys.cn"]
    assert len(footers) >= 5
    assert all("www.analysys.cn" not in h.path for h in structure.outline())


# ----- DOCX, HTML, PDF -----

def test_docx_styles_and_numbering_become_headings_and_nested_lists(tmp_path):
    import docx

    path = tmp_path / "report.docx"
    word = docx.Document()
    word.core_properties.title = "Microsoft Word - draft.docx"
    word.add_heading("云服务市场年度报告", 1)
    word.add_paragraph("作者：张三")
    word.add_heading("市场概况", 2)
    word.add_paragraph("第一点", style="List Number")
    word.add_paragraph("第二点", style="List Number")
    word.add_paragraph("子项", style="List Bullet 2")
    word.add_paragraph("第三点", style="List Number")
    table = word.add_table(rows=2, cols=2)
    for r, row in enumerate([["厂商", "份额"], ["阿里云", "26%"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    word.save(path)
    document = load_document(path)
    structure = read_structure(document)
    _check_offsets(document, structure)
    assert document.title == "云服务市场年度报告"  # the junk core title is ignored
    assert [b.kind for b in structure.blocks][:3] == ["title", "byline", "heading"]
    numbered = structure.lists()[0]
    assert item_heads(document.text, numbered, depth=None) == ["1. 第一点", "2. 第二点", "子项", "3. 第三点"]
    assert [i.depth for i in numbered.all_items()] == [0, 0, 1, 0]
    assert next(b for b in structure.blocks if b.kind == "table").header == ("厂商", "份额")


def test_docx_core_title_is_kept_when_it_is_not_junk(tmp_path):
    path = filemakers.make_docx(tmp_path / "t.docx", [("h1", "第一章"), ("p", "内容。")], title="年度报告")
    assert load_document(path).title == "年度报告"
    assert is_junk_title("Microsoft Word - 年度报告.docx") and is_junk_title("untitled") and is_junk_title("1")
    assert not is_junk_title("年度报告")


def test_html_lists_and_tables_come_from_the_dom(tmp_path):
    path = filemakers.make_html(
        tmp_path / "page.html",
        "AI 市场观察",
        "<h1>AI 市场观察</h1><h2>要点</h2><ol><li>第一项<ul><li>子项 a</li><li>子项 b</li></ul></li>"
        "<li><p>第二项</p></li></ol><table><caption>表1 份额</caption><tr><th>厂商</th><th>份额</th></tr>"
        "<tr><td>阿里云</td><td><p>26%</p></td></tr></table>",
    )
    document = load_document(path)
    structure = read_structure(document)
    _check_offsets(document, structure)
    listing = structure.lists()[0]
    assert item_heads(document.text, listing, depth=None) == ["1. 第一项", "子项 a", "子项 b", "2. 第二项"]
    assert [i.depth for i in listing.all_items()] == [0, 1, 1, 0]
    table = next(b for b in structure.blocks if b.kind == "table")
    assert table.header == ("厂商", "份额") and _words(document, table.caption) == "表1 份额"
    assert [[_words(document, c) for c in row] for row in table.cells] == [["阿里云", "26%"]]


def test_pdf_title_skips_junk_metadata_and_footers_keep_their_page(tmp_path):
    pages = [
        "中国人工智能市场报告\n2024年中国人工智能市场规模达到了新的高度，同比增长百分之二十三。\nwww.example.cn",
        "第二页的内容讲述了算力基础设施的建设情况。\nwww.example.cn",
    ]
    path = filemakers.make_cjk_pdf(tmp_path / "report.pdf", pages, title="Microsoft Word - report.docx")
    document = load_document(path)
    structure = read_structure(document)
    _check_offsets(document, structure)
    assert document.title == "中国人工智能市场报告"
    for block in structure.furniture():
        assert document.text[block.start : block.end] == "www.example.cn"
        assert block.page == document.page_at(block.start)


# ----- bad input -----

def _timed(tmp_path, name, content):
    started = time.perf_counter()
    document, structure = _load(tmp_path, name, content)
    assert time.perf_counter() - started < TIME_LIMIT_S
    _check_offsets(document, structure)
    return document, structure


@pytest.mark.parametrize("name", ["long.txt", "long.md"])
def test_a_document_with_no_structure_is_one_paragraph(tmp_path, name):
    document, structure = _timed(tmp_path, name, "人工智能市场持续增长，企业需求不断提升，" * 20000 + "结束。")
    assert [b.kind for b in structure.blocks] == ["paragraph"]
    assert structure.outline() == [] and structure.heading_path(1000) == ()


@pytest.mark.parametrize("name", ["items.txt", "items.md"])
def test_a_list_of_500_items_is_one_list(tmp_path, name):
    items = "\n".join(f"{n}. 第{n}项：说明一些事情" for n in range(1, 501))
    document, structure = _timed(tmp_path, name, "清单\n\n" + items + "\n")
    (listing,) = structure.lists()
    assert len(listing.items) == 500
    assert item_heads(document.text, listing)[499] == "500. 第500项"


def test_plain_text_headings_twelve_levels_deep(tmp_path):
    content = "\n\n".join(
        f"{'.'.join(['1'] * k)}. 第{k}层标题\n\n这一层的正文内容比较长，用来说明这个小节讲的是什么内容。" for k in range(1, 13)
    )
    document, structure = _timed(tmp_path, "deep.txt", content)
    assert [b.level for b in structure.outline()] == list(range(1, 13))
    assert len(structure.heading_path(len(document.text) - 1)) == 12


def test_markdown_headings_past_six_levels_and_lists_twelve_deep(tmp_path):
    headings = "\n\n".join(f"{'#' * k} 第{k}层\n\n正文。" for k in range(1, 13))
    nested = "\n".join("  " * k + f"- level {k}" for k in range(12))
    document, structure = _timed(tmp_path, "deep.md", headings + "\n\n" + nested + "\n")
    assert [b.level for b in structure.outline()] == [2, 3, 4, 5, 6]  # "#######" is a paragraph in Markdown
    (listing,) = structure.lists()
    assert [i.depth for i in listing.all_items()] == list(range(12))


def test_markdown_with_broken_nesting_still_reads(tmp_path):
    content = (
        "# T\n\n- a\n      - b\n  - c\n - d\n        code?\n* e\n1) f\n   > quote\n- g\n\n  | x | y\n|--|\n\n3. late\n"
    )
    document, structure = _timed(tmp_path, "broken.md", content)
    heads = [h for block in structure.lists() for h in item_heads(document.text, block, depth=None)]
    assert {"a", "e", "g"} <= set(heads)


def test_mixed_traditional_and_simplified_headings(tmp_path):
    content = "# 報告總覽\n\n## 一、市場概況\n\n內容。\n\n## 二、市场规模\n\n内容。\n\n## 三、結論\n\n總結內容。\n"
    document, structure = _timed(tmp_path, "mixed.md", content)
    chapters = next(b for b in structure.lists() if b.of_headings)
    assert item_heads(document.text, chapters) == ["一、市場概況", "二、市场规模", "三、結論"]
    assert [document.text[b.start : b.end] for b in structure.summary_blocks()] == ["總結內容。"]


def test_reading_is_linear_in_the_size_of_the_document(tmp_path):
    block = "标题{n}\n\n正文内容很长很长很长很长很长很长很长很长很长很长很长很长很长很长。\n\n- 要点一\n- 要点二\n\n"
    small = "".join(block.format(n=n) for n in range(500))
    large = "".join(block.format(n=n) for n in range(4000))

    def cost(content: str, name: str) -> float:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        document = load_document(path)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            read_structure(document)
            best = min(best, time.perf_counter() - started)
        return best

    # 8x the text may cost 8x the time (plus noise), never 64x.
    assert cost(large, "large.txt") < 25 * cost(small, "small.txt") + 0.05


@pytest.mark.parametrize(
    ("line", "family", "value"),
    [
        ("第三章 市场", "chap:章", 3),
        ("十二、结论", "cn、", 12),
        ("（四）风险", "cn()", 4),
        ("(2) 成本", "num()", 2),
        ("③ 推进", "①", 3),
        ("1.2.3 小节", "dec3", 3),
        ("7. 结论", "dec1.", 7),
        ("趋势10：组织变革", "word:趋势", 10),
        ("Part 2 Vendors", "word:part", 2),
        ("(b) Generation Only", "(a)", 2),
        ("• 芯片算力增强", "bullet:•", None),
    ],
)
def test_ordinal_patterns(line, family, value):
    ordinal = ordinal_of(line)
    assert ordinal is not None and (ordinal.family, ordinal.value) == (family, value)


@pytest.mark.parametrize("line", ["2025年市场规模", "1.5倍增长", "12 个月内", "图1：市场规模", "e.g., LLaVA", "By 2025, most"])
def test_lines_that_are_not_ordinals(line):
    assert ordinal_of(line) is None


# ----- stored with the document -----

class _FixedEmbedder:
    """Vectors from a hash of the text: this test is about what ingest stores, not about embedding."""

    name = "fixed"
    dim = 8

    def embed_passages(self, texts):
        import hashlib

        import numpy as np

        rows = []
        for text in texts:
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            vector = np.frombuffer(digest[:32], dtype=np.uint32).astype(np.float64) + 1.0
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32)

    def embed_query(self, text):
        return self.embed_passages([text])[0]


def test_ingest_stores_the_structure_and_a_new_structure_version_reingests(make_settings, tmp_path, monkeypatch):
    from ingest import pipeline
    from rag.index.docfiles import read_sidecar
    from rag.index.manifest import Manifest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cloud-2025.txt").write_text(PLAIN, encoding="utf-8")
    settings = make_settings()
    embedder = _FixedEmbedder()
    report = pipeline.run_ingest(settings, embedder=embedder)
    assert report.ok and len(report.added) == 1
    record = next(iter(Manifest.load(settings.manifest_path).documents.values()))
    assert record.title == "2025年中国云服务市场报告"
    sidecar = read_sidecar(settings.docs_dir, record.doc_id)
    stored = DocumentStructure.from_dict(sidecar["structure"])
    assert stored.title == record.title
    assert stored == read_structure(load_document(corpus / "cloud-2025.txt"))
    assert pipeline.run_ingest(settings, embedder=embedder).unchanged
    monkeypatch.setattr(pipeline, "STRUCTURE_VERSION", pipeline.STRUCTURE_VERSION + 1)
    assert pipeline.run_ingest(settings, embedder=embedder).updated == report.added
