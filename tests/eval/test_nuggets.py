"""Scoring list, summary and comparison answers against gold items (nuggets), on hand-made result records."""

from __future__ import annotations

import pytest

from eval.metrics import score_record
from eval.nuggets import cited_numbers, score_nuggets
from eval.questions import Question

# A made-up report section with a three-item list.
TRENDS = ["AI Agent 将走向多智能体协作", "具身智能进入工厂与仓库", "端侧模型在手机上普及"]
OFF_LIST = "报告发布于2024年12月，由研究部撰写"


def list_question(**fields) -> Question:
    fields.setdefault("id", "l1")
    fields.setdefault("question", "报告列出了哪些趋势？")
    fields.setdefault("type", "list")
    fields.setdefault("nuggets", [["AI Agent", "多智能体"], ["具身智能"], ["端侧模型"]])
    fields.setdefault("evidence", TRENDS)
    return Question(**fields)


def record(answer: str, quotes=(), refused: bool = False) -> dict:
    return {
        "question": "q",
        "answer": answer,
        "refused": refused,
        "citations": [{"n": i + 1, "quote": quote, "text": "……" + quote + "……"} for i, quote in enumerate(quotes)],
        "passages": [{"rank": i + 1, "text": quote} for i, quote in enumerate(quotes)],
        "latency_ms": 5.0,
    }


def test_an_answer_naming_every_item_with_a_citation_that_holds_it_scores_full_marks():
    answer = "三个趋势：AI Agent 走向多智能体协作 [1]；具身智能进入工厂 [2]；端侧模型在手机上普及 [3]。"
    scores = score_nuggets(list_question(), record(answer, TRENDS))
    assert scores == {"items_named": 1.0, "items_belong": 1.0}


def test_a_partial_answer_scores_the_share_of_items_it_names():
    answer = "报告提到具身智能进入工厂 [1] 和端侧模型 [2]。"
    scores = score_nuggets(list_question(), record(answer, TRENDS[1:]))
    assert scores["items_named"] == pytest.approx(2 / 3)
    assert scores["items_belong"] == 1.0


def test_an_item_named_without_a_citation_that_holds_it_does_not_count():
    # 端侧模型 is named, but the only citation is about 具身智能.
    answer = "趋势有具身智能 [1]，还有端侧模型。"
    scores = score_nuggets(list_question(), record(answer, [TRENDS[1]]))
    assert scores["items_named"] == pytest.approx(1 / 3)


def test_a_cited_quote_holding_an_item_the_answer_never_names_does_not_count():
    answer = "报告谈到了若干趋势 [1]。"
    scores = score_nuggets(list_question(), record(answer, [TRENDS[0]]))
    assert scores["items_named"] == 0.0
    assert scores["items_belong"] == 1.0


def test_citations_of_things_outside_the_list_lower_the_share_that_belongs():
    answer = "AI Agent 将走向多智能体协作 [1]，报告发布于2024年12月 [2]。"
    scores = score_nuggets(list_question(), record(answer, [TRENDS[0], OFF_LIST]))
    assert scores["items_named"] == pytest.approx(1 / 3)
    assert scores["items_belong"] == 0.5


def test_a_citation_the_answer_never_marks_supports_nothing():
    answer = "具身智能进入工厂与仓库。"
    scores = score_nuggets(list_question(), record(answer, [TRENDS[1]]))
    assert scores == {"items_named": 0.0, "items_belong": 0.0}


def test_an_answer_without_citations_scores_zero_on_both():
    scores = score_nuggets(list_question(), record("AI Agent、具身智能、端侧模型。"))
    assert scores == {"items_named": 0.0, "items_belong": 0.0}


def test_a_refused_answer_scores_zero_even_if_its_text_names_the_items():
    answer = "AI Agent [1]、具身智能 [2]、端侧模型 [3]"
    scores = score_nuggets(list_question(), record(answer, TRENDS, refused=True))
    assert scores == {"items_named": 0.0, "items_belong": 0.0}


