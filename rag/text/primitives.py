"""Text primitives shared by ingestion and retrieval: folding, tokenizing, sentence spans and language.

Folding is for matching only; displayed text always stays as written in the report.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# Sentence terminators, full-width and half-width. A run of them ends one sentence ("？！", "……").
_TERMINATORS = frozenset("。！？；!?;…．｡")
# Closing quotes and brackets that belong to the sentence they follow: 他说：“好。”
_CLOSERS = frozenset("”’」』）)】》\"'")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"\w", re.UNICODE)
_LIST_NUMBER_RE = re.compile(r"\d{1,3}(?:\.\d{1,3})*")
_ZERO_WIDTH_RE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")

_STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 等 也 都 而 或 就 对 把 被 让 给 从 向 到 为 以 于 之 其 这 那 这些 那些 这个 那个 一个 一些
    有 没有 吗 呢 吧 啊 呀 么 什么 哪些 哪个 哪 如何 怎么 怎样 怎么样 为什么 多少 几 是否 是不是 请问 请 可以 能否 能
    会 要 应该 报告 文中 文章 提到 提及 认为 指出 说 根据 关于 有关 其中 以及 并 并且 还 又 则 但 但是 而且 因为 所以
    我 我们 你 你们 他 他们 它 它们 该 此 各 每 啥 呢 吗 著 着 過 过 這 們 個 麼 甚麼 嗎 與 為
    a an the of to in on for and or is are was were be been being what which who whom whose how why when where
    does do did has have had with by from as at that this these those it its about according report reports say says
    said there their than then into can could would should will shall may might much many
    """.split()
)

_jieba_lock = threading.Lock()
_jieba_ready = False


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def fold(text: str) -> str:
    """Fold text for matching: full-width → half-width (NFKC), Traditional → Simplified, case, zero-width removed."""
    text = _ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFKC", text))
    return _t2s().convert(text).casefold()


def simplify(text: str) -> str:
    """Traditional → Simplified only (same length in practice; no width or case folding)."""
    return _t2s().convert(text)


def tokenize(text: str) -> list[str]:
    """Lexical tokens of ``text``: folded, segmented by jieba in search mode, stopwords and punctuation dropped."""
    jieba = _jieba()
    tokens = []
    for token in jieba.cut_for_search(fold(text)):
        token = token.strip()
        if token and token not in _STOPWORDS and _WORD_RE.search(token):
            tokens.append(token)
    return tokens


_WIDE_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def display_width(text: str) -> int:
    """A Chinese character (or a full-width form) is about two Latin ones wide."""
    return len(text) + len(_WIDE_RE.findall(text))


def cjk_ratio(text: str) -> float:
    """Share of CJK ideographs among the letters and ideographs of ``text``."""
    letters = sum(1 for ch in text if ch.isalpha())
    return len(_CJK_RE.findall(text)) / letters if letters else 0.0


def is_han(ch: str) -> bool:
    """Whether a character is a Han ideograph (the CJK unified blocks and the compatibility block)."""
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def detect_language(text: str) -> str:
    """'zh-Hant', 'zh' or 'en' from a sample of the text."""
    sample = text[:20000]
    if cjk_ratio(sample) < 0.2:
        return "en"
    han = _CJK_RE.findall(sample)
    converted = _t2s().convert("".join(han))
    changed = sum(1 for a, b in zip(han, converted) if a != b)
    return "zh-Hant" if han and changed / len(han) > 0.04 else "zh"


def is_chinese(text: str) -> bool:
    """Whether a question or answer should be answered in Chinese."""
    return cjk_ratio(text) >= 0.2


def line_start(text: str, pos: int) -> int:
    """Offset where the line holding ``pos`` begins."""
    return text.rfind("\n", 0, pos) + 1


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text[start:end]``, whitespace trimmed, as offsets into ``text``.

    Boundaries: Chinese and English terminators (``。！？；…!?;``), an English full stop followed by whitespace (not
    by a word in lower case: "the U.S. was" is one sentence), and line breaks (list items, table rows and headings
    are sentences of their own). Closing quotes stay with the sentence they close.
    """
    end = len(text) if end is None else end
    return list(_iter_sentence_spans(text, start, end))


def _iter_sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    sentence_start = start
    i = start
    while i < end:
        ch = text[i]
        cut = None
        if ch == "\n":
            cut, nxt = i, i + 1
        elif ch in _TERMINATORS:
            j = i + 1
            while j < end and text[j] in _TERMINATORS:
                j += 1
            while j < end and text[j] in _CLOSERS:
                j += 1
            cut = nxt = j
        elif (
            ch == "."
            and (i + 1 == end or text[i + 1] in " \t\n")
            and i > start
            and not _is_list_number(text, sentence_start, i)
            and not _continues_in_lower_case(text, i + 1, end)
        ):
            cut = nxt = i + 1
        if cut is None:
            i += 1
            continue
        span = _trim(text, sentence_start, cut)
        if span:
            yield span
        sentence_start = i = nxt
    span = _trim(text, sentence_start, end)
    if span:
        yield span


def _is_list_number(text: str, sentence_start: int, dot: int) -> bool:
    # "1. 市场概况" / "2.3. Scope" number a list item; "grew 5% in 2024. Revenue ..." ends a sentence.
    return _LIST_NUMBER_RE.fullmatch(text[sentence_start:dot].strip()) is not None


def _continues_in_lower_case(text: str, after: int, end: int) -> bool:
    # "the U.S. was", "e.g. the", "Inc. founder": a full stop before a word in lower case abbreviates; a sentence
    # does not begin in lower case.
    j = after
    while j < end and text[j] in " \t":
        j += 1
    return j < end and text[j].islower()


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
