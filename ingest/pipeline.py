"""Ingest: read → clean → split → embed → write to the store, only for what changed.

Change detection is keyed on a content hash per document (plus the chunking and embedder configuration). The
journal records every document write (see ``ingest.journal``; with a Chroma server, in the server), so an ingest
killed at any instant leaves a usable index and the next run completes it with no duplicate chunks. One broken file
never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ingest.discovery import discover
from ingest.identity import identify_file, is_gone, note_location, older_versions, resolved_roots, scanned_keys
from ingest.ingest_report import FileFailure, FileWarning, IngestReport
from ingest.journal import Journal
from ingest.loaders import check_size
from ingest.lock import index_lock
from ingest.prepare import Prepared, add_tokens, prepare_document
from ingest.worker import make_parser
from rag.embedders import Embedder, make_embedder
from rag.errors import CorruptDocumentError, DataDirError, EmbedderMismatchError, UnsupportedFileError
from rag.index.files import printable
from rag.index.lexical import update_lexical_index
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore, forget_cached_database
from rag.settings import Settings
from rag.text.blocks import STRUCTURE_VERSION

logger = logging.getLogger(__name__)

# Bump when cleaning or chunking changes in a way that changes chunks: every document is then re-ingested.
PIPELINE_VERSION = 10

ProgressCallback = Callable[[int, int, str], None]


def run_ingest(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    embedder: Embedder | None = None,
    parser: Any = None,
) -> IngestReport:
    """Bring the index in line with the reports under ``paths`` (default: the corpus folder).

    ``parser`` is a reader the caller keeps running between ingests (``ingest.worker.WorkerParser``; the page's upload
    queue lends its own); by default one is started for this ingest and stopped before the embedding.

    Raises:
        EmbedderMismatchError: the index was built by another embedder (use ``rebuild``).
        IngestLockedError: another ingest holds the data directory (or the server's index), or this one lost the
            server's lock.
        DataDirError, StoreUnavailableError: the index cannot be written at all.
    """
    started = time.perf_counter()
    report = IngestReport()
    roots = [Path(p) for p in (paths or [settings.corpus_dir])]
    _make_data_dir(settings)
    # The parser (a worker process, see ingest.worker) is killed on any exit, Ctrl-C included.
    with index_lock(settings) as lock, _reader(settings, parser) as reader:
        waited_before = reader.startup_seconds
        journal = Journal(settings, lock)
        if rebuild:
            embedder = embedder or make_embedder(settings)  # a broken embedder setting fails before the wipe
            journal.wipe()
        manifest, warning = journal.load()
        files, report.failed = discover(roots, settings.ingest.extensions)
        found = _identify(files, roots, settings, report)
        if _any_to_read(found, manifest, settings):
            reader.start()  # in the background: its start overlaps loading the embedder and opening the index
        embedder = embedder or make_embedder(settings)
        store, changed, damaged = _open_index(settings, journal, manifest, warning, embedder, report)
        config_hash = _config_hash(settings, embedder.name)
        seen: set[str] = set()
        prepared, moved = _prepare_changed(found, settings, config_hash, manifest, damaged, reader, seen, report)
        changed |= moved
        if parser is None:
            reader.close()  # its memory is the embedder's now
        report.parser_start_seconds = reader.startup_seconds - waited_before

        changed |= _write_prepared(prepared, embedder, settings, journal, manifest, store, seen, progress, report)
        changed |= _remove_gone(roots, settings, journal, manifest, store, seen, report)
        if changed:
            journal.save(manifest)
        # Brings the keyword index in line with the manifest: only the documents added or removed since it was
        # last written are touched (see ``rag.index.lexical``); a missing or unreadable one is built again.
        update_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _reader(settings: Settings, parser: Any):
    """The caller's parser, left running; or one made for this ingest (``ingest.worker.make_parser``)."""
    if parser is None:
        with make_parser(settings, prepare_document) as made:
            yield made
    else:
        yield parser


def _identify(
    files: Sequence[Path], roots: Sequence[Path], settings: Settings, report: IngestReport,
) -> list[tuple[Path, tuple[str, str, str]]]:
    """Each readable found file with its (identity key, content hash, document id); unreadable ones go to
    ``report``."""
    found = []
    for path in files:
        identity = identify_file(path, roots, settings, report)
        if identity is not None:
            found.append((path, identity))
    return found


def _any_to_read(found: Sequence[tuple[Path, tuple[str, str, str]]], manifest: Manifest, settings: Settings) -> bool:
    """Whether a found report is new to the index and within the size limit: one the parser will surely read."""
    for path, (_, _, doc_id) in found:
        if doc_id not in manifest.documents:
            try:
                check_size(path, int(settings.ingest.max_file_mb * 2**20))
            except (CorruptDocumentError, OSError):
                continue
            return True
    return False


def _make_data_dir(settings: Settings) -> None:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(
            f"cannot use data directory {settings.data_dir} ({exc.strerror or exc}); "
            "check it is a writable folder, or point --data-dir / REPORTQA_DATA_DIR elsewhere"
        ) from exc


def _open_index(
    settings: Settings, journal: Journal, manifest: Manifest, warning: str | None, embedder: Embedder,
    report: IngestReport,
) -> tuple[ChunkStore, bool, set[str]]:
    """The chunk store, an interrupted write completed (in ``manifest``); whether that changed the manifest, and
    the documents whose chunks are damaged (to be written again).

    Raises:
        EmbedderMismatchError: the index was built by another embedder.
    """
    if warning:
        logger.warning(warning)
        report.warnings.append(FileWarning(settings.store.chroma_url or str(settings.data_dir), warning))
    if manifest.embedder and (manifest.embedder, manifest.dim) != (embedder.name, embedder.dim):
        raise EmbedderMismatchError(
            f"the index was built with {manifest.embedder} ({manifest.dim}-d) but the configured embedder is "
            f"{embedder.name} ({embedder.dim}-d); run `reportqa ingest --rebuild` to re-embed every report"
        )
    forget_cached_database(settings, manifest)  # another process wrote last: write on top of what is on disk
    store = ChunkStore.open(settings, embedder.name, embedder.dim, create=True)
    manifest.embedder, manifest.dim = embedder.name, embedder.dim
    changed = journal.recover_pending(manifest, store)
    damaged = journal.damaged(manifest, store)
    return store, changed, damaged


def _prepare_changed(
    found: Sequence[tuple[Path, tuple[str, str, str]]], settings: Settings, config_hash: str, manifest: Manifest,
    damaged: Collection[str], parser: Any, seen: set[str], report: IngestReport,
) -> tuple[list[Prepared], bool]:
    """The found reports that are new or changed, read by ``parser`` (unchanged ones noted in ``report``, their
    new location in ``manifest``); each document id found goes into ``seen``. Also whether a location changed."""
    prepared: list[Prepared] = []
    changed = False
    for path, (key, content_hash, doc_id) in found:
        if doc_id in seen:  # the same report at the same place under two roots given at once
            logger.info("%s is already in this ingest under another folder; skipped", path)
            continue
        seen.add(doc_id)
        previous = manifest.documents.get(doc_id)
        if previous and previous.config_hash == config_hash and doc_id not in damaged:
            changed |= note_location(previous, path, manifest)
            report.unchanged.append(manifest.documents[doc_id].source)
            continue
        replaces = () if previous else older_versions(manifest, key, path, doc_id)
        try:
            # A file over the size limit is refused here, without starting a parser for it.
            check_size(path, int(settings.ingest.max_file_mb * 2**20))
            item = _read(parser, path, report, doc_id, content_hash, config_hash, settings,
                         is_new=previous is None and not replaces, key=key)
            item.replaces = replaces
            prepared.append(item)
            for message in prepared[-1].warnings:
                logger.warning("%s: %s", path, message)
                report.warnings.append(FileWarning(str(path), message))
        except (UnsupportedFileError, CorruptDocumentError) as exc:
            logger.warning("skipped %s", printable(exc))
            report.failed.append(FileFailure(str(path), _reason(exc, path)))
        except OSError as exc:  # the file changed under us (deleted, permissions) after it was hashed
            report.failed.append(FileFailure(str(path), f"cannot be read ({exc.strerror or exc})"))
    return prepared, changed


def _read(parser: Any, path: Path, report: IngestReport, *args: Any, **kwargs: Any) -> Prepared:
    """``prepare_document`` run by ``parser``, its time noted in ``report``."""
    try:
        return parser.call(prepare_document, path, *args, **kwargs)
    finally:
        if str(path) in parser.seconds:
            report.parse_seconds[str(path)] = parser.seconds[str(path)]


def _write_prepared(
    prepared: Sequence[Prepared], embedder: Embedder, settings: Settings, journal: Journal, manifest: Manifest,
    store: ChunkStore, seen: set[str], progress: ProgressCallback | None, report: IngestReport,
) -> bool:
    """Embed and write each prepared report (removing the older versions it replaces); whether any was written."""
    total = sum(len(p.embed_texts) for p in prepared)
    done = 0
    if progress:
        progress(0, total, "")
    for item in prepared:
        add_tokens(item)
        embed_started = time.perf_counter()
        vectors = _embed(embedder, item.embed_texts, settings.ingest.embed_batch_size, done, total, item, progress)
        report.embed_seconds += time.perf_counter() - embed_started
        journal.write_document(item.record, item.chunks, item.sidecar, vectors, manifest, store)
        for older in item.replaces:
            if older.doc_id in manifest.documents and older.doc_id not in seen:
                journal.remove_document(older, manifest, store)
        done += len(item.embed_texts)
        report.chunks_written += len(item.chunks)
        (report.added if item.is_new else report.updated).append(item.record.source)
    return bool(prepared)


def _remove_gone(
    roots: Sequence[Path], settings: Settings, journal: Journal, manifest: Manifest, store: ChunkStore,
    seen: set[str], report: IngestReport,
) -> bool:
    """Take out of the index the recorded reports this ingest did not see whose files are gone; whether any was."""
    scanned = scanned_keys(roots, settings)
    walked = resolved_roots(roots)
    removed = False
    for record in list(manifest.documents.values()):
        if record.doc_id not in seen and is_gone(record, walked, scanned):
            journal.remove_document(record, manifest, store)
            report.removed.append(record.source)
            removed = True
    return removed


def remove_documents(settings: Settings, doc_ids: Iterable[str]) -> list[str]:
    """Take documents out of the index (the files on disk are not touched); returns their sources."""
    removed = []
    with index_lock(settings) as lock:
        journal = Journal(settings, lock)
        manifest, _ = journal.load()
        forget_cached_database(settings, manifest)
        store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
        for doc_id in doc_ids:
            record = manifest.documents.get(doc_id)
            if record is not None:
                journal.remove_document(record, manifest, store)
                removed.append(record.source)
        if removed:
            update_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    return removed


def _embed(
    embedder: Embedder,
    texts: list[str],
    batch_size: int,
    done: int,
    total: int,
    item: Prepared,
    progress: ProgressCallback | None,
) -> np.ndarray:
    parts = []
    for i in range(0, len(texts), batch_size):
        parts.append(embedder.embed_passages(texts[i : i + batch_size]))
        if progress:
            progress(done + min(i + batch_size, len(texts)), total, item.record.source)
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def _config_hash(settings: Settings, embedder_name: str) -> str:
    # The structure version is part of the key: reading structure differently re-ingests every document.
    key = (
        f"{PIPELINE_VERSION}|{settings.ingest.chunk_size}|{settings.ingest.chunk_overlap}|{embedder_name}"
        f"|structure{STRUCTURE_VERSION}"
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _reason(exc: Exception, path: Path) -> str:
    """The message without the leading path (the report prints the path beside it)."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
