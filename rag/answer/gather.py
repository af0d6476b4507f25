"""The evidence for a question: passages retrieved, their sentences scored, and the abstainer's decision on them.

A ``Gatherer`` works over one engine's index (``Engine`` builds one and hands it the parts it needs). Besides the
evidence for the question as asked, it finds the evidence on one subject of a comparison and the evidence within the
one report a summary names, each searched and judged on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag.answer.abstain import Abstainer, Decision, measure_signals
from rag.answer.evidence import DocumentFiles, Sentence, rerank_by_evidence, score_sentences
from rag.answer.structured import Subject, SubjectEvidence, named_reports, topic_query
from rag.index.lexical import LexicalIndex
from rag.models import Passage
from rag.question import Question
from rag.retrieve.hybrid import Retrieval
from rag.settings import RetrievalSettings
from rag.text.primitives import fold


@dataclass
class Gathered:
    """The evidence for one question: ranked passages, their scored sentences and the abstainer's decision."""

    passages: list[Passage]
    sentences: list[Sentence]
    decision: Decision
    timings: dict[str, float]
    query_vector: Any = None
    translated: tuple[str, ...] = ()  # the question's words in the reports' other language
    groups: list = field(default_factory=list)  # the question's weighted terms (see LexicalIndex.term_groups)


class Gatherer:
    """Gathers evidence over one index.

    Args:
        settings: the retrieval settings.
        retrieve: ``Engine.retrieve`` (a search of the index as it is now).
        lexical: the lexical index as it is now (an ingest may replace it between questions).
        files: the documents' text and sentence files.
        abstainer: decides whether the evidence answers.
        reranked: whether a cross-encoder already reranks the passages (then evidence does not reorder them).
    """

    def __init__(
        self,
        settings: RetrievalSettings,
        retrieve: Callable[..., Retrieval],
        lexical: Callable[[], LexicalIndex | None],
        files: DocumentFiles,
        abstainer: Abstainer,
        reranked: bool,
    ) -> None:
        self.settings = settings
        self._retrieve = retrieve
        self._lexical = lexical
        self.files = files
        self.abstainer = abstainer
        self.reranked = reranked

    def gather(
        self, asked: Question, search_query: str, top_k: int, doc_ids: Sequence[str] | None = None
    ) -> Gathered:
        """Retrieve passages, score their sentences as evidence, and decide whether they answer the question."""
        started = time.perf_counter()
        settings = self.settings
        rerank = settings.evidence_rerank and not self.reranked
        pool_size = max(settings.passages, top_k, settings.evidence_pool if rerank else 0)
        retrieval = self._retrieve(search_query, k=pool_size, doc_ids=doc_ids, chinese=asked.lang == "zh")
        timings = dict(retrieval.timings)
        timings["retrieve_ms"] = elapsed_ms(started)
        evidence_started = time.perf_counter()
        tokens = retrieval.query_tokens
        lexical = self._lexical()
        groups = (lexical.term_groups(tokens, retrieval.translated) if lexical is not None
                  else [(1.0, frozenset({t})) for t in dict.fromkeys(tokens)])
        pool = score_sentences(retrieval.passages, retrieval.query_vector, groups, self.files, asked)
        passages = retrieval.passages
        if rerank:
            passages = rerank_by_evidence(passages, pool, settings.evidence_rerank_weight)
        passages = passages[: max(settings.passages, top_k)]
        kept = {p.chunk.id: p for p in passages[:top_k]}
        # The answer draws on the top_k passages only; their sentences keep the (re)ranked passage objects.
        sentences = [replace(s, passage=kept[s.passage.chunk.id]) for s in pool if s.passage.chunk.id in kept]
        signals = measure_signals(asked, sentences, passages, tokens, lexical, timings)
        decision = self.abstainer.decide(signals)
        timings["evidence_ms"] = elapsed_ms(evidence_started)
        timings["answerable"] = round(decision.probability, 4)
        return Gathered(passages, sentences, decision, timings, retrieval.query_vector, tuple(retrieval.translated),
                        groups)

    def within_named(
        self, asked: Question, search_query: str, found: Gathered, names: Sequence[tuple[str, str]]
    ) -> Gathered:
        """The evidence for a summary of the one report the question names ("summarize the startup report's…",
        "易观怎么总结…"): a search of that report alone for the question's topic, judged by the abstainer on its own.
        A search of the whole shelf may hold few of that report's sentences and much of others'. (A list is already
        chosen among the named report's lists, and its outline is led by the very title a topic search drops.)"""
        named = named_reports(asked, names)
        if len(named) != 1:
            return found
        subject = Subject(dict(names)[named[0]], named[0])
        own = self.gather(asked, topic_query(asked, search_query, [subject]), self.settings.top_k, named)
        return own if own.decision.answer else found

    def evidence_on(self, asked: Question, search_query: str, subject: Subject, found: Gathered) -> SubjectEvidence:
        """The evidence on one subject of a comparison: for a report, a search of that report alone, which the
        abstainer must find to answer; for a name, the sentences of the evidence that mention it."""
        if subject.doc_id is None:
            return SubjectEvidence(subject, self.mentions(asked, search_query, subject, found.sentences) or None)
        own = self.gather(asked, search_query, self.settings.top_k, [subject.doc_id])
        if not own.decision.answer:
            return SubjectEvidence(subject, None)
        return SubjectEvidence(subject, own.sentences, own.passages, own.query_vector, own.groups)

    def mentions(self, asked: Question, search_query: str, subject: Subject, sentences: Sequence[Sentence]) -> list:
        """The evidence sentences that mention a named subject. When the question's evidence names it nowhere, a
        search led by the name looks again, so that "the reports say nothing" is said only when they do not. When
        only a heading, a table header or a lead-in names it, the sentences after it in the same passage speak of it."""
        mentions = _mentioning(sentences, subject.forms)
        if not mentions:
            sentences = self.gather(asked, f"{subject.label} {search_query}", self.settings.top_k).sentences
            mentions = _mentioning(sentences, subject.forms)
        if mentions and all(s.label for s in mentions):
            heads = {(m.passage.chunk.id, m.start) for m in mentions}
            mentions += [s for s in sentences if not s.label
                         and any(s.passage.chunk.id == chunk and s.start > start for chunk, start in heads)]
        return mentions


def _mentioning(sentences: Sequence[Sentence], forms: frozenset[str]) -> list[Sentence]:
    return [s for s in sentences if any(form in fold(s.text) for form in forms)]


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading), to two decimals: a timing of an answer."""
    return round((time.perf_counter() - started) * 1000.0, 2)
