"""Every sentence of an LLM answer checked against the passages it cites.

A sentence is supported when it cites at least one passage that does not read as an instruction to a model, it
does not repeat what an injected instruction asks a model to say, the figures, years and names it states appear in
the passages it cites (compared folded: width, case and Traditional/Simplified, with units read by
``rag.question.find_figures`` so "$20" meets "20美元" and "40%" meets "40 percent"), and its meaning is close to
the best sentence of those passages (cosine of the engine's sentence vectors at least
``llm.support_min_similarity``). Sentences that fail are marked in the text; the answer keeps a per-sentence list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.citations import MARKER_RE
from rag.models import Answer, Chunk, Passage, SentenceSupport
from rag.question import analyse
from rag.text.figures import Figure, find_figures
from rag.text.instructions import injected_payloads, repeats_payload
from rag.text.primitives import cjk_ratio, fold, sentence_spans

_MARKERS_RE = re.compile(r"(?:\s*\[\d{1,3}\])+")
_DIGITS_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# "fell to zero", "零增长": a claim that something is nil states a figure, though no numeral is written ("zero-shot"
# and "零售" are words of their own).
_ZERO_CLAIM_RE = re.compile(r"(?<![\w-])(?:zero|nil)(?![\w-])|(?<![一二三四五六七八九十百千万亿两\d])零(?=增长|增幅|收入|销量|$|[，。,.；;])",
                            re.IGNORECASE)
_ZERO_SOURCE_RE = re.compile(r"(?<![\w-])(?:zero|nil|none)(?![\w-])|零|(?<![\d.,])0(?![\d.,])", re.IGNORECASE)
# Markers glued to a full stop end the sentence: "… per month.[1] Next …" ("." before "[" is no boundary yet).
_GLUED_END_RE = re.compile(r"[.!?。！？;；](?:\[\d{1,3}\])+(?=\s+\S)")
MARKS = {"en": ("⚠ unsupported", "⚠ uncited"), "zh": ("⚠ 无来源支持", "⚠ 未注明来源")}


@dataclass(frozen=True)
class Claim:
    """One sentence of the answer: its span in the text (markers included) and the citation numbers it names."""

    start: int
    end: int
    text: str  # without markers
    numbers: tuple[int, ...]


def claims(text: str) -> list[Claim]:
    """The answer's sentences with their markers; a marker that opens a sentence ("… month. [1] Next") belongs to
    the sentence before it, and a sentence of markers alone is part of the one before."""
    spans = []
    for start, end in sentence_spans(text):
        for glued in _GLUED_END_RE.finditer(text, start, end):
            spans.append([start, glued.end()])
            start = glued.end()
        spans.append([start, end])
    for i in range(1, len(spans)):
        lead = _MARKERS_RE.match(text, spans[i][0])
        if lead and lead.end() > spans[i][0] and not MARKER_RE.search(text, spans[i - 1][0], spans[i - 1][1]):
            spans[i - 1][1] = lead.end()
            spans[i][0] = lead.end()
    out = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        if start >= end:
            continue
        sentence = text[start:end]
        numbers = tuple(dict.fromkeys(int(n) for n in MARKER_RE.findall(sentence)))
        bare = MARKER_RE.sub("", sentence).strip()
        if bare or not out:
            out.append(Claim(start, end, bare, numbers))
        else:  # markers alone: they cite for the sentence before
            last = out[-1]
            out[-1] = Claim(last.start, end, last.text, tuple(dict.fromkeys(last.numbers + numbers)))
    return out


class SupportChecker:
    """Checks an LLM ``Answer`` (citations already numbered by ``check_citations``) against its sources."""

    def __init__(self, embedder, min_similarity: float) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity

    def check(self, answer: Answer, sources: Sequence[Passage]) -> Answer:
        """The answer with ``support`` filled in and its unsupported and uncited sentences marked in the text."""
        payloads = [p for s in sources if s.instruction for p in injected_payloads(s.chunk.text)]
        chunks = {c.n: c for c in answer.citations}
        english = cjk_ratio(answer.text) < 0.2
        results = [self._judge(claim, chunks, payloads, english) for claim in claims(answer.text)]
        text, support = _mark(answer.text, results, "en" if english else "zh")
        citations = [c.model_copy(update={"supported": False}) if c.instruction else c for c in answer.citations]
        return answer.model_copy(update={"text": text, "support": support, "citations": citations})

    def _judge(self, claim: Claim, citations: dict, payloads: list, english: bool) -> tuple[Claim, SentenceSupport]:
        def verdict(supported: bool, reason: str = "", similarity: float | None = None):
            return claim, SentenceSupport(start=claim.start, end=claim.end, citations=claim.numbers,
                                          supported=supported, reason=reason, similarity=similarity)

        cited = [citations[n] for n in claim.numbers if n in citations]
        if not cited:
            return verdict(False, "uncited")
        if payloads and repeats_payload(claim.text, payloads):
            return verdict(False, "payload")
        usable = [c.chunk for c in cited if not c.instruction]
        if not usable:
            return verdict(False, "instruction")
        missing = missing_facts(claim.text, usable, english)
        if missing:
            return verdict(False, "missing: " + ", ".join(missing))
        similarity = self.similarity(claim.text, usable)
        if similarity < self.min_similarity:
            return verdict(False, "meaning", similarity)
        return verdict(True, "", similarity)

    def similarity(self, claim: str, chunks: Sequence[Chunk]) -> float:
        """Cosine between the claim and the closest sentence of the chunks."""
        sentences = [c.text[s:e] for c in chunks for s, e in sentence_spans(c.text)]
        if not sentences or self.embedder is None:
            return 1.0 if self.embedder is None else 0.0
        query = _unit(np.asarray(self.embedder.embed_query(claim), dtype=np.float32)[None, :])
        vectors = _unit(np.asarray(self.embedder.embed_passages(sentences), dtype=np.float32))
        return float((vectors @ query[0]).max())


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def missing_facts(claim: str, chunks: Sequence[Chunk], english: bool) -> list[str]:
    """The figures, years and names of ``claim`` that none of ``chunks`` states (empty when all are there)."""
    source = "\n".join(c.text for c in chunks)
    folded = _compact(source)
    figures = find_figures(source)
    missing = [f.text for f in find_figures(claim) if not _figure_found(f, figures, folded)]
    zero = _ZERO_CLAIM_RE.search(claim)
    if zero is not None and not _ZERO_SOURCE_RE.search(source):
        missing.append(zero.group(0))
    cross_language = english and cjk_ratio(source) >= 0.2
    for name in analyse(claim).entities:
        if _checkable_name(claim, name, cross_language) and _compact(name) not in folded:
            missing.append(name)
    return missing


def _checkable_name(claim: str, name: str, cross_language: bool) -> bool:
    """Names worth checking. Left out: a lone capitalised word that opens the sentence ("Subscriptions cost …"
    is capitalised for the sentence, not as a name), and, when an English claim cites a Chinese passage, names
    without digits (the passage writes "阿里云" for "Alibaba Cloud"; "GPT-4" stays as it is)."""
    single = " " not in name and not any(ch.isupper() or ch.isdigit() for ch in name[1:])
    if single and claim.lstrip().startswith(name):
        return False
    return not cross_language or any(ch.isdigit() for ch in name)


def _figure_found(figure: Figure, figures: Sequence[Figure], folded_source: str) -> bool:
    if _compact(figure.text) in folded_source:
        return True
    if figure.unit == "date" or figure.value is None:
        years = _YEAR_RE.findall(figure.text)
        return bool(years) and all(y in folded_source for y in years)
    tolerance = _rounding(figure)
    for other in figures:
        if other.value is None:
            continue
        if figure.unit != other.unit and "" not in (figure.unit, other.unit):
            continue
        if figure.unit == "year" or other.unit == "year":
            if figure.value == other.value:
                return True
            continue
        if math.isclose(figure.value, other.value, rel_tol=1e-9, abs_tol=tolerance):
            return True
    return False


def _rounding(figure: Figure) -> float:
    """Half the place of the last digit the figure writes, at its magnitude: "1.8 trillion" takes 1.75–1.85
    trillion, "40%" takes 39.5–40.5%."""
    match = _DIGITS_RE.search(figure.text)
    if match is None or figure.value is None:
        return 1e-9
    written = float(match.group(0).replace(",", ""))
    decimals = len(match.group(0).partition(".")[2])
    scale = figure.value / written if written else 1.0
    return 0.5 * 10.0 ** (-decimals) * abs(scale)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def _mark(text: str, results: list[tuple[Claim, SentenceSupport]], lang: str) -> tuple[str, list[SentenceSupport]]:
    """The text with a mark after each sentence that is not supported, and the support list in its offsets."""
    unsupported, uncited = MARKS[lang]
    out, support, last = [], [], 0
    for claim, verdict in results:
        out.append(text[last : claim.start])
        start = sum(len(piece) for piece in out)
        out.append(text[claim.start : claim.end])
        end = start + claim.end - claim.start
        if not verdict.supported:
            out.append(f" {uncited if verdict.reason == 'uncited' else unsupported}")
        support.append(verdict.model_copy(update={"start": start, "end": end}))
        last = claim.end
    out.append(text[last:])
    return "".join(out), support
