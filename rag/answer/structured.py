"""Answers that are more than a few sentences: a whole list, a summary, a comparison, from the blocks read at ingest.

- A list question ("有哪些…", "what are the…") gets every item of the list (or run of sibling headings, or table)
  that answers it (``rag.answer.lists``): each item's head quoted and cited, with the count; a long list shows its first
  ``MAX_ITEMS`` items and says how many more there are. Lists from several reports are grouped by report.
- A summary question ("总结", "summarize") gets a query-focused extractive summary (``rag.answer.summary``):
  sentences chosen by maximal marginal relevance over the stored sentence vectors, the document's own summary
  blocks preferred, grouped by report.
- A comparison question ("A和B有什么不同", "compare") gets one block per report or name it compares; one the
  retrieved reports say nothing about is named as such.

Every claim is an exact span of a report, cited; nothing is written that the reports do not say.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.evidence import DocumentEntry, DocumentFiles, Sentence
from rag.answer.extractive import ExtractiveDraft, display_sentence
from rag.answer.lists import RankedList, rank_lists, without_asking
from rag.answer.parts import (
    ITEM_HEAD_MAX_CHARS,
    MAX_ITEMS,
    Citer,
    Quote,
    join_drafts,
    mmr,
    named_reports,
    names_term,
    quote_span,
    report_names,
    term_pattern,
)
from rag.answer.summary import compose_summary
from rag.models import Chunk, Passage
from rag.question import Question
from rag.text.blocks import Item, ListShape
from rag.text.primitives import fold

__all__ = ["compose_list", "compose_summary", "compose_comparison", "comparison_subjects", "join_drafts",
           "named_reports", "report_names", "topic_query", "Subject", "SubjectEvidence", "MAX_ITEMS"]

COMPARISON_POOL = 40  # the best sentences on a subject its block chooses from
ITEM_WHOLE_MAX_CHARS = 80  # an item this short is quoted whole, not only its head
ITEM_EVIDENCE_MAX_CHARS = 600  # an item this long or shorter also quotes the best evidence sentence it holds
COMPARISON_SENTENCES = 4
JOINED_NAME_MAX_CHARS = 8
# "A和B": two runs of Han characters (or Latin words) around the conjunction.
_JOINING_WORDS = "和|与|與|跟|同"
_JOINED_RE = re.compile(rf"([\u4e00-\u9fffA-Za-z0-9]+)({_JOINING_WORDS})([\u4e00-\u9fffA-Za-z0-9]+)")
# Words a name does not run across: what sits before it ("维也纳的", "文章里", "对于"), and what follows it ("的稻米",
# "在使用人数", "各有", "分别", "有什么", "相比", "之间").
_NAME_BEFORE_RE = re.compile(r"的|里|裡|之中|对于|對於|对|對|在|把|将|將|比较|比較|对比|對比|请|請|说|說")
_NAME_AFTER_RE = re.compile(r"的|在|各|分别|分別|有|之|相|哪|谁|誰|怎|如|是|对|對|都|上|从|從|两|兩|这|這|那|等")
# What joins two compared names among several: the words above, English ones, and a list's separators.
_CONJUNCTION_RE = re.compile(rf"and|or|vs\.?|versus|{_JOINING_WORDS}|及|或|、|,|，")
_ACRONYM_PLURAL_RE = re.compile(r"[A-Z]{2,}s")
COMPARISON_LEAD_SENTENCES = 1  # before the items of a list that sets the subject's view out
# A list marker that numbers nothing ("-", "•"): an item with only this gets the answer's own number.
_BULLET_ONLY = re.compile(r"^[\W_]{0,2}$")
# A plain number with its own full stop or bracket ("1.", "2)"), which reads as the answer's own numbering.
_PLAIN_NUMBER = re.compile(r"^\d{1,3}[.)]$")


# A list item in an answer: (start, end) of what names it, then (start, end) of the whole item.
Entry = tuple[int, int, int, int]


# -- lists ---------------------------------------------------------------------------------------------------------


def compose_list(
    question: Question,
    sentences: Sequence[Sentence],
    passages: Sequence[Passage],
    files: DocumentFiles,
    query_vector: np.ndarray,
    groups: list[tuple[float, frozenset[str]]],
    titles: Sequence[tuple[str, str]] = (),
    prose: bool = True,
) -> ExtractiveDraft | None:
    """Every item of the list that answers (see ``rag.answer.lists``), and of other reports' lists that answer as well,
    grouped by report; None when no list of the evidence's reports answers. ``titles``: (doc id, what names the
    report: title, bylines, publisher; ``report_names``) of every report, to tell which the question names (only
    their lists then compete); ``prose``: whether lists named in a sentence compete (a summary quotes such a
    sentence itself)."""
    named = named_reports(question, titles) or None
    if named:  # the words that name the report are spent on finding it: they say nothing of which list
        named_titles = " ".join(fold(title) for doc_id, title in titles if doc_id in named)
        groups = [(w, forms) for w, forms in groups if not any(names_term(named_titles, f) for f in forms)] or groups
    groups = without_asking(groups, question.asking)
    ranked = rank_lists(sentences, passages, files, query_vector, groups, named, question.count, prose)
    if not ranked:
        return None
    citer = Citer()
    english = question.lang == "en"
    groups_text = []
    for choice in ranked:
        doc = files.get(choice.doc_id)
        if doc is None:
            continue
        groups_text.append(_list_group(choice.shape.items, doc, choice.chunk, citer, english, several=len(ranked) > 1,
                                       evidence=choice.evidence, asks=_unsaid(doc, choice.shape, groups)))
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
    items: Sequence[Item],
    doc: DocumentEntry,
    like: Chunk,
    citer: Citer,
    english: bool,
    several: bool,
    evidence: Sequence[Sentence] = (),
    asks: Sequence[frozenset[str]] = (),
) -> str:
    """One report's list: each item named and cited; an item that holds one of the best evidence sentences that
    says something the question ``asks`` (term groups) beyond the item's name also quotes that sentence ("适用：中小
    企业" under a platform, for "which suit small firms"); a sentence that only repeats the list's topic is not
    quoted."""
    lines = []
    for number, item in enumerate(items[:MAX_ITEMS], start=1):
        start, end, item_start, item_end = _item_span(item)
        quote = quote_span(doc, start, min(end, start + ITEM_HEAD_MAX_CHARS), like)
        if quote is None:
            continue
        line = f"{_marker(item, doc.text, start, number)}{display_sentence(quote.text)} [{citer.cite(quote)}]"
        short = item_end - item_start <= ITEM_EVIDENCE_MAX_CHARS  # not a whole section under a heading
        named = doc.tokens_at(quote.start, quote.end)
        inside = next((s for s in evidence if short and item_start <= s.start and s.end <= item_end
                       and (s.end <= quote.start or s.start >= quote.end) and not s.label
                       and _says_more(doc.tokens_at(s.start, s.end), named, asks)), None)
        if inside is not None:
            extra = Quote(inside.passage.chunk, inside.start, inside.end, inside.text)
            line += f" — {display_sentence(extra.text)} [{citer.cite(extra)}]"
        lines.append(line)
    if not lines:
        return ""
    total = len(items)
    if english:
        head = f"{total} items" + (f" in “{like.title}”" if several else "") + ":"
    else:
        head = (f"《{like.title}》" if several else "") + f"共{total}项："
    more = total - min(total, MAX_ITEMS)
    if more:
        lines.append(f"… and {more} more (see the source)." if english else f"……另有{more}项，见原文。")
    return "\n".join([head, *lines])


def _unsaid(doc: DocumentEntry, shape: ListShape, groups: Sequence[tuple[float, frozenset[str]]]
            ) -> list[frozenset[str]]:
    """The question's term groups that what introduces the list (its leads and intro) does not already say."""
    said: set[str] = set()
    for start, end in (*shape.leads, *((shape.intro,) if shape.intro is not None else ())):
        said |= doc.tokens_at(start, end)
    return [forms for _, forms in groups if forms.isdisjoint(said)]


