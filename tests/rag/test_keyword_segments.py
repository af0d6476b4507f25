"""The segmented keyword index scores exactly as one BM25 index over every chunk, and adding or removing a report
writes only that report's part."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from rag.index.docfiles import read_sidecar
from rag.index.keyword import catalog
from rag.index.lexical import LexicalIndex, build_lexical_index, update_lexical_index
from rag.index.manifest import Manifest
from rag.text.primitives import tokenize

QUERIES = ["人工智能平台的市场规模", "大模型创业公司面临的挑战", "边缘 AI 应用", "算力 成本 芯片", "GPU cloud market"]


def _bm25s_scores(corpus_index, tokens):
    """What bm25s (the former single index) gives every chunk, in the former layout (documents by source)."""
    import bm25s

    manifest = Manifest.load(corpus_index.manifest_path)
    ids, corpus = [], []
    for record in sorted(manifest.complete(), key=lambda r: r.source):
        for chunk in read_sidecar(corpus_index.docs_dir, record.doc_id)["chunks"]:
            ids.append(chunk["id"])
            corpus.append(chunk["tokens"].split(" ") if chunk["tokens"] else [])
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    return dict(zip(ids, retriever.get_scores(tokens).tolist()))


def _segmented(corpus_index, tmp_path, groups: int):
    """The shipped reports' index written as ``groups`` segments, one update per group of documents."""
    manifest = Manifest.load(corpus_index.manifest_path)
    records = sorted(manifest.complete(), key=lambda r: r.doc_id)
    lexical_dir = tmp_path / f"lexical-{groups}"
    partial = manifest.model_copy(deep=True)
    for i in range(groups):
        keep = {r.doc_id for j, r in enumerate(records) if j % groups <= i}
        partial.documents = {d: r for d, r in manifest.documents.items() if d in keep}
        partial.generation = i + 1
        update_lexical_index(lexical_dir, corpus_index.docs_dir, partial)
    return lexical_dir


@pytest.mark.parametrize("query", QUERIES)
def test_scores_over_five_segments_equal_one_bm25s_index_over_every_chunk(corpus_index, tmp_path, query):
    lexical_dir = _segmented(corpus_index, tmp_path, groups=5)
    assert len(catalog.read_state(lexical_dir).segments) == 5
    index = LexicalIndex.load(lexical_dir)
    tokens = tokenize(query)
    expected = {cid: score for cid, score in _bm25s_scores(corpus_index, tokens).items() if score > 0}
    found = dict(index.search(tokens, k=10_000))
    assert found.keys() == expected.keys()
    assert max(abs(found[c] - expected[c]) for c in found) <= 1e-6


@pytest.mark.parametrize("query", QUERIES)
def test_one_index_and_a_segmented_one_rank_the_same_chunks_the_same_way(corpus_index, tmp_path, query):
    whole = LexicalIndex.load(corpus_index.lexical_dir)
    segmented = LexicalIndex.load(_segmented(corpus_index, tmp_path, groups=3))
    tokens = tokenize(query)
    assert segmented.search(tokens, k=20) == whole.search(tokens, k=20)
    assert segmented.idf == whole.idf
    assert segmented.glossary == whole.glossary and segmented.reverse_glossary == whole.reverse_glossary


def test_a_removed_report_no_longer_counts_in_scores_or_word_weights(corpus_index, tmp_path):
    manifest = Manifest.load(corpus_index.manifest_path)
    lexical_dir = tmp_path / "lexical"
    build_lexical_index(lexical_dir, corpus_index.docs_dir, manifest)
    gone = sorted(manifest.complete(), key=lambda r: r.source)[0]
    smaller = manifest.model_copy(deep=True)
    del smaller.documents[gone.doc_id]
    smaller.generation += 1
    update_lexical_index(lexical_dir, corpus_index.docs_dir, smaller)
    state = catalog.read_state(lexical_dir)
    assert [e.deleted for e in state.segments] == [{gone.doc_id}], "the removal rewrote a segment"

    fresh_dir = tmp_path / "fresh"
    build_lexical_index(fresh_dir, corpus_index.docs_dir, smaller)
    after, fresh = LexicalIndex.load(lexical_dir), LexicalIndex.load(fresh_dir)
    for query in QUERIES:
        tokens = tokenize(query)
        assert after.search(tokens, k=50) == fresh.search(tokens, k=50)
    assert after.idf == fresh.idf and sorted(after.chunk_ids) == sorted(fresh.chunk_ids)
    assert not any(cid.startswith(gone.doc_id) for cid in after.chunk_ids)


