"""What kind of answer a question asks for, and whether a sentence can be one.

A question that asks for a figure ("多少", "哪一年", "what share") is only answered by a sentence that states a
figure the question did not already contain, in the unit asked for when the question names or implies one
("多少名" wants people, "多少钱" or "营收是多少" money, "哪一天" a day). This catches the most common near miss of a
report shelf: the company or product is there, the number asked for is not.
"""

from __future__ import annotations

import re

from rag.text import fold

_WANTS_NUMBER_RE = re.compile(
    r"多少|几[个家位名年月天日次倍项种份张款台部万亿折成]|多大|多长|多久|多高|多快|多远|哪一?年|哪一?天|哪一?月|哪一?日|何时|"
    r"什么时候|百分之几|\bhow (?:many|much|long|big|large|often|fast)\b|"
    r"\bwhat (?:is the |was the )?(?:percentage|percent|share|proportion|price|year|date|valuation|revenue|amount|cost)\b|"
    r"\bwhen\b|\bvaluation\b|\bprices?\b|\bcosts?\b",
    re.IGNORECASE,
)
_EXPLICIT_UNIT_RE = re.compile(r"(?:多少|几)\s*([名人个家位项种次倍年月天日万亿元块钱份张款台部%折成])|哪一?([年月天日])")
_UNITS = {
    "名": "名人位", "人": "名人位", "位": "位名人", "个": "个家项种月", "家": "家个", "项": "项个种", "种": "种个项",
    "次": "次", "倍": "倍", "年": "年", "月": "月", "天": "天日号", "日": "日天号", "万": "万亿", "亿": "亿",
    "元": "元万亿", "钱": "元万亿$¥￥", "块": "元块", "份": "份", "张": "张", "款": "款个", "台": "台部万亿",
    "部": "部台万亿", "%": "%成", "折": "折%", "成": "成%",
}
# Units a question implies by what it asks about, when it names none.
_IMPLIED_UNITS = (
    # Growth is a rate even when it is a revenue that grows.
    (re.compile(r"增长了?多少|增速|增长率|涨幅|\bgr[eo]w(?:th|n)?\b", re.I), "%成倍"),
    (re.compile(r"收入|营收|金额|价格|售价|估值|市值|成本|预算|融资|收费|费用|利润|price|revenue|valuation|cost", re.I),
     "元万亿$¥￥美"),
    (re.compile(r"出货量|销量|shipments?|\bships?\b.*\b(?:phones?|units?|devices?)\b|\b(?:phones?|units?|devices?)\b.*\bship", re.I),
     "台部万亿件"),
    (re.compile(r"多久|多长时间|how long", re.I), "天周月年时日"),
    (re.compile(r"比例|占比|份额|渗透率|增速|增长率|使用率|percentage|share|proportion|rate", re.I), "%成"),
)
_NUMBER_RE = re.compile(
    r"百分之[零一二三四五六七八九十两百点]+|\d+(?:[.,]\d+)*(?:\s*%)?|[零一二三四五六七八九十两百千万亿]+(?=[个家位名项种次倍年月天日万亿元成折份张款台部])"
)
_CURRENCY = "$¥￥"
# "3. 安装依赖库" or "（2）": a list item's ordinal, not a figure it states.
_ORDINAL_RE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\d{1,2}[.、)）]|[（(]\d{1,2}[)）])\s*")
# A figure right after a Latin letter (or a letter and a hyphen) is part of a name: "o1", "GPT-4o", "H100".
_NAME_BEFORE_RE = re.compile(r"[A-Za-z]-?$")
# The measure word after a figure says what it counts.
_CLASSIFIER_RE = re.compile(r"[万亿千百]?\s*([张个家人名次项台部件篇份条款位种])")


# "作者是谁", "哪位分析师写的", "who wrote": the question asks who wrote the report (not "作者认为", what they think).
_WANTS_AUTHOR_RE = re.compile(
    r"作者是谁|谁写|谁撰写|谁执笔|署名|哪位分析师|哪位作者|什么人写|\bwho (?:wrote|authored|is the author)\b|"
    r"\bauthor(?:s|ed)? (?:of|is|are)\b|\bwritten by\b",
    re.IGNORECASE,
)
# A byline: "作者：…", "*分析：市场研究部 王涛*", "By Jane Doe", on a line of its own.
_BYLINE_RE = re.compile(
    r"^[\s*_>]*(?:(?:作者|撰文|撰稿|执笔|分析师?|文|编辑|[Aa]uthors?)\s*[：:]|(?:[Ww]ritten )?[Bb]y\s+[A-Z\u4e00-\u9fff])"
)
BYLINE_MAX_CHARS = 80


def wants_author(question: str) -> bool:
    """Whether the question asks who wrote the report."""
    return bool(_WANTS_AUTHOR_RE.search(question))


