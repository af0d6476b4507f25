"""Which questions ask for a figure, and whether a sentence states the figure asked for (in the right unit)."""

from __future__ import annotations

import pytest

from rag.answer_type import (
    expected_units,
    figure_fits_question,
    is_byline,
    question_names,
    states_answer_number,
    wants_author,
    wants_number,
)


@pytest.mark.parametrize(
    "question",
    [
        "工行推进建设的智能研发助手场景能力一共有多少项？",
        "中型企业的AI团队一般有多少人？",
        "DeepSeek-R1正式版具体是在哪一天开源发布的？",
        "云计算从超前概念变成公认趋势用了几年？",
        "How many AI phones are forecast to ship in China in 2025?",
        "What share of companies chose code development and testing?",
        "What valuation did Moonshot AI reach?",
        "How much does a ChatGPT Plus subscription cost per month?",
    ],
)
def test_a_question_that_asks_for_a_figure_wants_a_number(question):
    assert wants_number(question)


@pytest.mark.parametrize(
    "question",
    [
        "腾讯云TI-ONE被认为最适合哪些业务场景？",
        "这份AI平台市场洞察报告是哪位分析师写的？",
        "Which foundation models does AWS Bedrock offer?",
        "Who wrote the startup article?",
    ],
)
def test_a_question_about_names_or_reasons_does_not_want_a_number(question):
    assert not wants_number(question)


def test_people_are_not_counted_in_items():
    question = "工行的AI4SE专项团队有多少名成员？"
    assert not states_answer_number("梳理研发全领域，推进智能研发助手 36 项场景能力建设", question)
    assert states_answer_number("该团队共有 36 名成员", question)


def test_items_are_counted_in_items():
    assert states_answer_number(
        "梳理研发全领域，推进智能研发助手 36 项场景能力建设", "智能研发助手场景能力一共有多少项？"
    )


def test_a_price_question_is_answered_by_a_currency_figure():
    question = "包含WPS AI权益的大会员一年多少钱？"
    assert states_answer_number("价格\t¥148/年\t¥348/年", question)
    assert states_answer_number("价格 ￥348/年", question)  # full-width yen sign


def test_a_price_question_is_answered_by_an_amount_written_in_traditional_chinese():
    assert states_answer_number("可是試用項目的合同金額才30萬。", "试用项目合同总共才多少钱？")


def test_a_price_question_is_not_answered_by_a_duration():
    question = "试用项目合同总共才多少钱？"
    assert not states_answer_number("雲計算行業花了足足10年時間。", question)
    assert not states_answer_number("客戶在爲期三個月試用期內提出多個應用。", question)


def test_a_figure_the_question_already_contains_is_not_an_answer():
    assert not states_answer_number("OpenAI GPT系列以42.9%的使用率位居首位", "使用率为42.9%的是哪个模型？")
    assert states_answer_number("OpenAI GPT系列以42.9%的使用率位居首位", "OpenAI GPT系列的使用率是多少？")


def test_a_sentence_without_any_figure_is_not_an_answer():
    assert not states_answer_number("定价：相对国外云服务更有竞争力", "阿里云PAI每小时收费多少钱？")


def test_the_unit_of_a_share_question_is_implied_by_what_it_asks_about():
    assert expected_units("开发者的使用率是多少？") == "%成"
    assert states_answer_number("代码开发与测试以59.2%的选择比例位居首位", "选择代码开发的企业占比是多少？")
    assert not states_answer_number("调研共有 1200 位开发者参与", "选择代码开发的企业占比是多少？")


def test_any_figure_will_do_when_the_question_names_no_unit():
    assert expected_units("When was the report published?") is None
    assert states_answer_number("日期：2024年4月5日", "When was the report published?")


