"""Which questions of a run failed, why, and what was retrieved instead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics import holds_evidence
from eval.questions import Question

FAILURE_PASSAGES = 3
FAILURE_SNIPPET_CHARS = 120


def failure_reasons(question: Question, scores: dict[str, Any]) -> list[str]:
    """Why a question counts as failed (empty when it did not fail)."""
    if not question.answerable:
        return [] if scores.get("refusal_correct", True) else ["answered a question the reports do not answer"]
    reasons = []
    if not scores.get("hit@5"):
        reasons.append("no passage in the top 5 holds the evidence")
    if "false_refusal" in scores:
        if scores["false_refusal"]:
            reasons.append("refused to answer")
        elif "items_named" in scores:
            if scores["items_named"] < 1.0:
                reasons.append(f"the answer names {scores['items_named']:.0%} of the expected items")
        elif not scores.get("answer_keyword"):
            reasons.append("the answer lacks every expected keyword")
    return reasons


def collect_failures(questions: Sequence[Question], records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed questions with what was expected and what was retrieved instead (the top 3 passages)."""
    failures = []
    for question, record in zip(questions, records, strict=True):
        reasons = failure_reasons(question, record["scores"])
        if not reasons:
            continue
        failures.append(
            {
                "id": question.id,
                "type": question.type,
                "question": question.question,
                "evidence": list(question.evidence),
                "answer_keywords": list(question.answer_keywords),
                "answer": record.get("answer", ""),
                "refused": bool(record.get("refused")),
                "reasons": reasons,
                "retrieved": [
                    {
                        "rank": p.get("rank"),
                        "source": p.get("source", ""),
                        "section": p.get("section", ""),
                        "text": _snippet(p.get("text", "")),
                        "holds_evidence": any(holds_evidence(p.get("text", ""), e) for e in question.evidence),
                    }
                    for p in record.get("passages", [])[:FAILURE_PASSAGES]
                ],
            }
        )
    return failures


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= FAILURE_SNIPPET_CHARS else flat[:FAILURE_SNIPPET_CHARS] + "…"