def test_matching_ignores_whitespace_case_and_folds_traditional_to_simplified():
    question = list_question(nuggets=[["數字員工"], ["AI Agent"]], evidence=["到數字員工再到智能營銷", "AI Agent"])
    answer = "客户要了数字 员工 [1] 和 ai agent [2]"
    scores = score_nuggets(question, record(answer, ["從知識問答到數字員工", "ＡＩ　Ａｇｅｎｔ 平台"]))
    assert scores["items_named"] == 1.0


def test_the_digits_of_a_citation_marker_never_name_an_item():
    question = list_question(nuggets=[["2"], ["具身智能"]], evidence=["共 2 项", "具身智能"])
    scores = score_nuggets(question, record("具身智能 [2]", ["共 2 项", "具身智能进入工厂"]))
    assert scores["items_named"] == 0.5


def test_grouped_and_full_width_markers_all_count_as_cited():
    assert cited_numbers("甲 [1, 2]，乙［3］，丙 [4，5]，丁 [6、7]") == {1, 2, 3, 4, 5, 6, 7}
    answer = "AI Agent、具身智能、端侧模型 [1,2]［3］"
    assert score_nuggets(list_question(), record(answer, TRENDS))["items_named"] == 1.0


def comparison_question() -> Question:
    return Question(
        id="c1",
        question="甲报告和乙报告分别怎么看端侧模型？",
        type="comparison",
        doc=["a.md", "b.md"],
        nuggets=[["端侧模型"], ["手机"]],
        entities=[["甲报告", "report A"], ["乙报告", "report B"]],
        evidence=["端侧模型在手机上普及", "在手机上普及"],
    )


def test_a_comparison_that_declares_one_report_silent_covers_both_entities():
    answer = "甲报告认为端侧模型在手机上普及 [1]。乙报告没有提到这个话题。"
    scores = score_nuggets(comparison_question(), record(answer, [TRENDS[2]]))
    assert scores == {"items_named": 1.0, "items_belong": 1.0, "entities_covered": 1.0}


def test_a_comparison_that_leaves_out_one_entity_covers_half():
    answer = "甲报告认为端侧模型在手机上普及 [1]。"
    scores = score_nuggets(comparison_question(), record(answer, [TRENDS[2]]))
    assert scores["entities_covered"] == 0.5


def test_a_refused_comparison_covers_no_entity():
    scores = score_nuggets(comparison_question(), record("甲报告、乙报告", refused=True))
    assert scores["entities_covered"] == 0.0


def test_score_record_adds_the_nugget_scores_only_to_questions_with_nuggets():
    answer = "AI Agent 将走向多智能体协作 [1]"
    with_nuggets = score_record(list_question(), record(answer, [TRENDS[0]]))
    assert with_nuggets["items_named"] == pytest.approx(1 / 3) and with_nuggets["items_belong"] == 1.0
    assert "entities_covered" not in with_nuggets
    assert with_nuggets["hit@1"] == 1.0
    fact = Question(id="f1", question="何时发布？", type="fact", evidence=[OFF_LIST], answer_keywords=["2024年12月"])
    plain = score_record(fact, record("2024年12月 [1]", [OFF_LIST]))
    assert not {"items_named", "items_belong", "entities_covered"} & set(plain)
    assert "entities_covered" in score_record(comparison_question(), record("甲报告 [1]", [TRENDS[2]]))


def test_a_list_question_without_nuggets_is_rejected():
    with pytest.raises(ValueError, match="needs nuggets"):
        Question(id="x", question="有哪些？", type="summary", nuggets=[])


def test_a_comparison_needs_at_least_two_entities():
    with pytest.raises(ValueError, match="two entities"):
        Question(id="x", question="A和B？", type="comparison", nuggets=[["甲"]], entities=[["A"]])


def test_a_nugget_given_as_a_bare_string_is_an_item_with_one_alternative():
    question = Question(id="x", question="有哪些？", type="list", nuggets=["具身智能", ["AI Agent", "Agent"]])
    assert question.nuggets == [["具身智能"], ["AI Agent", "Agent"]]


def test_an_empty_alternative_is_rejected():
    with pytest.raises(ValueError, match="non-empty alternative"):
        Question(id="x", question="有哪些？", type="list", nuggets=[["具身智能", " "]])