def _says_more(tokens: set[str], named: set[str], asks: Sequence[frozenset[str]]) -> bool:
    """Whether a sentence holds a term the question asks that the item's quoted name does not."""
    return any(not forms.isdisjoint(tokens) and forms.isdisjoint(named) for forms in asks)


def _marker(item: Item, text: str, start: int, number: int) -> str:
    """What an answer's line puts before a quoted item, from the item's ordinal read at ingest: nothing when its
    quote starts with a plain number ("1. 电动化…", never "1. 1. 电动化…"), a bullet when it starts with another
    ordinal ("趋势1：…", "（一）…", "一、…"), else the answer's own number."""
    ordinal = item.ordinal.strip()
    quoted = text[start : start + len(ordinal) + 6].lstrip(" *_")
    if not ordinal or _BULLET_ONLY.match(ordinal) or not quoted.startswith(ordinal):
        return f"{number}. "
    return "" if _PLAIN_NUMBER.match(ordinal) else "- "


# -- summaries -----------------------------------------------------------------------------------------------------


# -- comparisons ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One thing a comparison compares: a report (its doc id) or a name the question gives. ``forms``: the name's
    folded forms, or for a report what names it (title, bylines, publisher lines; see ``report_names``)."""

    label: str
    doc_id: str | None = None
    forms: frozenset[str] = frozenset()


def comparison_subjects(
    question: Question, titles: Sequence[tuple[str, str]], names: Sequence[tuple[str, str]] | None = None
) -> list[Subject]:
    """The reports the question names (two or more; ``names``: what names each report, its title by default), else
    the names it gives (two or more), else none."""
    names = titles if names is None else names
    reports = named_reports(question, names)
    if len(reports) >= 2:
        named = dict(names)
        return [Subject(title, doc_id, frozenset({fold(named.get(doc_id, title))}))
                for doc_id, title in titles if doc_id in reports]
    folded_titles = " ".join(fold(name) for _, name in names)
    names = [e for e in question.entities if fold(e) not in folded_titles]
    if len(names) > 2:
        # "how do CIOs and CEOs differ" over "the Sequoia survey": the names the question joins are the compared ones.
        names = _joined_pair(question.text, names) or names
    if len(names) < 2:
        names = [n for n in joined_names(question.text) if fold(n) not in folded_titles]
    if len(names) >= 2:
        return [Subject(name, None, name_forms(name)) for name in names]
    return []


def _joined_pair(text: str, names: Sequence[str]) -> list[str]:
    """The two of ``names`` that ``text`` joins with a conjunction ("CIOs and CEOs", "A和B"), or []."""
    for first, second in zip(names, names[1:]):
        gap = re.search(re.escape(first) + r"(.{0,8}?)" + re.escape(second), text)
        if gap and _CONJUNCTION_RE.fullmatch(gap.group(1).strip()):
            return [first, second]
    return []


def name_forms(name: str) -> frozenset[str]:
    """How a compared name may be written: as given, and an acronym's plural ("CIOs") also as the acronym."""
    forms = {fold(name)}
    if _ACRONYM_PLURAL_RE.fullmatch(name):
        forms.add(fold(name[:-1]))
    return frozenset(forms)


