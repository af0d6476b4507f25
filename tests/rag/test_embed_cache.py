"""The machine's embedding cache: text embedded once is not embedded again, the file stays bounded, and a cache
that cannot be used never fails an ingest."""

from __future__ import annotations

import hashlib

import numpy as np

from ingest.pipeline import run_ingest
from rag.embed_cache import CachedEmbedder, EmbeddingCache, cached
from rag.engine import Engine
from rag.settings import Settings

REPORT = """# 储能市场观察

## 一、规模

2025年国内新型储能装机达到一百吉瓦，同比增长六成。

## 二、价格

储能电芯价格跌破每瓦时零点三元，集成商利润承压。
"""


class CountingEmbedder:
    """Fixed vectors from a hash of the text; records every text it is asked to embed."""

    name = "counting"
    dim = 8

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts.extend(texts)
        return np.stack([self.embed_query(t) for t in texts])

    def embed_query(self, text):
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        vector = np.frombuffer(digest[: self.dim * 4], dtype=np.uint32).astype(np.float64) / 2**32 - 0.5
        return (vector / np.linalg.norm(vector)).astype(np.float32)


def _settings(root, name: str) -> Settings:
    corpus = root / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "storage.md").write_text(REPORT, encoding="utf-8")
    return Settings(data_dir=root / name, corpus_dir=corpus)


def test_the_same_report_ingested_into_a_second_data_dir_embeds_nothing_and_answers_the_same(tmp_path):
    inner = CountingEmbedder()
    embedder = cached(inner, max_mb=16, folder=tmp_path / "cache")
    first = _settings(tmp_path, "data-a")
    assert run_ingest(first, embedder=embedder).ok
    embedded = len(inner.texts)
    assert embedded > 0

    second = _settings(tmp_path, "data-b")
    assert run_ingest(second, embedder=embedder).ok
    assert len(inner.texts) == embedded, "the second ingest embedded text the cache holds"

    question = "储能电芯价格是多少？"
    answers = [Engine.from_settings(s, embedder=embedder).ask(question) for s in (first, second)]
    assert answers[0].text == answers[1].text
    passages = [[(p.chunk.text, round(p.score, 6)) for p in a.passages] for a in answers]
    assert passages[0] and passages[0] == passages[1]


def test_cached_vectors_are_the_ones_the_embedder_gave_in_the_order_asked(tmp_path):
    inner = CountingEmbedder()
    embedder = cached(inner, max_mb=16, folder=tmp_path)
    texts = ["甲", "乙", "甲", "丙"]
    fresh = embedder.embed_passages(texts)
    again = embedder.embed_passages(list(reversed(texts)))
    assert inner.texts == ["甲", "乙", "丙"]  # each distinct text once
    np.testing.assert_allclose(again, fresh[::-1])
    np.testing.assert_allclose(fresh, np.stack([inner.embed_query(t) for t in texts]))


def test_past_its_size_the_least_recently_used_vectors_are_dropped(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite3", max_bytes=3 * (8 * 4 + 64))
    embedder = CachedEmbedder(CountingEmbedder(), cache)
    embedder.embed_passages(["a", "b", "c"])
    embedder.embed_passages(["a"])  # "a" is used again: "b" is now the oldest
    embedder.embed_passages(["d"])
    kept = cache.get([cache.key("counting", t) for t in "abcd"], 8)
    assert {cache.key("counting", t) for t in "acd"} == set(kept)


def test_a_cache_that_cannot_be_opened_leaves_the_embedder_as_it_is(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    inner = CountingEmbedder()
    assert cached(inner, max_mb=16, folder=blocker) is inner
    assert cached(inner, max_mb=0, folder=tmp_path) is inner


def test_a_cache_file_that_turns_bad_mid_run_is_dropped_and_embedding_goes_on(tmp_path):
    inner = CountingEmbedder()
    embedder = cached(inner, max_mb=16, folder=tmp_path)
    assert isinstance(embedder, CachedEmbedder)
    for path in tmp_path.glob("embeddings-*"):
        path.unlink()
    (tmp_path / "embeddings-v1.sqlite3").mkdir()  # the file is now a folder: SQLite cannot open it
    vectors = embedder.embed_passages(["x", "y"])
    assert vectors.shape == (2, 8)
    assert inner.texts == ["x", "y"]
