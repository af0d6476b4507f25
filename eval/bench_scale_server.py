"""The ``chroma run`` side of ``eval.bench_scale``: a server of the benchmark's own, and the synthetic index written
into it as an ingest with ``store.chroma_url`` writes it.

With a server the server is the index (``rag.index.server``): besides the chunk collection, each report's record,
its document file (in parts) and its sentence vectors are written there, and the documents collection's stamp
says which revision it holds. The data directory is the writing machine's cache of it (manifest with the server's
origin and revision, document files, sentence vectors, keyword index), as ``ingest.journal`` leaves it. Records are
written once at the end, complete, with the stamp: the journal's pending/complete marks per report would rewrite
the whole manifest twice per report, which is the product's cost of an ingest, not of holding an index this size.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.manifest import Manifest
from rag.settings import Settings

RECORD_BATCH = 1000  # records per request: well under the server's ~32 MB request limit


class ServerSink:
    """Writes each synthetic report's file and sentence vectors to the server, then its records and stamp."""

    def __init__(self, settings: Settings) -> None:
        from rag.index.server import ServerIndex

        self.index = ServerIndex.open(settings, create=True)
        self.extras: dict[str, dict[str, int]] = {}
        self.seconds = 0.0

    def write(self, doc_id: str, content: dict[str, Any], vectors: np.ndarray) -> None:
        started = time.perf_counter()
        self.extras[doc_id] = self.index.write_document(doc_id, content, vectors)
        self.seconds += time.perf_counter() - started

    def commit(self, manifest: Manifest) -> None:
        """Every record, complete, and the stamp (revision 1); ``manifest`` gets the origin and revision the local
        cache records, so the engine's first sync finds the cache current."""
        started = time.perf_counter()
        records = [(record, self.extras[doc_id]) for doc_id, record in manifest.documents.items()]
        for i in range(0, len(records), RECORD_BATCH):
            self.index.put_records(records[i : i + RECORD_BATCH])
        self.index.set_stamp(1, manifest.generation, manifest.embedder, manifest.dim)
        manifest.origin, manifest.revision = str(self.index.documents.id), 1
        self.seconds += time.perf_counter() - started


@contextlib.contextmanager
def chroma_server(root: Path, log=print) -> Iterator[Any]:
    """A ``chroma run`` server on a free loopback port over ``root/chroma`` (telemetry off, as the tests start it),
    stopped on exit."""
    from eval.bench_shared import _chroma_server_class

    root.mkdir(parents=True, exist_ok=True)
    server = _chroma_server_class()(root / "chroma", root / "chroma.log")
    server.start(timeout=120)
    log(f"chroma run on {server.url} over {root / 'chroma'} (pid {server.process.pid})")
    try:
        yield server
    finally:
        server.stop()


def server_rss_mb(server: Any) -> float | None:
    """Resident memory of the ``chroma run`` process and its children, in MB (None once it has exited)."""
    import psutil

    try:
        process = psutil.Process(server.process.pid)
        rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    except (psutil.NoSuchProcess, AttributeError):
        return None
    return round(rss / 2**20, 1)


def server_counts(settings: Settings) -> dict[str, int]:
    """Entries the server holds: chunks, document entries (records and parts), sentence vectors."""
    from rag.index.server import ServerIndex
    from rag.store import open_client

    documents, sentences = ServerIndex.open(settings).counts()
    chunks = open_client(settings).get_collection(settings.store.collection).count()
    return {"server_chunks": chunks, "server_document_entries": documents, "server_sentence_vectors": sentences}
