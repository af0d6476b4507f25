"""A shelf holding reports in both languages: a question finds the passage that answers it in the other language,
even though multilingual vectors rank passages in the question's own language first."""

from __future__ import annotations

import shutil

import pytest

from eval.external_split import EXTERNAL_DIR, document_halves
from ingest.pipeline import run_ingest
from rag.engine import Engine

DOCS = EXTERNAL_DIR / "docs"
CHINESE_DOC = "cmrc-dev-astronomy.md"  # tuning half: NGC 7318 … 飞马座 … 史蒂芬五重奏
QUESTION = "Which group of colliding galaxies lies in the direction of Pegasus?"  # no word of it is in the text


@pytest.fixture(scope="module")
def mixed_shelf(tmp_path_factory):
    """One Chinese document among several English ones, all from the external set's tuning half."""
    halves = document_halves([p.name for p in DOCS.iterdir()])
    assert halves[CHINESE_DOC] == "tune"
    english = sorted((p for p in DOCS.iterdir() if p.name.startswith("squad2") and halves[p.name] == "tune"),
                     key=lambda p: (p.stat().st_size, p.name))[:4]
    root = tmp_path_factory.mktemp("mixed")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in [DOCS / CHINESE_DOC, *english]:
        shutil.copy(path, corpus / path.name)
    from rag.settings import Settings

    settings = Settings(data_dir=root / "data", corpus_dir=corpus)
    assert run_ingest(settings).ok
    return settings


def _rank_of_answer(engine: Engine, question: str, needle: str) -> int:
    passages = engine.retrieve(question, k=10).passages
    return next((p.rank for p in passages if needle in p.chunk.text), 99)


def test_an_english_question_finds_the_chinese_passage_on_a_shelf_of_mostly_english_reports(mixed_shelf):
    engine = Engine.from_settings(mixed_shelf)
    assert _rank_of_answer(engine, QUESTION, "史蒂芬五重奏") == 1
    answer = engine.ask(QUESTION)
    assert not answer.refused
    assert answer.citations[0].chunk.source.endswith(CHINESE_DOC)
    assert "飞马座" in answer.text  # the sentence that places NGC 7318 in the direction of Pegasus


def test_without_the_other_language_ranking_the_same_passage_ranks_lower(mixed_shelf):
    """The ranking by meaning among the other language's reports is what lifts it (the test above can fail)."""
    plain = Engine.from_settings(mixed_shelf.with_overrides(retrieval={"other_language_weight": 0.0}))
    balanced = Engine.from_settings(mixed_shelf)
    assert _rank_of_answer(balanced, QUESTION, "史蒂芬五重奏") < _rank_of_answer(plain, QUESTION, "史蒂芬五重奏")
