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
