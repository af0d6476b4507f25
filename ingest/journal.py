"""The ingest's journal: how a document is written to or removed from the index so that a run killed at any instant
(or a server gone mid-write) is finished by the next one, with no duplicates and no orphans.

A document's record is marked ``pending`` before its chunks, file or sentence vectors are touched, and
``complete`` after; the next run undoes whatever is still pending and writes it again. Embedded, the records are
the data directory's manifest. With a Chroma server they are the server's document records
(``rag.index.server``), written before the local copy, and every commit bumps the server's stamp so other machines
bring their caches in line (``rag.index.mirror``); the run first brings its own cache in line, under the server's
ingest lock (``rag.index.server_lock``), which it checks before every commit.
"""

from __future__ import annotations

import logging
import shutil
from typing import Any

import numpy as np

from rag.index.docfiles import remove_sidecar, sidecar_path, write_sentence_vectors, write_sidecar
from rag.index.manifest import MANIFEST_VERSION, DocumentRecord, Manifest
from rag.index.mirror import pull
from rag.index.server import ServerIndex, answering, not_found
from rag.index.server_lock import ServerLock
from rag.index.store import ChunkStore, open_client
from rag.settings import Settings

logger = logging.getLogger(__name__)

_NO_FILES = {"parts": 0, "sentences": 0}


