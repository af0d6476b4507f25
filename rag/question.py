"""One analysis per question, done once and passed down: language, answer kind, units, years, names, terms, the
figures it states, and whether it leans on an earlier question.

Every cue word (question words, kind cues, unit words, magnitudes, currencies, follow-up cues) lives in
``rag/question_vocab.yaml``, read once; the patterns here are built from it. Text is matched folded (lower case,
half-width, Simplified) with a fold that keeps each character in place, so offsets point into the text as written.

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

Follow-ups. A question is a follow-up when it cannot stand alone, by the same tests in both languages:

- it opens with a connective that continues a conversation ("那", "还有", "what about", "and");
- it ends elliptically with no question word ("Google呢？", "Google too?");
- a pronoun ("它", "其", "it", "they") has no content word before it in the question; English "it" before
  "to …"/"that …" is the dummy subject ("How long does it take to train X?") and refers to nothing;
- a demonstrative ("这", "该", "那家", "this", "that") stands before a referent noun that nothing earlier in the
  question names ("该公司", "that company"; but "OpenAI发布了GPT-5，这家公司…"), or before nothing that says what
  it is ("这是什么", "What is this?"). Before a shelf noun ("这份报告", "this report") or a time noun ("this year")
  it is fine, and so it is before a description ("这家SaaS企业", "那位做图像识别的创业者", "that SaaS company");
- it has no content word but referent nouns ("价格是多少？", "What is the price?"): Chinese drops the pronoun that
  English keeps ("How much does it cost?").

Length plays no part: "趋势2是什么？" and "What is RAG?" stand alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from rag.text import _STOPWORDS, _jieba, cjk_ratio, fold, tokenize

Kind = Literal["figure", "date", "person", "organisation", "place", "list", "summary", "comparison", "yesno", "open"]
UnitClass = Literal["money", "percent", "count", "people", "duration", "date", "year", "multiple", "size", ""]
Problem = Literal["empty", "no_words", "unsupported_language", "url_or_code"]
_INVISIBLE_RE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")

VOCAB_PATH = Path(__file__).with_name("question_vocab.yaml")

KIND_PRECEDENCE: tuple[str, ...] = (
    "comparison", "summary", "list", "figure", "date", "person", "organisation", "place", "yesno", "open",
)
# Kana or hangul this share of the letters (quoted titles aside) makes a question Japanese or Korean: Chinese text
# never uses either, so even a kanji-heavy Japanese question ("日本の人工知能市場規模は？") passes it.
FOREIGN_KANA_HANGUL_SHARE = 0.1
# Letters of other scripts (Cyrillic, Arabic, Thai...) this share of the letters: a language the shelf cannot answer.
FOREIGN_OTHER_SHARE = 0.5
# A question that is code has this share of code punctuation among its non-space characters.
CODE_SYMBOL_SHARE = 0.12

_DATE_UNITS = frozenset({"year", "date"})
_LATIN = r"a-z0-9"


@dataclass(frozen=True)
class Figure:
    """A figure as written in a text, with its unit class and numeric value."""

    start: int
    end: int
    text: str
    value: float | None
    unit: UnitClass


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


# -- vocabulary ---------------------------------------------------------------------------------------------------


def _words(node: Any) -> list[str]:
    """Every cue in a vocabulary node (a list, or a mapping of lists/mappings), folded, longest first."""
    found: list[str] = []
    if isinstance(node, dict):
        for value in node.values():
            found.extend(_words(value))
    elif isinstance(node, list):
        found.extend(fold(str(w)) for w in node)
    return sorted(set(found), key=lambda w: (-len(w), w))


def _alternation(words: Iterable[str], latin_bounds: bool = True, after_digits: bool = False) -> str:
    """A non-capturing alternation of literal words, longest first; Latin edges only on word boundaries
    (``after_digits``: a word may follow digits directly, as "10x" or "5bn" do)."""
    parts = []
    before = "a-z" if after_digits else _LATIN
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        pattern = r"\s+".join(re.escape(piece) for piece in word.split(" "))
        if latin_bounds and re.match(f"[{_LATIN}]", word):
            pattern = f"(?<![{before}])" + pattern
        if latin_bounds and re.search(f"[{_LATIN}]$", word):
            pattern += f"(?![{_LATIN}])"
        parts.append(pattern)
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


_CLAUSE_START = r"(?:^|(?<=[,;:.!?。]))\s*"
_AT_END = r"(?=[^\w]*$)"
_GAP = ".{0,30}?"


def _cue(cue: str, placeholders: dict[str, str]) -> str:
    """The regex of one cue in the vocabulary's cue syntax (see the top of question_vocab.yaml)."""
    anchored_start = cue.startswith("^")
    anchored_end = cue.endswith("$") and len(cue) > 1
    body = cue[1 if anchored_start else 0 : -1 if anchored_end else None]
    parts = []
    for part in body.split("…"):  # split before folding: NFKC turns "…" into "..."
        part = fold(part).strip()
        pieces = re.split(r"(\{\w+\})", part)
        pattern = ""
        for piece in pieces:
            if piece.startswith("{") and piece.endswith("}") and piece[1:-1] in placeholders:
                pattern += placeholders[piece[1:-1]]
            elif piece:
                pattern += r"\s+".join(re.escape(w) if w else "" for w in piece.split(" "))
        if re.match(f"[{_LATIN}]", part):
            pattern = f"(?<![{_LATIN}])" + pattern
        if re.search(f"[{_LATIN}]$", part):
            pattern += f"(?![{_LATIN}])"
        parts.append(pattern)
    return (_CLAUSE_START if anchored_start else "") + _GAP.join(parts) + (_AT_END if anchored_end else "")


