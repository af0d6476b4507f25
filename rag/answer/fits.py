"""Whether a sentence can carry the kind of answer a question asks for (see ``answer_fits``)."""

from __future__ import annotations

import math
import re

from rag.entities import LATIN_TOKEN_RE
from rag.question import Question
from rag.text.cues import fold_in_place, vocab
from rag.text.figures import DATE_UNITS, Figure, find_figures
from rag.text.primitives import _STOPWORDS, fold, is_han, tokenize


def answer_fits(question: Question, text: str) -> bool:
    """Whether ``text`` (a sentence) can carry the kind of answer the question asks for.

    - figure: a figure the question does not already state, in one of ``question.units`` when it names any (a
      money question also takes a bare amount with a magnitude, "300亿"; a count or people question a bare number);
    - date: a year or date the question does not already state, or a month or period ("4月", "Q1", "上半年");
    - person, organisation, place: a name-like word the question does not use (a capitalised Latin word, or a
      Chinese word of two or more characters) — deliberately permissive;
    - list, summary, comparison, yesno, open: always.
    """
    kind = question.kind
    if kind == "figure":
        return any(_figure_fits(f, question.units) for f in _new_figures(question, text))
    if kind == "date":
        new = [f for f in _new_figures(question, text) if f.unit in DATE_UNITS]
        if question.units == {"year"}:
            return bool(new)
        return bool(new) or bool(vocab().date_words_re.search(fold_in_place(text)))
    if kind in ("person", "organisation", "place"):
        return _has_new_name(question, text)
    return True


def _new_figures(question: Question, text: str) -> list[Figure]:
    return [f for f in find_figures(text) if not any(_same_figure(f, q) for q in question.figures)]


def _same_figure(a: Figure, b: Figure) -> bool:
    if _compact(a.text) == _compact(b.text):
        return True
    if a.unit != b.unit or a.value is None or b.value is None:
        return False
    return math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def _figure_fits(figure: Figure, units: frozenset[str]) -> bool:
    if not units:
        return True
    if figure.unit in units:
        return True
    if figure.unit == "":
        if units & {"money", "size"} and vocab().magnitude_re.search(fold_in_place(figure.text)):
            return True  # "营收达到300亿", "参数规模仅8B": an amount or a size without its unit
        return bool(units & {"count", "people"})
    return False


def _has_new_name(question: Question, text: str) -> bool:
    v = vocab()
    known = set(question.terms) | {t for e in question.entities for t in tokenize(e)}
    for m in LATIN_TOKEN_RE.finditer(text):
        word = re.sub(r"['’]s?$", "", m.group(0))
        lower = word.lower()
        if word[:1].isupper() and lower not in _STOPWORDS and lower not in v.question_words and lower not in known:
            return True
    return any(
        len(t) >= 2 and all(is_han(ch) for ch in t) and t not in known and t not in v.question_words
        for t in tokenize(text)
    )
