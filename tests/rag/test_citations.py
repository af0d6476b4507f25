"""How a claim is matched to the words of its source: the support score and the quote a citation shows."""

from __future__ import annotations

from rag.answer.citations import best_quote, support_score
from rag.models import Chunk

DOCUMENT = (
    "# AI基础服务市场分析\n\n"
    "阿里云PAI - 人工智能平台，提供算法开发、模型训练和推理服务。"
    "定价：相对国外云服务更有竞争力。适用：电商、金融等场景。\n"
    "腾讯云TI-ONE - 一站式机器学习平台。"
)


def _chunk(document: str, start_marker: str) -> Chunk:
    start = document.index(start_marker)
    return Chunk(
        id="doc:0", doc_id="doc", index=0, source="corpus/doc.md", title="AI基础服务市场分析",
        start=start, end=len(document), text=document[start:],
    )


def test_a_claim_copied_from_its_source_is_fully_supported():
    assert support_score("相对国外云服务更有竞争力", DOCUMENT) == 1.0


def test_a_claim_with_nothing_in_common_with_its_source_scores_zero():
    assert support_score("月球表面发现了大量液态水", DOCUMENT) == 0.0
    assert support_score("The sky is blue today", DOCUMENT) == 0.0


def test_an_empty_claim_scores_zero():
    assert support_score("", DOCUMENT) == 0.0
    assert support_score("   ", DOCUMENT) == 0.0


def test_support_is_measured_across_traditional_and_simplified_scripts():
    assert support_score("阿裏雲PAI的定價相對國外雲服務更有競爭力", DOCUMENT) > 0.8


def test_a_paraphrase_is_partly_supported():
    score = support_score("PAI的价格比国外云服务更有竞争力", DOCUMENT)
    assert 0.3 < score < 1.0


def test_the_best_quote_is_the_sentence_that_shares_most_wording_with_the_claim():
    chunk = _chunk(DOCUMENT, "阿里云PAI")
    quote, start, end = best_quote(chunk, "PAI的价格比国外云服务更有竞争力")
    assert quote == "定价：相对国外云服务更有竞争力。"
    assert DOCUMENT[start:end] == quote
    assert chunk.start <= start < end <= chunk.end


def test_every_quote_offset_slices_back_into_the_document():
    chunk = _chunk(DOCUMENT, "阿里云PAI")
    for claim in ("推理服务", "电商和金融场景", "TI-ONE是一站式平台", "无关的话"):
        quote, start, end = best_quote(chunk, claim)
        assert DOCUMENT[start:end] == quote
        assert quote in chunk.text