def _cues(node: dict, placeholders: dict[str, str]) -> re.Pattern[str]:
    cues = [c for lang in ("zh", "en") for c in node.get(lang, [])]
    return re.compile("|".join(f"(?:{_cue(str(c), placeholders)})" for c in cues) or "(?!)")


@dataclass(frozen=True)
class _Vocab:
    kinds: dict[str, re.Pattern[str]]
    units: dict[str, re.Pattern[str]]
    how_many_zh: re.Pattern[str]
    how_many_en: re.Pattern[str]
    unit_of_word: dict[str, str]        # a classifier/unit word after a figure (or after 多少/几) → unit class
    tenths: frozenset[str]
    magnitude: dict[str, float]
    magnitude_re: re.Pattern[str]
    unit_re: re.Pattern[str]
    currency_prefix_re: re.Pattern[str]
    percent_prefixes: tuple[str, ...]
    fiscal_prefix_re: re.Pattern[str]
    zh_digits: dict[str, int]
    zh_multipliers: dict[str, int]
    zh_articles: frozenset[str]
    en_numbers: dict[str, int]
    number_re: re.Pattern[str]
    date_res: tuple[re.Pattern[str], ...]
    date_words_re: re.Pattern[str]
    question_words: frozenset[str]
    question_word_re: re.Pattern[str]
    author_re: re.Pattern[str]
    request_re: re.Pattern[str]
    opener_re: re.Pattern[str]
    ellipsis_re: re.Pattern[str]
    pronoun_re: re.Pattern[str]
    demonstrative_re: re.Pattern[str]
    not_pronoun_re: re.Pattern[str]
    shelf_nouns: tuple[str, ...]
    shelf_re: re.Pattern[str]
    time_nouns: tuple[str, ...]
    referent_nouns: frozenset[str]
    zh_referent_nouns: tuple[str, ...]   # longest first
    zh_classifier_re: re.Pattern[str]
    phrase_break_re: re.Pattern[str]
    range_re: re.Pattern[str]
    year_words: frozenset[str]
    ordinal_marker_re: re.Pattern[str]
    dummy_pronouns: frozenset[str]
    dummy_followers_re: re.Pattern[str]
    count_zh_re: re.Pattern[str]
    count_en_re: re.Pattern[str]
    zh_grammar: frozenset[str]
    en_grammar: frozenset[str]
    code_start_re: re.Pattern[str]
    code_marks: tuple[str, ...]


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster to read
    data = yaml.load(VOCAB_PATH.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    classifiers = data["classifiers"]
    zh_classifiers = [w for cls in classifiers.values() for w in _words(cls.get("zh", []))]
    question_words = frozenset(_words(data["question_words"]))
    # "{plural}": an English plural noun, not a verb or function word that happens to end in s ("does", "was").
    function_words = sorted(w for w in set(_STOPWORDS) | question_words if re.fullmatch("[a-z]+", w))
    not_function_word = "(?!(?:" + "|".join(function_words) + ")(?![a-z]))"
    plural = (
        f"(?:{not_function_word}[a-z-]+\\s+){{0,2}}?"  # up to two modifiers: "which vector databases"
        f"{not_function_word}[a-z]+[a-hj-rtv-z]s(?![{_LATIN}])"
        # "Which company makes the H100?": a noun then a verb, which a determiner follows.
        f"(?!\\s+{_alternation(_words(data['determiners']))})"
    )
    placeholders = {"classifier": _alternation(zh_classifiers + _words(data["percent"]["tenths"])), "plural": plural}
    unit_of_word = _unit_words(data)
    numbers = _number_patterns(data, unit_of_word)
    s_words_all = set(_STOPWORDS) | question_words
    return _Vocab(
        kinds={kind: _cues(node, placeholders) for kind, node in data["kinds"].items()},
        units={cls: _cues(node, placeholders) for cls, node in data["units"].items()},
        unit_of_word=unit_of_word,
        **numbers,
        **_date_patterns(data, numbers["zh_digits"], numbers["zh_multipliers"]),
        **_follow_up_patterns(data, zh_classifiers, numbers["zh_digits"], numbers["zh_multipliers"]),
        question_words=question_words,
        question_word_re=re.compile(_alternation(question_words)),
        author_re=_cues(data["author"], placeholders),
        request_re=re.compile(r"^[\W_]*(?:" + _alternation(_words(data["requests"])) + r"[\s,]*)+"),
        range_re=re.compile(r"\s*" + _alternation(_words(data["ranges"])) + r"\s*"),
        ordinal_marker_re=re.compile(_alternation(_words(data["ordinal_markers"])) + r"\s*$"),
        zh_grammar=frozenset(w for w in s_words_all if not re.search("[a-z]", w)),
        en_grammar=frozenset(w for w in s_words_all if re.fullmatch("[a-z]+", w)),
        code_start_re=re.compile(
            "^(?:"
            + "|".join(re.escape(fold(w)) + (r"(?!\w)" if w[-1].isalnum() else "") for w in data["code"]["starts"])
            + ")"
        ),
        code_marks=tuple(str(m) for m in data["code"]["marks"]),
        **_count_patterns(data["list_counters"], numbers["zh_digits"], numbers["zh_multipliers"], numbers["en_numbers"]),
    )


def _count_patterns(counters: dict, zh_digits: dict, zh_multipliers: dict, en_numbers: dict) -> dict:
    """The ``_Vocab`` fields that read how many things a list question asks for (see ``_count``)."""
    tens = "".join(k for k, n in zh_multipliers.items() if n == 10)
    ordinal = "".join(_words(counters["ordinal_prefixes"]))
    zh_numeral = f"\\d{{1,2}}|[{''.join(zh_digits)}{tens}]{{1,3}}"
    return {
        "count_zh_re": re.compile(
            f"(?<![{ordinal}\\d.])({zh_numeral})\\s*{_alternation(_words(counters['after_zh_numeral']), latin_bounds=False)}"
        ),
        "count_en_re": re.compile(
            f"(?<![\\w.])(\\d{{1,2}}|{_alternation(en_numbers)})\\s+(?:[a-z-]+\\s+)?[a-z]+s(?![a-z])"
        ),
    }


def _unit_words(data: dict) -> dict[str, str]:
    """Each unit word (classifier, currency, percent word, fiscal-year word) → its unit class."""
    unit_of_word: dict[str, str] = {}
    for cls, node in data["classifiers"].items():
        for word in _words(node):
            unit_of_word.setdefault(word, cls)
    for word in _words(data["currency"]):
        unit_of_word.setdefault(word, "money")
    percent = data["percent"]
    for word in _words({k: percent[k] for k in ("zh", "en", "tenths")}):
        unit_of_word.setdefault(word, "percent")
    for word in _words(data["fiscal_year"]["zh"]):
        unit_of_word.setdefault(word, "year")
    return unit_of_word


def _number_patterns(data: dict, unit_of_word: dict[str, str]) -> dict:
    """The ``_Vocab`` fields that read figures: numerals, magnitudes, units, currencies, "how many"."""
    magnitude = {fold(k): float(v) for lang in ("zh", "en") for k, v in data["magnitudes"][lang].items()}
    glued = frozenset(fold(w) for w in data["magnitudes"]["glued"])
    spaced = [w for w in magnitude if w not in glued]
    how_many = data["how_many"]
    zh_mags = [w for w in magnitude if not re.match("[a-z]", w)]
    numerals = data["numerals"]
    zh_digits = {fold(k): int(v) for k, v in numerals["zh"]["digits"].items()}
    zh_multipliers = {fold(k): int(v) for k, v in numerals["zh"]["multipliers"].items()}
    en_numbers = {fold(k): int(v) for k, v in {**numerals["en"]["words"], **numerals["en"]["multipliers"]}.items()}
    tens = "".join(k for k, n in zh_multipliers.items() if n == 10)
    zh_first = "".join(zh_digits) + tens  # a numeral starts with a digit or 十 ("十万"), never with 万 or 百
    zh_any = "".join(zh_digits) + "".join(zh_multipliers)
    en_word = _alternation(en_numbers)
    percent = data["percent"]
    return {
        "how_many_zh": re.compile(
            f"{_alternation(_words(how_many['zh']))}\\s*(?P<mag>{_alternation(zh_mags)})?\\s*"
            f"(?P<cls>{_alternation([w for w in unit_of_word if not re.match('[a-z]', w)], latin_bounds=False)})?"
        ),
        "how_many_en": re.compile(
            f"{_alternation(_words(how_many['en']))}\\s+(?:{_alternation(_words(how_many['en_modifiers']))}\\s+)?"
            "(?P<word>[a-z]+)"
        ),
        "tenths": frozenset(_words(percent["tenths"])),
        "magnitude": magnitude,
        "magnitude_re": re.compile(
            rf"\s*({_alternation(spaced, after_digits=True)})|({_alternation(glued, after_digits=True)})"
        ),
        "unit_re": re.compile(r"[\s-]*(" + _alternation(unit_of_word, after_digits=True) + ")"),
        "currency_prefix_re": re.compile(f"(?<![{_LATIN}])(?:{_alternation(_words(data['currency']))})\\s*$"),
        "percent_prefixes": tuple(_words(percent["prefix"])),
        "fiscal_prefix_re": re.compile(
            f"(?<![{_LATIN}])(?:{_alternation(_words(data['fiscal_year']['en']))})\\s?$"
        ),
        "zh_digits": zh_digits,
        "zh_multipliers": zh_multipliers,
        "zh_articles": frozenset(_words(numerals["zh"]["articles"])),
        "en_numbers": en_numbers,
        "number_re": re.compile(
            r"(?P<ar>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?<!\d)\.\d+)"
            f"|(?P<zh>[{zh_first}][{zh_any}]*)"
            f"|(?P<en>{en_word}(?:[\\s-]+{en_word})*)"
        ),
    }


def _date_patterns(data: dict, zh_digits: dict[str, int], zh_multipliers: dict[str, int]) -> dict:
    """The ``_Vocab`` fields that read dates: full dates, quarters, months, and date words."""
    dates = data["dates"]
    tens = "".join(k for k, n in zh_multipliers.items() if n == 10)
    months = _alternation(_words(dates["months"]))
    parts = {k: _alternation(_words(w), latin_bounds=False) for k, w in dates["zh_parts"].items()}
    year, month, day_zh, quarter, ordinal = (parts[k] for k in ("year", "month", "day", "quarter", "ordinal"))
    month_number = r"(?<![\d.])(?:1[0-2]|0?[1-9])"
    day = r"\d{1,2}(?:st|nd|rd|th)?"
    return {
        "date_res": (
            re.compile(rf"(?<!\d)\d{{4}}\s*{year}\s*\d{{1,2}}\s*{month}(?:\s*\d{{1,2}}\s*{day_zh})?"),
            re.compile(rf"(?<!\d)\d{{4}}\s*{year}\s*(?:{ordinal}\s*)?[{''.join(zh_digits)}1-4]\s*{quarter}"),
            re.compile(r"(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d.])"),
            re.compile(rf"{month_number}\s*{month}\s*\d{{1,2}}\s*{day_zh}"),
            re.compile(rf"{month_number}\s*{month}"),
            re.compile(rf"{months}\.?\s+{day}(?:,?\s+\d{{4}})?(?![\d])"),
            re.compile(rf"(?<![\d.]){day}\s+(?:of\s+)?{months}(?:,?\s+\d{{4}})?(?![\d])"),
            re.compile(rf"{months},?\s+(?:of\s+)?\d{{4}}(?!\d)"),
            re.compile(r"(?<![a-z0-9])q[1-4]\s*,?\s*\d{4}(?!\d)|(?<!\d)\d{4}\s*q[1-4](?![a-z0-9])"),
        ),
        "date_words_re": re.compile(
            _alternation(_words({k: dates[k] for k in ("zh", "en")}))
            + rf"|(?:{month_number}|[{''.join(zh_digits)}{tens}]{{1,2}})\s*{month}|{months}"
        ),
        "year_words": frozenset(_words(dates["zh_parts"]["year"])),
    }


def _follow_up_patterns(
    data: dict, zh_classifiers: list[str], zh_digits: dict[str, int], zh_multipliers: dict[str, int]
) -> dict:
    """The ``_Vocab`` fields that tell a follow-up: openers, ellipsis, pronouns, demonstratives and their nouns."""
    follow = data["follow_up"]
    tens = "".join(k for k, n in zh_multipliers.items() if n == 10)
    openers = _alternation(_words(follow["openers"]))
    ellipsis = _alternation(_words(follow["ellipsis_endings"]))
    return {
        "opener_re": re.compile(r"^[\W_]*(" + openers + ")"),
        "ellipsis_re": re.compile(f"({ellipsis})[^\\w]*$"),
        "pronoun_re": re.compile(_alternation(_words(follow["pronouns"]))),
        "demonstrative_re": re.compile(_alternation(_words(follow["demonstratives"]))),
        "not_pronoun_re": re.compile(_alternation(_words(follow["not_pronouns"]))),
        "shelf_nouns": tuple(_words(follow["shelf_nouns"])),
        "shelf_re": re.compile(_alternation(_words(follow["shelf_nouns"]))),
        "time_nouns": tuple(_words(follow["time_nouns"])),
        "referent_nouns": frozenset(_words(follow["referent_nouns"])),
        "zh_referent_nouns": tuple(w for w in _words(follow["referent_nouns"]) if not w.isascii()),
        "zh_classifier_re": re.compile(
            f"[\\d{''.join(zh_digits)}{tens}{''.join(follow['demonstrative_counters'])}]*\\s*"
            f"(?:{_alternation(zh_classifiers + _words(follow['demonstrative_counters']), latin_bounds=False)})?"
        ),
        "phrase_break_re": re.compile("[" + "".join(_words(follow["phrase_breaks"])) + r",，?？。!！\s]"),
        "dummy_pronouns": frozenset(_words(follow["dummy_subject"]["pronouns"])),
        "dummy_followers_re": re.compile(
            r"(?:\s+\S+){0,4}?\s+" + _alternation(_words(follow["dummy_subject"]["followers"])) + r"\s+\w"
        ),
    }


# -- folding that keeps offsets -----------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _fold_char(ch: str) -> str:
    folded = fold(ch)
    if len(folded) == 1:
        return folded
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def _fold_in_place(text: str) -> str:
    """``rag.text.fold`` one character at a time, so that offsets into the result are offsets into ``text``.

    A character whose fold is not one character ("…" → "...", zero-width spaces) is kept as it is.
    """
    return "".join(map(_fold_char, text))


# -- figures ------------------------------------------------------------------------------------------------------

_ORDINAL_BEFORE_RE = re.compile(r"\s*(?:#+\s*)?(?:[-*+•]\s+)?")
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A figure right after a Latin letter, or a letter and a hyphen, is part of a name: "o1", "GPT-4o", "H100", "COVID-19".
_NAME_BEFORE_RE = re.compile(r"(?:[a-z_]-?|\d\.)$")


@dataclass
class _Found:
    start: int
    end: int
    value: float | None
    unit: str
    scale: float = 1.0  # the magnitude applied, carried over a range ("1-2亿元")


def find_figures(text: str) -> list[Figure]:
    """Figures ``text`` states, with their units, in order.

    Left out: list ordinals at a line start ("3. 安装", "（2）"), ordinals ("第3", "1st"), digits inside names
    ("o1", "GPT-4o", "H100", "Qwen2.5"), Chinese numerals without a measure word ("三星", "百度"), and a lone "一"
    before a count classifier (an article: "一家公司"). Chinese numerals with a classifier or unit ("三成", "两倍",
    "十万人") and English number words with a unit or magnitude ("two million", "three times") are figures.
    """
    v = _vocab()
    folded = _fold_in_place(text)
    if not v.number_re.search(folded):
        return []  # every date holds digits too
    found: list[_Found] = []
    taken = [False] * (len(folded) + 1)

    for pattern in v.date_res:
        for m in pattern.finditer(folded):
            if any(taken[m.start() : m.end()]):
                continue
            found.append(_Found(m.start(), m.end(), None, "date"))
            for i in range(m.start(), m.end()):
                taken[i] = True

    pos = 0
    while True:
        m = v.number_re.search(folded, pos)
        if not m:
            break
        pos = m.end()
        if any(taken[m.start() : m.end()]):
            continue
        figure = _read_figure(folded, m, v)
        if figure is None:
            continue
        if any(taken[figure.start : figure.end]):
            continue
        found.append(figure)
        for i in range(figure.start, figure.end):
            taken[i] = True
        pos = max(pos, figure.end)

    found.sort(key=lambda f: f.start)
    _carry_range_units(folded, found, v)
    return [Figure(f.start, f.end, text[f.start : f.end], f.value, f.unit) for f in found]  # type: ignore[arg-type]


def _read_figure(folded: str, m: re.Match[str], v: _Vocab) -> _Found | None:
    start, end = m.start(), m.end()
    digits = m.group("ar")
    before = folded[max(0, start - 12) : start]

    fiscal = digits and v.fiscal_prefix_re.search(before)
    if fiscal and len(digits) in (2, 4) and digits.isdigit():
        year = int(digits) if len(digits) == 4 else 2000 + int(digits)
        return _Found(start - len(fiscal.group(0)), end, float(year), "year")
    currency = v.currency_prefix_re.search(before)
    if _is_excluded(folded, m, v, after_currency=currency is not None):
        return None

    if digits:
        value = float(digits.replace(",", ""))
    elif m.group("zh"):
        value = _zh_value(m.group("zh"), v)
    else:
        value = _en_value(m.group("en"), v)
    if value is None:
        return None

    # What stands before: a currency, or 百分之.
    unit = ""
    if currency:
        start -= len(currency.group(0))
        unit = "money"
    else:
        for prefix in v.percent_prefixes:
            if before.endswith(prefix):
                start -= len(prefix)
                unit = "percent"
                break

    # What stands after: a magnitude, then a unit word.
    scale = 1.0
    mag = v.magnitude_re.match(folded, end)
    if mag and (mag.group(1) or (mag.group(2) and digits)):
        scale = v.magnitude[mag.group(1) or mag.group(2)]
        end = mag.end()
    elif digits and re.match(r"[a-z]", folded[end : end + 1]):
        # Digits glued to letters that are no unit belong to a name or an ordinal: "4o", "5g", "1st".
        letters = re.match(r"[a-z]+", folded[end:]).group(0)  # type: ignore[union-attr]
        if not (letters in v.unit_of_word or (letters == "s" and _is_year(digits))):
            return None

    after = v.unit_re.match(folded, end)
    after_class = ""
    if after:
        word = after.group(1)
        after_class = v.unit_of_word[word]
        end = after.end()
        if word in v.tenths:
            value = value * 10 if value <= 10 else value
    elif digits and _is_year(digits) and folded[end : end + 1] == "s":
        end += 1  # "the 2020s"
        after_class = "year"
    elif scale == 1.0 and not unit:
        noun = re.match(r"[\s-]+([a-z]+)", folded[end:])
        if noun and _is_plural_noun(noun.group(1), v) and not (digits and _is_year(digits)):
            after_class = "count"
            end += noun.end()

    if unit == "money" or after_class == "money":
        unit = "money"
    elif after_class == "duration" and after and after.group(1) in v.year_words and (
        (digits and _is_year(digits)) or (m.group("zh") and len(m.group("zh")) == 4 and 1900 <= value <= 2100)
    ):
        unit = "year"
    elif after_class:
        unit = after_class
    elif unit != "percent" and scale == 1.0 and digits and _is_year(digits):
        unit = "year"

    if not digits and not unit and scale == 1.0:
        return None  # a numeral word with no unit is a word: "三星", "one of them"
    if m.group("zh") in v.zh_articles and unit not in ("duration", "multiple", "percent", "money") and scale == 1.0:
        return None  # "一家公司", "一个趋势": an article, not a count
    if unit in ("year", "date"):
        return _Found(start, end, value, unit)
    return _Found(start, end, value * scale, unit, scale)


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and digits.isdigit() and 1900 <= int(digits) <= 2100


def _is_plural_noun(word: str, v: _Vocab) -> bool:
    return (
        len(word) > 3
        and re.fullmatch(r"[a-z]+[a-hj-rtv-z]s", word) is not None
        and word not in _STOPWORDS
        and word not in v.question_words
    )


def _is_excluded(folded: str, m: re.Match[str], v: _Vocab, after_currency: bool) -> bool:
    """Whether the number is an ordinal, a list item's number, or digits of a name ("RMB100" is none of them)."""
    start, end = m.start(), m.end()
    before = folded[max(0, start - 8) : start]
    if v.ordinal_marker_re.search(before):
        return True  # "第3", "哪一天", "No. 1"
    if m.group("ar"):
        if not after_currency and _NAME_BEFORE_RE.search(before):
            return True
        if re.match(r"\.\d", folded[end : end + 2]):
            return True  # "3.5.1": a version
        line_start = folded.rfind("\n", 0, start) + 1
        lead = folded[line_start:start]
        if len(m.group("ar")) <= 2 and m.group("ar").isdigit():
            if _ORDINAL_BEFORE_RE.fullmatch(lead) and folded[end : end + 1] in (".", "、", ")", "]"):
                return True  # "3. 安装依赖库"
            if re.fullmatch(r"\s*(?:[-*+•]\s+)?[(\[]", lead) and folded[end : end + 1] in ")]":
                return True  # "（2）"
    return False


def _zh_value(numeral: str, v: _Vocab) -> float | None:
    """The value of a Chinese numeral: "十万" 100000, "两千三百" 2300, "二〇二四" 2024, "八五" 85."""
    if all(ch in v.zh_digits for ch in numeral):
        return float("".join(str(v.zh_digits[ch]) for ch in numeral))
    total, section, digit = 0, 0, 0
    for ch in numeral:
        if ch in v.zh_digits:
            digit = v.zh_digits[ch]
            continue
        mult = v.zh_multipliers.get(ch)
        if mult is None:
            return None
        if mult >= 10000:
            section = (section + digit) * mult
            total += section
            section, digit = 0, 0
        else:
            section += (digit or 1) * mult
            digit = 0
    return float(total + section + digit)


def _en_value(words: str, v: _Vocab) -> float | None:
    total = 0
    for word in re.split(r"[\s-]+", words):
        n = v.en_numbers.get(word)
        if n is None:
            return None
        total = total * n if n == 100 and total else total + n
    return float(total)


def _carry_range_units(folded: str, found: list[_Found], v: _Vocab) -> None:
    """In "10-20%" or "1-2亿元", the first figure carries the unit and magnitude written after the second."""
    for first, second in zip(found, found[1:]):
        if first.unit or first.scale != 1.0 or not second.unit or second.unit in _DATE_UNITS or first.value is None:
            continue
        if v.range_re.fullmatch(folded, first.end, second.start):
            first.unit = second.unit
            first.value *= second.scale
            first.scale = second.scale


# -- analysis -----------------------------------------------------------------------------------------------------


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

    v = _vocab()
    folded = _fold_in_place(stripped)
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
        entities=_entities(stripped, lang, v),
        terms=terms,
        figures=figures,
        follow_up=_is_follow_up(stripped, folded, terms, v),
        asks_author=bool(v.author_re.search(folded)),
        truncated=truncated,
        problem=_problem(stripped),
        count=_count(folded, v),
    )


