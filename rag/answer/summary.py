"""Summary answers ("总结", "概括", "summarize", "key points"): a query-focused extractive summary of the reports the
evidence comes from, sentences chosen by maximal marginal relevance over the stored sentence vectors, the report's
own summary blocks (摘要, 核心洞察, conclusion) and outline preferred, grouped by report, every sentence cited."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from rag.answer.evidence import DENSE_WEIGHT, LEXICAL_WEIGHT, DocumentEntry, DocumentFiles, Sentence, coverage
from rag.answer.extractive import ExtractiveDraft, complete_sentence, display_sentence
from rag.answer.parts import ITEM_HEAD_MAX_CHARS, MAX_ITEMS, Citer, Quote, mmr, named_reports, quote_span
from rag.question import Question

SUMMARY_SENTENCES = 9
SUMMARY_POOL = 40
SUMMARY_MIN_CHARS = 12
SUMMARY_BLOCK_BONUS = 0.05  # a sentence of the report's own summary (摘要, 核心洞察, conclusion) is preferred
FOCUS_SHARE = 0.95  # without a named report, a summary covers the reports whose best evidence is this close
PROSE = ("paragraph", "list", "table")  # blocks whose sentences can sum a report up (not bylines, dates, titles)


def compose_summary(
    question: Question,
    sentences: Sequence[Sentence],
    files: DocumentFiles,
    query_vector: np.ndarray,
    groups: list[tuple[float, frozenset[str]]],
    titles: Sequence[tuple[str, str]] = (),
) -> ExtractiveDraft | None:
    """A query-focused extractive summary of the reports the evidence comes from, grouped by report.
    ``titles``: (doc id, what names the report: title, bylines, publisher; ``report_names``) of every report in
    the index, to tell which the question names."""
    focus = _focus_documents(question, sentences, titles)
    sentences = [s for s in sentences if s.passage.chunk.doc_id in focus]
    candidates = [s for s in sentences if _states_something(s.text) and not s.label][:SUMMARY_POOL]
    candidates += _report_sentences(sorted(focus), sentences, files, query_vector, groups)
    candidates = [s for s in candidates if _of_the_body(files.get(s.passage.chunk.doc_id), s)]
    if not candidates:
        return None
    picked = mmr(candidates, files, SUMMARY_SENTENCES)
    # A lead-in ("AGI的发展也面临诸多挑战，这包括：") is quoted with what it introduces.
    picked = [complete_sentence(s, files.get(s.passage.chunk.doc_id)) if _leads_in(s.text) else s for s in picked]
    introduced = [head for s in picked if _leads_in(s.text) for head in _introduced_heads(s, files)]
    return _grouped([*picked, *introduced], question.lang == "en")


def _introduced_heads(lead_in: Sentence, files: DocumentFiles) -> list[Sentence]:
    """The item heads of the list a lead-in still standing alone introduces (a run of headings, "这包括：" above
    "● 计算资源限制" and its section): the lead-in says there are items, the summary names them."""
    doc = files.get(lead_in.passage.chunk.doc_id)
    if doc is None:
        return []
    shape = next((shape for shape in doc.structure.list_shapes
                  if shape.intro is not None and shape.intro[0] <= lead_in.start < shape.intro[1]), None)
    if shape is None:
        return []
    heads = []
    for item in shape.items[:MAX_ITEMS]:
        quote = quote_span(doc, item.head_start, min(item.head_end, item.head_start + ITEM_HEAD_MAX_CHARS),
                       lead_in.passage.chunk)
        if quote is not None:
            passage = lead_in.passage.model_copy(update={"chunk": quote.chunk})
            heads.append(replace(lead_in, passage=passage, start=quote.start, end=quote.end, text=quote.text))
    return heads


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


def _says_anything(text: str) -> bool:
    """Whether a sentence has a word to show: not only markup ("**" left after a full stop that closes bold)."""
    return any(ch.isalnum() for ch in display_sentence(text))


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
                if (chunk is None or doc.structure.is_label(s_start, s_end) or (block and block.kind not in PROSE)
                        or not _says_anything(doc.text[s_start:s_end])):
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


def _grouped(picked: Sequence[Sentence], english: bool) -> ExtractiveDraft:
    """Sentences grouped by report (in the order of each report's best sentence), in document order within one."""
    citer = Citer()
    order = list(dict.fromkeys(s.passage.chunk.doc_id for s in picked))
    several = len(order) > 1
    blocks = []
    for doc_id in order:
        group = sorted((s for s in picked if s.passage.chunk.doc_id == doc_id), key=lambda s: s.start)
        title = group[0].passage.chunk.title
        lines = [f"- {display_sentence(s.text)} [{citer.cite(Quote(s.passage.chunk, s.start, s.end, s.text))}]"
                 for s in group]
        head = (f"“{title}”:" if english else f"《{title}》：") if several or english else ""
        blocks.append("\n".join([head, *lines]) if head else "\n".join(lines))
    return ExtractiveDraft(text="\n\n".join(blocks), citations=citer.citations)