def _all_but_the_last_report(corpus_index, tmp_path):
    """A keyword index of the shipped reports but the last (by source); the manifest it was built for, and that
    report's record."""
    manifest = Manifest.load(corpus_index.manifest_path)
    records = sorted(manifest.complete(), key=lambda r: r.source)
    lexical_dir = tmp_path / "lexical"
    partial = manifest.model_copy(deep=True)
    partial.documents = {r.doc_id: r for r in records[:-1]}
    build_lexical_index(lexical_dir, corpus_index.docs_dir, partial)
    return lexical_dir, partial, records[-1]


def test_adding_a_report_writes_one_small_segment_and_leaves_the_others_untouched(corpus_index, tmp_path):
    lexical_dir, partial, last = _all_but_the_last_report(corpus_index, tmp_path)
    before = {p: p.stat().st_mtime_ns for p in (lexical_dir / catalog.SEGMENTS).rglob("*") if p.is_file()}

    partial.documents[last.doc_id] = last
    partial.generation += 1
    update_lexical_index(lexical_dir, corpus_index.docs_dir, partial)

    state = catalog.read_state(lexical_dir)
    assert [sorted(e.docs) for e in state.segments][-1] == [last.doc_id]
    assert all(p.exists() and p.stat().st_mtime_ns == t for p, t in before.items())


def test_a_stale_keyword_index_is_detected_and_brought_in_line(corpus_index, tmp_path, caplog):
    manifest = Manifest.load(corpus_index.manifest_path)
    lexical_dir = tmp_path / "lexical"
    build_lexical_index(lexical_dir, corpus_index.docs_dir, manifest)
    # The manifest moved on (an ingest died after saving it, or another process wrote it) and one report left.
    later = manifest.model_copy(deep=True)
    later.generation += 3
    del later.documents[sorted(later.documents)[0]]
    assert LexicalIndex.load(lexical_dir).generation != later.generation
    update_lexical_index(lexical_dir, corpus_index.docs_dir, later)
    index = LexicalIndex.load(lexical_dir)
    assert index.generation == later.generation
    assert sorted(index.chunk_ids) == sorted(c for r in later.complete() for c in r.chunk_ids())


def test_a_keyword_index_with_a_lost_segment_is_rebuilt(corpus_index, tmp_path, caplog):
    manifest = Manifest.load(corpus_index.manifest_path)
    lexical_dir = _segmented(corpus_index, tmp_path, groups=2)
    victim = catalog.read_state(lexical_dir).segments[0].name
    (catalog.segment_folder(lexical_dir, victim) / "segment.json").unlink()
    manifest.generation = 2
    with caplog.at_level(logging.WARNING):
        update_lexical_index(lexical_dir, corpus_index.docs_dir, manifest)
    assert "rebuilding" in caplog.text
    index = LexicalIndex.load(lexical_dir)
    assert sorted(index.chunk_ids) == sorted(c for r in manifest.complete() for c in r.chunk_ids())


def test_an_older_format_keyword_index_reads_as_none_and_the_next_update_rebuilds_it(corpus_index, tmp_path):
    lexical_dir = tmp_path / "lexical"
    (lexical_dir / "g000001").mkdir(parents=True)
    (lexical_dir / "g000001" / "chunks.json").write_text('{"generation": 1, "chunk_ids": []}')
    (lexical_dir / "CURRENT").write_text("g000001")
    assert LexicalIndex.load(lexical_dir) is None
    manifest = Manifest.load(corpus_index.manifest_path)
    update_lexical_index(lexical_dir, corpus_index.docs_dir, manifest)
    assert LexicalIndex.load(lexical_dir).search(tokenize("人工智能平台"), k=3)


