"""Scores of an answer to a ``list``, ``summary`` or ``comparison`` question against its gold items ("nuggets").

A nugget is one gold item: a list of alternative strings copied from the document, any one of which names it
(``["AI Agent", "Agent"]``). Matching ignores whitespace and folds width, case and Traditional/Simplified script,
as ``eval.metrics.normalise`` does. Only the citations the answer actually points at with ``[n]`` count: a
citation listed in the record but never marked in the text supports nothing.

- ``items_named``: the share of nuggets that the answer names *and* that a cited quote holds, so an item counts
  only when it is named with a citation that holds it.
- ``items_belong``: the share of cited quotes that hold at least one nugget, i.e. the quoted items that belong to
  the asked list (0 when nothing is cited).
- ``entities_covered`` (questions with ``entities``, i.e. comparisons): the share of the compared reports or
  entities that the answer names. An answer that says a report does not cover the topic names that report, so
  a declared absence counts as covered.

A refused answer scores 0 on all of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from eval.metrics import normalise
from eval.questions import Question

# "[3]", "[1, 2]", "[1，2]", "[1、2]"; full-width brackets are folded to these by NFKC first.
_MARKER_RE = re.compile(r"\[\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*\]")

NUGGET_SCORE_KEYS = ("items_named", "items_belong")
ENTITY_SCORE_KEYS = ("entities_covered",)


def cited_numbers(answer: str) -> set[int]:
    """The citation numbers that the answer text marks with ``[n]`` (or ``[n, m]``)."""
    text = unicodedata.normalize("NFKC", answer)
    return {int(n) for group in _MARKER_RE.findall(text) for n in re.split(r"[,，、]", group)}


def strip_markers(answer: str) -> str:
    """The answer text without its ``[n]`` markers, so a marker's digits never match an item."""
    return _MARKER_RE.sub(" ", unicodedata.normalize("NFKC", answer))


def _names(text: str, alternatives: Iterable[str]) -> bool:
    """Whether normalised ``text`` holds any of the alternatives."""
    return any((needle := normalise(a)) and needle in text for a in alternatives)


def cited_quotes(record: dict[str, Any]) -> list[str]:
    """The quotes of the record's citations whose ``[n]`` appears in its answer, normalised.

    A citation without a ``quote`` (an older record shape) falls back to its passage ``text``.
    """
    marked = cited_numbers(record.get("answer") or "")
    quotes = []
    for citation in record.get("citations") or []:
        try:
            n = int(citation.get("n"))
        except (TypeError, ValueError):
            continue
        if n in marked:
            quotes.append(normalise(citation.get("quote") or citation.get("text") or ""))
    return quotes


def items_named(nuggets: Sequence[Sequence[str]], answer: str, quotes: Sequence[str]) -> float:
    """Share of nuggets named in the (normalised, marker-free) answer and held by at least one cited quote."""
    if not nuggets:
        return 0.0
    hits = sum(1 for item in nuggets if _names(answer, item) and any(_names(q, item) for q in quotes))
    return hits / len(nuggets)


def items_belong(nuggets: Sequence[Sequence[str]], quotes: Sequence[str]) -> float:
    """Share of cited quotes that hold at least one alternative of any nugget; 0 when nothing is cited."""
    if not quotes:
        return 0.0
    return sum(1 for q in quotes if any(_names(q, item) for item in nuggets)) / len(quotes)


def entities_covered(entities: Sequence[Sequence[str]], answer: str) -> float:
    """Share of entities the (normalised, marker-free) answer names."""
    if not entities:
        return 0.0
    return sum(1 for entity in entities if _names(answer, entity)) / len(entities)


def score_nuggets(question: Question, record: dict[str, Any]) -> dict[str, float]:
    """``items_named`` and ``items_belong`` for a question with nuggets, plus ``entities_covered`` when it has
    entities; empty for a question without nuggets. A refused answer scores 0 on each."""
    if not question.nuggets:
        return {}
    keys = NUGGET_SCORE_KEYS + (ENTITY_SCORE_KEYS if question.entities else ())
    if record.get("refused"):
        return dict.fromkeys(keys, 0.0)
    answer = normalise(strip_markers(record.get("answer") or ""))
    quotes = cited_quotes(record)
    scores = {
        "items_named": items_named(question.nuggets, answer, quotes),
        "items_belong": items_belong(question.nuggets, quotes),
    }
    if question.entities:
        scores["entities_covered"] = entities_covered(question.entities, answer)
    return scores