MAX_COUNT = 50


def _count(folded: str, v: _Vocab) -> int | None:
    """How many things the question says there are (2 to ``MAX_COUNT``): a number before a counter in Chinese
    ("十大趋势", "四个状态", "3项"), a number before a plural noun in English ("the ten trends", "3 barriers"). An
    ordinal ("第三个") or a year is no count."""
    zh = v.count_zh_re.search(folded)
    if zh:
        value = int(zh.group(1)) if zh.group(1).isdigit() else _zh_value(zh.group(1), v)
    else:
        en = v.count_en_re.search(folded)
        value = (int(en.group(1)) if en.group(1).isdigit() else v.en_numbers[en.group(1)]) if en else None
    return int(value) if value is not None and 2 <= value <= MAX_COUNT else None


def _blank(text: str, truncated: bool, problem: Problem) -> Question:
    return Question(
        text=text, lang="en", han_share=0.0, kind="open", units=frozenset(), years=frozenset(), entities=(),
        terms=(), figures=(), follow_up=False, asks_author=False, truncated=truncated, problem=problem,
    )


def _language(folded: str, han_share: float, v: _Vocab) -> Literal["zh", "en"]:
    """Chinese when the Chinese words carry the question's grammar.

    A share of letters misjudges mixed questions: "ChatGPT Enterprise的价格？" has more Latin letters than Han
    characters but is Chinese, "What does 人工智能 mean?" the other way round. So the function words decide (the
    stopwords of rag.text and the question words): when only one language has them, it is that one; when both
    or neither do, a Han character weighs as much as a Latin word.
    """
    if han_share == 0.0:
        return "en"
    if not re.search("[a-z]", folded):
        return "zh"
    tokens = [t for t in _jieba().lcut(folded) if t.strip()]
    han = sum(1 for t in tokens for ch in t if _is_han(ch))
    latin_words = [t for t in tokens if re.fullmatch(r"[a-z][a-z0-9.+'-]*", t)]
    zh_grammar = any(t in v.zh_grammar for t in tokens if _is_han(t[0]))
    en_grammar = any(t in v.en_grammar for t in latin_words)
    if zh_grammar != en_grammar:
        return "zh" if zh_grammar else "en"
    return "zh" if han >= len(latin_words) else "en"


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def _unit_matches(folded: str, v: _Vocab) -> list[tuple[int, int, str]]:
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


