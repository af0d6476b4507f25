"""``reportqa calibrate``: fit the abstainer (``rag.answer.abstain``) on the pooled development sets.

Each development set is answered over its own documents (the shipped reports for the ``reports-dev*`` sets, the
external tuning half's documents for it); every question's measured signals and whether it is answerable make one
training row. A logistic regression is fitted with stratified cross-validation; the decision threshold is the one
that refuses as many unanswerable questions as possible while refusing at most ``MAX_FALSE_REFUSAL`` of the
answerable ones, on the out-of-fold probabilities, fitted separately for questions whose best evidence is in their
own language and in the other (``rag.answer.abstain.language_pair``). The model is then refitted on every row and
written, with the embedder it was fitted for and its cross-validated figures, to ``rag/answer/abstainer.json`` (or
``--out``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.questions import Question
from rag.answer.abstain import DEFAULT_MODEL_PATH, SIGNALS, language_pair
from rag.settings import Settings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# (question set, its documents): the development sets the abstainer is fitted on. Held-out sets never are.
DEVELOPMENT_SETS: tuple[tuple[str, str], ...] = (
    ("eval/questions/reports-dev.jsonl", "corpus"),
    ("eval/questions/reports-dev-b.jsonl", "corpus"),
    ("eval/external/questions-tune.jsonl", "eval/external/docs"),
    # General-knowledge questions no report answers, over either shelf: the plainly off-topic end of refusals.
    ("eval/questions/off-topic-dev.jsonl", "corpus"),
    ("eval/questions/off-topic-dev.jsonl", "eval/external/docs"),
)
FOLDS = 5
REGULARISATION = 1.0  # scikit-learn's C: the inverse strength of the L2 penalty
# The decision threshold refuses at most this share of the answerable development questions (cross-validated): an
# analyst loses more to a refused answer than to a wrong one the citations expose.
MAX_FALSE_REFUSAL = 0.03


@dataclass
class Row:
    set_name: str
    question_id: str
    lang: str
    type: str
    answerable: bool
    signals: dict[str, float]


def collect_rows(
    settings: Settings,
    sets: Sequence[tuple[Path, Path]],
    data_dir_for: Callable[[Path], Path],
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Answer every question of ``sets`` (question file, corpus folder) and keep its signals and label."""
    from eval.corpus_index import prepare_index
    from eval.runner import read_question_set
    from rag.embedders import make_embedder
    from rag.engine import Engine

    embedder = make_embedder(settings)
    rows: list[Row] = []
    for questions_path, corpus in sets:
        run_settings = settings.model_copy(update={"corpus_dir": corpus, "data_dir": data_dir_for(corpus)})
        prepare_index(run_settings, embedder)
        engine = Engine.from_settings(run_settings, embedder=embedder)
        questions: list[Question] = read_question_set(questions_path)
        for question in questions:
            answer = engine.ask(question.question)
            rows.append(Row(f"{questions_path.name} over {corpus.name}/", question.id, question.lang, question.type,
                            question.answerable, dict(answer.signals)))
        if progress:
            progress(f"{questions_path.name}: {len(questions)} questions")
    return rows


