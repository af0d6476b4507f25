"""Answers that are more than a few sentences: a whole list, a summary, a comparison, from the blocks read at ingest.

- A list question ("有哪些…", "what are the…") gets every item of the list (or run of sibling headings, or table)
  that answers it (``rag.lists``): each item's head quoted and cited, with the count; a long list shows its first
  ``MAX_ITEMS`` items and says how many more there are. Lists from several reports are grouped by report.
- A summary question ("总结", "summarize") gets a query-focused extractive summary: sentences chosen by maximal
  marginal relevance over the stored sentence vectors, the document's own summary blocks preferred, grouped by
  report.
- A comparison question ("A和B有什么不同", "compare") gets one block per report or name it compares; one the
  retrieved reports say nothing about is named as such.

Every claim is an exact span of a report, cited; nothing is written that the reports do not say.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer_extractive import ExtractiveDraft, complete_sentence, display_sentence
from rag.blocks import Item
from rag.citations import MARKER_RE
from rag.evidence import DENSE_WEIGHT, LEXICAL_WEIGHT, DocumentEntry, DocumentFiles, Sentence, coverage
from rag.lists import RankedList, rank_lists
from rag.models import Chunk, Citation, Passage
from rag.question import Question
from rag.text import fold

MAX_ITEMS = 12  # items shown of a long list; the rest are counted
SUMMARY_SENTENCES = 9
SUMMARY_POOL = 40
SUMMARY_MIN_CHARS = 12
MMR_LAMBDA = 0.7  # relevance against diversity in the summary's sentence choice
SUMMARY_BLOCK_BONUS = 0.05  # a sentence of the report's own summary (摘要, 核心洞察, conclusion) is preferred
FOCUS_SHARE = 0.95  # without a named report, a summary covers the reports whose best evidence is this close
ITEM_HEAD_MAX_CHARS = 120
ITEM_WHOLE_MAX_CHARS = 80  # an item this short is quoted whole, not only its head
ITEM_EVIDENCE_MAX_CHARS = 600  # an item this long or shorter also quotes the best evidence sentence it holds
COMPARISON_SENTENCES = 4
COMPARISON_LEAD_SENTENCES = 1  # before the items of a list that sets the subject's view out
# An item head that starts with its own ordinal: "1、", "一、", "（一）", "①", "趋势1：", "Step 2:".
_ORDINAL_START = re.compile(r"^(?:\d+[、．]|[一二三四五六七八九十]+[、．]|[（(][一二三四五六七八九十\d]+[)）]|[①-⑳]|\S{1,6}?\d+\s*[:：])")
PROSE = ("paragraph", "list", "table")  # blocks whose sentences can sum a report up (not bylines, dates, titles)


# A list item in an answer: (start, end) of what names it, then (start, end) of the whole item.
Entry = tuple[int, int, int, int]


@dataclass(frozen=True)
class _Quote:
    chunk: Chunk
    start: int
    end: int
    text: str


class _Citer:
    """Numbers quotes in the order they are cited; the same span is cited once."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._seen: dict[tuple[str, int, int], int] = {}

    def cite(self, quote: _Quote) -> int:
        key = (quote.chunk.doc_id, quote.start, quote.end)
        if key not in self._seen:
            n = len(self.citations) + 1
            self.citations.append(Citation(n=n, chunk=quote.chunk, quote=quote.text, quote_start=quote.start,
                                           quote_end=quote.end))
            self._seen[key] = n
        return self._seen[key]


def join_drafts(first: ExtractiveDraft | None, second: ExtractiveDraft | None) -> ExtractiveDraft | None:
    """Two answers as one, the second's ``[n]`` renumbered after the first's citations."""
    if first is None or not first.citations:
        return second
    if second is None or not second.citations:
        return first
    offset = len(first.citations)
    text = MARKER_RE.sub(lambda m: f"[{int(m.group(1)) + offset}]", second.text)
    moved = [c.model_copy(update={"n": c.n + offset}) for c in second.citations]
    return ExtractiveDraft(text=f"{first.text}\n\n{text}", citations=[*first.citations, *moved])


