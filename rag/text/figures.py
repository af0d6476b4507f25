"""Figures as written in a text — amounts, shares, counts, durations, dates and years, in Chinese and English — with
their unit class and numeric value (``find_figures``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.text.cues import Vocab, fold_in_place, vocab
from rag.text.primitives import _STOPWORDS

UnitClass = Literal["money", "percent", "count", "people", "duration", "date", "year", "multiple", "size", ""]
DATE_UNITS = frozenset({"year", "date"})

@dataclass(frozen=True)
class Figure:
    """A figure as written in a text, with its unit class and numeric value."""

    start: int
    end: int
    text: str
    value: float | None
    unit: UnitClass


# -- figures ------------------------------------------------------------------------------------------------------

_ORDINAL_BEFORE_RE = re.compile(r"\s*(?:#+\s*)?(?:[-*+•]\s+)?")
YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
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
    v = vocab()
    folded = fold_in_place(text)
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


def _read_figure(folded: str, m: re.Match[str], v: Vocab) -> _Found | None:
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

    value = _numeral_value(m, v)
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
    elif (unit != "percent" and scale == 1.0 and digits and _is_year(digits)
          and not v.approximate_re.match(folded, end)):
        unit = "year"

    if not digits and not unit and scale == 1.0:
        return None  # a numeral word with no unit is a word: "三星", "one of them"
    if m.group("zh") in v.zh_articles and unit not in ("duration", "multiple", "percent", "money") and scale == 1.0:
        return None  # "一家公司", "一个趋势": an article, not a count
    if unit in ("year", "date"):
        return _Found(start, end, value, unit)
    return _Found(start, end, value * scale, unit, scale)


def _numeral_value(m: re.Match[str], v: Vocab) -> float | None:
    """The value the numeral matched by ``m`` writes: in digits, in Chinese numerals or in English words."""
    if m.group("ar"):
        return float(m.group("ar").replace(",", ""))
    if m.group("zh"):
        return zh_value(m.group("zh"), v)
    return _en_value(m.group("en"), v)


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and digits.isdigit() and 1900 <= int(digits) <= 2100


def _is_plural_noun(word: str, v: Vocab) -> bool:
    return (
        len(word) > 3
        and re.fullmatch(r"[a-z]+[a-hj-rtv-z]s", word) is not None
        and word not in _STOPWORDS
        and word not in v.question_words
    )


def _is_excluded(folded: str, m: re.Match[str], v: Vocab, after_currency: bool) -> bool:
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


def zh_value(numeral: str, v: Vocab) -> float | None:
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


def _en_value(words: str, v: Vocab) -> float | None:
    total = 0
    for word in re.split(r"[\s-]+", words):
        n = v.en_numbers.get(word)
        if n is None:
            return None
        total = total * n if n == 100 and total else total + n
    return float(total)


def _carry_range_units(folded: str, found: list[_Found], v: Vocab) -> None:
    """In "10-20%" or "1-2亿元", the first figure carries the unit and magnitude written after the second."""
    for first, second in zip(found, found[1:]):
        if first.unit or first.scale != 1.0 or not second.unit or second.unit in DATE_UNITS or first.value is None:
            continue
        if v.range_re.fullmatch(folded, first.end, second.start):
            first.unit = second.unit
            first.value *= second.scale
            first.scale = second.scale
