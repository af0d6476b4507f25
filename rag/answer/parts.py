"""What list, summary and comparison answers share: quoting a span with its citation, numbering citations,
joining two answers, telling which reports a question names, and choosing sentences by maximal marginal relevance."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.citations import MARKER_RE
from rag.answer.evidence import DocumentEntry, DocumentFiles, Sentence
from rag.answer.extractive import ExtractiveDraft
from rag.models import Chunk, Citation
from rag.question import Question
from rag.text.primitives import fold

_LATIN_TERM = re.compile(r"[a-z0-9][a-z0-9'.\-]*")

MAX_ITEMS = 12  # items shown of a long list; the rest are counted
ITEM_HEAD_MAX_CHARS = 120
NAME_LINE_MAX_CHARS = 40  # a byline or page furniture line this short names the report's author or publisher
MMR_LAMBDA = 0.7  # relevance against diversity in a summary's or a comparison's sentence choice


@dataclass(frozen=True)
class Quote:
    chunk: Chunk
    start: int
    end: int
    text: str


class Citer:
    """Numbers quotes in the order they are cited; the same span is cited once."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._seen: dict[tuple[str, int, int], int] = {}

    def cite(self, quote: Quote) -> int:
        key = (quote.chunk.doc_id, quote.start, quote.end)
        if key not in self._seen:
            n = len(self.citations) + 1
            self.citations.append(Citation(n=n, chunk=quote.chunk, quote=quote.text, quote_start=quote.start,
                                           quote_end=quote.end))
            self._seen[key] = n
        return self._seen[key]


def join_drafts(first: ExtractiveDraft | None, second: ExtractiveDraft | None) -> ExtractiveDraft | None:
    """Two answers as one, the second's ``[n]`` renumbered after the first's citations; the second is left out when
    the first already quotes from every span it quotes (a summary that quoted each item of the list, with or
    without its heading)."""
    if first is None or not first.citations:
        return second
    if second is None or not second.citations:
        return first
    if all(any(_overlap(c, q) for q in first.citations) for c in second.citations):
        return first
    offset = len(first.citations)
    text = MARKER_RE.sub(lambda m: f"[{int(m.group(1)) + offset}]", second.text)
    moved = [c.model_copy(update={"n": c.n + offset}) for c in second.citations]
    return ExtractiveDraft(text=f"{first.text}\n\n{text}", citations=[*first.citations, *moved])


def _overlap(a: Citation, b: Citation) -> bool:
    return a.chunk.doc_id == b.chunk.doc_id and a.quote_start < b.quote_end and b.quote_start < a.quote_end


def quote_span(doc: DocumentEntry, start: int, end: int, like: Chunk) -> Quote | None:
    """The span trimmed of blank ends, cited in the chunk that holds it (cut to the chunk when none holds all)."""
    while start < end and doc.text[start].isspace():
        start += 1
    while end > start and doc.text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    chunk = doc.chunk_holding(start, end, like)
    if chunk is None:
        chunk = doc.chunk_holding(start, start + 1, like)
        if chunk is None:
            return None
        end = chunk.end
    return Quote(chunk, start, end, doc.text[start:end])


def mmr(candidates: list[Sentence], files: DocumentFiles, k: int) -> list[Sentence]:
    """Maximal marginal relevance over the stored sentence vectors (one sentence per span)."""
    unique: dict[tuple[str, int, int], Sentence] = {}
    for s in candidates:
        key = (s.passage.chunk.doc_id, s.start, s.end)
        if key not in unique or unique[key].score < s.score:
            unique[key] = s
    pool = list(unique.values())
    vectors = [_vector(files, s) for s in pool]
    relevance = [s.score for s in pool]
    picked: list[int] = []
    while pool and len(picked) < min(k, len(pool)):
        def gain(i: int) -> float:
            redundancy = max((_cosine(vectors[i], vectors[j]) for j in picked), default=0.0)
            return MMR_LAMBDA * relevance[i] - (1 - MMR_LAMBDA) * redundancy
        best = max((i for i in range(len(pool)) if i not in picked), key=gain)
        picked.append(best)
    return [pool[i] for i in picked]


def _vector(files: DocumentFiles, sentence: Sentence) -> np.ndarray | None:
    doc = files.get(sentence.passage.chunk.doc_id)
    if doc is None or doc.vectors is None:
        return None
    index = bisect.bisect_left(doc.starts, sentence.start)
    if index < len(doc.starts) and doc.starts[index] == sentence.start:
        return np.asarray(doc.vectors[index], dtype=np.float32)
    return None


def _cosine(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return 0.0
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b)) or 1.0
    return float(a @ b) / denominator


def report_names(title: str, doc: DocumentEntry | None) -> str:
    """What a question may name a report by: its title, its bylines ("分析：市场研究部 王涛") and its short page
    furniture ("©易观分析", "www.analysys.cn": the publisher), one per line."""
    lines = [title]
    if doc is not None:
        for block in doc.structure.blocks:
            if block.kind in ("byline", "furniture") and block.end - block.start <= NAME_LINE_MAX_CHARS:
                line = doc.text[block.start : block.end].strip()
                if line not in lines:
                    lines.append(line)
    return "\n".join(lines)


def named_reports(question: Question, titles: Sequence[tuple[str, str]]) -> list[str]:
    """Doc ids of the reports a question names: a title (or what else names the report, ``report_names``) shares
    terms with the question whose distinctiveness (one over the number of reports holding the term) adds up to at
    least one."""
    folded = [(doc_id, fold(title)) for doc_id, title in titles]
    terms = {t for t in question.terms if len(t) >= 2}
    holders = {t: sum(1 for _, title in folded if names_term(title, t)) for t in terms}
    return [doc_id for doc_id, title in folded
            if sum(1.0 / holders[t] for t in terms if holders[t] and names_term(title, t)) >= 1.0]


def names_term(text: str, term: str) -> bool:
    """Whether folded ``text`` holds ``term`` (see ``term_pattern``)."""
    return term_pattern(term).search(text) is not None


def term_pattern(term: str) -> re.Pattern[str]:
    """Where ``term`` stands in folded text: a Latin-script term as a whole word ("go" is not in "chicago"), a
    Chinese one anywhere (Chinese has no spaces between words)."""
    if _LATIN_TERM.fullmatch(term):
        return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")
    return re.compile(re.escape(term))