def _kind(folded: str, unit_matches: list[tuple[int, int, str]], v: _Vocab) -> str:
    request = v.request_re.match(folded)
    if request:
        folded = folded[request.end() :]
    for kind in KIND_PRECEDENCE:
        if v.kinds[kind].search(folded):
            return kind
    classes = {c for _, _, c in unit_matches}
    if classes - _DATE_UNITS:
        return "figure"
    if classes:
        return "date"
    return "open"


def _units_for(kind: str, unit_matches: list[tuple[int, int, str]]) -> frozenset[str]:
    classes = frozenset(c for _, _, c in unit_matches)
    if kind == "figure":
        return classes - _DATE_UNITS
    if kind == "date":
        return classes & _DATE_UNITS
    return frozenset()


def _years(figures: Sequence[Figure]) -> frozenset[int]:
    years: set[int] = set()
    for figure in figures:
        if figure.unit == "year" and figure.value is not None:
            years.add(int(figure.value))
        elif figure.unit == "date":
            years.update(int(y) for y in _YEAR_RE.findall(figure.text))
    return frozenset(years)


# -- names --------------------------------------------------------------------------------------------------------

_QUOTED_RE = re.compile(
    r"《([^《》]{1,80})》|「([^「」]{1,80})」|『([^『』]{1,80})』|“([^“”]{1,80})”|\"([^\"]{1,80})\"|‘([^‘’]{1,80})’"
)
_LATIN_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.+'’][A-Za-z0-9]+)*\+*")
_PERIOD_TOKEN_RE = re.compile(r"(?i)fy\d{2,4}|q[1-4]|h[12]")


