"""Passages that read as instructions to a language model (prompt injection planted in a report).

The cue words, in English and Chinese, live in ``rag/text/instruction_cues.yaml``. A flagged passage is shown flagged in
the sources and never counts as support for an LLM answer; an answer sentence that repeats what an injected
sentence asks the model to say (its payload) is unsupported wherever it points.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from rag.text.primitives import fold, sentence_spans, tokenize

CUES_PATH = Path(__file__).with_name("instruction_cues.yaml")


@lru_cache(maxsize=1)
def _vocab() -> tuple[re.Pattern[str], frozenset[str]]:
    data = yaml.safe_load(CUES_PATH.read_text(encoding="utf-8"))
    cues = [cue for lang in ("en", "zh") for cue in data["cues"][lang]]
    return re.compile("|".join(f"(?:{cue})" for cue in cues)), frozenset(fold(v) for v in data["verbs"])


def instruction_cue(text: str) -> str:
    """The first cue in ``text`` that reads as an instruction to a model (as written in the folded text), or ""."""
    match = _vocab()[0].search(fold(text))
    return match.group(0) if match else ""


def injected_payloads(text: str) -> list[frozenset[str]]:
    """For each sentence of ``text`` holding a cue: the words it asks a model to repeat (cue and verbs left out)."""
    pattern, verbs = _vocab()
    payloads = []
    for start, end in sentence_spans(text):
        folded = fold(text[start:end])
        if not pattern.search(folded):
            continue
        words = frozenset(t for t in tokenize(pattern.sub(" ", folded)) if t not in verbs)
        if words:
            payloads.append(words)
    return payloads


def repeats_payload(sentence: str, payloads: list[frozenset[str]]) -> bool:
    """Whether ``sentence`` carries at least half of the words of one injected payload."""
    words = set(tokenize(sentence))
    return any(len(words & payload) * 2 >= len(payload) for payload in payloads)
