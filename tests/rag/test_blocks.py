"""The queries later stages ask of a report's blocks: where an offset sits, its list, its table, its headings."""

from __future__ import annotations

import pytest

from ingest.loaders import load_document
from ingest.structure import read_structure
from rag.text.block_words import is_summary_heading, ordinal_value
from rag.text.blocks import STRUCTURE_VERSION, Block, Item, item_heads
from rag.text.document_structure import DocumentStructure

REPORT = """# 云服务市场报告

*作者：市场研究部 王涛*

## 核心洞察

市场进入理性增长期。

- **增长放缓**：增速回落到百分之二十
- **格局稳定**：头部厂商份额稳定

## 一、市场规模

各厂商份额如下：

| 厂商 | 份额 |
|---|---|
| 阿里云 | 26% |
| 华为云 | 13% |

主要驱动因素：

1. 企业上云
   - 大型企业
   - 中小企业
2. AI需求

## 二、竞争格局

### 趋势1：价格战

价格竞争仍然激烈。

### 趋势2：生态战

生态能力成为关键。

## 三、结论

市场将保持增长。
"""


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "cloud.md"
    path.write_text(REPORT, encoding="utf-8")
    document = load_document(path)
    return document, read_structure(document)


def _at(document, words: str) -> int:
    return document.text.index(words)


def test_a_structure_survives_a_round_trip_through_json(report):
    document, structure = report
    again = DocumentStructure.from_dict(structure.to_dict())
    assert again == structure and again.version == STRUCTURE_VERSION
    assert again.list_of(_at(document, "大型企业")) == structure.list_of(_at(document, "大型企业"))


def test_an_index_from_before_structure_reads_as_an_empty_structure():
    empty = DocumentStructure.from_dict(None)
    assert empty.blocks == () and empty.version == 0
    assert empty.block_at(10) is None and empty.heading_path(10) == () and empty.list_of(10) is None
    assert empty.sections(30) == [empty.sections(30)[0]] and empty.sections(30)[0].path == ()


def test_block_at_finds_the_block_and_nothing_between_blocks(report):
    document, structure = report
    block = structure.block_at(_at(document, "市场进入理性增长期"))
    assert block.kind == "paragraph" and document.text[block.start : block.end] == "市场进入理性增长期。"
    blank = document.text.index("\n\n") + 1
    assert structure.block_at(blank) is None
    assert structure.block_before(blank).kind == "title"
    assert structure.block_at(_at(document, "趋势1")).kind == "heading"  # not the list of headings over it


def test_heading_path_and_section_title(report):
    document, structure = report
    assert structure.heading_path(_at(document, "价格竞争")) == ("二、竞争格局", "趋势1：价格战")
    assert structure.section_title(_at(document, "生态能力")) == "趋势2：生态战"
    assert structure.heading_path(_at(document, "作者")) == ()  # under the title only
    assert [b.path[-1] for b in structure.outline()] == [
        "核心洞察", "一、市场规模", "二、竞争格局", "趋势1：价格战", "趋势2：生态战", "三、结论"
    ]


def test_list_of_gives_the_whole_list_with_nested_items(report):
    document, structure = report
    listing = structure.list_of(_at(document, "中小企业"))
    assert listing.kind == "list" and not listing.of_headings
    assert item_heads(document.text, listing) == ["1. 企业上云", "2. AI需求"]
    assert item_heads(document.text, listing, depth=None) == ["1. 企业上云", "大型企业", "中小企业", "2. AI需求"]
    item = listing.item_at(_at(document, "中小企业"))
    assert item.depth == 1 and document.text[item.start : item.end] == "- 中小企业"


def test_list_of_inside_a_run_of_numbered_sibling_headings(report):
    document, structure = report
    trends = structure.list_of(_at(document, "生态能力成为关键"))
    assert trends.of_headings
    assert item_heads(document.text, trends) == ["趋势1：价格战", "趋势2：生态战"]
    chapters = structure.list_of(_at(document, "各厂商份额如下"))
    assert item_heads(document.text, chapters) == ["一、市场规模", "二、竞争格局", "三、结论"]
    assert structure.list_of(_at(document, "*作者")) is None


def test_table_of_gives_header_rows_and_cells(report):
    document, structure = report
    table = structure.table_of(_at(document, "华为云"))
    assert table.header == ("厂商", "份额")
    row = table.row_at(_at(document, "华为云"))
    assert [document.text[a:b] for a, b in table.cells[row]] == ["华为云", "13%"]
    assert structure.table_of(_at(document, "各厂商份额如下")) is None


def test_summary_blocks_are_the_blocks_under_summary_headings(report):
    document, structure = report
    summary = [document.text[b.start : b.end] for b in structure.summary_blocks()]
    assert summary[0] == "市场进入理性增长期。"
    assert item_heads(document.text, structure.block_at(_at(document, "格局稳定"))) == ["增长放缓", "格局稳定"]
    assert summary[-1] == "市场将保持增长。"
    assert not any("价格竞争" in s for s in summary)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("摘要", True), ("核心洞察", True), ("总结：市场进入理性增长期", True), ("三、结论", True),
        ("結論", True), ("Key findings", True), ("5. Conclusion", True), ("Executive Summary", True),
        ("市场规模", False), ("Methods", False), ("一、市场概况", False),
    ],
)
def test_summary_headings_in_both_languages_and_scripts(words, expected):
    assert is_summary_heading(words) is expected


def test_sections_cut_the_text_at_every_heading(report):
    document, structure = report
    sections = structure.sections(len(document.text))
    assert sections[0].start == 0 and sections[0].path == ()
    assert sections[-1].end == len(document.text) and sections[-1].path == ("三、结论",)
    assert all(a.end == b.start for a, b in zip(sections, sections[1:]))
    heading = structure.outline()[0]
    assert (sections[1].start, sections[1].body_start) == (heading.start, heading.end)


