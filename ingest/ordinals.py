"""The ordinal a heading or list item starts with (第一章 / 一、/ （一）/ 1. / 1.2 / ① / (a) / 趋势1: / Part 2 / bullets),
its pattern and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.block_words import VOCABULARY

_CAPTION_WORDS = frozenset(w.lower() for w in VOCABULARY["caption_words"])
_ORDINAL_WORDS = frozenset(w.lower() for w in VOCABULARY["ordinal_words"])


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "一二三四五六七八九十百零〇两"
_BULLETS = "•●○◦■□◆◇▪▫·►▶➢➤✓✔√※→◎★☆❖"

_CHAPTER_RE = re.compile(rf"第\s*([{_CN_NUM}\d]+)\s*([章节節部分篇条條讲講回])\s*[、:：.．]?\s*")
_CN_DUN_RE = re.compile(rf"([{_CN_NUM}]+)\s*[、.．](?!\d)\s*")
_CN_PAREN_RE = re.compile(rf"[（(]\s*([{_CN_NUM}]+)\s*[)）]\s*[、.．]?\s*")
_NUM_PAREN_RE = re.compile(r"[（(]\s*(\d{1,3})\s*[)）]\s*[、.．]?\s*")
_LETTER_PAREN_RE = re.compile(r"[（(]([a-zA-Z])[)）]\s*")
_CIRCLED_RE = re.compile(r"([\u2460-\u2473\u2776-\u277f\u2780-\u2789\u2474-\u2487\u2488-\u249b])\s*")
_DECIMAL_RE = re.compile(r"(\d{1,3}(?:[.．]\d{1,3})*)(?:([.．]?[、)）)]|[.．])(?![\d.．])|(?=\s))\s*")
_ROMAN_RE = re.compile(r"(I{1,3}|IV|VI{0,3}|IX|XI{0,2}|X)[.、)）](?![A-Za-z.])\s*")
_LETTER_RE = re.compile(r"([A-Z])(?:[.、)）](?![A-Za-z.])\s*|\s+(?=[\u4e00-\u9fff]))|([a-z])[.)）]\s+")
_WORD_NUM_RE = re.compile(
    rf"([A-Za-z]{{2,12}}|[\u4e00-\u9fff]{{1,4}})\s*(\d{{1,3}}|[{_CN_NUM}]{{1,3}})(\s*[:：]|\s*[、.．](?![\d.．])|\s+)\s*"
)
_DASH_BULLET_RE = re.compile(r"([-*+])\s+")
_SYMBOL_BULLET_RE = re.compile(rf"([{_BULLETS}])\s*")
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
                 "XI": 11, "XII": 12}


@dataclass(frozen=True)
class Ordinal:
    """A numbering or bullet at the start of a line.

    ``family`` names the pattern ("dec1.", "dec2", "cn、", "word:趋势", "bullet:-"): lines of one family are
    siblings. ``end`` is where the words after the marker begin; ``text`` is the marker as written.
    ``strength``: "bullet", "strong" (a number with its own punctuation) or "weak" ("Part 2 " with a space only).
    """

    family: str
    value: int | None
    text: str
    end: int
    strength: str

    @property
    def numbered(self) -> bool:
        return self.strength != "bullet"


def cn_number(numeral: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105; Arabic digits pass through."""
    if numeral.isdigit():
        return int(numeral)
    total, current = 0, 0
    for ch in numeral:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def ordinal_of(line: str, pos: int = 0) -> Ordinal | None:
    """The ordinal or bullet ``line`` starts with at ``pos`` (after any "**"), or None."""
    if line.startswith(("**", "__"), pos):
        pos += 2
    if pos >= len(line):
        return None
    ch = line[pos]
    match = None
    if ch == "第":
        match = _CHAPTER_RE.match(line, pos)
        if match:
            return _ordinal(f"chap:{match.group(2)}", cn_number(match.group(1)), match, "strong", line)
    if ch in _CN_NUM:
        match = _CN_DUN_RE.match(line, pos)
        if match:
            return _ordinal("cn、", cn_number(match.group(1)), match, "strong", line)
    if ch in "(（":
        for regex, family in ((_CN_PAREN_RE, "cn()"), (_NUM_PAREN_RE, "num()"), (_LETTER_PAREN_RE, "(a)")):
            match = regex.match(line, pos)
            if match:
                value = match.group(1)
                number = cn_number(value) if family != "(a)" else ord(value.lower()) - 96
                return _ordinal(family + ("A" if value.isupper() else ""), number, match, "strong", line)
        return None
    if "\u2460" <= ch <= "\u249b" or "\u2776" <= ch <= "\u2789":
        match = _CIRCLED_RE.match(line, pos)
        if match:
            code = ord(match.group(1))
            for base, family in ((0x2460, "①"), (0x2474, "⑴"), (0x2488, "⒈"), (0x2776, "❶"), (0x2780, "➀")):
                if base <= code < base + 20:
                    return _ordinal(family, code - base + 1, match, "strong", line)
    if ch.isdigit():
        match = _DECIMAL_RE.match(line, pos)
        if match:
            number, delimiter = match.group(1), match.group(2) or ""
            parts = re.split(r"[.．]", number)
            if not delimiter:
                # "1.2 标题" and "01 标题" are ordinals; "12 个月" and "100 companies" are not.
                if len(parts) < 2 and not (len(number) == 2 and number.startswith("0")):
                    return None
                family, strength = (f"dec{len(parts)}", "weak") if len(parts) > 1 else ("dec1pad", "weak")
            elif len(parts) > 1:
                family, strength = f"dec{len(parts)}", "strong"
            else:
                kind = "." if delimiter in (".", "．") else "、" if delimiter.endswith("、") else ")"
                family, strength = f"dec1{kind}", "strong"
            return _ordinal(family, int(parts[-1]), match, strength, line)
        return None
    if ch in "-*+":
        match = _DASH_BULLET_RE.match(line, pos)
        return _ordinal(f"bullet:{ch}", None, match, "bullet", line) if match else None
    if ch in _BULLETS:
        match = _SYMBOL_BULLET_RE.match(line, pos)
        if match:
            return _ordinal(f"bullet:{ch}", None, match, "bullet", line)
    if ch in "IVX":
        match = _ROMAN_RE.match(line, pos)
        if match:
            return _ordinal("roman", _ROMAN_VALUES.get(match.group(1)), match, "strong", line)
    match = _WORD_NUM_RE.match(line, pos)
    if match:
        word = match.group(1)
        delimiter = match.group(3).strip()
        if word.lower() not in _CAPTION_WORDS and (delimiter in (":", "：") or word.lower() in _ORDINAL_WORDS):
            strength = "strong" if delimiter else "weak"
            return _ordinal(f"word:{word.lower()}", cn_number(match.group(2)), match, strength, line)
    if ch.isalpha() and ch.isascii():
        match = _LETTER_RE.match(line, pos)
        if match:
            letter = match.group(1) or match.group(2)
            return _ordinal("A." if letter.isupper() else "a.", ord(letter.lower()) - 96, match, "strong", line)
    return None


def _ordinal(family: str, value: int | None, match: re.Match, strength: str, line: str) -> Ordinal | None:
    if match.end() >= len(line):  # a marker with nothing after it is no item
        return None
    return Ordinal(family, value, match.group(0).strip(), match.end(), strength)
