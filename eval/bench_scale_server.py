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

from rag.index.manifest import Manifest
from rag.settings import Settings

RECORD_BATCH = 1000  # records per request: well under the server's ~32 MB request limit
PART_BATCH = 16  # document parts per request (a synthetic report's file is one part of about 40 KB)


class ServerSink:
    """Writes each synthetic report's file parts and sentence vectors to the server, then its records and stamp.

    The entries are those ``ServerIndex.write_document`` writes (same ids, metadata, float16-rounded vectors), but
    batched across reports: ``write_document`` first deletes the report's old entries and sends its parts and
    vectors in requests of one report each, and on ``chroma run`` each write request costs more the larger the
    collection is (measured here: 1k chunks 5 s, 10k chunks 231 s of server writes that way), which would make
    writing 100k chunks take about an hour on two shared cores. ``check`` reads one report back through the
    product's own reader."""

    def __init__(self, settings: Settings) -> None:
        from rag.index.server import ServerIndex

        self.index = ServerIndex.open(settings, create=True)
        self.extras: dict[str, dict[str, int]] = {}
        self.seconds = 0.0
        self._parts: list[tuple[str, str, dict]] = []  # (id, text, metadata) waiting to be sent
        self._sentences: list[tuple[str, np.ndarray, dict]] = []

    def write(self, doc_id: str, content: dict[str, Any], vectors: np.ndarray) -> None:
        from rag.index.server import _part_id, document_parts  # the server's own layout of a document's entries

        parts = document_parts(content)
        self._parts.extend((_part_id(doc_id, n), part, {"entry": "part", "doc_id": doc_id, "n": n})
                           for n, part in enumerate(parts))
        rows = np.asarray(vectors, dtype=np.float16).astype(np.float32)
        spans = content.get("sentences", [])
        self._sentences.extend((f"{doc_id}/s{n:06d}", rows[n], {"doc_id": doc_id, "n": n, "start": int(spans[n][0]),
                                "end": int(spans[n][1])}) for n in range(len(rows)))
        self.extras[doc_id] = {"parts": len(parts), "sentences": len(rows)}
        self.flush(final=False)

    def flush(self, final: bool = True) -> None:
        """Send what is waiting: sentence vectors ``SENTENCE_BATCH`` a request, parts ``PART_BATCH`` a request."""
        from rag.index.server import SENTENCE_BATCH, answering

        started = time.perf_counter()
        with answering(self.index.url):
            while len(self._sentences) >= SENTENCE_BATCH or (final and self._sentences):
                batch, self._sentences = self._sentences[:SENTENCE_BATCH], self._sentences[SENTENCE_BATCH:]
                self.index.sentences.add(ids=[i for i, _, _ in batch], embeddings=np.vstack([v for _, v, _ in batch]),
                                         metadatas=[m for _, _, m in batch])
            while len(self._parts) >= PART_BATCH or (final and self._parts):
                batch, self._parts = self._parts[:PART_BATCH], self._parts[PART_BATCH:]
                self.index.documents.add(ids=[i for i, _, _ in batch], documents=[t for _, t, _ in batch],
                                         embeddings=[[0.0]] * len(batch), metadatas=[m for _, _, m in batch])
        self.seconds += time.perf_counter() - started

    def commit(self, manifest: Manifest) -> None:
        """Every record, complete, and the stamp (revision 1); ``manifest`` gets the origin and revision the local
        cache records, so the engine's first sync finds the cache current."""
        self.flush()
        started = time.perf_counter()
        records = [(record, self.extras[doc_id]) for doc_id, record in manifest.documents.items()]
        for i in range(0, len(records), RECORD_BATCH):
            self.index.put_records(records[i : i + RECORD_BATCH])
        self.index.set_stamp(1, manifest.generation, manifest.embedder, manifest.dim)
        manifest.origin, manifest.revision = str(self.index.documents.id), 1
        self.seconds += time.perf_counter() - started

    def check(self, doc_id: str, content: dict[str, Any], vectors: np.ndarray) -> None:
        """Raise unless ``read_documents`` gives back ``content`` and ``vectors`` (float16) for ``doc_id``."""
        [(_, got, rows)] = list(self.index.read_documents({doc_id: self.extras[doc_id]}))
        if got != content or rows is None or not np.array_equal(rows, np.asarray(vectors, dtype=np.float16)):
            raise RuntimeError(f"the server does not give back synthetic document {doc_id} as written")


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
    from rag.index.store import open_client

    documents, sentences = ServerIndex.open(settings).counts()
    chunks = open_client(settings).get_collection(settings.store.collection).count()
    return {"server_chunks": chunks, "server_document_entries": documents, "server_sentence_vectors": sentences}