def test_labels_and_the_context_of_a_line(report):
    document, structure = report
    assert structure.is_label(_at(document, "趋势1"), _at(document, "趋势1") + 4)
    assert not structure.is_label(_at(document, "价格竞争"), _at(document, "价格竞争") + 4)
    row = structure.context_of(_at(document, "华为云"), document.text)
    assert [document.text[a:b] for a, b in row] == ["| 厂商 | 份额 |", "一、市场规模"]
    nested = structure.context_of(_at(document, "中小企业"), document.text)
    assert [document.text[a:b] for a, b in nested] == ["1. 企业上云", "主要驱动因素：", "一、市场规模"]


def test_furniture_is_reported_and_never_a_section(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(
        "市场报告\n\n第一章 概况\n\n" + "正文内容很长很长很长很长很长很长很长很长很长很长很长很长。\n\nwww.example.cn\n\n" * 3,
        encoding="utf-8",
    )
    document = load_document(path)
    structure = read_structure(document)
    assert [document.text[b.start : b.end] for b in structure.furniture()] == ["www.example.cn"] * 3
    offset = document.text.index("www.example.cn")
    assert structure.is_furniture(offset) and structure.section_title(offset) == "第一章 概况"


def test_hand_made_blocks_answer_the_same_queries():
    text = "标题\n\n- 甲：一\n- 乙：二"
    items = (Item(4, 9, 6, 7, "-"), Item(10, 15, 12, 13, "-"))
    structure = DocumentStructure(
        title="标题",
        blocks=[Block("title", 0, 2, level=1, text_span=(0, 2)), Block("list", 4, 15, items=items)],
    )
    assert isinstance(structure.blocks, tuple)
    assert item_heads(text, structure.list_of(13)) == ["甲", "乙"]
    assert structure.list_of(13).item_at(13) == items[1]
    assert structure.title_block().text_span == (0, 2)


def _shapes(tmp_path, name: str, body: str):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    document = load_document(path)
    structure = read_structure(document)
    runs = [s for s in structure.list_shapes if s.kind == "headings"]
    return [[document.text[i.head_start : i.head_end] for i in run.items] for run in runs]


def test_a_run_of_headings_whose_numbering_starts_again_is_two_lists(tmp_path):
    """"01 … 02 … 03 …", a paragraph, "01 … 04 …" under one heading was offered as one list of seven."""
    body = "# 组织报告\n\n## 趋势10：组织变革\n\n变化主要如下：\n\n" + "".join(
        f"### 0{n} 变化{n}\n\n变化{n}的正文。\n\n" for n in range(1, 4)) + "举措如下：\n\n" + "".join(
        f"### 0{n} 举措{n}\n\n举措{n}的正文。\n\n" for n in range(1, 5))
    runs = _shapes(tmp_path, "restart.md", body)
    assert ["01 变化1", "02 变化2", "03 变化3"] in runs
    assert ["01 举措1", "02 举措2", "03 举措3", "04 举措4"] in runs
    assert not any(len(run) > 4 for run in runs)


def test_headings_marked_otherwise_than_their_siblings_start_a_list_of_their_own(tmp_path):
    body = ("# 年度报告\n\n" + "".join(f"## {n}、章节{n}\n\n正文{n}。\n\n" for n in "一二三")
            + "## 附录\n\n附录正文。\n\n## 致谢\n\n致谢正文。\n")
    runs = _shapes(tmp_path, "styles.md", body)
    assert ["一、章节一", "二、章节二", "三、章节三"] in runs
    assert ["附录", "致谢"] in runs


@pytest.mark.parametrize("ordinal, value", [("03", 3), ("趋势12:", 12), ("（四）", 4), ("十一、", 11), ("二十", 20),
                                            ("1.2", 2), ("", None), ("-", None)])
def test_the_number_an_ordinal_counts_with(ordinal, value):
    assert ordinal_value(ordinal) == value


def _document_and_shapes(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    document = load_document(path)
    structure = read_structure(document)
    return document, structure.list_shapes


def test_bold_labels_each_over_a_list_of_their_own_are_one_list(tmp_path):
    document, shapes = _document_and_shapes(tmp_path, "steps.md", """# 创业指南

## 步骤

创业的步骤主要包括以下几个关键环节：

**Step 1: 技术研发与优化**
- 收集标注数据
- 训练模型

**Step 2: 市场定位与功能规划**
- 进行市场调研
- 制定产品路线图

**Step 3: 商业化策略与推广**
- 制定定价策略
""")
    heads = [[document.text[i.head_start : i.head_end] for i in s.items] for s in shapes]
    labels = next(h for h in heads if any("Step 1" in x for x in h))
    assert [x.strip("*") for x in labels] == ["Step 1: 技术研发与优化", "Step 2: 市场定位与功能规划", "Step 3: 商业化策略与推广"]


def test_a_lead_in_above_a_heading_starts_a_run_of_its_own(tmp_path):
    document, shapes = _document_and_shapes(tmp_path, "agi.txt", """AGI发展报告

● 基于大语言模型的发展

大模型能力持续提升，带动了整个领域。

● 工具使用能力的拓展

智能体开始调用外部工具。同时，AGI的发展也面临诸多挑战，这包括：

● 计算资源限制

算力需求极高，硬件跟不上。

● 数据获取与质量难题

高质量数据难以获取。
""")
    runs = [[document.text[i.head_start : i.head_end] for i in s.items] for s in shapes if s.kind == "headings"]
    challenges = next(r for r in runs if any("计算资源限制" in h for h in r))
    assert not any("工具使用" in h for h in challenges), runs
    assert any("数据获取" in h for h in challenges), runs