# -- lists ---------------------------------------------------------------------------------------------------------


def compose_list(
    question: Question,
    sentences: Sequence[Sentence],
    passages: Sequence[Passage],
    files: DocumentFiles,
    query_vector: np.ndarray,
    groups: list[tuple[float, frozenset[str]]],
    titles: Sequence[tuple[str, str]] = (),
) -> ExtractiveDraft | None:
    """Every item of the list that answers (see ``rag.lists``), and of other reports' lists that answer as well,
    grouped by report; None when no list of the evidence's reports answers. ``titles``: (doc id, title) of every
    report, to tell which the question names (only their lists then compete)."""
    named = named_reports(question, titles) or None
    if named:  # the words that name the report are spent on finding it: they say nothing of which list
        named_titles = " ".join(fold(title) for doc_id, title in titles if doc_id in named)
        groups = [(w, forms) for w, forms in groups if not any(form in named_titles for form in forms)] or groups
    ranked = rank_lists(sentences, passages, files, query_vector, groups, named, question.count)
    if not ranked:
        return None
    citer = _Citer()
    english = question.lang == "en"
    groups_text = []
    for choice in ranked:
        doc = files.get(choice.doc_id)
        if doc is None:
            continue
        entries = [_item_span(item) for item in choice.shape.items]
        groups_text.append(_list_group(entries, doc, choice.chunk, citer, english, several=len(ranked) > 1,
                                       evidence=choice.evidence))
    if not citer.citations:
        return None
    return ExtractiveDraft(text="\n\n".join(g for g in groups_text if g), citations=citer.citations)


def _item_span(item: Item) -> Entry:
    """What names an item in a list answer (the whole item when it is short, "适用：游戏、社交等场景"; else its head,
    "趋势1：AI Agent加速落地" of a long section), and the whole item."""
    own_end = item.children[0].start if item.children else item.end
    end = own_end if own_end - item.head_start <= ITEM_WHOLE_MAX_CHARS else item.head_end
    return (item.head_start, end, item.start, item.end)


def _list_group(
    entries: list[Entry],
    doc: DocumentEntry,
    like: Chunk,
    citer: _Citer,
    english: bool,
    several: bool,
    evidence: Sequence[Sentence] = (),
) -> str:
    """One report's list: each item named and cited; an item that holds one of the best evidence sentences also
    quotes that sentence (what the question asks of the list may be said there, not in the item's head)."""
    lines = []
    for number, (start, end, item_start, item_end) in enumerate(entries[:MAX_ITEMS], start=1):
        quote = _quote(doc, start, min(end, start + ITEM_HEAD_MAX_CHARS), like)
        if quote is None:
            continue
        line = f"{_marker(doc.text, start, number)}{display_sentence(quote.text)} [{citer.cite(quote)}]"
        short = item_end - item_start <= ITEM_EVIDENCE_MAX_CHARS  # not a whole section under a heading
        inside = next((s for s in evidence if short and item_start <= s.start and s.end <= item_end
                       and (s.end <= quote.start or s.start >= quote.end) and not s.label), None)
        if inside is not None:
            extra = _Quote(inside.passage.chunk, inside.start, inside.end, inside.text)
            line += f" — {display_sentence(extra.text)} [{citer.cite(extra)}]"
        lines.append(line)
    if not lines:
        return ""
    total = len(entries)
    if english:
        head = f"{total} items" + (f" in “{like.title}”" if several else "") + ":"
    else:
        head = (f"《{like.title}》" if several else "") + f"共{total}项："
    more = total - min(total, MAX_ITEMS)
    if more:
        lines.append(f"… and {more} more (see the source)." if english else f"……另有{more}项，见原文。")
    return "\n".join([head, *lines])


