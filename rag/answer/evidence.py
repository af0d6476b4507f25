"""Sentence-level evidence inside retrieved passages.

Sentences and their vectors are computed at ingest (see ``ingest.prepare.sentence_units``), so scoring the
sentences of the top passages at question time is a dot product, not another model call.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.fits import answer_fits
from rag.index.docfiles import read_sentence_vectors, read_sidecar
from rag.models import Chunk, Passage
from rag.question import Question
from rag.text.document_structure import DocumentStructure
from rag.text.primitives import line_start, tokenize

# Weights of the sentence score; chosen on the dev set (eval/questions/reports-dev.jsonl), see README "Figures".
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.35
RANK_WEIGHT = 0.04
UNTYPED_PENALTY = 0.1
BLOCK_CONTEXT_WEIGHT = 0.85
LABEL_PENALTY = 0.05
LABEL_MAX_CHARS = 16
# For "who wrote this report?", a byline is the answer whatever its wording; it gets this much on top.
BYLINE_BONUS = 0.15
# Answers of these kinds are a figure or a date: a sentence without one is ranked below those with one.
TYPED_KINDS = ("figure", "date")
# A byline: "作者：…", "*分析：市场研究部 王涛*", "By Jane Doe", on a line of its own.
_BYLINE_RE = re.compile(
    r"^[\s*_>]*(?:(?:作者|撰文|撰稿|执笔|分析师?|文|编辑|[Aa]uthors?)\s*[：:]|(?:[Ww]ritten )?[Bb]y\s+[A-Z\u4e00-\u9fff])"
)
BYLINE_MAX_CHARS = 80
# "2023年-2027年中国教育智能硬件市场规模（单位：亿元）": the title of a chart whose figures did not survive export.
_CHART_TITLE_RE = re.compile(r"[（(]单位[:：]|^\d{4}\s*年?\s*[-–~至]\s*\d{4}\s*年")


@dataclass(frozen=True)
class Sentence:
    """One candidate sentence inside a retrieved passage, with its evidence scores."""

    passage: Passage
    start: int  # offsets into the cleaned document
    end: int
    text: str
    dense: float
    lexical: float
    score: float
    typed: bool = True  # the sentence can be the kind of answer asked for (e.g. it states a figure)
    label: bool = False  # a heading, title, lead-in or question: context for other sentences, not an answer


@dataclass
class DocumentEntry:
    text: str
    starts: list[int]
    ends: list[int]
    vectors: np.ndarray | None
    tokens: list[str] | None  # space-joined tokens per sentence, from ingest
    chunks: list[dict] = field(default_factory=list)  # the sidecar's chunk records: id, start, end, section, page
    structure_data: dict | None = None
    span_tokens: dict[tuple[int, int], set[str]] = field(default_factory=dict, repr=False, compare=False)
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # what later stages work out once

    @cached_property
    def structure(self) -> DocumentStructure:
        """The document's typed blocks, read at ingest (empty for an index from before structure)."""
        return DocumentStructure.from_dict(self.structure_data, self.text)

    def chunk_holding(self, start: int, end: int, like: Chunk) -> Chunk | None:
        """The chunk of this document that holds ``[start, end)`` (the first one, when chunks overlap), as a
        ``Chunk`` with the document fields of ``like`` (a chunk of the same document)."""
        for index, record in enumerate(self.chunks):
            if record["start"] <= start and end <= record["end"]:
                return Chunk(id=record["id"], doc_id=like.doc_id, index=index, source=like.source, title=like.title,
                             section=record.get("section", ""), page=record.get("page"), start=record["start"],
                             end=record["end"], text=self.text[record["start"] : record["end"]], lang=like.lang)
        return None

    def sentence_tokens(self, index: int) -> set[str]:
        if self.tokens is not None:
            return set(self.tokens[index].split()) if self.tokens[index] else set()
        return set(tokenize(self.text[self.starts[index] : self.ends[index]]))

    def tokens_at(self, start: int, end: int) -> set[str]:
        """Tokens of the text span, from the stored sentence tokens when the span is a stored sentence."""
        index = bisect.bisect_left(self.starts, start)
        if index < len(self.starts) and self.starts[index] == start and self.ends[index] == end:
            return self.sentence_tokens(index)
        found = self.span_tokens.get((start, end))
        if found is None:
            found = self.span_tokens[(start, end)] = set(tokenize(self.text[start:end]))
        return found


class DocumentFiles:
    """A small cache of the per-document files the answerer and the source viewer read."""

    def __init__(self, docs_dir: Path, capacity: int = 64) -> None:
        self.docs_dir = docs_dir
        self._cache: OrderedDict[str, DocumentEntry | None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, doc_id: str) -> DocumentEntry | None:
        with self._lock:
            if doc_id in self._cache:
                self._cache.move_to_end(doc_id)
                return self._cache[doc_id]
        sidecar = read_sidecar(self.docs_dir, doc_id)
        entry = None
        if sidecar is not None:
            spans = sidecar.get("sentences", [])
            vectors = read_sentence_vectors(self.docs_dir, doc_id)
            if vectors is not None and len(vectors) != len(spans):
                vectors = None
            tokens = sidecar.get("sentence_tokens")
            if tokens is not None and len(tokens) != len(spans):
                tokens = None
            entry = DocumentEntry(sidecar["text"], [s for s, _ in spans], [e for _, e in spans], vectors, tokens,
                                  sidecar.get("chunks", []), sidecar.get("structure"))
        with self._lock:
            self._cache[doc_id] = entry
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def document_text(self, doc_id: str) -> str | None:
        entry = self.get(doc_id)
        return entry.text if entry else None


