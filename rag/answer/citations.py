"""Matching a claim to the words of its source: the quote a citation shows, and whether the claim is supported."""

from __future__ import annotations

import re

from rag.models import Chunk
from rag.text.primitives import fold, sentence_spans


MARKER_RE = re.compile(r"\[(\d{1,3})\]")  # a citation marker "[n]" in an answer, n its number


def _grams(text: str) -> set[str]:
    """Character bigrams of the folded text without spaces: a script-neutral notion of shared wording."""
    folded = "".join(fold(text).split())
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def support_score(claim: str, source: str) -> float:
    """Share of the claim's character bigrams that occur in the source (0 = nothing in common)."""
    claim_grams = _grams(claim)
    if not claim_grams:
        return 0.0
    return len(claim_grams & _grams(source)) / len(claim_grams)


def best_quote(chunk: Chunk, claim: str) -> tuple[str, int, int]:
    """The sentence of ``chunk`` that shares most wording with ``claim``, with its offsets in the document."""
    claim_grams = _grams(claim)
    best = (-1.0, 0, len(chunk.text))
    for start, end in sentence_spans(chunk.text):
        grams = _grams(chunk.text[start:end])
        overlap = len(grams & claim_grams) / (len(grams) ** 0.5 or 1.0)
        if overlap > best[0]:
            best = (overlap, start, end)
    _, start, end = best
    return chunk.text[start:end], chunk.start + start, chunk.start + end
