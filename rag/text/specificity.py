"""How specific a word is in the language at large: the general-language signal the abstainer needs.

A question is off the shelf's topic when its *specific* words ("红烧肉", "ibuprofen", "marathon") are ones the shelf
never uses; its common words ("需要", "time", "how") say nothing either way. A word's frequency in the reports alone
cannot tell the two apart: both kinds are simply absent from them. ``wordfreq`` carries word frequencies of the
language at large (Chinese and English, from a large mix of sources) as Zipf values: 7 for the commonest words, 0 for
words it has never seen. A word's specificity is how far it sits below that top, scaled to 0..1.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rag.text.primitives import cjk_ratio

TOP_ZIPF = 7.0  # the commonest words of a language ("的", "the") sit near Zipf 7; unknown words at 0


@lru_cache(maxsize=65536)
def specificity(word: str) -> float:
    """0 for the language's commonest words, 1 for words it has never seen."""
    from wordfreq import zipf_frequency

    lang = "zh" if cjk_ratio(word) > 0 else "en"
    return max(0.0, TOP_ZIPF - zipf_frequency(word, lang)) / TOP_ZIPF


def warm() -> None:
    """Load both languages' frequency lists now rather than on the first question."""
    specificity("报告")
    specificity("report")


def specific_share(words: Iterable[str], known) -> float:
    """Specificity-weighted share of ``words`` for which ``known(word)`` holds."""
    weighted = [(specificity(w), w) for w in dict.fromkeys(words)]
    total = sum(weight for weight, _ in weighted)
    return sum(weight for weight, w in weighted if known(w)) / total if total else 0.0