class Journal:
    """Where an ingest records what the index holds: the manifest and document files, and with a server URL the
    server's records first."""

    def __init__(self, settings: Settings, lock: ServerLock | None = None) -> None:
        self.settings, self.lock = settings, lock
        self.server: ServerIndex | None = None
        self._held: dict[str, tuple[DocumentRecord, dict[str, int]]] = {}  # the server's records, as last written
        self._files: dict[str, dict[str, int]] = {}  # parts and sentences of documents written by this run
        self._revision, self._origin = 0, ""

    def load(self) -> tuple[Manifest, str]:
        """The index's manifest, and a warning when an index of an older version was dropped to be rebuilt."""
        if not self.settings.store.chroma_url:
            manifest = Manifest.load(self.settings.manifest_path)
            if not manifest.outdated:
                return manifest, ""
            warning = _outdated_message(manifest)
            self.wipe()
            return Manifest.load(self.settings.manifest_path), warning
        warning = ""
        self.server = ServerIndex.open(self.settings)
        if self.server is None:
            warning = self._drop_chunks_only_index()
        if self.server is None or self.server.records_collection is None:  # made, or records moved out of the parts
            self.server = ServerIndex.open(self.settings, create=True)
        stamp = self.server.stamp()
        pull(self.settings, self.server, verify=True, stamp=stamp)
        self._held = self.server.records()
        self._revision, self._origin = stamp.revision, stamp.origin
        return Manifest.load(self.settings.manifest_path), warning

    def save(self, manifest: Manifest) -> None:
        """Commit ``manifest``: the server's records and stamp first (after checking the lock is still ours), then
        the local copy."""
        if self.server is not None:
            if self.lock is not None:
                self.lock.check()
            entries = {d: (r, self._files.get(d) or self._held.get(d, (r, _NO_FILES))[1])
                       for d, r in manifest.documents.items()}
            self.server.put_records(entry for d, entry in entries.items() if self._held.get(d) != entry)
            self.server.delete_records(d for d in self._held if d not in entries)
            self._revision += 1
            self.server.set_stamp(self._revision, manifest.generation, manifest.embedder, manifest.dim)
            self._held = entries
            manifest.origin, manifest.revision = self._origin, self._revision
        manifest.save(self.settings.manifest_path)

    def write_files(self, doc_id: str, content: dict[str, Any], vectors: np.ndarray) -> None:
        write_sidecar(self.settings.docs_dir, doc_id, content)
        write_sentence_vectors(self.settings.docs_dir, doc_id, vectors)
        if self.server is not None:
            self._files[doc_id] = self.server.write_document(doc_id, content, vectors)

    def remove_files(self, doc_id: str) -> None:
        if self.server is not None:
            self.server.delete_document(doc_id)
        remove_sidecar(self.settings.docs_dir, doc_id)

    def wipe(self) -> None:
        """Drop the whole index (``--rebuild``, or one of an older version)."""
        ChunkStore.drop(self.settings)
        if self.settings.store.chroma_url:
            ServerIndex.drop(self.settings)
            self.server = None
        for target in (self.settings.docs_dir, self.settings.lexical_dir):
            shutil.rmtree(target, ignore_errors=True)
        self.settings.manifest_path.unlink(missing_ok=True)

    def damaged(self, manifest: Manifest, store: ChunkStore) -> set[str]:
        """Complete documents whose chunks, file or sentence vectors are gone (a deleted or restored database, a lost
        file, an incomplete copy on the server); they are written again.

        The per-document check runs only when the store's count disagrees with the manifest, so it costs nothing on
        a healthy index. (With a server, the files were copied from it just before: a missing one is missing there.)
        """
        complete = manifest.complete()
        damaged = {r.doc_id for r in complete if not sidecar_path(self.settings.docs_dir, r.doc_id).exists()}
        if store.count() != sum(r.n_chunks for r in complete):
            damaged.update(r.doc_id for r in complete if len(store.get(r.chunk_ids())) != r.n_chunks)
        if self.server is not None:
            damaged |= self._damaged_on_server(complete)
        if damaged:
            logger.warning("%d document(s) are missing from the index; writing them again", len(damaged))
        return damaged

    def _damaged_on_server(self, complete: list[DocumentRecord]) -> set[str]:
        """Documents whose parts or sentence vectors the server lacks; parts and vectors of documents without a
        record (left by an ingest that lost its lock mid-write) are deleted. Checked one by one only when the
        server's counts disagree with the records."""
        assert self.server is not None
        held = self._held
        expected = (len(held) + sum(extra["parts"] for _, extra in held.values()),
                    sum(extra["sentences"] for _, extra in held.values()))
        if self.server.counts() == expected:
            return set()
        self.server.delete_leftover_records()
        if self.server.counts() == expected:
            return set()
        for doc_id in self.server.stored_doc_ids() - held.keys():
            logger.warning("removing parts and vectors of document %s, which has no record", doc_id)
            self.server.delete_document(doc_id)
        return {r.doc_id for r in complete
                if self.server.document_counts(r.doc_id) != tuple(held[r.doc_id][1][k] for k in ("parts", "sentences"))}

    def write_document(self, record: DocumentRecord, chunks: list, content: dict[str, Any], vectors: np.ndarray,
                       manifest: Manifest, store: ChunkStore) -> None:
        """Write one document: pending mark, its file and sentence vectors, its chunks, complete mark."""
        manifest.documents[record.doc_id] = record
        self.save(manifest)
        n_chunks = len(chunks)
        self.write_files(record.doc_id, content, vectors[n_chunks:])
        store.delete_document(record.doc_id)
        store.add(chunks, vectors[:n_chunks], context=[c["section"] for c in content["chunks"]])
        manifest.documents[record.doc_id] = record.model_copy(update={"status": "complete"})
        manifest.generation += 1
        self.save(manifest)

    def remove_document(self, record: DocumentRecord, manifest: Manifest, store: ChunkStore) -> None:
        manifest.documents[record.doc_id] = record.model_copy(update={"status": "pending"})
        self.save(manifest)
        store.delete_document(record.doc_id)
        self.remove_files(record.doc_id)
        del manifest.documents[record.doc_id]
        manifest.generation += 1
        self.save(manifest)

    def recover_pending(self, manifest: Manifest, store: ChunkStore) -> bool:
        """Undo the half-written documents of an interrupted ingest; they are ingested again like new ones."""
        pending = [r for r in manifest.documents.values() if r.status == "pending"]
        for record in pending:
            logger.info("finishing an interrupted write of %s", record.source)
            store.delete_document(record.doc_id)
            self.remove_files(record.doc_id)
            del manifest.documents[record.doc_id]
        if pending:
            manifest.generation += 1
            self.save(manifest)
        return bool(pending)

    def _drop_chunks_only_index(self) -> str:
        """A server index written before the server held documents (chunk vectors only) cannot be answered from
        by another machine: it is dropped and rebuilt, and the ingest says so."""
        with answering(self.settings.store.chroma_url or ""):
            try:
                chunks = open_client(self.settings).get_collection(self.settings.store.collection).count()
            except Exception as exc:
                if not not_found(exc):
                    raise
                return ""  # no chunk collection either: a new index
        if not chunks:
            return ""
        self.wipe()
        return (f"the index on {self.settings.store.chroma_url} holds chunk vectors only (written by an older "
                "version that kept documents on each machine); it is rebuilt: every report is read and embedded again")


def _outdated_message(manifest: Manifest) -> str:
    return (
        f"the index was written by an older version (manifest version {manifest.version}, document ids from absolute "
        f"paths; this version is {MANIFEST_VERSION}, ids from the place in the corpus and the content); it is "
        f"rebuilt: every report is read and embedded again"
    )
