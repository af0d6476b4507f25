"""The data directory as a cache of the index a Chroma server holds.

With ``store.chroma_url`` set, the server is the index: chunk vectors, sentence vectors, document records and
document files (``rag.index.server``). What a machine reads to answer (the manifest, each report's file and
sentence vectors, the keyword index) is copied into its data directory and kept there as a cache, so a question
costs no more requests than the vector search. The cache is brought in line whenever the server's stamp
(documents collection id + revision, bumped by every ingest commit) differs from the one the local manifest
records: documents new or changed since are fetched, removed ones deleted, and the keyword index is updated with
only those documents (``rag.index.lexical.update_lexical_index``), or rebuilt when it is stale or unreadable.
"""

from __future__ import annotations

import logging

from filelock import FileLock, Timeout

from rag.errors import DataDirError
from rag.index.docfiles import (
    remove_sidecar, sentence_vectors_path, sidecar_path, write_sentence_vectors, write_sidecar,
)
from rag.index.lexical import update_lexical_index
from rag.index.manifest import DocumentRecord, Manifest
from rag.index.server import ServerIndex, Stamp
from rag.settings import Settings

logger = logging.getLogger(__name__)


def pull(settings: Settings, server: ServerIndex, verify: bool = False, stamp: Stamp | None = None) -> bool:
    """Bring the data directory in line with the server; returns whether its manifest was rewritten.

    Cheap when the stamp matches (one request), unless ``verify``: then every cached file is checked to exist and
    the keyword index to match. The caller holds the data directory's lock.

    Raises:
        StoreUnavailableError: the server does not answer.
        DataDirError: the data directory cannot be written.
    """
    stamp = stamp or server.stamp()
    local = local_manifest(settings)
    if not verify and (local.origin, local.revision) == (stamp.origin, stamp.revision):
        return False
    records = server.records()
    wanted = {
        doc_id: extra for doc_id, (record, extra) in records.items()
        if record.status == "complete" and not _cached(settings, local.documents.get(doc_id), record)
    }
    if wanted:
        logger.info("copying %d document(s) from %s", len(wanted), server.url)
    for doc_id, content, vectors in server.read_documents(wanted):
        if content is None or vectors is None:
            # The next ingest finds it without files and writes it again (see ingest.journal).
            logger.warning("the server holds an incomplete copy of document %s; it is answered from its chunks only "
                           "until the next ingest rewrites it", doc_id)
            remove_sidecar(settings.docs_dir, doc_id)
            continue
        write_sidecar(settings.docs_dir, doc_id, content)
        write_sentence_vectors(settings.docs_dir, doc_id, vectors)
    for doc_id in local.documents:
        if doc_id not in records:
            remove_sidecar(settings.docs_dir, doc_id)
    manifest = Manifest(embedder=stamp.embedder, dim=stamp.dim, generation=stamp.generation, origin=stamp.origin,
                        revision=stamp.revision, documents={d: record for d, (record, _) in records.items()})
    changed = manifest.model_dump(exclude={"writer"}) != local.model_dump(exclude={"writer"})
    if changed:
        manifest.save(settings.manifest_path)
    # A stale keyword cache (behind the manifest, missing a segment, unreadable) is brought in line or rebuilt.
    update_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    return changed


def local_manifest(settings: Settings) -> Manifest:
    """The cached manifest; an unreadable one is as good as none (the server has the real one)."""
    try:
        return Manifest.load(settings.manifest_path)
    except DataDirError as exc:
        logger.warning("%s; it is copied from the server again", exc)
        return Manifest()


def _cached(settings: Settings, local: DocumentRecord | None, record: DocumentRecord) -> bool:
    """Whether this version of the document (same content, chunking and write) is in the data directory."""
    if local is None or (local.content_hash, local.config_hash, local.ingested_at) != (
        record.content_hash, record.config_hash, record.ingested_at
    ):
        return False
    return sidecar_path(settings.docs_dir, record.doc_id).exists() and sentence_vectors_path(
        settings.docs_dir, record.doc_id).exists()


class Mirror:
    """Keeps one data directory in line with the server for a process that answers questions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: ServerIndex | None = None
        self._synced: tuple[str, int] | None = None  # the stamp last brought in

    def sync(self, verify: bool = False) -> str:
        """Copy what changed on the server (see ``pull``): "" when nothing did, "changed", or "rebuilt" when the
        server's index was rebuilt (new collections: reopen the chunk store too). One request when nothing changed.

        Skipped while an ingest in this data directory holds its lock: that ingest writes the cache itself.
        """
        if self.server is None:
            self.server = ServerIndex.open(self.settings)
            if self.server is None:
                return ""  # no shared index on the server (one written before this version): local files only
        stamp = self.server.stamp()
        rebuilt = stamp.origin != str(self.server.documents.id)
        if rebuilt:
            self.server = ServerIndex.open(self.settings)
            if self.server is None:
                return ""
        verify = verify or self._synced is None  # the first sync checks every cached file
        if not verify and not rebuilt and (stamp.origin, stamp.revision) == self._synced:
            return ""
        try:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(f"cannot use data directory {self.settings.data_dir} ({exc.strerror or exc}) as the "
                               "cache of the server's index; point --data-dir / REPORTQA_DATA_DIR elsewhere") from exc
        lock = FileLock(str(self.settings.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return ""
        try:
            changed = pull(self.settings, self.server, verify=verify, stamp=stamp)
        finally:
            lock.release()
        self._synced = (stamp.origin, stamp.revision)
        return "rebuilt" if rebuilt else ("changed" if changed else "")
