"""Whether the retrieved evidence answers the question at all: one fitted model over measured signals.

The engine measures a handful of signals for every question (how well the best sentences match it, by meaning and
by its rare terms; whether they carry an answer of the kind asked; whether the names and years the question gives
stand near them; whether dense and keyword search agree) and a logistic regression, fitted by ``reportqa
calibrate`` on the pooled development sets, turns them into the probability that the question is answerable from
the shelf. The cut on that probability is fitted per language pair: evidence in another language than the question
scores lower on every signal, so one cut would either refuse answerable cross-language questions or answer
unanswerable same-language ones. The model file records the embedder it was fitted for: the signals' scale depends on it, so an index
built with another embedder falls back to one documented threshold on the evidence score, and says so.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

from rag.answer.evidence import Sentence
from rag.answer.fits import answer_fits
from rag.question import Kind, Question
from rag.text.primitives import cjk_ratio, fold, tokenize
from rag.text.specificity import specific_share, specificity

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).with_name("abstainer.json")
# The signals, in the order the model's coefficients follow.
SIGNALS = (
    "dense_top",  # best sentence similarity by meaning
    "lexical_top",  # best IDF-weighted share of the question's terms a sentence (with its context) covers
    "score_top",  # best evidence score
    "score_margin",  # best evidence score minus the next one
    "passage_dense",  # the best passage's similarity by meaning
    "term_coverage",  # IDF-weighted share of the question's terms (or their translations) in the top passages
    "missing_rare",  # same language only: the IDF share of the rarest question term the best sentences lack
    "vocabulary",  # share of the question's words the shelf uses at all
    "kind_fit",  # a top candidate sentence carries an answer of the kind asked (a figure in the unit asked, a date…)
    "kind_coverage",  # the best term coverage of a sentence that carries an answer of the kind asked
    "entities_near",  # share of the names the question gives that the best sentences (or their sections) hold
    "years_match",  # the year asked about is the year the evidence speaks of
    "agreement",  # overlap of the dense and keyword top 5
    "cross_lingual",  # the question is in another language than the best passage
    "cross_dense",  # cross_lingual × dense_top: similarity across languages runs lower
    "specific_vocabulary",  # share of the question's words the shelf uses, weighted by how specific each word is
    "specific_missing",  # how specific the most specific question word is that the shelf never uses
    "translated",  # share of the question's words with a translation the shelf uses (glossary)
    "dense_peak",  # best passage similarity minus the mean of the retrieved passages': a peak, not a plateau
    # The kind of answer asked, one signal per kind: how often a question of that kind is answerable, given the rest.
    *(f"kind_{kind}" for kind in get_args(Kind)),
)
HEAD = 8  # the best sentences whose scores make the evidence signals
KIND_WINDOW = 3  # candidate answers (not titles or lead-ins) that may carry the kind of answer asked
TOP_PASSAGES = 3
_YEAR_RE = re.compile(r"(?<!\d)(?:1[5-9]|20)\d\d(?!\d)")


@dataclass(frozen=True)
class Decision:
    """The abstainer's verdict on one question."""

    answer: bool
    probability: float  # that the question is answerable from the evidence (the fallback reports its score)
    signals: dict[str, float]
    method: str  # "model" or "threshold"


