"""How specific a word is in the language at large, and the abstainer signals built on it: a question whose specific
words the shelf never uses is off its topic; common words say nothing either way."""

from __future__ import annotations

import pytest

from rag.answer.abstain import measure_signals
from rag.engine import Engine
from rag.text.specificity import specific_share, specificity


def test_common_words_weigh_little_and_rare_or_unknown_words_much():
    assert specificity("the") < specificity("report") < specificity("ibuprofen")
    assert specificity("需要") < specificity("报告") < specificity("布洛芬")
    assert specificity("xqzvbnmw") == 1.0  # never seen
    assert all(0.0 <= specificity(w) <= 1.0 for w in ("的", "AI", "大模型", "Kryptops"))


def test_the_share_is_weighted_by_specificity():
    known = {"需要", "时间"}.__contains__
    # Two common words known, the one specific word not: most of the weight is missing.
    assert specific_share(["需要", "时间", "红烧肉"], known) < 0.5
    assert specific_share(["需要", "时间"], known) == pytest.approx(1.0)
    assert specific_share([], known) == 0.0


@pytest.fixture(scope="module")
def engine(corpus_index):
    return Engine.from_settings(corpus_index)


@pytest.mark.parametrize(
    ("off_topic", "on_topic"),
    [
        ("饺子馅里放多少盐比较合适？", "云服务厂商为什么不断降低推理服务的价格？"),
        ("Which football club won the 1998 league title?", "Which platforms offer model training services?"),
    ],
)
def test_an_off_topic_question_lacks_the_shelf_vocabulary_an_on_topic_one_has(engine, off_topic, on_topic):
    off, on = engine.ask(off_topic), engine.ask(on_topic)
    assert off.signals["specific_vocabulary"] < on.signals["specific_vocabulary"]
    assert off.refused and not on.refused


def test_signals_without_a_keyword_index_are_zero_not_an_error():
    from rag.question import analyse

    signals = measure_signals(analyse("红烧肉怎么做？"), [], [], [], None, {})
    assert signals["specific_vocabulary"] == 0.0 and signals["specific_missing"] == 0.0
