"""Deciding whether the reports answer a question at all, and saying so in the question's language."""

from __future__ import annotations

from rag.evidence import UNTYPED_PENALTY, Sentence

# Calibrated on eval/questions/reports-dev.jsonl (answerable vs unanswerable), see README "Figures".
# For a question in the passages' language, lexical coverage of the question's rare terms is the sharper signal
# (an absent fact is usually a missing term); across languages only the dense similarity is available.
LEXICAL_WEIGHT = 0.5
CROSS_LINGUAL_OFFSET = 0.21
# How far down the sentence ranking a figure may sit and still count as the answer to a "how many" question.
TYPED_WINDOW = 4
MIN_VOCABULARY_COVERAGE = 0.005
UNSEEN_VOCABULARY_PENALTY = 0.1
# Sentences whose best dense similarity and term coverage make up the strength.
EVIDENCE_HEAD = 8
TYPED_WINDOW_CROSS_LINGUAL = 10
# ... or score within this much of the best candidate (a figure just below a run of close, figure-less sentences).
TYPED_SCORE_GAP = 0.05

REFUSAL_ZH = "报告中没有找到能回答这个问题的内容。以下是最接近的段落，供参考。"
REFUSAL_EN = "The reports do not contain an answer to this question. The closest passages are listed below."
EMPTY_QUESTION_ZH = "请输入一个问题。"
EMPTY_QUESTION_EN = "Please type a question."


def evidence_strength(sentences: list[Sentence], cross_lingual: bool, vocabulary_coverage: float = 1.0) -> float:
    """How well the best few sentences support an answer: dense similarity plus weighted term coverage.

    When the question asks for a figure, one of the best-ranked sentences (before the type penalty) must state one
    (see ``rag.answer_type``), or score close to the best; otherwise the strength is zero. Across languages the
    sentence ranking is looser, so the window is wider.
    """
    ranked = sorted(sentences, key=lambda s: -(s.score + (0.0 if s.typed else UNTYPED_PENALTY)))
    window = TYPED_WINDOW_CROSS_LINGUAL if cross_lingual else TYPED_WINDOW
    # Titles and lead-ins ("表 金山WPS会员体系", "如下表所示：") rank high but are never the answer; the window
    # counts candidate answers only, so a table's title and header do not push its figures out of it.
    candidates = [s for s in ranked if not s.label]
    typed = next((i for i, s in enumerate(candidates) if s.typed), None)
    if typed is None:
        return 0.0
    if typed >= window and candidates[typed].score < candidates[0].score + UNTYPED_PENALTY - TYPED_SCORE_GAP:
        return 0.0
    head = ranked[:EVIDENCE_HEAD]
    dense = max(s.dense for s in head)
    if cross_lingual:
        # Vectors alone barely tell an off-topic English question from a real one over Chinese reports; a
        # question none of whose words occur anywhere in the reports is almost always off topic.
        unseen = UNSEEN_VOCABULARY_PENALTY if vocabulary_coverage < MIN_VOCABULARY_COVERAGE else 0.0
        return dense + CROSS_LINGUAL_OFFSET - unseen
    lexical = max(s.lexical for s in head)
    return dense + LEXICAL_WEIGHT * lexical


def refusal_text(chinese: bool) -> str:
    return REFUSAL_ZH if chinese else REFUSAL_EN