def is_byline(sentence: str) -> bool:
    """Whether the sentence is a byline naming who wrote or analysed the report."""
    stripped = sentence.strip()
    if len(stripped) > BYLINE_MAX_CHARS or "\n" in stripped:
        return False
    return bool(_BYLINE_RE.match(stripped))


def wants_number(question: str) -> bool:
    """Whether the question asks for a figure, date, share or amount."""
    return bool(_WANTS_NUMBER_RE.search(question))


def expected_units(question: str) -> str | None:
    """Characters one of which should stand next to the answer's figure, or None when any figure will do."""
    folded = fold(question)
    explicit = _EXPLICIT_UNIT_RE.search(folded)
    if explicit:
        unit = explicit.group(1) or explicit.group(2)
        return _UNITS.get(unit, unit)
    for pattern, units in _IMPLIED_UNITS:
        if pattern.search(folded):
            return units
    return None


def numbers_in(text: str) -> set[str]:
    return {m.group(0).replace(" ", "") for m in _figures(_without_ordinal(fold(text)))}


def _figures(text: str):
    """Matches of figures in ``text``, leaving out the digits of names ("o1", "GPT-4o", "H100", "Qwen2.5")."""
    for match in _NUMBER_RE.finditer(text):
        if not _NAME_BEFORE_RE.search(text, max(0, match.start() - 2), match.start()):
            yield match


def _without_ordinal(text: str) -> str:
    """The text with a leading list ordinal blanked out (offsets unchanged)."""
    ordinal = _ORDINAL_RE.match(text)
    return " " * ordinal.end() + text[ordinal.end() :] if ordinal else text


def states_answer_number(sentence: str, question: str) -> bool:
    """Whether ``sentence`` states a figure the question did not contain (in the asked-for unit, if any)."""
    sentence = _without_ordinal(fold(sentence))
    new_numbers = numbers_in(sentence) - numbers_in(question)
    if not new_numbers:
        return False
    units = expected_units(question)
    if units is None:
        return True
    for match in _figures(sentence):
        if match.group(0).replace(" ", "") not in new_numbers:
            continue
        if match.group(0).startswith("百分之") and "%" in units:
            return True
        counted = _CLASSIFIER_RE.match(sentence, match.end())
        if counted and counted.group(1) not in units and sentence[counted.end() : counted.end() + 1] not in units:
            continue  # "1万张" counts images, not money ("两个月" is still a duration)
        around = sentence[match.end() : match.end() + 3] + match.group(0) + sentence[max(0, match.start() - 1) : match.start()]
        if any(ch in units for ch in around.casefold()):
            return True
    return False


_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_LATIN_NAME_RE = re.compile(r"[a-z][a-z0-9.+-]*")
# A Latin-script token this common in the reports ("ai") names nothing in particular.
NAME_MIN_WEIGHT = 1.0


def years_in(text: str) -> set[str]:
    return set(_YEAR_RE.findall(text))


def figure_fits_question(
    question: str, names: dict[str, set[str]], sentence_tokens: set[str], sentence_text: str
) -> bool:
    """Whether a sentence that states a figure can be the figure asked for, given what it is about.

    - A question about one year ("2025年…市场规模") is not answered by a figure for another year; a sentence that
      names no year at all may still be.
    - The names a question gives ("那家SaaS企业", "Weights & Biases") must appear in the sentence or its context
      (in any of the forms ``names`` lists for each): a price next to the right subject, not the one for another
      product. See ``question_names``.
    """
    asked_years = years_in(question)
    stated_years = years_in(sentence_text)
    if asked_years and stated_years and not asked_years & stated_years:
        return False
    return all(forms & sentence_tokens for forms in names.values())


_CAPITALISED_RE = re.compile(r"(?<![\w'])([A-Za-z][\w&+.-]*[A-Z][\w+.-]*|[A-Z][\w+.-]*)")


def question_names(question: str, tokens: set[str], weight, translations=None) -> dict[str, set[str]]:
    """The names a question gives, each with the forms it may take in a report, leaving out those the reports
    never use and those common all over them. ``weight(token)`` is the token's IDF in the reports, or None.

    In a Chinese question, every Latin-script token is a name. In an English question, the capitalised words after
    the first are; ``translations(word)`` (the reports' Chinese words for it) are forms of it too, so "China" may
    be "中国".
    """
    def kept(token: str) -> bool:
        return bool(_LATIN_NAME_RE.fullmatch(token)) and len(token) > 1 and (weight(token) or 0.0) >= NAME_MIN_WEIGHT

    if any("\u4e00" <= ch <= "\u9fff" for ch in question):
        return {t: {t} for t in tokens if kept(t)}
    words = _CAPITALISED_RE.findall(question.strip())
    if question.strip().startswith(tuple(words[:1])):
        words = words[1:]  # a question's first word is capitalised whatever it is
    names = {}
    for word in words:
        for token in _LATIN_NAME_RE.findall(word.casefold()):
            if kept(token):
                names[token] = {token, *(translations(token) if translations else ())}
    return names
