"""One analysis per question, done once and passed down: language, answer kind, units, years, names, terms, the
figures it states, and whether it leans on an earlier question.

Every cue word (question words, kind cues, unit words, magnitudes, currencies, follow-up cues) lives in
``rag/question_vocab.yaml``, read once by ``rag.text.cues``, which builds the patterns; figures are read by
``rag.text.figures``. Text is matched folded (lower case, half-width, Simplified) with a fold that keeps each character
in place, so offsets point into the text as written.

Answer kind. Cues of several kinds may match one question; the first kind in this order wins:

    comparison > summary > list > figure > date > person > organisation > place > yesno > open cue
    > a unit word alone (figure, or date for "date") > open

A summary or comparison request may mention figures or names, and a list of figures is still a list, so the
broader request goes first. "多少/how many/what share" (figure) and "哪一年/when" (date) name the answer more
precisely than "谁/哪家/哪里" do ("哪家公司的营收是多少" asks for an amount). Yes/no cues sit low because they are
also how other questions start ("Is there a list of..."); a polite opening ("Can you…", "请问") is set aside before
the cues are read. An open cue ("为什么", "如何", "why", "how does") outranks
a unit word alone, so "价格策略有什么特点" is open while "ChatGPT Enterprise的价格？" and "What was OpenAI's revenue?"
ask for a figure.

Follow-ups: whether a question leans on an earlier one is decided in ``rag.followup``; input that is no
question (a URL, code, a foreign language) in ``rag.question_problems``; names in ``rag.entities``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rag.entities import find_entities
from rag.followup import is_follow_up
from rag.question_problems import Problem, question_problem
from rag.text.cues import Vocab, fold_in_place, vocab
from rag.text.figures import DATE_UNITS, YEAR_RE, Figure, find_figures, zh_value
from rag.text.primitives import _jieba, cjk_ratio, is_han, tokenize

Kind = Literal["figure", "date", "person", "organisation", "place", "list", "summary", "comparison", "yesno", "open"]
_INVISIBLE_RE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")

KIND_PRECEDENCE: tuple[str, ...] = (
    "comparison", "summary", "list", "figure", "date", "person", "organisation", "place", "yesno", "open",
)


@dataclass(frozen=True)
class Question:
    """What a question asks, analysed once (see the module docstring for how each field is decided)."""

    text: str
    lang: Literal["zh", "en"]
    han_share: float
    kind: Kind
    units: frozenset[str]
    years: frozenset[int]
    entities: tuple[str, ...]
    terms: tuple[str, ...]
    figures: tuple[Figure, ...]
    follow_up: bool
    asks_author: bool
    truncated: bool = False
    problem: str | None = None
    count: int | None = None  # how many things the question says there are: "the ten trends", "四个状态", "三大挑战"
    # Terms that are part of the words asking for the answer's kind ("哪几种" of "分成了哪几种", "列出"): they say how
    # to answer, not what about, so no passage or list is chosen for holding them.
    asking: frozenset[str] = frozenset()


def analyse(text: str, max_chars: int = 2000) -> Question:
    """Analyse a question once: language, answer kind, units, years, names, terms, figures, follow-up.

    Args:
        text: the question as typed.
        max_chars: longer questions are cut to this many characters and flagged ``truncated``.

    Returns:
        The ``Question``. Input the engine cannot answer is classified in ``problem`` ("empty", "no_words",
        "unsupported_language", "url_or_code") rather than raised.
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    stripped = (text or "").strip()
    truncated = len(stripped) > max_chars
    if truncated:
        stripped = stripped[:max_chars].rstrip()
    if not stripped or not _INVISIBLE_RE.sub("", stripped).strip():  # spaces and zero-width characters only
        return _blank("", truncated, "empty")
    if not any(ch.isalnum() for ch in stripped):
        return _blank(stripped, truncated, "no_words")

    v = vocab()
    folded = fold_in_place(stripped)
    han_share = cjk_ratio(stripped)
    lang = _language(folded, han_share, v)
    matches = _unit_matches(folded, v)
    kind = _kind(folded, matches, v)
    units = _units_for(kind, matches)
    figures = tuple(find_figures(stripped))
    # A lone Latin letter is the "s" of "OpenAI's" or "What's", not a term.
    terms = tuple(t for t in tokenize(stripped) if t not in v.question_words and not re.fullmatch("[a-z]", t))
    return Question(
        text=stripped,
        lang=lang,
        han_share=han_share,
        kind=kind,  # type: ignore[arg-type]
        units=units,
        years=_years(figures),
        entities=find_entities(stripped, lang, v),
        terms=terms,
        figures=figures,
        follow_up=is_follow_up(stripped, folded, terms, v),
        asks_author=bool(v.author_re.search(folded)),
        truncated=truncated,
        problem=question_problem(stripped),
        count=_count(folded, v),
        asking=_asking_terms(terms, v),
    )


MAX_COUNT = 50