def _marker(text: str, start: int, number: int) -> str:
    """What an answer's line puts before a quoted item: the item's own number when its quote starts with one
    ("1. 电动化…", never "1. 1. 电动化…"), a bullet before another ordinal ("趋势1：…", "（一）…"), else a number."""
    head = text[start : start + 12].lstrip()
    digits = len(head) - len(head.lstrip("0123456789"))
    if digits and head[digits : digits + 1] in (".", ")"):
        return ""
    return "- " if _ORDINAL_START.match(head) else f"{number}. "


def _quote(doc: DocumentEntry, start: int, end: int, like: Chunk) -> _Quote | None:
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
    return _Quote(chunk, start, end, doc.text[start:end])


# -- summaries -----------------------------------------------------------------------------------------------------


def compose_summary(
    question: Question,
    sentences: Sequence[Sentence],
    files: DocumentFiles,
    query_vector: np.ndarray,
    groups: list[tuple[float, frozenset[str]]],
    titles: Sequence[tuple[str, str]] = (),
) -> ExtractiveDraft | None:
    """A query-focused extractive summary of the reports the evidence comes from, grouped by report.
    ``titles``: (doc id, title) of every report in the index, to tell which the question names."""
    focus = _focus_documents(question, sentences, titles)
    sentences = [s for s in sentences if s.passage.chunk.doc_id in focus]
    candidates = [s for s in sentences if _states_something(s.text) and not s.label][:SUMMARY_POOL]
    candidates += _report_sentences(sorted(focus), sentences, files, query_vector, groups)
    candidates = [s for s in candidates if _of_the_body(files.get(s.passage.chunk.doc_id), s)]
    if not candidates:
        return None
    picked = _mmr(candidates, files, SUMMARY_SENTENCES)
    # A lead-in ("AGI的发展也面临诸多挑战，这包括：") is quoted with what it introduces.
    picked = [complete_sentence(s, files.get(s.passage.chunk.doc_id)) if _leads_in(s.text) else s for s in picked]
    return _grouped(picked, question.lang == "en")


def _leads_in(text: str) -> bool:
    return display_sentence(text).strip().endswith(("：", ":"))


def _of_the_body(doc: DocumentEntry | None, sentence: Sentence) -> bool:
    """A sentence of the report's argument: in a paragraph, list or table (not a byline, date or title), and said
    once (a line the report repeats, "来源：…整理" under every chart or a boilerplate "about us", is furniture)."""
    if doc is None:
        return False
    block = doc.structure.block_at(sentence.start)
    if block is not None and block.kind not in PROSE:
        return False
    text = sentence.text.strip()
    return len(text) < SUMMARY_MIN_CHARS or doc.text.count(text) < 2


def _states_something(text: str) -> bool:
    """A sentence a summary can use: not a lead-in ("参数规模扩张：") nor a fragment of a few characters."""
    stripped = display_sentence(text).strip()
    return len(stripped) >= SUMMARY_MIN_CHARS and not stripped.endswith(("：", ":"))


def _focus_documents(question: Question, sentences: Sequence[Sentence], titles: Sequence[tuple[str, str]]) -> set[str]:
    """The reports a summary is about: those the question names (see ``named_reports``) that the evidence comes
    from, else those whose best sentence scores within ``FOCUS_SHARE`` of the best one."""
    best: dict[str, float] = {}
    for sentence in sentences:
        chunk = sentence.passage.chunk
        best[chunk.doc_id] = max(best.get(chunk.doc_id, -1.0), sentence.score)
    named = set(named_reports(question, titles)) & best.keys()
    if named:
        return named
    top = max(best.values(), default=0.0)
    return {doc_id for doc_id, score in best.items() if score >= FOCUS_SHARE * top}


