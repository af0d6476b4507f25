"""Metrics of one question's result and their aggregation over a set.

Evidence matching ignores whitespace (and folds Traditional/Simplified and width, as retrieval does) and is robust
to a chunk edge cutting an evidence string: a passage also counts when it holds a long enough piece of the evidence
at its start or end.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from eval.questions import Question
from rag.text.primitives import fold

HIT_KS = (1, 3, 5, 10)
# A chunk edge may cut an evidence string; this share of it at the passage's edge still counts.
EDGE_FRACTION = 0.6


def normalise(text: str) -> str:
    return "".join(fold(text).split())


def holds_evidence(passage_text: str, evidence: str) -> bool:
    """Whether a passage contains the evidence string, allowing for a chunk boundary cutting it."""
    passage, needle = normalise(passage_text), normalise(evidence)
    if not needle:
        return False
    if needle in passage:
        return True
    piece = max(4, math.ceil(len(needle) * EDGE_FRACTION))
    for size in range(len(needle) - 1, piece - 1, -1):
        if passage.endswith(needle[:size]) or passage.startswith(needle[-size:]):
            return True
    return False


def score_record(question: Question, record: dict[str, Any]) -> dict[str, Any]:
    """Per-question metrics from a result record (the ``reportqa ask --json`` shape)."""
    passages = [p["text"] for p in record.get("passages", [])]
    citations = [c["text"] for c in record.get("citations", [])]
    refused = bool(record.get("refused"))
    scores: dict[str, Any] = {"refused": refused, "latency_ms": record.get("latency_ms", 0.0)}
    if not question.answerable:
        scores["refusal_correct"] = refused
        return scores
    evidence = question.evidence
    relevant = [any(holds_evidence(text, e) for e in evidence) for text in passages]
    first = next((i for i, hit in enumerate(relevant) if hit), None)
    for k in HIT_KS:
        scores[f"hit@{k}"] = float(first is not None and first < k)
        found = {e for e in evidence if any(holds_evidence(t, e) for t in passages[:k])}
        scores[f"recall@{k}"] = len(found) / len(evidence) if evidence else 0.0
    scores["mrr@10"] = 1.0 / (first + 1) if first is not None and first < 10 else 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, hit in enumerate(relevant[:10]) if hit)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(sum(relevant), 10)))
    scores["ndcg@10"] = dcg / ideal if ideal else 0.0
    answer = normalise(record.get("answer", ""))
    scores["answer_keyword"] = float(
        not refused and any(normalise(k) in answer for k in question.answer_keywords)
    )
    cited_hits = [any(holds_evidence(text, e) for e in evidence) for text in citations]
    scores["citation_precision"] = sum(cited_hits) / len(cited_hits) if cited_hits else 0.0
    scores["citation_recall"] = (
        len({e for e in evidence if any(holds_evidence(t, e) for t in citations)}) / len(evidence) if evidence else 0.0
    )
    scores["citation_has_evidence"] = float(any(cited_hits))
    scores["false_refusal"] = float(refused)
    if question.nuggets:
        # Imported here: eval.nuggets imports normalise from this module.
        from eval.nuggets import score_nuggets

        scores.update(score_nuggets(question, record))
        if not question.answer_keywords:
            del scores["answer_keyword"]  # such a question is scored by its nuggets, not by keywords
    return scores


ANSWERABLE_METRICS = (
    *(f"hit@{k}" for k in HIT_KS),
    *(f"recall@{k}" for k in HIT_KS),
    "mrr@10",
    "ndcg@10",
    "answer_keyword",
    "citation_precision",
    "citation_recall",
    "citation_has_evidence",
    "false_refusal",
)
# Scores of list, summary and comparison questions (see ``eval.nuggets``), averaged over the questions carrying them.
NUGGET_METRICS = ("items_named", "items_belong", "entities_covered")


def aggregate(questions: list[Question], scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over answerable questions, refusal accuracy over unanswerable ones, latency percentiles; and the
    same per question type (``by_type``), per question language (``by_lang``, e.g. ``zh``, ``en``) and per type and
    language (``by_type_lang``, keys ``"<type>/<lang>"`` such as ``"cross_lingual/en"``).

    Each block also holds ``answered`` (1 - ``false_refusal``, the share of answerable questions not refused) when
    it has answerable questions.
    """

    def summarise(pairs: list[tuple[Question, dict[str, Any]]]) -> dict[str, Any]:
        answerable = [s for q, s in pairs if q.answerable]
        unanswerable = [s for q, s in pairs if not q.answerable]
        out: dict[str, Any] = {"questions": len(pairs), "answerable": len(answerable)}
        for name in ANSWERABLE_METRICS:
            carried = [s[name] for s in answerable if name in s]
            if carried:
                out[name] = round(statistics.fmean(carried), 4)
        if answerable:
            out["answered"] = round(1.0 - statistics.fmean(s["false_refusal"] for s in answerable), 4)
        for name in NUGGET_METRICS:  # only list, summary and comparison questions carry these
            carried = [s[name] for s in answerable if name in s]
            if carried:
                out[name] = round(statistics.fmean(carried), 4)
        if unanswerable:
            out["refusal_accuracy"] = round(statistics.fmean(float(s["refusal_correct"]) for s in unanswerable), 4)
        latencies = sorted(s["latency_ms"] for _, s in pairs)
        if latencies:
            out["latency_p50_ms"] = round(_percentile(latencies, 50), 1)
            out["latency_p95_ms"] = round(_percentile(latencies, 95), 1)
        return out

    def breakdown(key) -> dict[str, Any]:
        groups: dict[str, list] = defaultdict(list)
        for pair in pairs:
            groups[key(pair[0])].append(pair)
        return {name: summarise(group) for name, group in sorted(groups.items())}

    pairs = list(zip(questions, scores))
    return {
        "overall": summarise(pairs),
        "by_type": breakdown(lambda q: q.type),
        "by_lang": breakdown(lambda q: q.lang),
        "by_type_lang": breakdown(lambda q: f"{q.type}/{q.lang}"),
    }


def _percentile(sorted_values: list[float], pct: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``values`` (linear interpolation, as the latency figures above use); NaN if empty."""
    ordered = sorted(values)
    return _percentile(ordered, pct) if ordered else math.nan
