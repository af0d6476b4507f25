"""English questions over Chinese reports get the reports' own Chinese words for their English ones."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.index.lexical import LexicalIndex
from rag.text.bilingual import build_glossary, chinese_terms

VOCABULARY = ["芯片", "硬件", "边缘", "延迟", "课程", "斯坦福", "模型", "报告", "晶片机"]


@pytest.fixture(scope="module")
def glossary():
    return build_glossary(VOCABULARY)


def test_an_english_word_finds_the_chinese_word_the_dictionary_gives_for_it(glossary):
    assert "芯片" in chinese_terms("Which chip does it use?", glossary)
    assert "斯坦福" in chinese_terms("a course at Stanford", glossary)


def test_plurals_find_the_singular_sense(glossary):
    terms = chinese_terms("Which chips and courses are named?", glossary)
    assert {"芯片", "课程"} <= set(terms)


def test_only_words_of_the_reports_are_added(glossary):
    # The dictionary has many words for "chip"; only the one the reports use may be searched for.
    terms = chinese_terms("chip delay edge hardware", glossary)
    assert set(terms) <= set(VOCABULARY)
    assert {"芯片", "延迟", "边缘", "硬件"} <= set(terms)


def test_function_words_and_chinese_questions_add_nothing(glossary):
    assert chinese_terms("What is the one that they have?", glossary) == []
    assert chinese_terms("芯片是什么？", glossary) == []
    assert chinese_terms("chip", {}) == []


def test_the_keyword_index_stores_its_glossary_and_an_older_index_without_one_still_loads(copied_index):
    lexical = LexicalIndex.load(copied_index.lexical_dir)
    assert "芯片" in lexical.chinese_terms("AI chip makers")
    folder = copied_index.lexical_dir / (copied_index.lexical_dir / "CURRENT").read_text().strip()
    (folder / "glossary.json").unlink()
    older = LexicalIndex.load(copied_index.lexical_dir)
    assert older is not None and older.chinese_terms("AI chip makers") == []


@pytest.mark.parametrize(
    ("question", "evidence"),
    [
        ("Which Stanford course does the AI startup report recommend as a learning resource?", "CS231n"),
        (("According to the Q1 2024 AI platform insights, which requirements are driving the spread of edge AI "
          "applications?"), "推动边缘 AI 应用普及"),
    ],
)
def test_an_english_question_finds_the_chinese_passage_that_answers_it(corpus_index, question, evidence):
    passages = Engine.from_settings(corpus_index).retrieve(question, k=5).passages
    assert any(evidence in p.chunk.text for p in passages), [p.chunk.text[:60] for p in passages]


def test_a_chinese_word_finds_the_inflected_english_words_a_report_uses():
    """The reverse glossary kept only "word", "words" and "wordes": "技术" missed "technologies", "开发" missed "developed"."""
    from rag.text.bilingual import build_reverse_glossary

    reverse = build_reverse_glossary(["technologies", "developed", "battery", "storage"])
    assert "technologies" in reverse["技术"]
    assert "developed" in reverse["开发"]
    assert reverse["电池"] == ["battery"]  # only words the reports use


def test_an_inflected_english_word_finds_the_chinese_word_for_its_base_form():
    glossary = build_glossary(["开发", "技术"])
    assert "开发" in chinese_terms("Which platforms were developed in 2024?", glossary)
    assert "技术" in chinese_terms("the technologies tracked", glossary)


def test_a_coordination_finds_each_phrase_it_shares_a_head_with():
    """"the short, medium and long term" found only 长期: "short" alone was "in short" (总之), and the dictionary
    spells the middle one "medium-term"."""
    glossary = build_glossary(["短期", "中期", "长期", "总之"])
    terms = chinese_terms("What is the outlook for the short, medium and long term?", glossary)
    assert {"短期", "中期", "长期"} <= set(terms) and "总之" not in terms
    assert "中期" in chinese_terms("the medium term view", glossary)


def test_todays_senses_of_report_words_come_from_the_supplement_without_crowding_out_the_dictionary():
    """CC-CEDICT glosses 创业 as "venture" and 场景 as "scene": "the startup report" and "AI use cases" found no
    Chinese word. A sense of several words in the supplement keys only the whole phrase: "services" still finds 服务,
    not a word whose sense is "financial services"."""
    glossary = build_glossary(["创业", "场景", "服务", "金融", "案例"])
    assert "创业" in chinese_terms("What does the startup report say?", glossary)
    assert "创业" in chinese_terms("start-up founders", glossary)
    assert "场景" in chinese_terms("Which AI use cases do companies choose?", glossary)
    services = chinese_terms("Which cloud services are listed?", glossary)
    assert "服务" in services and "金融" not in services