def _report_sentences(
    doc_ids: Sequence[str],
    sentences: Sequence[Sentence],
    files: DocumentFiles,
    query_vector: np.ndarray,
    groups: list[tuple[float, frozenset[str]]],
) -> list[Sentence]:
    """What a report says of itself: the sentences of its summary blocks (摘要, 核心洞察, conclusion) and the first
    sentence of each top-level section (its outline; a section's lead-in, "…伴随着诸多挑战：", states its gist
    too); scored by meaning, with a small bonus."""
    example = {s.passage.chunk.doc_id: s for s in reversed(sentences)}
    query = np.asarray(query_vector, dtype=np.float32)
    total = sum(w for w, _ in groups) or 1.0
    out: list[Sentence] = []
    for doc_id in doc_ids:
        doc = files.get(doc_id)
        if doc is None or doc.vectors is None or doc_id not in example:
            continue
        spans = [(b.start, b.end) for b in doc.structure.summary_blocks()] + _section_leads(doc)
        for start, end in spans:
            first = bisect.bisect_left(doc.starts, start)
            for index in range(first, len(doc.starts)):
                s_start, s_end = doc.starts[index], doc.ends[index]
                if s_end > end:
                    break
                chunk = doc.chunk_holding(s_start, s_end, example[doc_id].passage.chunk)
                block = doc.structure.block_at(s_start)
                if chunk is None or doc.structure.is_label(s_start, s_end) or (block and block.kind not in PROSE):
                    continue
                dense = float(np.asarray(doc.vectors[index], dtype=np.float32) @ query)
                lexical = coverage(doc.sentence_tokens(index), groups, total)
                passage = example[doc_id].passage.model_copy(update={"chunk": chunk})
                out.append(Sentence(passage, s_start, s_end, doc.text[s_start:s_end], dense, lexical,
                                    DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical + SUMMARY_BLOCK_BONUS))
    return out


def _section_leads(doc: DocumentEntry) -> list[tuple[int, int]]:
    """The first sentence of each top-level section (the outline's highest level), as spans."""
    outline = doc.structure.outline()
    if not outline:
        return []
    top = min(h.level for h in outline)
    leads = []
    for heading in (h for h in outline if h.level == top):
        index = bisect.bisect_left(doc.starts, heading.end)
        while index < len(doc.starts) and doc.structure.is_label(doc.starts[index], doc.ends[index]):
            index += 1
        if index < len(doc.starts):
            leads.append((doc.starts[index], doc.ends[index]))
    return leads


def _mmr(candidates: list[Sentence], files: DocumentFiles, k: int) -> list[Sentence]:
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


def _grouped(picked: Sequence[Sentence], english: bool) -> ExtractiveDraft:
    """Sentences grouped by report (in the order of each report's best sentence), in document order within one."""
    citer = _Citer()
    order = list(dict.fromkeys(s.passage.chunk.doc_id for s in picked))
    several = len(order) > 1
    blocks = []
    for doc_id in order:
        group = sorted((s for s in picked if s.passage.chunk.doc_id == doc_id), key=lambda s: s.start)
        title = group[0].passage.chunk.title
        lines = [f"- {display_sentence(s.text)} [{citer.cite(_Quote(s.passage.chunk, s.start, s.end, s.text))}]"
                 for s in group]
        head = (f"“{title}”:" if english else f"《{title}》：") if several or english else ""
        blocks.append("\n".join([head, *lines]) if head else "\n".join(lines))
    return ExtractiveDraft(text="\n\n".join(blocks), citations=citer.citations)


# -- comparisons ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One thing a comparison compares: a report (its doc id) or a name the question gives."""

    label: str
    doc_id: str | None = None
    forms: frozenset[str] = frozenset()


def comparison_subjects(question: Question, titles: Sequence[tuple[str, str]]) -> list[Subject]:
    """The reports the question names (two or more), else the names it gives (two or more), else none."""
    reports = named_reports(question, titles)
    if len(reports) >= 2:
        return [Subject(title, doc_id) for doc_id, title in titles if doc_id in reports]
    folded_titles = " ".join(fold(title) for _, title in titles)
    names = [e for e in question.entities if fold(e) not in folded_titles]
    if len(names) >= 2:
        return [Subject(name, None, frozenset({fold(name)})) for name in names]
    return []


