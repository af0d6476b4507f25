"""List, summary and comparison questions answered whole, from the structure read at ingest (documents made here)."""

from __future__ import annotations

import re

import pytest

from rag.answer.parts import MAX_ITEMS
from rag.answer.summary import SUMMARY_SENTENCES
from rag.engine import Engine

_MARKER_RE = re.compile(r"\[(\d+)\]")

MOBILITY = """# 2030年城市出行报告

## 摘要

城市出行正在从私家车主导转向多种方式并存。共享出行与公共交通的衔接决定了未来十年的效率。

## 一、城市出行的七大变化

报告认为，城市出行将出现以下七个变化：

1. 电动化全面普及：新车销售中电动车占比超过八成。
2. 自动驾驶进入出租车队：首批城市开放全无人运营。
3. 共享单车重新洗牌：头部企业合并，车辆数量下降。
4. 地铁网络加密：换乘距离缩短到三百米以内。
5. 拥堵收费试点：三座城市在核心区收取拥堵费。
6. 低空出行起步：无人机配送覆盖郊区社区。
7. 出行数据开放：政府平台向企业开放实时路况。

## 二、出行成本

通勤的平均成本每年下降百分之三，主要来自电价下降与车队规模效应。

## 三、结论

出行服务商需要尽早布局车队运营能力，公共交通与共享出行的一体化票务将成为标配。
"""

ENERGY = """# Grid Storage Outlook

## Key findings

Battery storage capacity on the grid doubled in two years. Long-duration storage remains too expensive for most utilities.

## Storage technologies

The report tracks these storage technologies:

- Lithium-ion batteries: the default choice for four-hour storage.
- Flow batteries: suited to long discharge, still costly.
- Pumped hydro: the oldest and largest form of storage.
- Compressed air: a few plants in operation.

## Costs

The cost of a four-hour lithium-ion system fell by 18 percent in 2024.
"""

LONG_LIST = "# 长清单\n\n## 全部站点\n\n本报告收录的监测站如下：\n\n" + "\n".join(
    f"{i}. 第{i}号监测站：位于示例河流第{i}段。" for i in range(1, 41)
) + "\n"


ORGANISATION = """# 组织变革报告

## 一、组织能力

随着AI应用在企业不断深入，人机协同的组织管理体系特点如下：

### 灵活的组织架构

组织架构应当扁平化，减少中间层级。

### 持续的学习机制

员工需要持续学习新的工具。

### 明确的分工协作

系统与人员各尽其职，共同完成任务。

## 二、工具清单

- **协同平台甲**
  - 特点：面向人机协同的组织管理工具
  - 优势：部署快
  - 适用：大型企业
- **协同平台乙**
  - 特点：人机协同的任务看板
  - 优势：价格低
  - 适用：中小企业
- **协同平台丙**
  - 特点：组织管理体系的数据底座
  - 优势：开源
  - 适用：技术团队
"""


SEMICONDUCTORS = """# 2026年半导体设备观察

*作者：示例研究院 李明*
*日期：2026年3月1日*

## 一、需求

晶圆厂的扩产计划推迟到下半年，设备订单随之放缓。

来源：公开资料，示例研究院整理

## 二、供给

国产刻蚀设备的交付周期缩短到四个月，价格比进口设备低两成。

来源：公开资料，示例研究院整理

## 三、展望

设备商需要把服务网络铺到晶圆厂周边，以售后能力争取下一轮订单。

来源：公开资料，示例研究院整理
"""


