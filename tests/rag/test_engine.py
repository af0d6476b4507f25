"""Retrieval through the public engine over the real index of the five shipped reports.

Questions are borrowed from the dev set (eval/questions/reports-dev.jsonl), whose evidence strings are copied
exactly from the reports: a passage that holds the evidence is the right passage.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.questions import load_questions
from rag.engine import Engine
from rag.errors import ReportQAError
from rag.question import analyse, previous_questions, search_text
from rag.text.primitives import fold, simplify

DEV_SET = Path(__file__).resolve().parents[2] / "eval" / "questions" / "reports-dev.jsonl"
DEV = {q.id: q for q in load_questions(DEV_SET)}
TRIAL = "llm-services-failing-the-trial-period.txt"
INFRA = "ai-infrastructure-services-market-analysis.md"
PLATFORM = "ai-platform-market-insights-2024q1.md"


@pytest.fixture(scope="module")
def engine(corpus_index):
    return Engine.from_settings(corpus_index)


def _squash(text: str) -> str:
    return "".join(text.split())


def _file(passage) -> str:
    return passage.chunk.source.rsplit("/", 1)[-1]


def _where(passages) -> list[tuple[str, str]]:
    return [(_file(p), p.chunk.text[:40]) for p in passages]


def _holding(passages, evidence: str, doc: str):
    """The first passage from ``doc`` that holds ``evidence`` (whitespace ignored), or None."""
    return next(
        (p for p in passages if _file(p) == doc and _squash(evidence) in _squash(p.chunk.text)),
        None,
    )


# -- the right passage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("qid", ["plat-010", "infra-006", "trends-019", "start-002"])
def test_a_chinese_question_finds_the_passage_that_answers_it_in_the_top_five(engine, qid):
    q = DEV[qid]
    passages = engine.retrieve(q.question).passages
    assert _holding(passages[:5], q.evidence[0], q.doc) is not None, _where(passages[:5])


@pytest.mark.parametrize("qid", ["infra-007", "trends-032", "start-008"])
def test_an_english_question_finds_the_chinese_passage_that_answers_it(engine, qid):
    q = DEV[qid]
    assert q.lang == "en"
    passages = engine.retrieve(q.question).passages
    assert _holding(passages[:5], q.evidence[0], q.doc) is not None, _where(passages[:5])


@pytest.mark.parametrize("qid", ["trad-006", "trad-009", "trad-005"])
def test_a_simplified_question_finds_the_traditional_report(engine, qid):
    q = DEV[qid]
    assert simplify(q.question) == q.question  # the question is written in Simplified characters
    passages = engine.retrieve(q.question).passages
    assert _holding(passages[:5], q.evidence[0], TRIAL) is not None, _where(passages[:5])


@pytest.mark.parametrize(
    ("question", "evidence", "doc"),
    [
        ("報告所說邊緣AI的「運維噩夢」，具體是指哪些工作難以管理？", "大规模边缘节点的模型部署、监控、更新、安全管理极其复杂", PLATFORM),
        ("報告對GPT-4參數量的估計是多少？", "GPT-4: 估计1.76万亿参数", INFRA),
    ],
    ids=["edge-ai-operations", "gpt-4-parameters"],
)
def test_a_traditional_question_finds_a_simplified_report(engine, question, evidence, doc):
    passages = engine.retrieve(question).passages
    assert _holding(passages[:5], evidence, doc) is not None, _where(passages[:5])


def test_a_traditional_passage_is_shown_in_its_original_script(engine):
    q = DEV["trad-006"]
    passage = _holding(engine.retrieve(q.question).passages[:5], q.evidence[0], TRIAL)
    assert passage is not None
    assert "花了足足10年時間" in passage.chunk.text
    assert "花了足足10年时间" not in passage.chunk.text
    assert fold(passage.chunk.text) != passage.chunk.text.casefold()  # Traditional characters were not converted
    assert engine.source_text(passage.chunk.doc_id)[passage.chunk.start : passage.chunk.end] == passage.chunk.text


def test_every_answer_lists_at_least_ten_ranked_passages(engine):
    answer = engine.ask(DEV["infra-006"].question)
    assert len(answer.passages) >= 10
    assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)


# -- choosing documents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [TRIAL, "corpus/" + TRIAL, "LLM-Services-Failing-The-Trial-Period"])
def test_a_document_named_by_file_path_or_title_limits_the_passages_to_it(engine, name):
    answer = engine.ask("报告对GPT-4参数量的估计是多少？", documents=[name])
    assert answer.passages
    assert {_file(p) for p in answer.passages} == {TRIAL}
    assert {c.chunk.source.rsplit("/", 1)[-1] for c in answer.citations} <= {TRIAL}


def test_a_report_is_found_by_the_title_the_index_shows_for_it(engine):
    (record,) = [r for r in engine.documents() if r.source.endswith(INFRA)]
    answer = engine.ask("阿里云PAI的定价有什么特点？", documents=[record.title])
    assert {_file(p) for p in answer.passages} == {INFRA}


def test_two_named_documents_give_passages_from_both_and_no_other(engine):
    answer = engine.ask("阿里云", documents=[TRIAL, INFRA])
    assert {_file(p) for p in answer.passages} == {TRIAL, INFRA}


def test_an_unknown_document_name_raises_an_error_that_names_it(engine):
    with pytest.raises(ReportQAError, match="no-such-report.pdf"):
        engine.ask("报告对GPT-4参数量的估计是多少？", documents=["no-such-report.pdf"])
    with pytest.raises(ReportQAError, match="no-such-report.pdf"):
        engine.resolve_documents([TRIAL, "no-such-report.pdf"])


def test_neighbours_are_the_chunks_just_before_and_after_in_the_same_document(engine):
    passage = engine.retrieve(DEV["infra-006"].question).passages[0]
    before, after = engine.neighbours(passage.chunk)
    text = engine.source_text(passage.chunk.doc_id)
    for neighbour, index in ((before, passage.chunk.index - 1), (after, passage.chunk.index + 1)):
        assert neighbour is not None
        assert neighbour.doc_id == passage.chunk.doc_id and neighbour.index == index
        assert text[neighbour.start : neighbour.end] == neighbour.text
    assert before.start < passage.chunk.start < after.start


# -- follow-up questions --------------------------------------------------------------------------------------


def test_a_chinese_follow_up_is_answered_about_the_subject_of_the_previous_question(engine):
    first_question = "阿里云PAI是什么平台？"
    first = engine.ask(first_question)
    history = [{"role": "user", "content": first_question}, {"role": "assistant", "content": first.text}]

    follow_up = engine.ask("那它的定价怎么样？", history=history)

    assert (_file(follow_up.passages[0]), follow_up.passages[0].chunk.section) == (
        _file(first.passages[0]), first.passages[0].chunk.section
    ) == (INFRA, "1.1 模型训练与部署平台")
    assert "定价：相对国外云服务更有竞争力" in follow_up.text


def test_the_same_chinese_follow_up_without_history_finds_another_report(engine):
    alone = engine.ask("那它的价格呢？")
    assert _file(alone.passages[0]) != INFRA


def test_an_english_follow_up_given_as_question_answer_pairs_keeps_the_subject(engine):
    first_question = "What share of developers use OpenAI GPT models in the Analysys survey?"
    first = engine.ask(first_question)

    follow_up = engine.ask("and Meta LLaMa?", history=[(first_question, first.text)])
    alone = engine.ask("and Meta LLaMa?")

    top, first_top = follow_up.passages[0].chunk, first.passages[0].chunk
    assert (top.source, top.section) == (first_top.source, first_top.section)
    assert "27.1%" in follow_up.text
    assert alone.passages[0].chunk.source != first_top.source


def test_previous_questions_reads_message_dicts_and_skips_the_assistant():
    history = [
        {"role": "user", "content": "阿里云PAI是什么平台？"},
        {"role": "assistant", "content": "阿里云PAI - 人工智能平台 [1]"},
        {"role": "user", "content": "那它的价格呢？"},
        {"role": "assistant", "content": "定价：相对国外云服务更有竞争力 [1]"},
    ]
    assert previous_questions(history) == ["阿里云PAI是什么平台？", "那它的价格呢？"]


def test_previous_questions_reads_question_answer_pairs():
    history = [("What is PAI?", "A platform [1]"), ["and its price?", "Competitive [1]"]]
    assert previous_questions(history) == ["What is PAI?", "and its price?"]


def test_previous_questions_ignores_turns_it_cannot_read():
    history = [
        {"role": "user", "content": [{"type": "file", "path": "/tmp/report.pdf"}]},
        {"role": "system", "content": "be brief"},
        (None, "an answer without a question"),
        (),
        "a bare string",
    ]
    assert previous_questions(history) == []
    assert previous_questions([]) == []


def _carried(question: str, history) -> str:
    return search_text(analyse(question), previous_questions(history))


def test_a_chinese_follow_up_carries_the_last_question_in_front():
    history = [{"role": "user", "content": "讯飞星火怎么收费？"}, {"role": "user", "content": "阿里云PAI是什么平台？"}]
    assert _carried("那它的价格呢？", history) == "阿里云PAI是什么平台？ 那它的价格呢？"


@pytest.mark.parametrize("follow_up", ["And in 2025?", "And how is it priced per month for a large team?",
                                       "What about its price?"])
def test_an_english_follow_up_carries_the_last_question_in_front(follow_up):
    history = [("What does AWS Bedrock offer?", "Claude, Llama, Titan [1]")]
    assert _carried(follow_up, history) == f"What does AWS Bedrock offer? {follow_up}"


def test_a_long_chinese_follow_up_that_starts_with_a_pronoun_is_carried():
    question = "那么它在游戏和社交场景里的定价方式具体是怎样的？"
    assert _carried(question, [("腾讯云TI-ONE适合哪些场景？", "")]).startswith("腾讯云TI-ONE适合哪些场景？ ")


@pytest.mark.parametrize(
    "question",
    ["讯飞星火大模型是按什么方式收费的？", "Which foundation models does AWS Bedrock offer according to the report?",
     "趋势2是什么？", "What is RAG?"],
)
def test_a_standalone_question_is_not_changed_by_the_history(question):
    """Regression: short questions ("趋势2是什么？", "What is RAG?") were glued to the previous question."""
    assert _carried(question, [("ChatGPT Plus多少钱？", "...")]) == question


def test_without_history_a_question_is_not_changed():
    assert _carried("那它的价格呢？", []) == "那它的价格呢？"
    assert _carried("那它的价格呢？", [{"role": "assistant", "content": "hello"}]) == "那它的价格呢？"