def fit(rows: Sequence[Row], embedder_name: str, folds: int = FOLDS, seed: int = 0) -> dict[str, Any]:
    """A logistic regression over ``SIGNALS`` with its cross-validated threshold and figures."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    x = np.asarray([[row.signals.get(name, 0.0) for name in SIGNALS] for row in rows], dtype=np.float64)
    y = np.asarray([int(row.answerable) for row in rows])
    if len(set(y.tolist())) < 2 or min(np.bincount(y)) < folds:
        raise ValueError(f"calibration needs at least {folds} answerable and {folds} unanswerable questions")

    def model_on(train: np.ndarray) -> tuple[LogisticRegression, np.ndarray, np.ndarray]:
        mean, scale = x[train].mean(axis=0), x[train].std(axis=0)
        scale[scale == 0] = 1.0
        clf = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=1000)
        clf.fit((x[train] - mean) / scale, y[train])
        return clf, mean, scale

    out_of_fold = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y):
        clf, mean, scale = model_on(train)
        out_of_fold[test] = clf.predict_proba((x[test] - mean) / scale)[:, 1]
    pairs = np.asarray([language_pair(row.signals) for row in rows])
    threshold = best_threshold(out_of_fold, y)
    thresholds = {pair: best_threshold(out_of_fold[pairs == pair], y[pairs == pair])
                  for pair in ("same", "cross") if (y[pairs == pair] == 1).any()}
    cuts = np.asarray([thresholds.get(pair, threshold) for pair in pairs])
    clf, mean, scale = model_on(np.arange(len(y)))
    return {
        "embedder": embedder_name,
        "signals": list(SIGNALS),
        "coef": [round(float(c), 6) for c in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 6),
        "mean": [round(float(m), 6) for m in mean],
        "scale": [round(float(s), 6) for s in scale],
        "threshold": round(float(threshold), 4),
        "thresholds": {pair: round(float(cut), 4) for pair, cut in thresholds.items()},
        "cross_validated": figures(out_of_fold, y, cuts, rows, folds),
        "fitted_on": sorted({row.set_name for row in rows}),
        "rows": len(rows),
        "fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "regenerate": "reportqa calibrate",
    }


def best_threshold(probabilities, labels, max_false_refusal: float = MAX_FALSE_REFUSAL) -> float:
    """The highest probability cut whose share of answerable questions refused stays within ``max_false_refusal``:
    it refuses as many unanswerable questions as it can without refusing more answerable ones than that."""
    import numpy as np

    answerable = np.sort(probabilities[labels == 1])
    allowed = int(np.floor(max_false_refusal * len(answerable)))
    # Refusing below the (allowed+1)-th lowest answerable probability refuses exactly ``allowed`` of them.
    return float(answerable[min(allowed, len(answerable) - 1)])


def figures(probabilities, labels, threshold, rows: Sequence[Row], folds: int) -> dict[str, Any]:
    """Refusal accuracy and false refusals of the out-of-fold decisions (``threshold``: one cut, or one per row),
    overall and per set, language and language pair."""
    import numpy as np

    answered = probabilities >= threshold

    def block(mask) -> dict[str, Any]:
        yes, no = mask & (labels == 1), mask & (labels == 0)
        out: dict[str, Any] = {"answerable": int(yes.sum()), "unanswerable": int(no.sum())}
        if yes.any():
            out["false_refusal"] = round(float((~answered[yes]).mean()), 4)
        if no.any():
            out["refusal_accuracy"] = round(float((~answered[no]).mean()), 4)
        return out

    sets = np.asarray([row.set_name for row in rows])
    langs = np.asarray([row.lang for row in rows])
    types = np.asarray([row.type for row in rows])
    pairs = np.asarray([language_pair(row.signals) for row in rows])
    return {
        "folds": folds,
        "overall": block(np.ones(len(labels), dtype=bool)),
        "by_set": {name: block(sets == name) for name in sorted(set(sets.tolist()))},
        "by_lang": {name: block(langs == name) for name in sorted(set(langs.tolist()))},
        "by_type": {name: block(types == name) for name in sorted(set(types.tolist()))},
        "by_language_pair": {name: block(pairs == name) for name in sorted(set(pairs.tolist()))},
    }


def calibrate(
    settings: Settings,
    data_dir_for: Callable[[Path], Path],
    out: Path = DEFAULT_MODEL_PATH,
    sets: Sequence[tuple[Path, Path]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Collect the development sets' signals, fit, and write the model file; returns the model."""
    from rag.embedders import make_embedder

    sets = sets or [(ROOT / q, ROOT / c) for q, c in DEVELOPMENT_SETS]
    rows = collect_rows(settings, sets, data_dir_for, progress)
    model = fit(rows, make_embedder(settings).name)
    out.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return model
