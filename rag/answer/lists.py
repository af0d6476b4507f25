"""Which list answers a list question ("有哪些…", "哪几种…", "what are the…").

Every list of the reports the evidence comes from competes (``DocumentStructure.list_shapes``): the items of a
list at one level, the children of one item, a run of sibling headings, a table's rows. A list is scored like a
sentence that describes it: its meaning is that of what introduces it (the paragraph or heading right above it,
the item it hangs under, a table's caption: the best of their stored sentence vectors against the question), and
its words are those of the introduction and of its item heads together (IDF-weighted coverage of the question's
terms in either language). A list that holds one of the best evidence sentences in its introduction or its item
heads gets a small bonus. The answer is the whole list that wins, never sentences picked from here and there.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.answer.evidence import DENSE_WEIGHT, LEXICAL_WEIGHT, DocumentEntry, DocumentFiles, Sentence, coverage
from rag.models import Chunk, Passage
from rag.text.block_words import ends_in_colon
from rag.text.blocks import Item, ListShape, Span
from rag.text.document_structure import LABEL_MAX_CHARS
from rag.text.primitives import fold

LIST_EVIDENCE = 12  # the reports of this many best sentences offer their lists
MAX_DOCUMENTS = 4
HEADS_READ = 12  # item heads whose words describe a list (a long list is described by its first ones)
EVIDENCE_BONUS = 0.05  # one of the best evidence sentences overlaps the list's introduction or an item head
EVIDENCE_HEAD = 5
ITEMS_SHARE = 0.5  # a question term found only in the item heads counts half: "商业模式" heading a list of business
# models answers "哪几种商业模式", a list of one platform's traits with a "商业模式：…" item does not
COUNT_BONUS = 0.1  # the list has as many items as the question says ("ten trends", "四个状态")
COUNT_PENALTY = 0.05  # it has another number of items
PROSE_PENALTY = 0.05  # a list named in passing in a sentence is less likely the one asked for than one set out as a
# list (the lead-in "涵盖多个行业，如医疗、金融…。具体应用包括：" over the list of applications)
PROSE_JOIN_GAP = 0.05  # other sentences of the section naming things this close to the best join its answer
TEMPLATE_PENALTY = 0.1
TEMPLATE_LISTS = 3
_MARKUP = re.compile(r"[*_`#>\-•·●]+")
LIST_MARGIN = 0.15  # a list answers when it scores within this of the best evidence sentence
OTHER_REPORT_GAP = 0.05  # another report's list joins the answer when it scores this close to the best list
MAX_REPORTS = 3

Groups = list[tuple[float, frozenset[str]]]


@dataclass(frozen=True)
class RankedList:
    doc_id: str
    shape: ListShape
    score: float
    chunk: Chunk  # a chunk of this report (its document fields name the report in citations)
    evidence: tuple[Sentence, ...]  # the best sentences of this report


def rank_lists(
    sentences: Sequence[Sentence], passages: Sequence[Passage], files: DocumentFiles, query_vector: np.ndarray,
    groups: Groups, doc_ids: Sequence[str] | None = None, count: int | None = None, prose: bool = True,
) -> list[RankedList]:
    """The lists that answer, best first: the best list of each report that scores within ``LIST_MARGIN`` of the
    best evidence sentence, other reports' lists only when within ``OTHER_REPORT_GAP`` of the best list.

    The reports are those of the best sentences, then those of the other ranked ``passages`` (a list's items
    need not be where the best sentence is). ``doc_ids``: only these reports (the question names them);
    ``count``: how many items the question says the list has; ``prose``: lists named in a sentence compete too."""
    wanted = (lambda doc_id: doc_id in doc_ids) if doc_ids is not None else (lambda doc_id: True)
    head = [s for s in sentences[:LIST_EVIDENCE] if wanted(s.passage.chunk.doc_id)]
    if not head:
        return []
    chunks: dict[str, Chunk] = {}
    for chunk in [*(s.passage.chunk for s in head), *(p.chunk for p in passages)]:
        if wanted(chunk.doc_id):
            chunks.setdefault(chunk.doc_id, chunk)
    query = np.asarray(query_vector, dtype=np.float32)
    total = sum(w for w, _ in groups) or 1.0
    best_of_doc: list[RankedList] = []
    for doc_id, chunk in list(chunks.items())[:MAX_DOCUMENTS]:
        doc = files.get(doc_id)
        if doc is None:
            continue
        mine = tuple(s for s in head if s.passage.chunk.doc_id == doc_id)
        title = _title_span(doc)
        # The title is close to every question about its report: it is evidence of no list in particular.
        top_spans = [(s.start, s.end) for s in head[:EVIDENCE_HEAD]
                     if s.passage.chunk.doc_id == doc_id and not (title and _overlap((s.start, s.end), title))]
        scored = [(shape_score(doc, shape, query, groups, total, top_spans, count, title), shape)
                  for shape in doc.structure.list_shapes if prose or shape.kind != "prose"]
        if scored:
            score, shape = max(scored, key=lambda pair: (pair[0], -pair[1].start))
            if shape.kind == "prose":
                shape = _with_prose_beside(shape, score, scored)
            best_of_doc.append(RankedList(doc_id, shape, score, chunk, mine))
    floor = head[0].score - LIST_MARGIN
    # The count a question states says which list it asks for, not whether a list answers it at all ("在三个月的
    # 试用期里…哪些应用": three months, not three items).
    ranked = sorted((r for r in best_of_doc if r.score - _count_term(count, r.shape) >= floor), key=lambda r: -r.score)
    if not ranked:
        return []
    return [r for r in ranked if r.score >= ranked[0].score - OTHER_REPORT_GAP][:MAX_REPORTS]


def without_asking(groups: Groups, asking: frozenset[str]) -> Groups:
    """The term groups less the words asking for the answer ("哪几种", ``Question.asking``): they are in no list, and
    scored with them every list's words count for less. All the groups when nothing else is left."""
    return [(w, forms) for w, forms in groups if not forms & asking] or list(groups)


