"""When a question asks for a figure, the evidence must hold one near the top; titles do not count."""

from __future__ import annotations

from rag.evidence import UNTYPED_PENALTY, Sentence
from rag.models import Chunk, Passage
from rag.refusal import TYPED_SCORE_GAP, TYPED_WINDOW, evidence_strength

CHUNK = Chunk(id="c0", doc_id="d0", index=0, source="r.md", title="r", start=0, end=10, text="0123456789")
PASSAGE = Passage(rank=1, score=1.0, chunk=CHUNK)


def _sentence(score: float, typed: bool, label: bool = False) -> Sentence:
    # ``score`` is before the type penalty, as the ranking in ``evidence_strength`` sees it.
    return Sentence(passage=PASSAGE, start=0, end=1, text="x", dense=0.9, lexical=0.5,
                    score=score - (0.0 if typed else UNTYPED_PENALTY), typed=typed, label=label)


def _figure_below(figure_score: float, above: int, label: bool = False) -> list[Sentence]:
    return [_sentence(1.0 - 0.001 * i, typed=False, label=label) for i in range(above)] + [
        _sentence(figure_score, typed=True)
    ]


def test_a_figure_among_the_best_sentences_counts_as_evidence():
    assert evidence_strength(_figure_below(0.90, above=TYPED_WINDOW - 1), cross_lingual=False) > 0


def test_a_figure_far_below_the_best_sentences_is_no_evidence():
    assert evidence_strength(_figure_below(0.80, above=TYPED_WINDOW + 2), cross_lingual=False) == 0.0


def test_a_figure_just_below_a_run_of_close_figureless_sentences_still_counts():
    sentences = _figure_below(1.0 - TYPED_SCORE_GAP / 2, above=TYPED_WINDOW + 2)
    assert evidence_strength(sentences, cross_lingual=False) > 0


def test_a_tables_title_and_header_do_not_push_its_figures_out_of_the_window():
    sentences = _figure_below(0.80, above=TYPED_WINDOW + 2, label=True)
    assert evidence_strength(sentences, cross_lingual=False) > 0


def test_no_figure_at_all_is_no_evidence():
    sentences = [_sentence(1.0, typed=False) for _ in range(3)]
    assert evidence_strength(sentences, cross_lingual=False) == 0.0
