"""Which questions ask for a figure, and whether a sentence states the figure asked for (in the right unit)."""

from __future__ import annotations

import pytest

from rag.answer_type import expected_units, states_answer_number, wants_number


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