def test_a_list_items_ordinal_is_not_a_figure_it_states():
    question = "中型企业的AI团队一般有多少人？"
    assert not states_answer_number("3. 团队规模：视业务而定，需要专门的算法人员。", question)
    assert not states_answer_number("（2）团队规模：视业务而定。", question)
    assert states_answer_number("3. 团队规模：通常为20人左右。", question)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("这份AI平台市场洞察报告是哪个部门的哪位分析师写的？", True),
        ("这篇AI大模型创业文章署名的作者是谁？", True),
        ("Who wrote the AI infrastructure report?", True),
        ("作者认为大模型找到PMF路上的头号障碍是什么？", False),  # what the author thinks, not who they are
        ("What does the author say about pricing?", False),
    ],
)
def test_a_question_about_who_wrote_the_report_wants_its_byline(question, asks):
    assert wants_author(question) is asks


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        ("*分析：市场研究部 王涛*", True),
        ("作者：禅与计算机程序设计艺术 / Zen and the Art of Computer Programming", True),
        ("By Jane Doe, Senior Analyst", True),
        ("by the end of 2024, most firms had a pilot", False),
        ("- 视频分析：Azure Video Analyzer、百度AI视频", False),
        ("文本生成：很多团队已经在用", False),
        ("作者：" + "很长的一段话" * 20, False),  # a paragraph, not a byline
    ],
)
def test_a_byline_is_a_short_line_that_names_the_writer(line, byline):
    assert is_byline(line) is byline


def test_the_digits_of_a_model_name_are_not_a_figure():
    question = "量化技术能让模型体积缩小多少？"
    assert not states_answer_number("o1这类模型能否推广到难以量化的其他领域上", question)
    assert not states_answer_number("Meta发布LlaMa3.1模型，与GPT-4o能力相当，跑在H100上", question)
    assert states_answer_number("效果：模型大小减少75%，速度提升2-4倍", question)


def test_a_discount_question_wants_a_discount():
    question = "腾讯给出的报价折扣是几折？"
    assert wants_number(question)
    assert states_answer_number("腾讯的报价打了七折", question)
    assert not states_answer_number("腾讯才堪堪拓展一家企业客户", question)


def test_a_figure_for_another_year_is_not_the_figure_asked_for():
    question = "易观预测2025年中国人工智能核心产业的市场规模能达到多少亿元？"
    assert not figure_fits_question(question, {}, set(), "2024年中国数字音乐市场规模将突破800亿元。")
    assert figure_fits_question(question, {}, set(), "2025年核心产业规模预计达到5000亿元。")
    assert figure_fits_question(question, {}, set(), "核心产业规模预计达到5000亿元。")  # no year: may still be


def test_a_latin_name_in_a_chinese_question_must_be_in_the_figures_sentence():
    question = "腾讯和那家SaaS企业扩大合作后签下的合同金额是多少？"
    weights = {"saas": 3.3, "ai": 0.4, "腾讯": 3.0}
    names = question_names(question, {*weights, "script"}, weights.get)  # "script": not a word of the reports
    assert names == {"saas": {"saas"}}
    assert not figure_fits_question(question, names, {"试用", "合同", "金额"}, "试用项目的合同金额才30萬。")
    assert figure_fits_question(question, names, {"saas", "合同", "金额"}, "这家SaaS公司的合同金额为200万。")


def test_the_capitalised_names_of_an_english_question_may_appear_in_their_chinese_form():
    weights = {"pinecone": 4.4, "china": 3.0, "ai": 0.4, "starting": 5.0, "what": 5.0}
    translations = {"china": {"中国"}}
    names = question_names("What is Pinecone's starting price in China?", set(), weights.get,
                           lambda word: translations.get(word, set()))
    assert names == {"pinecone": {"pinecone"}, "china": {"china", "中国"}}  # "What" only starts the question
    question = "What is Pinecone's starting price in China?"
    assert not figure_fits_question(question, names, {"github", "copilot", "中国"}, "GitHub Copilot：$10/月")
    assert figure_fits_question(question, names, {"pinecone", "中国"}, "Pinecone：中国区 $70/月起")