def _entities(text: str, lang: str, v: _Vocab) -> tuple[str, ...]:
    """Names the question gives, as written, in order: quoted titles, then Latin-script names.

    In a Chinese question every Latin-script word names something ("SaaS", "ChatGPT Enterprise"); in an English
    one, capitalised words do, except a question or function word capitalised because it starts a sentence.
    Consecutive name words, or words joined by "&", make one name ("Weights & Biases", "Percy Shelley").
    """
    names: list[tuple[int, str]] = []
    for m in _QUOTED_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None).strip()
        if inner:
            names.append((m.start(), inner))

    run: list[re.Match[str]] = []

    def close() -> None:
        if run:
            names.append((run[0].start(), text[run[0].start() : run[-1].end()]))
            run.clear()

    quoted = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(text)]
    for m in _LATIN_TOKEN_RE.finditer(text):
        if any(s <= m.start() < e for s, e in quoted):
            close()
            continue  # part of a quoted title, kept whole above
        word = re.sub(r"['’]s?$", "", m.group(0))
        lower = word.lower()
        sentence_start = not text[: m.start()].strip() or re.search(r"[.?!。？！]\s*$", text[: m.start()]) is not None
        if lang == "zh":
            is_name = lower not in _STOPWORDS and lower not in v.question_words
        else:
            is_name = (word[:1].isupper() or any(ch.isupper() for ch in word[1:]) or re.search(r"\d", word)) and not (
                sentence_start and (lower in _STOPWORDS or lower in v.question_words)
            )
            is_name = bool(is_name) and word != "I"
        is_name = is_name and not _PERIOD_TOKEN_RE.fullmatch(word)
        if not is_name:
            close()
            continue
        if run and not re.fullmatch(r"\s+|\s*&\s*", text[run[-1].end() : m.start()]):
            close()
        if run and re.search(r"['’]s?$", text[run[-1].start() : run[-1].end()]):
            close()
        run.append(m)
    close()

    seen: set[str] = set()
    result = []
    for _, name in sorted(names, key=lambda n: n[0]):
        name = re.sub(r"['’]s?$", "", name)
        if name and name not in seen:
            seen.add(name)
            result.append(name)
    return tuple(result)


