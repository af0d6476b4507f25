"""The question vocabulary (``rag/question_vocab.yaml``), read once, and the patterns built from it: kind cues, unit
words, magnitudes, currencies, numbers and dates, follow-up cues; and a fold that keeps every character in place, so
offsets found in folded text point into the text as written. ``rag.question`` and ``rag.text.figures`` read questions
and sentences with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from rag.text.primitives import _STOPWORDS, fold

VOCAB_PATH = Path(__file__).parents[1] / "question_vocab.yaml"
LATIN = r"a-z0-9"

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
    before = "a-z" if after_digits else LATIN
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        pattern = r"\s+".join(re.escape(piece) for piece in word.split(" "))
        if latin_bounds and re.match(f"[{LATIN}]", word):
            pattern = f"(?<![{before}])" + pattern
        if latin_bounds and re.search(f"[{LATIN}]$", word):
            pattern += f"(?![{LATIN}])"
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
        if re.match(f"[{LATIN}]", part):
            pattern = f"(?<![{LATIN}])" + pattern
        if re.search(f"[{LATIN}]$", part):
            pattern += f"(?![{LATIN}])"
        parts.append(pattern)
    return (_CLAUSE_START if anchored_start else "") + _GAP.join(parts) + (_AT_END if anchored_end else "")


def _several(numerals: dict) -> str:
    """A numeral of two or more ("三", "两", "十二", "7", "seven"): "哪三条", "which seven" ask for that many things."""
    zh = {fold(k): int(v) for k, v in numerals["zh"]["digits"].items()}
    tens = [fold(k) for k, v in numerals["zh"]["multipliers"].items() if int(v) == 10]
    en = [fold(k) for k, v in numerals["en"]["words"].items() if int(v) >= 2]
    zh_two_up = "".join(k for k, v in zh.items() if v >= 2)
    zh_all = "".join(zh)
    digits = r"(?<!\d)(?:[2-9]|[1-9]\d)(?![\d.,])"  # not a year or a figure: "what 2024 revenue", "which 3.5"
    return (f"(?:[{zh_two_up}]|[{zh_all}]?(?:{'|'.join(tens)})[{zh_all}]?|{digits}|"
            f"(?<![{LATIN}])(?:{'|'.join(sorted(en, key=len, reverse=True))})(?![{LATIN}]))")


def _cues(node: dict, placeholders: dict[str, str]) -> re.Pattern[str]:
    cues = [c for lang in ("zh", "en") for c in node.get(lang, [])]
    return re.compile("|".join(f"(?:{_cue(str(c), placeholders)})" for c in cues) or "(?!)")


@dataclass(frozen=True)
class Vocab:
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
    approximate_re: re.Pattern[str]  # right after a number: it is approximate ("2000多家"), never a year
    dummy_pronouns: frozenset[str]
    dummy_followers_re: re.Pattern[str]
    count_zh_re: re.Pattern[str]
    count_en_re: re.Pattern[str]
    zh_grammar: frozenset[str]
    en_grammar: frozenset[str]
    code_start_re: re.Pattern[str]
    code_marks: tuple[str, ...]


@lru_cache(maxsize=1)
def vocab() -> Vocab:
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
        f"{not_function_word}[a-z]+[a-hj-rtv-z]s(?![{LATIN}])"
        # "Which company makes the H100?": a noun then a verb, which a determiner follows.
        f"(?!\\s+{_alternation(_words(data['determiners']))})"
    )
    placeholders = {"classifier": _alternation(zh_classifiers + _words(data["percent"]["tenths"])), "plural": plural,
                    "several": _several(data["numerals"])}
    unit_of_word = _unit_words(data)
    numbers = _number_patterns(data, unit_of_word)
    s_words_all = set(_STOPWORDS) | question_words
    return Vocab(
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
        approximate_re=re.compile(r"\s*(?:" + _alternation(_words(data["approximate_markers"])) + ")"),
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
    """The ``Vocab`` fields that read how many things a list question asks for (see ``_count``)."""
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
    """The ``Vocab`` fields that read figures: numerals, magnitudes, units, currencies, "how many"."""
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
        "currency_prefix_re": re.compile(f"(?<![{LATIN}])(?:{_alternation(_words(data['currency']))})\\s*$"),
        "percent_prefixes": tuple(_words(percent["prefix"])),
        "fiscal_prefix_re": re.compile(
            f"(?<![{LATIN}])(?:{_alternation(_words(data['fiscal_year']['en']))})\\s?$"
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
    """The ``Vocab`` fields that read dates: full dates, quarters, months, and date words."""
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
    """The ``Vocab`` fields that tell a follow-up: openers, ellipsis, pronouns, demonstratives and their nouns."""
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
def fold_char(ch: str) -> str:
    folded = fold(ch)
    if len(folded) == 1:
        return folded
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def fold_in_place(text: str) -> str:
    """``rag.text.primitives.fold`` one character at a time, so that offsets into the result are offsets into ``text``.

    A character whose fold is not one character ("…" → "...", zero-width spaces) is kept as it is.
    """
    return "".join(map(fold_char, text))
