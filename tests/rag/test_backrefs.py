"""A sentence that refers back ("其轨道周期为…", "It was founded…") is quoted with the sentence it refers to, so the
answer names what it is about."""

from __future__ import annotations

import pytest

from ingest.loaders import load_document
from ingest.structure import read_structure
from rag.answer.evidence import DocumentEntry, Sentence
from rag.answer.extractive import compose_extractive
from rag.models import Chunk, Passage
from rag.text.backrefs import leans_back
from rag.text.primitives import sentence_spans, tokenize

PLANETS = (
    "## 行星\n\n"
    "开普勒-22b是一颗位于天鹅座的系外行星。它的轨道周期为290天。\n\n"
    "系外行星的轨道各不相同。HAT-P-2b是一颗位于武仙座的系外行星，其母星为一颗F型恒星。其轨道周期为5地球日15小时。\n\n"
    "柏林围墙在1961年修建。东德方面宣传其为反法西斯防卫墙。\n"
)


@pytest.mark.parametrize("sentence", [
    "其轨道周期为5地球日15小时。",
    "东德方面宣传其为反法西斯防卫墙。",
    "吉米·史都华在此片真正成名。",
    "该公司于2019年成立。",
    "這些州在1861年成立了邦聯。",
    "他们在1555年抵达巴西。",
    "It was named New Rochelle after La Rochelle.",
    "These include parochial schools.",
    "- Its main component is a statocyst.",
])
def test_a_reference_near_the_start_leans_on_the_sentence_before(sentence):
    assert leans_back(sentence)


@pytest.mark.parametrize("sentence", [
    "因此传递更快。",
    "其中有三家公司。",
    "其他企业也在跟进。",
    "此外，市场规模扩大了。",
    "此后为了平息游行，党罢免了总书记。",
    "尤其是金融行业。",
    "HAT-P-2b是一颗位于武仙座的系外行星，其母星为一颗F型恒星。",
    "The biggest city on the river is Cologne.",
    "Thereafter the river flows north.",
])
def test_a_sentence_that_names_its_own_subject_stands_alone(sentence):
    assert not leans_back(sentence)


@pytest.fixture(scope="module")
def planets(tmp_path_factory) -> DocumentEntry:
    path = tmp_path_factory.mktemp("planets") / "planets.md"
    path.write_text(PLANETS, encoding="utf-8")
    loaded = load_document(path)
    spans = sentence_spans(loaded.text)
    tokens = [" ".join(tokenize(loaded.text[a:b])) for a, b in spans]
    return DocumentEntry(text=loaded.text, starts=[a for a, _ in spans], ends=[b for _, b in spans], vectors=None,
                         tokens=tokens, structure_data=read_structure(loaded).to_dict())


class _Files:
    def __init__(self, doc: DocumentEntry) -> None:
        self.doc = doc

    def get(self, doc_id: str) -> DocumentEntry:
        return self.doc


def _passage(doc: DocumentEntry) -> Passage:
    chunk = Chunk(id="c0", doc_id="d0", index=0, source="planets.md", title="行星", start=0, end=len(doc.text),
                  text=doc.text)
    return Passage(rank=1, score=1.0, chunk=chunk)


def _chosen(doc: DocumentEntry, fragment: str) -> Sentence:
    start = doc.text.index(fragment)
    return Sentence(passage=_passage(doc), start=start, end=start + len(fragment), text=fragment, dense=0.9,
                    lexical=0.5, score=1.0)


def test_the_answer_quotes_the_sentence_that_names_what_it_refers_to(planets):
    draft = compose_extractive([_chosen(planets, "其轨道周期为5地球日15小时。")], max_sentences=3, english=False,
                               documents=lambda doc_id: planets)
    quote = draft.citations[0].quote
    assert quote.startswith("HAT-P-2b是一颗") and quote.endswith("其轨道周期为5地球日15小时。")
    assert planets.text[draft.citations[0].quote_start : draft.citations[0].quote_end] == quote
    assert "开普勒" not in draft.text


def test_a_quote_reaches_back_only_within_its_paragraph(planets):
    draft = compose_extractive([_chosen(planets, "它的轨道周期为290天。")], max_sentences=3, english=False,
                               documents=lambda doc_id: planets)
    assert draft.citations[0].quote == "开普勒-22b是一颗位于天鹅座的系外行星。它的轨道周期为290天。"
