"""A small shelf is searched exactly: every chunk can be found, in the order of its true similarity, with the
document and language filters, and a new version of the index is read again."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index import exact
from rag.index.store import ChunkStore
from rag.models import Chunk
from rag.settings import Settings

DIM = 32


def _chunks(doc_id: str, lang: str, n: int) -> list[Chunk]:
    return [Chunk(id=f"{doc_id}-{i:04d}", doc_id=doc_id, index=i, source=f"{doc_id}.md", title=doc_id, start=i,
                  end=i + 1, text=f"{doc_id} {i}", lang=lang) for i in range(n)]


@pytest.fixture()
def shelf(tmp_path):
    """Three documents in two languages, 300 chunks, with one document deleted and written again (as a re-ingest
    does), and the brute-force truth: every chunk's unit vector by id."""
    store = ChunkStore.open(Settings(data_dir=tmp_path / "data"), "random", DIM, create=True)
    rng = np.random.default_rng(11)
    truth: dict[str, np.ndarray] = {}
    for doc_id, lang, n in (("a", "zh", 120), ("b", "zh", 100), ("c", "en", 80)):
        chunks = _chunks(doc_id, lang, n)
        vectors = rng.standard_normal((n, DIM)).astype(np.float32)
        store.add(chunks, vectors)
        truth.update({c.id: v / np.linalg.norm(v) for c, v in zip(chunks, vectors)})
    store.delete_document("b")
    chunks = _chunks("b", "zh", 100)
    vectors = rng.standard_normal((100, DIM)).astype(np.float32)
    store.add(chunks, vectors)
    truth.update({c.id: v / np.linalg.norm(v) for c, v in zip(chunks, vectors)})
    return store, truth


def _brute_force(truth: dict[str, np.ndarray], query: np.ndarray, keep=lambda chunk_id: True) -> list[str]:
    q = query / np.linalg.norm(query)
    return sorted((i for i in truth if keep(i)), key=lambda i: (-float(truth[i] @ q), i))


def test_every_chunk_can_be_found_in_the_order_of_its_true_similarity(shelf):
    store, truth = shelf
    for query in np.random.default_rng(3).standard_normal((10, DIM)).astype(np.float32):
        found = store.query(query, len(truth), version=1)
        assert [c.id for c, _ in found] == _brute_force(truth, query)
        assert found[0][1] == pytest.approx(float(truth[found[0][0].id] @ (query / np.linalg.norm(query))), abs=1e-5)
        assert [c.id for c, _ in store.query(query, 10, version=1)] == _brute_force(truth, query)[:10]


def test_the_document_and_language_filters_hold(shelf):
    store, truth = shelf
    query = np.random.default_rng(4).standard_normal(DIM).astype(np.float32)
    in_b = store.query(query, 20, doc_ids=["b"], version=1)
    assert [c.id for c, _ in in_b] == _brute_force(truth, query, lambda i: i.startswith("b-"))[:20]
    english = store.query(query, 500, langs=["en"], version=1)
    assert {c.id for c, _ in english} == {i for i in truth if i.startswith("c-")}
    assert all(c.lang == "en" and c.text.startswith("c ") for c, _ in english)


def test_a_new_version_of_the_index_is_read_again(shelf):
    store, truth = shelf
    query = np.random.default_rng(5).standard_normal(DIM).astype(np.float32)
    store.query(query, 5, version=1)
    store.add([Chunk(id="d-0000", doc_id="d", index=0, source="d.md", title="d", start=0, end=1, text="d 0")],
              query[None, :])
    assert store.query(query, 1, version=1)[0][0].id != "d-0000"  # the version read before
    assert store.query(query, 1, version=2)[0][0].id == "d-0000"


def test_a_shelf_over_the_limit_is_searched_through_its_graph(shelf, monkeypatch):
    store, truth = shelf
    monkeypatch.setattr(exact, "EXACT_SEARCH_MAX", 100)
    query = np.random.default_rng(6).standard_normal(DIM).astype(np.float32)
    assert store._exact.vectors(version=7) is None
    found = store.query(query, 10, version=7)
    assert len(found) == 10 and found[0][0].id == _brute_force(truth, query)[0]