def measure_signals(
    question: Question,
    sentences: Sequence[Sentence],
    passages: Sequence[Any],
    query_tokens: Sequence[str],
    lexical: Any,
    timings: dict[str, float],
) -> dict[str, float]:
    """The signals of one question's evidence (see ``SIGNALS``); ``sentences`` best first."""
    head = list(sentences[:HEAD])
    signals = dict.fromkeys(SIGNALS, 0.0)
    signals[f"kind_{question.kind}"] = 1.0
    if not head or not passages:
        signals["vocabulary"] = float(timings.get("vocabulary_coverage", 0.0))
        return signals
    signals["dense_top"] = max(s.dense for s in head)
    signals["lexical_top"] = max(s.lexical for s in head)
    signals["score_top"] = head[0].score
    signals["score_margin"] = head[0].score - head[1].score if len(head) > 1 else head[0].score
    signals["passage_dense"] = max((p.dense_score or 0.0) for p in passages[:TOP_PASSAGES])
    signals["vocabulary"] = float(timings.get("vocabulary_coverage", 0.0))
    cross = float(not passages[0].chunk.lang.startswith(question.lang))
    signals["cross_lingual"] = cross
    signals["cross_dense"] = cross * signals["dense_top"]
    top_text = "\n".join(p.chunk.text for p in passages[:TOP_PASSAGES])
    top_tokens = set(tokenize(top_text))
    weight = lexical.token_weight if lexical is not None else (lambda _t: 1.0)
    signals["term_coverage"] = _coverage(set(query_tokens), top_tokens, weight)
    best_text = "\n".join(f"{s.passage.chunk.section}\n{s.text}" for s in head[:KIND_WINDOW])
    if not cross and lexical is not None:
        best_tokens = set(tokenize(best_text))
        # Only words the shelf uses count: a word no report has says nothing about these sentences.
        missing = [lexical.idf[t] for t in question.terms if t in lexical.idf and t not in best_tokens]
        signals["missing_rare"] = max(missing, default=0.0) / (lexical.max_idf or 1.0)
    signals["kind_fit"] = _kind_fit(question, sentences)
    fitting = [s for s in head if s.typed and not s.label]
    signals["kind_coverage"] = max((s.lexical for s in fitting), default=0.0)
    signals["entities_near"] = _entities_near(question, fold(best_text), lexical)
    signals["years_match"] = _years_match(question, head)
    signals["agreement"] = _agreement(passages)
    signals.update(_specific_signals(question, lexical))
    signals["dense_peak"] = _peak([p.dense_score for p in passages if p.dense_score is not None])
    return {k: round(float(v), 5) for k, v in signals.items()}


def _specific_signals(question: Question, lexical: Any) -> dict[str, float]:
    """Whether the shelf uses the question's specific words at all (see ``rag.text.specificity``): an off-topic question
    is one whose specific words no report uses, in its language or (through the glossary) in the other."""
    words = [t for t in dict.fromkeys(tokenize(question.text)) if len(t) > 1 or cjk_ratio(t) > 0]
    if not words or lexical is None:
        return {"specific_vocabulary": 0.0, "specific_missing": 0.0, "translated": 0.0}
    idf = lexical.idf
    missing = [specificity(w) for w in words if w not in idf]
    translations = lexical.translations(question.text, words, question.lang == "zh")
    return {
        "specific_vocabulary": specific_share(words, idf.__contains__),
        "specific_missing": max(missing, default=0.0),
        "translated": min(1.0, len(set(translations)) / len(words)),
    }


def _peak(scores: Sequence[float], window: int = 20) -> float:
    """The best score's lead over the mean of the best ``window`` scores."""
    best = sorted(scores, reverse=True)[:window]
    return best[0] - sum(best) / len(best) if best else 0.0


def _coverage(tokens: set[str], found: set[str], weight) -> float:
    total = sum(weight(t) for t in tokens)
    return sum(weight(t) for t in tokens if t in found) / total if total else 0.0


def _kind_fit(question: Question, sentences: Sequence[Sentence]) -> float:
    candidates = [s for s in sentences if not s.label][:KIND_WINDOW]
    return float(any(answer_fits(question, s.text) for s in candidates))


def _entities_near(question: Question, folded_text: str, lexical: Any) -> float:
    """Share of the question's names found in the top passages, as written or (for English names over Chinese
    reports) as the reports' Chinese words for them."""
    if not question.entities:
        return 1.0
    found = 0
    for entity in question.entities:
        forms = {fold(entity)}
        if lexical is not None and question.lang == "en":
            forms.update(lexical.chinese_terms(entity))
        found += any(form and form in folded_text for form in forms)
    return found / len(question.entities)


def _years_match(question: Question, head: Sequence[Sentence]) -> float:
    """1 when the evidence speaks of a year the question asks about (or the question names none), 0 when it speaks
    only of others, 0.5 when it names no year."""
    if not question.years:
        return 1.0
    stated = {int(y) for s in head[:KIND_WINDOW] for y in _years(s.text)}
    if not stated:
        return 0.5
    return float(bool(stated & set(question.years)))