# -- follow-ups ---------------------------------------------------------------------------------------------------


def _is_follow_up(text: str, folded: str, terms: Sequence[str], v: _Vocab) -> bool:
    opener = v.opener_re.match(folded)
    if opener and not _counts_after_demonstrative(folded, opener.group(1), opener.end(), v):
        return True
    ellipsis = v.ellipsis_re.search(folded)
    if ellipsis and not v.question_word_re.search(folded[: ellipsis.start()]):
        return True
    if _has_unresolved_reference(text, folded, v):
        return True
    return _lacks_subject(folded, terms, v)


def _counts_after_demonstrative(text: str, word: str, end: int, v: _Vocab) -> bool:
    """Whether a Chinese demonstrative is followed by a numeral or classifier ("那位", "这三家", "这一年").

    Then "那" is the demonstrative, not the connective "那" of "那2024年呢".
    """
    if word.isascii() or not v.demonstrative_re.fullmatch(word) or re.match(r"\s*\d", text[end:]):
        return False
    counted = v.zh_classifier_re.match(text, end)
    return counted is not None and counted.end() > end


def _has_content(prefix: str, v: _Vocab) -> bool:
    """Whether a stretch of question names something a pronoun after it could refer to."""
    return any(t not in v.question_words and re.search(r"[^\W\d_]", t) for t in tokenize(prefix))


