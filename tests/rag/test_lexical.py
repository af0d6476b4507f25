"""The keyword index: it stays readable while an ingest replaces it (the chat server answers during uploads), and it
finds the words a question's segmentation hid."""

from __future__ import annotations

import threading

from rag.index.lexical import LexicalIndex, build_lexical_index
from rag.index.manifest import Manifest
from rag.text.primitives import tokenize


def _rebuild(lexical_dir, corpus_index, generation: int) -> None:
    manifest = Manifest.load(corpus_index.manifest_path)
    manifest.generation = generation
    build_lexical_index(lexical_dir, corpus_index.docs_dir, manifest)


def test_a_reader_that_read_the_pointer_before_a_rebuild_still_opens_a_whole_index(corpus_index, tmp_path,
                                                                                 monkeypatch):
    lexical_dir = tmp_path / "lexical"
    _rebuild(lexical_dir, corpus_index, 1)
    pointer = (lexical_dir / "CURRENT").read_text()

    # The reader reads the pointer, then a rebuild swaps it before the reader opens the folder.
    real_read_text = type(lexical_dir).read_text
    raced = []

    def read_then_rebuild(path, *args, **kwargs):
        text = real_read_text(path, *args, **kwargs)
        if path.name == "CURRENT" and not raced:
            raced.append(text)
            _rebuild(lexical_dir, corpus_index, 2)
        return text

    monkeypatch.setattr(type(lexical_dir), "read_text", read_then_rebuild)
    index = LexicalIndex.load(lexical_dir)
    monkeypatch.undo()

    assert raced == [pointer]
    assert index is not None and index.generation == 1
    assert index.search(tokenize("人工智能平台"), k=3), "the index opened during the swap finds nothing"
    assert LexicalIndex.load(lexical_dir).generation == 2


def test_rebuilds_keep_only_the_current_and_the_previous_index_on_disk(corpus_index, tmp_path):
    lexical_dir = tmp_path / "lexical"
    for generation in range(1, 5):
        _rebuild(lexical_dir, corpus_index, generation)
    states = sorted(p.name for p in lexical_dir.iterdir() if p.is_dir() and p.name.startswith("g"))
    assert states == ["g000003", "g000004"]
    # Segments are kept only while the current or the previous state uses them.
    assert len(list((lexical_dir / "segments").iterdir())) == 2


def test_questions_never_see_a_missing_index_while_ingests_replace_it(corpus_index, tmp_path):
    lexical_dir = tmp_path / "lexical"
    _rebuild(lexical_dir, corpus_index, 1)
    errors: list[BaseException] = []
    loaded: list[int] = []
    done = threading.Event()
    tokens = tokenize("人工智能平台的市场规模")

    def read_continuously() -> None:
        while not done.is_set():
            try:
                index = LexicalIndex.load(lexical_dir)
                assert index is not None, "an index was built but none could be loaded"
                assert index.search(tokens, k=3)
                loaded.append(index.generation)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
                return

    readers = [threading.Thread(target=read_continuously) for _ in range(3)]
    for reader in readers:
        reader.start()
    for generation in range(2, 30):
        _rebuild(lexical_dir, corpus_index, generation)
    done.set()
    for reader in readers:
        reader.join()
    assert errors == []
    assert loaded and max(loaded) > 1


def test_a_question_whose_segmentation_glues_a_name_to_a_neighbour_still_finds_it_by_keyword(tmp_path):
    """Jieba reads "室温下乙二醛" as 室温 / 下乙二醛, a word no report uses; keyword search looks inside it for 乙二醛."""
    from ingest.pipeline import run_ingest
    from rag.engine import Engine
    from rag.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "glyoxal.md").write_text("# 乙二醛\n\n乙二醛（Glyoxal）是一种有机化合物。它是最简单的二醛，室温下为黄色液体。\n",
                                       encoding="utf-8")
    (corpus / "ethanol.md").write_text("# 乙醇\n\n乙醇在室温下是无色液体，可与水混溶。\n", encoding="utf-8")
    (corpus / "formaldehyde.md").write_text("# 甲醛\n\n甲醛是一种无色气体，有刺激性气味。\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    assert run_ingest(settings).ok
    engine = Engine.from_settings(settings)

    found = engine.retrieve("室温下乙二醛是什么颜色？", k=3, fusion="bm25")

    assert "下乙二醛" in tokenize("室温下乙二醛是什么颜色？")
    assert found.passages and "乙二醛" in found.passages[0].chunk.text
