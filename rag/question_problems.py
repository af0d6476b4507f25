"""Input the engine cannot answer as a question: a URL or code, or a language the shelf does not hold."""

from __future__ import annotations

import re
from typing import Literal

from rag.entities import QUOTED_RE
from rag.text.cues import vocab
from rag.text.primitives import fold, is_han

Problem = Literal["empty", "no_words", "unsupported_language", "url_or_code"]

# Kana or hangul this share of the letters (quoted titles aside) makes a question Japanese or Korean: Chinese text
# never uses either, so even a kanji-heavy Japanese question ("日本の人工知能市場規模は？") passes it.
FOREIGN_KANA_HANGUL_SHARE = 0.1
# Letters of other scripts (Cyrillic, Arabic, Thai...) this share of the letters: a language the shelf cannot answer.
FOREIGN_OTHER_SHARE = 0.5
# A question that is code has this share of code punctuation among its non-space characters.
CODE_SYMBOL_SHARE = 0.12


_URL_RE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)\S+|[\w-]+(?:\.[\w-]+)+/\S*")
_CODE_SYMBOLS = frozenset("{}[]();=<>:`$#/\\|&*+\"'")


def question_problem(text: str) -> Problem | None:
    """\"url_or_code\" or \"unsupported_language\" for input that is no question the shelf can answer, else None."""
    parts = text.split()
    if parts and all(_URL_RE.fullmatch(p.rstrip(".,;!?。，")) for p in parts):
        return "url_or_code"
    if _is_code(text):
        return "url_or_code"
    if _is_foreign(text):
        return "unsupported_language"
    return None


def _is_code(text: str) -> bool:
    if any(is_han(ch) for ch in text) or text.rstrip().endswith(("?", "？")):
        return False
    v = vocab()
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
    text = QUOTED_RE.sub(" ", text)
    letters = [ch for ch in text if ch.isalpha() and ch not in "ー"]
    if not letters:
        return False
    kana_hangul = sum(1 for ch in letters if _is_kana_or_hangul(ch))
    other = sum(1 for ch in letters if not (is_han(ch) or _is_latin(ch) or _is_kana_or_hangul(ch)))
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