def _shelf(tmp_path_factory, name: str, reports: dict[str, str]) -> Engine:
    """An engine over a new index of ``reports`` (file name → text)."""
    from ingest.pipeline import run_ingest
    from rag.settings import Settings

    root = tmp_path_factory.mktemp(name)
    corpus = root / "corpus"
    corpus.mkdir()
    for file_name, text in reports.items():
        (corpus / file_name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data", corpus_dir=corpus)
    assert run_ingest(settings).ok
    return Engine.from_settings(settings)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return _shelf(tmp_path_factory, "structured", {"mobility.md": MOBILITY, "energy.md": ENERGY,
                                                   "stations.md": LONG_LIST, "organisation.md": ORGANISATION})


def _cited_quotes(answer) -> list[str]:
    numbers = {int(n) for n in _MARKER_RE.findall(answer.text)}
    assert numbers == {c.n for c in answer.citations}, answer.text
    return [c.quote for c in answer.citations]


def test_a_list_question_gets_every_item_each_cited_with_the_count(engine):
    answer = engine.ask("报告认为城市出行会出现哪些变化？")
    assert not answer.refused, answer.text
    quotes = _cited_quotes(answer)
    for head in ("电动化全面普及", "自动驾驶进入出租车队", "共享单车重新洗牌", "地铁网络加密", "拥堵收费试点",
                 "低空出行起步", "出行数据开放"):
        assert any(head in q for q in quotes), (head, answer.text)
    assert "共7项" in answer.text


@pytest.mark.xfail(strict=True, reason=(
    "known weakness: on this shelf of three Chinese reports and one short English one the fitted abstainer rates "
    "the English question far under its cut (0.035 against 0.244 as fitted on 2026-12-02) and refuses it; the list "
    "composer itself finds all four items"))
def test_an_english_list_question_over_an_english_report_names_every_item(engine):
    answer = engine.ask("What storage technologies does the grid storage outlook track?")
    quotes = _cited_quotes(answer)
    for head in ("Lithium-ion batteries", "Flow batteries", "Pumped hydro", "Compressed air"):
        assert any(head in q for q in quotes), (head, answer.text)
    assert answer.text.startswith("4 items")


def test_a_list_is_chosen_by_what_introduces_it_not_by_items_that_repeat_the_question(engine):
    # The three unnumbered headings that "特点如下：" introduces are the answer; the tool records whose "特点：" fields
    # repeat the question's words are fields of a record, not the list asked for.
    answer = engine.ask("人机协同的组织管理体系有哪些特点？")
    quotes = _cited_quotes(answer)
    for head in ("灵活的组织架构", "持续的学习机制", "明确的分工协作"):
        assert any(head in q for q in quotes), (head, answer.text)
    assert "共3项" in answer.text
    assert "部署快" not in answer.text and "适用" not in answer.text


def test_a_long_list_shows_its_first_items_and_says_how_many_more(engine):
    answer = engine.ask("本报告收录了哪些监测站？")
    quotes = _cited_quotes(answer)
    assert "共40项" in answer.text and "另有28项" in answer.text
    assert len(quotes) == 12
    assert len(answer.text) < 1500


def test_every_quote_of_a_list_answer_is_the_exact_span_its_citation_names(engine):
    answer = engine.ask("报告认为城市出行会出现哪些变化？")
    for citation in answer.citations:
        text = engine.source_text(citation.chunk.doc_id)
        assert text[citation.quote_start : citation.quote_end] == citation.quote
        assert citation.chunk.start <= citation.quote_start < citation.quote_end <= citation.chunk.end


def test_a_summary_question_prefers_the_reports_own_summary_and_cites_every_sentence(engine):
    answer = engine.ask("总结一下2030年城市出行报告的主要观点")
    assert not answer.refused
    quotes = _cited_quotes(answer)
    assert any("城市出行正在从私家车主导转向多种方式并存" in q for q in quotes), answer.text
    assert 2 <= len(quotes) <= SUMMARY_SENTENCES + MAX_ITEMS  # bounded: sentences, and the items of a list it sets out
    assert all(c.chunk.title == "2030年城市出行报告" for c in answer.citations)


def test_a_comparison_gets_one_block_per_named_report(engine):
    answer = engine.ask("城市出行报告和Grid Storage Outlook对成本分别怎么看？")
    assert not answer.refused, answer.text
    titles = {c.chunk.title for c in answer.citations}
    assert titles == {"2030年城市出行报告", "Grid Storage Outlook"}, answer.text
    assert "百分之三" in answer.text and "18 percent" in answer.text


def test_a_comparison_compares_the_two_names_the_question_joins_and_finds_an_acronym_by_its_plural():
    """"Sequoia", "CIOs", "CEOs" and "AIGC" are all names; the question compares the two it joins with "and", and a
    report writes each of them in the singular (以CIO爲代表…, CEO則…)."""
    from rag.answer.structured import comparison_subjects
    from rag.question import analyse

    asked = analyse("According to the Sequoia survey in the trial-period article, how do CIOs and CEOs differ in why "
                    "they adopt AIGC?")
    subjects = comparison_subjects(asked, [("d1", "大模型沒過“試用期”")])
    assert [s.label for s in subjects] == ["CIOs", "CEOs"]
    assert "cio" in subjects[0].forms and "ceo" in subjects[1].forms


def test_a_comparison_names_the_items_of_the_list_each_report_sets_its_view_out_in(engine):
    """A comparison quoted each report's few best sentences, so a view set out as a list lost most of its items."""
    answer = engine.ask("城市出行报告的变化和Grid Storage Outlook的储能技术有什么不同？")
    assert not answer.refused, answer.text
    quotes = " ".join(_cited_quotes(answer))
    changes = ["电动化全面普及", "自动驾驶进入出租车队", "共享单车重新洗牌", "地铁网络加密", "拥堵收费试点", "低空出行起步",
               "出行数据开放"]
    technologies = ["Lithium-ion batteries", "Flow batteries", "Pumped hydro", "Compressed air"]
    assert all(item in quotes for item in changes), answer.text
    assert all(item in quotes for item in technologies), answer.text
    assert {c.chunk.title for c in answer.citations} == {"2030年城市出行报告", "Grid Storage Outlook"}


@pytest.fixture(scope="module")
def credited(tmp_path_factory):
    """A shelf whose report has a byline, a date and a credit line under every section."""
    return _shelf(tmp_path_factory, "credited", {"mobility.md": MOBILITY, "semiconductors.md": SEMICONDUCTORS})


def test_a_summary_quotes_the_reports_argument_not_its_byline_date_or_repeated_credits(credited):
    answer = credited.ask("总结一下2026年半导体设备观察的主要观点")
    quotes = _cited_quotes(answer)
    assert any("交付周期缩短到四个月" in q for q in quotes), answer.text
    assert not any("作者" in q or "日期" in q or "来源" in q for q in quotes), answer.text


def test_a_numbered_item_keeps_its_own_number_and_other_ordinals_get_a_bullet(engine):
    """The answer's marker came from a regex over the quote, though the structure already holds each item's ordinal."""
    answer = engine.ask("报告认为城市出行会出现哪些变化？")
    lines = [line for line in answer.text.splitlines() if "[" in line]
    assert lines[0].startswith("1. 电动化全面普及"), answer.text
    assert not any(re.match(r"\d+\.\s+\d+\.", line) for line in lines), answer.text


BORAX = """# 化合物手册

## 硼砂

硼砂是一种含有结晶水的矿物，外观为白色晶体，易溶于水，水溶液呈弱碱性。

硼砂有广泛的用途，可用作清洁剂、化妆品、杀虫剂、缓冲溶液和光学玻璃的原料。

## 乙二醛

乙二醛是最简单的二醛，常温下为黄色液体，在空气中容易聚合。
"""


@pytest.fixture(scope="module")
def prose(tmp_path_factory):
    return _shelf(tmp_path_factory, "prose", {"compounds.md": BORAX, "mobility.md": MOBILITY})


def test_a_list_written_as_prose_is_answered_with_each_thing_it_names_each_cited(prose):
    """A prose list ("可用作A、B、C和D") was answered with a sentence or with a run of headings."""
    answer = prose.ask("硼砂有哪些用途？")
    assert not answer.refused, answer.text
    quotes = _cited_quotes(answer)
    for use in ("清洁剂", "化妆品", "杀虫剂", "缓冲溶液"):
        assert use in quotes, (use, answer.text)
    assert "共5项" in answer.text


def test_a_comparison_finds_a_report_named_by_its_author_not_its_title(credited):
    """Reports were matched by their titles only, so "李明的报告" named no report and the comparison fell apart."""
    answer = credited.ask("李明的报告和城市出行报告分别怎么看成本？")
    assert not answer.refused, answer.text
    # One block per report, each under its title (a report that says nothing on the topic is named as such).
    assert "2026年半导体设备观察：" in answer.text and "2030年城市出行报告：" in answer.text, answer.text


def test_a_comparison_of_two_things_that_are_not_reports_gets_a_block_for_each(engine):
    """"A和B" of common nouns (no report title, no Latin-script name) found no subjects, so no block per thing."""
    answer = engine.ask("地铁网络和共享单车在报告里各有什么变化？")
    assert not answer.refused, answer.text
    assert "地铁网络：" in answer.text and "共享单车：" in answer.text, answer.text
    quotes = " ".join(_cited_quotes(answer))
    assert "换乘距离缩短" in quotes and "头部企业合并" in quotes, answer.text


ROUTES = """# 储能技术路线观察

## 一、两种技术路线

### 液流电池路线（FlowCell）

能量与功率可以分别扩展，适合四小时以上的长时储能。缺点是能量密度低，占地面积大。

### 锂电池路线（LiStack）

能量密度高，建设周期短。缺点是长时储能的成本随时长线性上升。

## 二、市场

储能招标规模在过去一年翻了一番，价格竞争激烈。
"""


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    return _shelf(tmp_path_factory, "routes", {"routes.md": ROUTES})


def test_a_compared_name_that_only_a_heading_gives_is_answered_from_the_text_under_it(routes):
    """A name given only in a heading (or a table header) was "not mentioned": the block said the reports say
    nothing about it, though the section under that heading is all about it. A name no report gives still is."""
    answer = routes.ask("FlowCell和LiStack各有什么优缺点？")
    assert not answer.refused, answer.text
    flow, _, stack = answer.text.partition("LiStack：")
    assert "FlowCell：" in flow and "没有相关内容" not in answer.text, answer.text
    assert "能量与功率可以分别扩展" in flow and "建设周期短" in stack, answer.text
    unknown = routes.ask("FlowCell和ZincAir各有什么优缺点？")
    assert "ZincAir：报告中没有相关内容" in unknown.text, unknown.text


PROVINCES = ["广东", "江苏", "浙江", "山东", "河北", "山西", "内蒙古", "新疆", "甘肃", "青海", "宁夏", "陕西",
             "四川", "云南", "贵州", "湖南", "湖北", "河南", "安徽", "江西", "福建", "辽宁", "吉林", "黑龙江"]
STORAGE_YEARBOOK = "# 新能源市场年报\n\n" + "\n\n".join(
    f"## {i}、{province}\n\n{province}的储能成本在过去一年下降了{i}个百分点，储能项目的成本回收期随之缩短。"
    f"{province}储能成本的下降主要来自电芯价格，长时储能的成本仍然偏高。"
    f"{province}的储能运维成本占储能总成本的一成，储能成本的地区差异明显。"
    for i, province in enumerate(PROVINCES, 1)
) + "\n"

GRID_WATCH = """# 电网观察

*作者：王涛*

## 一、容量电价

独立储能的成本主要由容量电价回收，电价水平每年核定一次。

## 二、分摊

储能成本的分摊方式决定了投资意愿，用户侧承担的比例仍有争议。

## 三、现货

现货市场的峰谷价差决定储能能否收回成本，价差收窄会拉长回收期。

## 四、辅助服务

调频等辅助服务的补偿标准偏低，难以覆盖储能的运维成本。

## 五、租赁

新能源配储改为容量租赁后，储能电站的成本由租金分期收回。
"""


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return _shelf(tmp_path_factory, "storage", {"yearbook.md": STORAGE_YEARBOOK, "grid.md": GRID_WATCH})


def test_a_summary_of_one_named_report_quotes_each_of_its_points_once(storage):
    """A summary naming one report (here by its author) is drawn from that report, and a list of its sections whose
    every item the summary already quoted is not quoted a second time under other numbers."""
    answer = storage.ask("请概括王涛对储能成本的看法。")
    assert not answer.refused, answer.text
    assert {c.chunk.source.rsplit("/", 1)[-1] for c in answer.citations} == {"grid.md"}, answer.text
    said = [phrase for phrase in ("容量电价", "分摊方式", "峰谷价差", "补偿标准", "容量租赁") if phrase in answer.text]
    assert len(said) >= 4, answer.text
    assert all(answer.text.count(phrase) == 1 for phrase in said), answer.text


BOLD_SUMMARY = """# 2026年仓储机器人观察

## 核心洞察

**仓储机器人的出货量今年增长了百分之四十，增速为五年来最高。**

**租赁模式让中小仓库第一次用得起机器人，订单数翻了一番。**

**行业利润率仍然偏低，价格战还会持续一到两年。**

## 市场规模

国内仓储机器人市场规模达到两百亿元，头部五家企业占据六成份额。
"""


def test_a_summary_quotes_no_line_that_is_only_markup(tmp_path_factory):
    """A full stop inside bold text left its closing "**" as a sentence of its own, and the summary showed it as an
    empty bullet with a citation ("-  [9]")."""
    shelf = _shelf(tmp_path_factory, "bold", {"robots.md": BOLD_SUMMARY, "mobility.md": MOBILITY})
    answer = shelf.ask("总结一下2026年仓储机器人观察的核心观点")
    assert not answer.refused, answer.text
    for line in answer.text.splitlines():
        words = re.sub(r"\[\d+\]|^\s*(?:[-*•]|\d+\.)\s*", "", line)
        assert not line.strip() or re.search(r"\w", words), answer.text
    assert any("租赁模式" in q for q in _cited_quotes(answer)), answer.text