def test_small_segments_are_merged_by_tier_and_scores_do_not_change(corpus_index, tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "TIER_SEGMENTS", 2)
    lexical_dir = _segmented(corpus_index, tmp_path, groups=5)
    assert len(catalog.read_state(lexical_dir).segments) < 5
    merged, whole = LexicalIndex.load(lexical_dir), LexicalIndex.load(corpus_index.lexical_dir)
    for query in QUERIES:
        tokens = tokenize(query)
        got, want = merged.search(tokens, k=30), whole.search(tokens, k=30)
        assert [c for c, _ in got] == [c for c, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-6, rtol=0)


def test_glossaries_from_the_dictionary_index_equal_a_full_read_of_the_dictionary(corpus_index, tmp_path):
    from rag.text.bilingual import build_glossary, build_reverse_glossary
    from rag.index.keyword.glossary import DictionaryIndex

    manifest = Manifest.load(corpus_index.manifest_path)
    words = {t for r in manifest.complete() for c in read_sidecar(corpus_index.docs_dir, r.doc_id)["chunks"]
             for t in c["tokens"].split(" ")}
    words |= {"rhine", "river", "warsaw", "capital", "chips", "market", "edge"}  # English words for the reverse one
    index = DictionaryIndex.cached(tmp_path / "dictionary.sqlite3")
    assert index.glossary(words) == build_glossary(words)
    assert index.reverse_glossary(words) == build_reverse_glossary(words)
    assert index.reverse_glossary(words)  # not vacuous: the shelf's words have translations


def test_a_glossary_grown_by_added_words_equals_one_built_from_all_of_them(corpus_index, tmp_path):
    from rag.index.keyword.glossary import DictionaryIndex

    manifest = Manifest.load(corpus_index.manifest_path)
    words = sorted({t for r in manifest.complete() for c in read_sidecar(corpus_index.docs_dir, r.doc_id)["chunks"]
                    for t in c["tokens"].split(" ")} | {"rhine", "river", "rivers", "warsaw", "capital", "chips",
                                                        "market", "markets", "edge", "technologies", "developed"})
    index = DictionaryIndex.cached(tmp_path / "dictionary.sqlite3")
    first, added = set(words[::3]), set(words) - set(words[::3])
    assert index.glossary_added(index.glossary(first), added) == index.glossary(set(words))
    english = {w for w in words if w.isascii() and w.isalpha()}
    english_first = set(sorted(english)[::2])
    grown = index.reverse_glossary_added(index.reverse_glossary(english_first), english - english_first, english)
    assert grown == index.reverse_glossary(english)
    assert grown != index.reverse_glossary(english_first)  # not vacuous: the added words changed entries


def test_adding_a_report_looks_up_only_its_new_words_in_the_dictionary(corpus_index, tmp_path, monkeypatch):
    from rag.index.keyword.glossary import DictionaryIndex

    lexical_dir, partial, last = _all_but_the_last_report(corpus_index, tmp_path)

    def whole_vocabulary(*args, **kwargs):
        raise AssertionError("the whole vocabulary was looked up again")

    monkeypatch.setattr(DictionaryIndex, "glossary", whole_vocabulary)
    monkeypatch.setattr(DictionaryIndex, "reverse_glossary", whole_vocabulary)
    partial.documents[last.doc_id] = last
    partial.generation += 1
    update_lexical_index(lexical_dir, corpus_index.docs_dir, partial)

    whole = LexicalIndex.load(corpus_index.lexical_dir)
    grown = LexicalIndex.load(lexical_dir)
    assert grown.glossary == whole.glossary and grown.reverse_glossary == whole.reverse_glossary