def shape_score(
    doc: DocumentEntry, shape: ListShape, query: np.ndarray, groups: Groups, total: float,
    top_spans: Sequence[Span] = (), count: int | None = None, title: Span | None = None,
) -> float:
    """How well a list answers the question, on the sentence score's scale (see the module docstring)."""
    leads = list(shape.leads)
    if shape.intro is not None and _introduces(doc.text[shape.intro[0] : shape.intro[1]]):
        leads.append(shape.intro)
    heads = [(item.head_start, item.head_end) for item in shape.items[:HEADS_READ]]
    lead_tokens: set[str] = set()
    for start, end in leads:
        lead_tokens |= doc.tokens_at(start, end)
    all_tokens = set(lead_tokens)
    for start, end in heads:
        all_tokens |= doc.tokens_at(start, end)
    lead_cover = coverage(lead_tokens, groups, total)
    lexical = lead_cover + ITEMS_SHARE * (coverage(all_tokens, groups, total) - lead_cover)
    items_dense = float(np.mean([_dense(doc, span, query) for span in heads])) if heads else 0.0
    dense = max([items_dense, *(_dense(doc, span, query) for span in leads)])
    score = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical
    # The evidence may lie in an item's body ("社区版 vs 企业版" under "2.3 开源+商业版"): the list holds it too,
    # unless it is the report's outline (led by its title), which holds every sentence.
    bodies = [] if title and any(_overlap(lead, title) for lead in shape.leads) else [
        (item.start, item.end) for item in shape.items]
    if any(_overlap(span, part) for span in top_spans for part in (*leads, *heads, *bodies)):
        score += EVIDENCE_BONUS
    score += _count_term(count, shape)
    if shape.kind == "prose":
        score -= PROSE_PENALTY
    return score - TEMPLATE_PENALTY * _template_share(doc, shape)


def _count_term(count: int | None, shape: ListShape) -> float:
    """"The ten trends": a list of ten is likelier it, a list of six is not it."""
    if count is None:
        return 0.0
    return COUNT_BONUS if count == len(shape.items) else -COUNT_PENALTY


def _with_prose_beside(shape: ListShape, score: float, scored: Sequence[tuple[float, ListShape]]) -> ListShape:
    """A list named in a sentence, with the things the other sentences of its section name that score as well
    ("硼砂可用作清洁剂、化妆品…" and "硼砂是制造光学玻璃、珐琅…的原料": its uses, said twice)."""
    beside = [other for value, other in scored if other.kind == "prose" and other is not shape
              and other.leads[1:] == shape.leads[1:] and value >= score - PROSE_JOIN_GAP]
    if not beside:
        return shape
    parts = sorted([shape, *beside], key=lambda s: s.start)
    items = tuple(item for part in parts for item in part.items)
    return replace(shape, start=parts[0].start, end=parts[-1].end, items=items)


def _title_span(doc: DocumentEntry) -> Span | None:
    block = doc.structure.title_block()
    if block is None:
        return None
    return block.text_span or (block.start, block.end)


def _introduces(paragraph: str) -> bool:
    """Whether the paragraph above a list introduces it: it ends in a colon ("特点如下：") or is a label line of
    its own ("**云服务商（企业级）**")."""
    stripped = paragraph.strip().strip("*_ ")
    return ends_in_colon(stripped) or len(stripped) <= LABEL_MAX_CHARS


def _template_share(doc: DocumentEntry, shape: ListShape) -> float:
    """The share of the list's item heads that head items of ``TEMPLATE_LISTS`` or more lists of the report: the
    fields of a record repeated per entry ("特点：…", "优势：…", "适用：…" under each platform), not a list of
    things."""
    counts = doc.derived.get("head_counts")
    if counts is None:
        counts = Counter()
        for other in doc.structure.list_shapes:
            counts.update({_head(doc, item) for item in other.items})
        doc.derived["head_counts"] = counts
    heads = [_head(doc, item) for item in shape.items]
    return sum(1 for h in heads if counts[h] >= TEMPLATE_LISTS) / len(heads) if heads else 0.0


def _head(doc: DocumentEntry, item: Item) -> str:
    return fold(_MARKUP.sub("", doc.text[item.head_start : item.head_end])).strip(" ：:")


def _dense(doc: DocumentEntry, span: Span, query: np.ndarray) -> float:
    """The best similarity to the question of the stored sentences that lie in ``span`` (or hold its start)."""
    if doc.vectors is None:
        return 0.0
    first = max(bisect.bisect_right(doc.starts, span[0]) - 1, 0)
    last = bisect.bisect_left(doc.starts, span[1])
    if last <= first:
        return 0.0
    return float(np.max(np.asarray(doc.vectors[first:last], dtype=np.float32) @ query))


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]
