"""The offline answerer: the few sentences that best answer the question, verbatim, each cited.

No model writes anything, so nothing can be made up: every word of an answer is in a report, at the offsets its
citation gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.evidence import Sentence
from rag.models import Citation
from rag.text import tokenize

# Headings and the report's own questions introduce answers; they are never one.
_NOT_AN_ANSWER_RE = re.compile(r"^#{1,6}\s|[？?]\W*$")
_DISPLAY_MARKUP_RE = re.compile(r"\*+|__|`")
_LEADING_MARKER_RE = re.compile(r"^(?:[-*+•●]\s+|>\s*)+")
# A sentence this close to the best one (relative score) is worth adding to the answer.
_RELATIVE_CUTOFF = 0.90
_MIN_CHARS = 6


@dataclass
class ExtractiveDraft:
    text: str
    citations: list[Citation]


def compose_extractive(sentences: list[Sentence], max_sentences: int, english: bool) -> ExtractiveDraft:
    """Pick up to ``max_sentences`` non-redundant sentences near the best score; cite each one.

    The answer keeps the report's order of the chosen sentences within a document, so a figure and the sentence
    that explains it read in sequence.
    """
    chosen: list[Sentence] = []
    chosen_tokens: list[set[str]] = []
    best = None
    for sentence in sentences:
        if len(chosen) >= max_sentences:
            break
        if _NOT_AN_ANSWER_RE.search(sentence.text) or len(sentence.text.strip("-*# ")) < _MIN_CHARS:
            continue
        if best is None:
            best = sentence.score
        elif sentence.score < best * _RELATIVE_CUTOFF:
            break
        tokens = set(tokenize(sentence.text))
        if any(_overlaps(sentence, other) for other in chosen) or any(
            _jaccard(tokens, other) > 0.6 for other in chosen_tokens
        ):
            continue
        chosen.append(sentence)
        chosen_tokens.append(tokens)
    chosen.sort(key=lambda s: (s.passage.rank, s.start))
    citations = []
    parts = []
    for n, sentence in enumerate(chosen, start=1):
        citations.append(
            Citation(n=n, chunk=sentence.passage.chunk, quote=sentence.text, quote_start=sentence.start,
                     quote_end=sentence.end)
        )
        parts.append(f"{display_sentence(sentence.text)} [{n}]")
    body = (" " if english else "").join(parts)
    text = f"The reports say:\n{body}" if english and parts else body
    return ExtractiveDraft(text=text, citations=citations)


def display_sentence(text: str) -> str:
    """A quote as shown in an answer: Markdown list markers and emphasis removed, words untouched."""
    return _DISPLAY_MARKUP_RE.sub("", _LEADING_MARKER_RE.sub("", text)).strip()


def _overlaps(a: Sentence, b: Sentence) -> bool:
    return a.passage.chunk.doc_id == b.passage.chunk.doc_id and a.start < b.end and b.start < a.end


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