@dataclass(frozen=True)
class SubjectEvidence:
    """What the evidence says of one subject of a comparison: its best sentences (``None``: nothing), and for a
    report, the passages, question vector and term groups of its own search (its lists compete to answer)."""

    subject: Subject
    sentences: Sequence[Sentence] | None
    passages: Sequence[Passage] = ()
    query_vector: np.ndarray | None = None
    groups: Sequence[tuple[float, frozenset[str]]] = ()


def compose_comparison(
    question: Question, found: Sequence[SubjectEvidence], files: DocumentFiles
) -> ExtractiveDraft | None:
    """One block per subject: what the evidence says of it (see ``_subject_block``), or that it says nothing."""
    citer = _Citer()
    english = question.lang == "en"
    parts = []
    for evidence in found:
        label = evidence.subject.label
        mine = [s for s in (evidence.sentences or ()) if not s.label]
        if not mine:
            parts.append(f"{label}: the reports say nothing about this." if english else f"{label}：报告中没有相关内容。")
            continue
        body = _subject_block(evidence, mine, files, citer, english)
        parts.append("\n".join([f"{label}:" if english else f"{label}：", body]))
    if not citer.citations:
        return None
    return ExtractiveDraft(text="\n\n".join(parts), citations=citer.citations)


def _subject_block(
    evidence: SubjectEvidence, mine: list[Sentence], files: DocumentFiles, citer: _Citer, english: bool
) -> str:
    """A subject's sentences, chosen for relevance and diversity (MMR); for a report that sets the topic out as a
    list, its best sentence outside that list and then the list's items, each cited (as a list question is
    answered)."""
    choice = _subject_list(evidence, mine, files)
    if choice is not None:  # the list's own items are not quoted twice
        mine = [m for m in mine if not choice.shape.start <= m.start < choice.shape.end]
    picked = _mmr(mine[:SUMMARY_POOL], files, COMPARISON_LEAD_SENTENCES if choice else COMPARISON_SENTENCES)
    lines = [f"- {display_sentence(s.text)} [{citer.cite(_Quote(s.passage.chunk, s.start, s.end, s.text))}]"
             for s in picked]
    doc = files.get(choice.doc_id) if choice is not None else None
    if choice is not None and doc is not None:
        entries = [_item_span(item) for item in choice.shape.items]
        lines.append(_list_group(entries, doc, choice.chunk, citer, english, several=False, evidence=choice.evidence))
    return "\n".join(line for line in lines if line)


def _subject_list(evidence: SubjectEvidence, mine: list[Sentence], files: DocumentFiles) -> RankedList | None:
    """The list of a compared report that answers the question for it (see ``rag.lists``), if one does."""
    doc_id = evidence.subject.doc_id
    if doc_id is None or evidence.query_vector is None:
        return None
    ranked = rank_lists(mine, evidence.passages, files, evidence.query_vector, list(evidence.groups), [doc_id])
    return ranked[0] if ranked else None


def topic_query(question: Question, search_query: str, subjects: Sequence[Subject]) -> str:
    """What to search each compared report for: the question's terms that are in no compared report's title (the
    topic), or the whole question when every term names a report."""
    titles = " ".join(fold(s.label) for s in subjects if s.doc_id is not None)
    topic = [t for t in question.terms if t not in titles]
    return " ".join(topic) if topic and titles else search_query


def named_reports(question: Question, titles: Sequence[tuple[str, str]]) -> list[str]:
    """Doc ids of the reports a question names: a title shares terms with the question whose distinctiveness (one
    over the number of titles holding the term) adds up to at least one."""
    folded = [(doc_id, fold(title)) for doc_id, title in titles]
    terms = {t for t in question.terms if len(t) >= 2}
    holders = {t: sum(1 for _, title in folded if t in title) for t in terms}
    return [doc_id for doc_id, title in folded
            if sum(1.0 / holders[t] for t in terms if holders[t] and t in title) >= 1.0]