def _years(text: str) -> list[str]:
    return _YEAR_RE.findall(text)


def _agreement(passages: Sequence[Any]) -> float:
    dense = [p.chunk.id for p in sorted(passages, key=lambda p: -(p.dense_score or -1e9)) if p.dense_score is not None]
    keyword = [p.chunk.id for p in sorted(passages, key=lambda p: -(p.bm25_score or -1e9)) if p.bm25_score is not None]
    if not dense or not keyword:
        return 0.0
    return len(set(dense[:5]) & set(keyword[:5])) / 5.0


class Abstainer:
    """A fitted logistic regression over ``SIGNALS``, or a plain threshold on the evidence score."""

    def __init__(self, model: dict[str, Any] | None, threshold: float, reason: str = "") -> None:
        self.model = model
        self.threshold = threshold
        self.reason = reason

    @classmethod
    def load(cls, embedder_name: str, threshold: float, path: Path | None = None) -> Abstainer:
        """The fitted model for ``embedder_name``, or the threshold fallback (logged once) when the model file is
        missing, unreadable, or fitted for another embedder."""
        model, reason = _read_model(str(path or DEFAULT_MODEL_PATH))
        if model is not None and model.get("embedder") != embedder_name:
            reason = (f"the abstainer was fitted for {model.get('embedder')}, not {embedder_name}; refusing by the "
                      f"evidence-score threshold {threshold} (run `reportqa calibrate` to fit one)")
            model = None
        if model is None:
            _warn_once(reason)
        return cls(model, threshold, reason)

    @property
    def method(self) -> str:
        return "model" if self.model is not None else "threshold"

    def decide(self, signals: dict[str, float]) -> Decision:
        if not has_words_in_common(signals):
            return Decision(False, 0.0, signals, self.method)
        if self.model is None:
            score = signals.get("score_top", 0.0)
            return Decision(score >= self.threshold, score, signals, "threshold")
        probability = predict(self.model, signals)
        return Decision(probability >= model_threshold(self.model, signals), probability, signals, "model")


def has_words_in_common(signals: dict[str, float]) -> bool:
    """Whether the evidence holds any of the question's words, in either language. Evidence that shares none
    (similar by meaning alone: "What is the boiling point of mercury?" over AI reports) never answers: on the
    pooled development sets no answerable question lacks them, and the model, being linear, cannot learn that
    floor from the few off-topic questions that have none."""
    return signals.get("term_coverage", 0.0) > 0.0 or signals.get("lexical_top", 0.0) > 0.0


def language_pair(signals: dict[str, float]) -> str:
    """"cross" when the best evidence is in another language than the question, else "same"."""
    return "cross" if signals.get("cross_lingual", 0.0) > 0 else "same"


def model_threshold(model: dict[str, Any], signals: dict[str, float]) -> float:
    """The model's cut for this question's language pair (one cut for both in a model fitted before the split)."""
    return float(model.get("thresholds", {}).get(language_pair(signals), model["threshold"]))


def predict(model: dict[str, Any], signals: dict[str, float]) -> float:
    """The model's probability that a question with these signals is answerable."""
    z = model["intercept"]
    for name, coef, mean, scale in zip(model["signals"], model["coef"], model["mean"], model["scale"], strict=True):
        z += coef * (signals.get(name, 0.0) - mean) / (scale or 1.0)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@lru_cache(maxsize=8)
def _read_model(path: str) -> tuple[dict[str, Any] | None, str]:
    try:
        model = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"no abstainer model at {path}; refusing by the evidence-score threshold"
    except (OSError, ValueError) as exc:
        return None, f"the abstainer model {path} is unreadable ({exc}); refusing by the evidence-score threshold"
    if not {"embedder", "signals", "coef", "mean", "scale", "intercept", "threshold"} <= model.keys():
        return None, f"the abstainer model {path} lacks fields; refusing by the evidence-score threshold"
    return model, ""


_warned: set[str] = set()


def _warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        logger.warning(reason)