def _has_unresolved_reference(text: str, folded: str, v: _Vocab) -> bool:
    """Whether a pronoun or demonstrative points outside the question (see the module docstring)."""
    masked = v.not_pronoun_re.sub(lambda m: " " * len(m.group(0)), folded)
    for m in v.pronoun_re.finditer(masked):
        if m.group(0) in v.dummy_pronouns and v.dummy_followers_re.match(masked, m.end()):
            continue  # "How long does it take to train X?": the dummy subject
        if not _has_content(text[: m.start()], v):
            return True
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    for m in v.demonstrative_re.finditer(masked):
        word = m.group(0)
        latin = word.isascii()
        rest_start = m.end()
        counted = not latin and _counts_after_demonstrative(masked, word, rest_start, v)
        if counted:
            rest_start = v.zh_classifier_re.match(masked, rest_start).end()  # type: ignore[union-attr]
        rest = masked[rest_start:].lstrip()
        if _starts_with_any(rest, v.shelf_nouns + v.time_nouns, latin):
            continue  # "这份报告", "this year"
        if latin:
            phrase = re.findall(r"[a-z][a-z-]*", rest)[:3]
            head = phrase[0] if phrase and phrase[0] in v.referent_nouns else None
            described = any(w in v.referent_nouns for w in phrase[1:])
        else:
            phrase_text = v.phrase_break_re.split(rest, maxsplit=1)[0][:8]
            head = next((n for n in v.zh_referent_nouns if phrase_text.startswith(n)), None)
            if head and phrase_text != head and not _zh_noun_phrase_is_generic(phrase_text, v):
                head = None  # "那位模型创业者": "模型" only qualifies the noun that says who
            described = counted or any(n in phrase_text for n in v.zh_referent_nouns)
        if head:
            # "该公司", "that company": an earlier turn's subject, unless the question named one before it.
            if not _has_antecedent(text[: m.start()], head, v):
                return True
            continue
        if described:
            continue  # "那位电商算法工程师", "这家SaaS企业", "that SaaS company": the description says which
        if not _has_content(text[: m.start()], v):
            return True  # "这是什么", "What is this?"
    return False


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech tag of each dictionary word (read once, only for the rare phrase that needs it)."""
    _jieba()
    try:
        import jieba.posseg

        return jieba.posseg.dt.word_tag_tab  # jieba's own table, not a copy: it holds ~350k words
    except (ImportError, AttributeError):  # a jieba without its tag table: every word counts as a noun
        return {}


def _zh_noun_phrase_is_generic(phrase: str, v: _Vocab) -> bool:
    """Whether the noun phrase a Chinese phrase opens holds only referent nouns ("公司" in "公司推出了什么").

    The phrase's nouns run until the first word jieba tags as something else (a verb, a particle); a word jieba
    does not know, or a Latin one, counts as a noun.
    """
    tags = _word_tags()
    nouns = []
    for token in _jieba().lcut(phrase):
        tag = tags.get(token, "n")
        if not tag.startswith("n") and tag != "eng":
            break
        nouns.append(token)
    return bool(nouns) and all(t in v.referent_nouns for t in nouns)


def _has_antecedent(prefix: str, noun: str, v: _Vocab) -> bool:
    """Whether the words before a demonstrative name what it points at: a name, or the same noun."""
    folded = fold(prefix)
    if noun.isascii():
        if re.search(rf"(?<![a-z]){re.escape(noun)}(?![a-z])", folded):
            return True
        return bool(_entities(prefix, "en", v))
    return noun in folded or bool(_entities(prefix, "zh", v))


def _starts_with_any(text: str, nouns: Iterable[str], latin: bool) -> bool:
    for noun in nouns:
        if noun.isascii() != latin:
            continue
        if text.startswith(noun) and (not latin or not re.match(r"[a-z]", text[len(noun) : len(noun) + 1])):
            return True
    return False


def _lacks_subject(body: str, terms: Sequence[str], v: _Vocab) -> bool:
    """A question with nothing to say what it is about but referent nouns ("价格是多少？", "What is the price?")."""
    if v.shelf_re.search(body):
        return False  # "总结一下报告": about the shelf
    return not any(t not in v.referent_nouns for t in terms)


# -- bad input ----------------------------------------------------------------------------------------------------

_URL_RE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)\S+|[\w-]+(?:\.[\w-]+)+/\S*")
_CODE_SYMBOLS = frozenset("{}[]();=<>:`$#/\\|&*+\"'")


def _problem(text: str) -> Problem | None:
    parts = text.split()
    if parts and all(_URL_RE.fullmatch(p.rstrip(".,;!?。，")) for p in parts):
        return "url_or_code"
    if _is_code(text):
        return "url_or_code"
    if _is_foreign(text):
        return "unsupported_language"
    return None


def _is_code(text: str) -> bool:
    if any(_is_han(ch) for ch in text) or text.rstrip().endswith(("?", "？")):
        return False
    v = _vocab()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    non_space = [ch for ch in text if not ch.isspace()]
    symbol_share = sum(ch in _CODE_SYMBOLS for ch in non_space) / len(non_space)
    code_lines = sum(
        1 for line in lines
        if v.code_start_re.match(fold(line)) or any(mark in line for mark in v.code_marks)
        or re.match(r"[\w.\[\]]+\s*[-+*/]?=\s*\S", line)
    )
    if symbol_share >= CODE_SYMBOL_SHARE and code_lines:
        return True
    # "SELECT * FROM t", "import numpy as np": a code keyword starts every line and a symbol or second line shows it.
    return code_lines == len(lines) and all(v.code_start_re.match(fold(line)) for line in lines) and (
        symbol_share > 0 or len(lines) > 1
    )


def _is_foreign(text: str) -> bool:
    text = _QUOTED_RE.sub(" ", text)
    letters = [ch for ch in text if ch.isalpha() and ch not in "ー"]
    if not letters:
        return False
    kana_hangul = sum(1 for ch in letters if _is_kana_or_hangul(ch))
    other = sum(1 for ch in letters if not (_is_han(ch) or _is_latin(ch) or _is_kana_or_hangul(ch)))
    return kana_hangul / len(letters) >= FOREIGN_KANA_HANGUL_SHARE or other / len(letters) >= FOREIGN_OTHER_SHARE


def _is_kana_or_hangul(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F  # kana
        or 0xAC00 <= o <= 0xD7FF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xA960 <= o <= 0xA97F  # hangul
    )


def _is_latin(ch: str) -> bool:
    o = ord(ch)
    return o < 0x250 or 0x1E00 <= o <= 0x1EFF or 0xFF21 <= o <= 0xFF5A


# -- using the analysis -------------------------------------------------------------------------------------------


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
        new = [f for f in _new_figures(question, text) if f.unit in _DATE_UNITS]
        if question.units == {"year"}:
            return bool(new)
        return bool(new) or bool(_vocab().date_words_re.search(_fold_in_place(text)))
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
        if units & {"money", "size"} and _vocab().magnitude_re.search(_fold_in_place(figure.text)):
            return True  # "营收达到300亿", "参数规模仅8B": an amount or a size without its unit
        return bool(units & {"count", "people"})
    return False


def _has_new_name(question: Question, text: str) -> bool:
    v = _vocab()
    known = set(question.terms) | {t for e in question.entities for t in tokenize(e)}
    for m in _LATIN_TOKEN_RE.finditer(text):
        word = re.sub(r"['’]s?$", "", m.group(0))
        lower = word.lower()
        if word[:1].isupper() and lower not in _STOPWORDS and lower not in v.question_words and lower not in known:
            return True
    return any(
        len(t) >= 2 and all(_is_han(ch) for ch in t) and t not in known and t not in v.question_words
        for t in tokenize(text)
    )


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
    "KIND_PRECEDENCE", "Figure", "Kind", "Question", "UnitClass", "analyse", "answer_fits", "find_figures",
    "previous_questions", "search_text",
]