def score_sentences(
    passages: list[Passage],
    query_vector: np.ndarray,
    groups: list[tuple[float, frozenset[str]]],
    files: DocumentFiles,
    question: Question,
) -> list[Sentence]:
    """Every sentence of ``passages`` scored for how well it answers ``question``, best first.

    ``groups`` are the question's terms, each with its forms in either language and a weight (see
    ``LexicalIndex.term_groups``), so a sentence in the other language than the question still covers them. For a
    question that asks for a figure or a date, a sentence that carries none cannot be the answer: it is marked
    ``typed=False`` and ranked below the sentences that can.
    """
    needs_type = question.kind in TYPED_KINDS
    total_weight = sum(w for w, _ in groups) or 1.0
    query = np.asarray(query_vector, dtype=np.float32)
    sentences: list[Sentence] = []
    seen: set[tuple[int, int, str]] = set()
    for passage in passages:
        chunk = passage.chunk
        doc = files.get(chunk.doc_id)
        if doc is None:
            continue
        first = bisect.bisect_left(doc.starts, chunk.start)
        last = bisect.bisect_right(doc.starts, chunk.end - 1)
        if doc.vectors is not None and last > first:
            dense_scores = np.asarray(doc.vectors[first:last], dtype=np.float32) @ query
        else:
            dense_scores = np.zeros(max(last - first, 0), dtype=np.float32)
        for offset, index in enumerate(range(first, last)):
            start, end = doc.starts[index], doc.ends[index]
            key = (start, end, chunk.doc_id)
            if end > chunk.end or key in seen:
                continue
            seen.add(key)
            text = doc.text[start:end]
            tokens = doc.sentence_tokens(index)
            context = tokens | _context_tokens(doc, index)
            lexical_score = max(coverage(tokens, groups, total_weight),
                                BLOCK_CONTEXT_WEIGHT * coverage(context, groups, total_weight))
            dense = float(dense_scores[offset])
            score = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical_score + RANK_WEIGHT / passage.rank
            label = doc.structure.is_label(start, end) or _is_label(text)
            if question.asks_author and is_byline(text):
                label = False
                score += BYLINE_BONUS
            if label:
                score -= LABEL_PENALTY
            typed = not needs_type or answer_fits(question, text)
            if not typed:
                score -= UNTYPED_PENALTY
            sentences.append(Sentence(passage, start, end, text, dense, lexical_score, score, typed, label))
    sentences.sort(key=lambda s: -s.score)
    return sentences


def _context_tokens(doc: DocumentEntry, index: int) -> set[str]:
    """The words sentence ``index`` is read with: a list item or table row often names its subject only in the
    first line of its block ("- 腾讯云TI-ONE ..." then "- 适用：游戏、社交等场景"), and a sentence that continues a
    line in that line's first sentence."""
    context: set[str] = set()
    for span in doc.structure.context_of(doc.starts[index], doc.text):
        context |= doc.tokens_at(*span)
    lead = _line_lead(doc, index)
    if lead is not None:
        context |= doc.sentence_tokens(lead)
    return context


def coverage(tokens: set[str], groups: list[tuple[float, frozenset[str]]], total_weight: float) -> float:
    return sum(w for w, forms in groups if not forms.isdisjoint(tokens)) / total_weight


def is_byline(sentence: str) -> bool:
    """Whether the sentence is a byline naming who wrote or analysed the report."""
    stripped = sentence.strip()
    return len(stripped) <= BYLINE_MAX_CHARS and "\n" not in stripped and bool(_BYLINE_RE.match(stripped))


def _line_lead(doc: DocumentEntry, index: int) -> int | None:
    """The first sentence of the line that sentence ``index`` continues ("- AI大模型：指…。" before "典型代表包括…"),
    or None when the sentence starts its line."""
    begins = line_start(doc.text, doc.starts[index])
    first = bisect.bisect_left(doc.starts, begins)
    return first if first < index and doc.text.find("\n", begins, doc.starts[index]) < 0 else None


def _is_label(text: str) -> bool:
    """A heading, chart or table title, a lead-in ("商业化策略：") or a question: context, not an answer."""
    stripped = text.strip().rstrip("*").strip()
    if stripped.startswith("#") or stripped.endswith(("：", ":", "？", "?")):
        return True
    if _CHART_TITLE_RE.search(stripped) and not stripped.endswith(tuple("。！；.!;")):
        return True
    is_row = stripped.count(" ") >= 2 or "|" in stripped  # table cells are statements, however short
    return (
        len(stripped) < LABEL_MAX_CHARS
        and not is_row
        and not stripped.endswith(tuple("。！；.!;）)%"))
        and not any(ch.isdigit() for ch in stripped)
    )


def rerank_by_evidence(passages: list[Passage], sentences: list[Sentence], weight: float) -> list[Passage]:
    """Reorder passages by their best sentence's evidence score plus ``weight`` times their normalised fused score.

    A cheap late-interaction reranker: the sentence vectors were computed at ingest.
    """
    if not passages:
        return passages
    best: dict[str, float] = {}
    for sentence in sentences:
        chunk_id = sentence.passage.chunk.id
        best[chunk_id] = max(best.get(chunk_id, -1.0), sentence.score - RANK_WEIGHT / sentence.passage.rank)
    top = max(p.score for p in passages) or 1.0
    floor = min(best.values(), default=0.0)
    combined = {p.chunk.id: best.get(p.chunk.id, floor) + weight * p.score / top for p in passages}
    ordered = sorted(passages, key=lambda p: -combined[p.chunk.id])
    return [p.model_copy(update={"rank": i + 1, "score": combined[p.chunk.id]}) for i, p in enumerate(ordered)]
