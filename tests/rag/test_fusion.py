"""Fusing dense and keyword rankings: what the dense search finds first is never crowded out of the evidence pool."""

from __future__ import annotations

from rag.models import Chunk, Passage
from rag.retrieve.hybrid import DENSE_LEADERS, _with_leaders


def _chunk(n: int) -> Chunk:
    return Chunk(id=f"c{n}", doc_id="d", index=n, source="r.md", title="R", start=0, end=1, text=f"chunk {n}")


def test_the_nearest_chunks_by_meaning_enter_the_pool_that_keyword_hits_fill():
    # 30 keyword hits fill the fused ranking; the dense search's two nearest chunks come after all of them.
    fused = [Passage(rank=i + 1, score=1.0 / (i + 1), chunk=_chunk(i)) for i in range(32)]
    dense = [(_chunk(31), 0.9), (_chunk(30), 0.8), (_chunk(0), 0.7)]

    pool = _with_leaders(fused, dense, k=15)

    leaders = {f"c{31 - i}" for i in range(DENSE_LEADERS)}
    assert leaders <= {p.chunk.id for p in pool[:15]}
    kept = 15 - DENSE_LEADERS
    assert [p.chunk.id for p in pool[:kept]] == [f"c{i}" for i in range(kept)]  # the fused order is kept otherwise
    assert [p.rank for p in pool] == list(range(1, len(fused) + 1))
    assert sorted(p.chunk.id for p in pool) == sorted(p.chunk.id for p in fused)


def test_a_pool_that_already_holds_the_nearest_chunks_is_unchanged():
    fused = [Passage(rank=i + 1, score=1.0 / (i + 1), chunk=_chunk(i)) for i in range(20)]
    assert _with_leaders(fused, [(_chunk(3), 0.9), (_chunk(1), 0.8)], k=15) == fused


class _CountingStore:
    """A real ChunkStore that remembers which language filters its searches used."""

    def __init__(self, store) -> None:
        self.store, self.filters = store, []

    def query(self, embedding, k, doc_ids=None, langs=None, version=None):
        self.filters.append(langs)
        return self.store.query(embedding, k, doc_ids, langs, version=version)


def test_a_shelf_mostly_in_the_other_language_is_searched_without_the_language_filter(tmp_path):
    """Chroma's language filter lists every chunk it lets through: on a shelf mostly in the question's other
    language it took 325 ms at 100k chunks against under 10 ms for the plain search. The plain search's nearest,
    kept to that language, are the same chunks."""
    import numpy as np

    from rag.index.store import ChunkStore
    from rag.retrieve.hybrid import HybridRetriever
    from rag.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    store = ChunkStore.open(settings, "random", 16, create=True)
    rng = np.random.default_rng(3)
    langs = ["en"] * 180 + ["zh"] * 20
    chunks = [Chunk(id=f"d{i % 20}-{i}", doc_id=f"d{i % 20}", index=i, source="r.md", title="r", start=0, end=1,
                    text=f"t{i}", lang=lang) for i, lang in enumerate(langs)]
    store.add(chunks, rng.standard_normal((len(chunks), 16)).astype(np.float32), context=[c.text for c in chunks])
    counting = _CountingStore(store)
    retriever = HybridRetriever(counting, None, None, settings.retrieval, chunks_by_language={"en": 180, "zh": 20})
    for query in rng.standard_normal((10, 16)).astype(np.float32):
        english = retriever._other_language_dense(query, 30, None, chinese=True)
        assert [c.id for c, _ in english] == [c.id for c, _ in store.query(query, 30, None, {"en"})]
        assert all(c.lang == "en" for c, _ in english)
    assert counting.filters == [None] * 10
    chinese = retriever._other_language_dense(query, 30, None, chinese=False)  # a small share: the filter is cheap
    assert {c.lang for c, _ in chinese} == {"zh"} and counting.filters[-1] == {"zh"}
