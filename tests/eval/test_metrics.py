"""Per-question metrics and their aggregation, on hand-made result records (the ``reportqa ask --json`` shape)."""

from __future__ import annotations

import pytest

from eval.metrics import aggregate, holds_evidence, score_record
from eval.questions import Question

EVIDENCE = "光是数据对齐和特征融合就搞了两个月"


def question(**fields) -> Question:
    fields.setdefault("id", "q1")
    fields.setdefault("question", "数据对齐花了多久？")
    fields.setdefault("type", "number")
    fields.setdefault("evidence", [EVIDENCE])
    fields.setdefault("answer_keywords", ["两个月"])
    return Question(**fields)


def record(passages=(), citations=(), answer="", refused=False, latency_ms=10.0) -> dict:
    return {
        "question": "q",
        "answer": answer,
        "refused": refused,
        "mode": "extractive",
        "citations": [{"n": i + 1, "text": text} for i, text in enumerate(citations)],
        "passages": [{"rank": i + 1, "text": text} for i, text in enumerate(passages)],
        "notices": [],
        "latency_ms": latency_ms,
    }


def test_evidence_cut_by_a_chunk_edge_still_counts_at_either_end():
    head, tail = EVIDENCE[:12], EVIDENCE[5:]
    assert holds_evidence("前面的一些内容。" + head, EVIDENCE)
    assert holds_evidence(tail + "。后面的内容", EVIDENCE)


def test_a_short_fragment_of_the_evidence_at_an_edge_does_not_count():
    assert not holds_evidence("前面的一些内容。" + EVIDENCE[:4], EVIDENCE)
    assert not holds_evidence("完全无关的一段话", EVIDENCE)


def test_whitespace_is_ignored_on_both_sides():
    assert holds_evidence("共有36项\n指标", "36 项 指标")
    scores = score_record(question(answer_keywords=["36 项"]), record(["共有36项指标"], ["共有36项指标"], answer="共 36项。"))
    assert scores["answer_keyword"] == 1.0


def test_traditional_evidence_matches_a_simplified_passage_and_back():
    assert holds_evidence("企業試用期後續約率很低", "企业试用期")


def test_ranking_metrics_follow_the_first_passage_holding_evidence():
    passages = ["无关一", "无关二", "……" + EVIDENCE + "……", "无关四"]
    scores = score_record(question(), record(passages, [EVIDENCE], answer="两个月"))
    assert scores["hit@1"] == 0.0 and scores["hit@3"] == 1.0 and scores["hit@5"] == 1.0
    assert scores["mrr@10"] == pytest.approx(1 / 3)
    assert scores["recall@3"] == 1.0 and scores["recall@1"] == 0.0
    assert scores["ndcg@10"] == pytest.approx(0.5)  # one relevant passage at rank 3: 1/log2(4) over an ideal of 1


def test_citation_precision_counts_the_citations_whose_passage_holds_evidence():
    scores = score_record(question(), record([EVIDENCE], citations=[EVIDENCE, "无关的引用"], answer="两个月"))
    assert scores["citation_precision"] == 0.5
    assert scores["citation_recall"] == 1.0
    assert scores["citation_has_evidence"] == 1.0


def test_citation_recall_counts_each_evidence_string_of_a_multi_document_question():
    q = question(type="multi_doc", evidence=["第一份报告的证据句子", "第二份报告的证据句子"], answer_keywords=["证据"])
    scores = score_record(q, record(["第一份报告的证据句子", "第二份报告的证据句子"], ["第一份报告的证据句子"], answer="证据"))
    assert scores["citation_recall"] == 0.5
    assert scores["recall@5"] == 1.0


def test_a_refused_answerable_question_is_a_false_refusal_and_not_a_correct_answer():
    scores = score_record(question(), record([EVIDENCE], answer="报告中没有找到答案（两个月）", refused=True))
    assert scores["false_refusal"] == 1.0
    assert scores["answer_keyword"] == 0.0


def test_refusal_accuracy_is_measured_over_unanswerable_questions_only():
    unanswerable = [question(id=f"u{i}", type="unanswerable", evidence=[], answer_keywords=[]) for i in range(4)]
    answerable = question(id="a1")
    records = [record(refused=True), record(refused=True), record(refused=True), record(refused=False, answer="x"),
               record([EVIDENCE], [EVIDENCE], answer="两个月")]
    questions = [*unanswerable, answerable]
    metrics = aggregate(questions, [score_record(q, r) for q, r in zip(questions, records)])
    assert metrics["overall"]["refusal_accuracy"] == 0.75
    assert metrics["overall"]["false_refusal"] == 0.0
    assert metrics["overall"]["answerable"] == 1
    assert metrics["by_type"]["unanswerable"]["refusal_accuracy"] == 0.75
    assert "hit@5" not in metrics["by_type"]["unanswerable"]


def test_latency_percentiles_cover_every_question():
    qs = [question(id=f"q{i}") for i in range(5)]
    scores = [score_record(q, record([EVIDENCE], latency_ms=ms)) for q, ms in zip(qs, [10, 20, 30, 40, 100])]
    overall = aggregate(qs, scores)["overall"]
    assert overall["latency_p50_ms"] == 30.0
    assert overall["latency_p95_ms"] == pytest.approx(88.0)