def joined_names(text: str) -> list[str]:
    """The two things a Chinese question joins with "和/与/跟/同" ("勉语和赫哲语在…", "英雄广场和弗赖永广场各有…"), for a
    comparison of things that are no report and no Latin-script name; each side runs to the nearest word that
    cannot be part of a name. [] when either side is empty or longer than ``JOINED_NAME_MAX_CHARS``."""
    match = _JOINED_RE.search(text)
    if match is None:
        return []
    left, right = match.group(1), match.group(3)
    left = _NAME_BEFORE_RE.split(left)[-1]
    right = _NAME_AFTER_RE.split(right, maxsplit=1)[0]
    if not (0 < len(left) <= JOINED_NAME_MAX_CHARS and 0 < len(right) <= JOINED_NAME_MAX_CHARS):
        return []
    return [left, right]


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
    citer = Citer()
    english = question.lang == "en"
    parts = []
    for evidence in found:
        label = evidence.subject.label
        mine = [s for s in (evidence.sentences or ()) if not s.label]
        if not mine:
            parts.append(f"{label}: the reports say nothing about this." if english else f"{label}：报告中没有相关内容。")
            continue
        body = _subject_block(evidence, mine, files, citer, english, question.asking)
        parts.append("\n".join([f"{label}:" if english else f"{label}：", body]))
    if not citer.citations:
        return None
    return ExtractiveDraft(text="\n\n".join(parts), citations=citer.citations)


def _subject_block(
    evidence: SubjectEvidence, mine: list[Sentence], files: DocumentFiles, citer: Citer, english: bool,
    asking: frozenset[str] = frozenset(),
) -> str:
    """A subject's sentences, chosen for relevance and diversity (MMR); for a report that sets the topic out as a
    list, its best sentence outside that list and then the list's items, each cited (as a list question is
    answered)."""
    choice = _subject_list(evidence, mine, files, asking)
    if choice is not None:  # the list's own items are not quoted twice
        mine = [m for m in mine if not choice.shape.start <= m.start < choice.shape.end]
    picked = mmr(mine[:COMPARISON_POOL], files, COMPARISON_LEAD_SENTENCES if choice else COMPARISON_SENTENCES)
    lines = [f"- {display_sentence(s.text)} [{citer.cite(Quote(s.passage.chunk, s.start, s.end, s.text))}]"
             for s in picked]
    doc = files.get(choice.doc_id) if choice is not None else None
    if choice is not None and doc is not None:
        lines.append(_list_group(choice.shape.items, doc, choice.chunk, citer, english, several=False,
                                 evidence=choice.evidence, asks=_unsaid(doc, choice.shape, evidence.groups)))
    return "\n".join(line for line in lines if line)


def _subject_list(
    evidence: SubjectEvidence, mine: list[Sentence], files: DocumentFiles, asking: frozenset[str] = frozenset()
) -> RankedList | None:
    """The list of a compared report that answers the question for it (see ``rag.answer.lists``), if one does;
    ``asking``: the question's words that ask for the comparison ("分别", "怎么看"), which no list is chosen for."""
    doc_id = evidence.subject.doc_id
    if doc_id is None or evidence.query_vector is None:
        return None
    groups = without_asking(evidence.groups, asking)
    ranked = rank_lists(mine, evidence.passages, files, evidence.query_vector, groups, [doc_id])
    return ranked[0] if ranked else None


def topic_query(question: Question, search_query: str, subjects: Sequence[Subject]) -> str:
    """What to search each compared report for: the question as asked less the terms that name a compared report
    (the topic), or the whole question when every term names a report."""
    titles = " ".join(fold(" ".join((s.label, *s.forms))) for s in subjects if s.doc_id is not None)
    naming = [t for t in question.terms if names_term(titles, t)]
    if not titles or len(naming) == len(set(question.terms)):
        return search_query
    # The question as asked, less the words naming the reports: its phrasing ("the short, medium and long term")
    # still finds the phrases it is written in.
    text = fold(search_query)
    for term in sorted(naming, key=len, reverse=True):
        text = term_pattern(term).sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()