def _count(folded: str, v: Vocab) -> int | None:
    """How many things the question says there are (2 to ``MAX_COUNT``): a number before a counter in Chinese
    ("十大趋势", "四个状态", "3项"), a number before a plural noun in English ("the ten trends", "3 barriers"). An
    ordinal ("第三个") or a year is no count."""
    zh = v.count_zh_re.search(folded)
    if zh:
        value = int(zh.group(1)) if zh.group(1).isdigit() else zh_value(zh.group(1), v)
    else:
        en = v.count_en_re.search(folded)
        value = (int(en.group(1)) if en.group(1).isdigit() else v.en_numbers[en.group(1)]) if en else None
    return int(value) if value is not None and 2 <= value <= MAX_COUNT else None


def _blank(text: str, truncated: bool, problem: Problem) -> Question:
    return Question(
        text=text, lang="en", han_share=0.0, kind="open", units=frozenset(), years=frozenset(), entities=(),
        terms=(), figures=(), follow_up=False, asks_author=False, truncated=truncated, problem=problem,
    )


def _language(folded: str, han_share: float, v: Vocab) -> Literal["zh", "en"]:
    """Chinese when the Chinese words carry the question's grammar.

    A share of letters misjudges mixed questions: "ChatGPT Enterprise的价格？" has more Latin letters than Han
    characters but is Chinese, "What does 人工智能 mean?" the other way round. So the function words decide (the
    stopwords of rag.text.primitives and the question words): when only one language has them, it is that one; when both
    or neither do, a Han character weighs as much as a Latin word.
    """
    if han_share == 0.0:
        return "en"
    if not re.search("[a-z]", folded):
        return "zh"
    tokens = [t for t in _jieba().lcut(folded) if t.strip()]
    han = sum(1 for t in tokens for ch in t if is_han(ch))
    latin_words = [t for t in tokens if re.fullmatch(r"[a-z][a-z0-9.+'-]*", t)]
    zh_grammar = any(t in v.zh_grammar for t in tokens if is_han(t[0]))
    en_grammar = any(t in v.en_grammar for t in latin_words)
    if zh_grammar != en_grammar:
        return "zh" if zh_grammar else "en"
    return "zh" if han >= len(latin_words) else "en"


def _unit_matches(folded: str, v: Vocab) -> list[tuple[int, int, str]]:
    """(start, end, unit class) of the unit cues in the question.

    A unit said with "多少/几/how many" ("多少台", "几成", "how many employees") is the one asked for; otherwise every
    unit word counts, less those inside a longer cue of another class ("number of employees" is not also a count).
    """
    matches = [(m.start(), m.end(), cls) for cls, pattern in v.units.items() for m in pattern.finditer(folded)]
    explicit = []
    for m in v.how_many_zh.finditer(folded):
        if m.group("cls"):
            explicit.append((m.start(), m.end(), v.unit_of_word[m.group("cls")]))
        elif m.group("mag"):
            explicit.append((m.start(), m.end(), "money"))  # "融资多少亿"
    for m in v.how_many_en.finditer(folded):
        explicit.append((m.start(), m.end(), v.unit_of_word.get(m.group("word"), "count")))
    if explicit:
        return explicit  # "下降了几成" asks for a share even though it is a cost that fell
    return [
        (s, e, c)
        for s, e, c in matches
        if not any(s2 <= s and e <= e2 and e2 - s2 > e - s and c2 != c for s2, e2, c2 in matches)
    ]


def _kind(folded: str, unit_matches: list[tuple[int, int, str]], v: Vocab) -> str:
    request = v.request_re.match(folded)
    if request:
        folded = folded[request.end() :]
    for kind in KIND_PRECEDENCE:
        if v.kinds[kind].search(folded):
            return kind
    classes = {c for _, _, c in unit_matches}
    if classes - DATE_UNITS:
        return "figure"
    if classes:
        return "date"
    return "open"


def _asking_terms(terms: Sequence[str], v: Vocab) -> frozenset[str]:
    """The terms that are themselves a kind cue or hold one ("哪几" and "哪几种" of "分成了哪几种", "总结", "多少").
    Cues that span a gap ("各…怎么看") mark only their own words, never the content between them."""
    return frozenset(t for t in terms if any(v.kinds[kind].search(t) for kind in KIND_PRECEDENCE))


def _units_for(kind: str, unit_matches: list[tuple[int, int, str]]) -> frozenset[str]:
    classes = frozenset(c for _, _, c in unit_matches)
    if kind == "figure":
        return classes - DATE_UNITS
    if kind == "date":
        return classes & DATE_UNITS
    return frozenset()


def _years(figures: Sequence[Figure]) -> frozenset[int]:
    years: set[int] = set()
    for figure in figures:
        if figure.unit == "year" and figure.value is not None:
            years.add(int(figure.value))
        elif figure.unit == "date":
            years.update(int(y) for y in YEAR_RE.findall(figure.text))
    return frozenset(years)


def previous_questions(history: Sequence[Any]) -> list[str]:
    """User turns of a history given as messages ({"role", "content"}) or (question, answer) pairs."""
    questions = []
    for turn in history:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return questions


def search_text(question: Question, previous: Sequence[str]) -> str:
    """The text to retrieve with: for a follow-up, the most recent earlier question, then this one."""
    if question.follow_up:
        for earlier in reversed(previous):
            if earlier and earlier.strip():
                return f"{earlier.strip()} {question.text}"
    return question.text


__all__ = [
    "KIND_PRECEDENCE", "Kind", "Question", "analyse", "previous_questions", "search_text",
]
