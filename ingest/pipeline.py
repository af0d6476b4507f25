"""Ingest: read → clean → split → embed → write to the store, only for what changed.

Change detection is keyed on a content hash per document (plus the chunking and embedder configuration). The
journal records every document write (see ``ingest.journal``; with a Chroma server, in the server), so an ingest
killed at any instant leaves a usable index and the next run completes it with no duplicate chunks. One broken file
never stops the others.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePath

import numpy as np

from ingest.budget import Budget, check_texts_to_embed
from ingest.chunking import ChunkSpan, cut_long_sentence, split_into_chunks
from ingest.loaders import SUPPORTED_EXTENSIONS, check_size, load_document
from ingest.journal import Journal
from ingest.lock import index_lock
from ingest.ocr import PageOcr
from ingest.structure import read_structure
from ingest.worker import make_parser
from rag.embedders import Embedder, make_embedder
from rag.errors import CorruptDocumentError, DataDirError, EmbedderMismatchError, UnsupportedFileError
from rag.index.files import printable
from rag.index.lexical import update_lexical_index
from rag.index.manifest import DocumentRecord, Manifest, chunk_id, document_id
from rag.index.page_boxes import boxes_record
from rag.index.store import ChunkStore, forget_cached_database
from rag.models import Chunk
from rag.settings import Settings
from rag.text.blocks import STRUCTURE_VERSION
from rag.text.primitives import detect_language, sentence_spans, tokenize

logger = logging.getLogger(__name__)

# Bump when cleaning or chunking changes in a way that changes chunks: every document is then re-ingested.
PIPELINE_VERSION = 10
# Under the data directory: where the page stores uploaded reports (``ui.uploads.uploads_dir``); ingest cannot
# import ui, so the folder's name is kept here too and a test checks the two agree.
UPLOADS_FOLDER = "uploads"
# Longer sentences are cut at a comma for quoting: a citation should point at a sentence, not a page.
SENTENCE_MAX_CHARS = 200

ProgressCallback = Callable[[int, int, str], None]


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class FileWarning:
    """Part of a file that could not be read (a page OCR found nothing legible on); the rest was ingested."""

    path: str
    message: str


@dataclass
class IngestReport:
    """What one ingest did. ``failed`` files were left as they were in the index."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    # Seconds each read document took to parse (killed ones included), by path: what the time budget bounds.
    parse_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "warnings": [{"path": w.path, "message": w.message} for w in self.warnings],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }


@dataclass
class _Prepared:
    path: Path
    record: DocumentRecord
    chunks: list[Chunk]
    embed_texts: list[str]
    sidecar: dict
    is_new: bool
    warnings: tuple[str, ...] = ()
    replaces: tuple[DocumentRecord, ...] = ()  # older versions of this report, removed once it is written


def run_ingest(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Bring the index in line with the reports under ``paths`` (default: the corpus folder).

    Raises:
        EmbedderMismatchError: the index was built by another embedder (use ``rebuild``).
        IngestLockedError: another ingest holds the data directory (or the server's index), or this one lost the
            server's lock.
        DataDirError, StoreUnavailableError: the index cannot be written at all.
    """
    started = time.perf_counter()
    report = IngestReport()
    roots = [Path(p) for p in (paths or [settings.corpus_dir])]
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(
            f"cannot use data directory {settings.data_dir} ({exc.strerror or exc}); "
            "check it is a writable folder, or point --data-dir / REPORTQA_DATA_DIR elsewhere"
        ) from exc
    # The parser (a worker process, see ingest.worker) is killed on any exit, Ctrl-C included.
    with index_lock(settings) as lock, make_parser(settings, _prepare) as parser:
        embedder = embedder or make_embedder(settings)
        journal = Journal(settings, lock)
        if rebuild:
            journal.wipe()
        manifest, warning = journal.load()
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

        files, report.failed = discover(roots, settings.ingest.extensions)
        config_hash = _config_hash(settings, embedder.name)
        prepared: list[_Prepared] = []
        seen: set[str] = set()
        for path in files:
            identity = _identify(path, roots, settings, report)
            if identity is None:
                continue
            key, content_hash, doc_id = identity
            if doc_id in seen:  # the same report at the same place under two roots given at once
                logger.info("%s is already in this ingest under another folder; skipped", path)
                continue
            seen.add(doc_id)
            previous = manifest.documents.get(doc_id)
            if previous and previous.config_hash == config_hash and doc_id not in damaged:
                changed |= _note_location(previous, path, manifest)
                report.unchanged.append(manifest.documents[doc_id].source)
                continue
            replaces = () if previous else _older_versions(manifest, key, path, doc_id)
            try:
                # A file over the size limit is refused here, without starting a parser for it.
                check_size(path, int(settings.ingest.max_file_mb * 2**20))
                item = parser.prepare(path, doc_id, content_hash, config_hash, settings,
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
        parser.close()  # its memory is the embedder's now
        report.parse_seconds = parser.seconds

        total = sum(len(p.embed_texts) for p in prepared)
        done = 0
        if progress:
            progress(0, total, "")
        for item in prepared:
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
            changed = True

        scanned = _scanned_keys(roots, settings)
        for record in list(manifest.documents.values()):
            if record.doc_id not in seen and _gone(record, roots, scanned):
                journal.remove_document(record, manifest, store)
                report.removed.append(record.source)
                changed = True

        if changed:
            journal.save(manifest)
        # Brings the keyword index in line with the manifest: only the documents added or removed since it was
        # last written are touched (see ``rag.index.lexical``); a missing or unreadable one is built again.
        update_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    report.seconds = time.perf_counter() - started
    return report


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


def discover(roots: Sequence[Path], extensions: Iterable[str]) -> tuple[list[Path], list[FileFailure]]:
    """Report files under ``roots``; hidden files are skipped, and every path that cannot be a report (unsupported,
    missing, a symlink loop or a dangling link, an unreadable folder, a FIFO or device, a name that is not UTF-8)
    comes back as a failure naming the path and the reason. Links to folders are not followed, so a loop cannot
    make the walk endless."""
    allowed = {e.lower() for e in extensions} & set(SUPPORTED_EXTENSIONS) or set(SUPPORTED_EXTENSIONS)
    files: list[Path] = []
    failures: list[FileFailure] = []
    for root in roots:
        if os.path.isdir(root):  # a corpus folder may itself be a link; links below it are not followed
            candidates = _walk(root, failures)
        elif os.path.lexists(root):
            candidates = [root]
        else:
            failures.append(FileFailure(str(root), "no such file or folder"))
            continue
        for path in candidates:
            # A file named on the command line is checked first: a link loop is a loop, whatever its name.
            problem = _path_problem(path) if path == root else ""
            if not problem and path.suffix.lower() not in allowed:
                problem = f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(allowed))}"
            problem = problem or _path_problem(path)
            if problem:
                failures.append(FileFailure(str(path), problem))
            else:
                files.append(path)
    unique = list(dict.fromkeys(files))
    return unique, failures


def _walk(root: Path, failures: list[FileFailure]) -> list[Path]:
    """Every non-hidden entry under ``root`` that is not a folder (links included, so a broken one is reported)."""
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        failures.append(FileFailure(str(exc.filename or root), f"folder cannot be read ({exc.strerror or exc})"))

    for folder, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not os.path.islink(os.path.join(folder, d)))
        found.extend(Path(folder, name) for name in filenames if not name.startswith("."))
    return sorted(found)


def _path_problem(path: Path) -> str:
    """Why ``path`` cannot be read as a report ("" when it can): checked before anything opens it."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8; rename the file"
    try:
        info = path.resolve(strict=True).stat()
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        return "cannot be read (symbolic link loop)"
    except FileNotFoundError:
        return "cannot be read (broken symbolic link: its target does not exist)" if path.is_symlink() else "no such file"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "cannot be read (symbolic link loop)"
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, socket or device)"
    if not os.access(path, os.R_OK):
        return f"cannot be read ({os.strerror(errno.EACCES)})"
    return ""




def _identify(path: Path, roots: Sequence[Path], settings: Settings, report: IngestReport) -> tuple[str, str, str] | None:
    """(identity key, content hash, document id) of a found file; None (and a failure in ``report``) when it
    cannot be read."""
    try:
        key = identity_key(path, _root_of(path, roots), settings)
        # Streamed: an over-size file must be refused without first being read whole into memory.
        with path.open("rb") as handle:
            content_hash = hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a link made into a loop since discovery
        report.failed.append(FileFailure(str(path), f"cannot be read ({getattr(exc, 'strerror', '') or exc})"))
        return None
    return key, content_hash, document_id(key, content_hash)


def identity_key(path: Path, root: Path, settings: Settings) -> str:
    """Where a report sits, independent of the folder the corpus or the data directory is in.

    ``uploads/<path under the uploads folder>`` for a report uploaded through the page; otherwise
    ``corpus/<path under the corpus folder>`` when it is inside it, else under the folder it was found in (``root``),
    and a file named on its own is its file name. With the content hash this makes the document id
    (``rag.index.manifest.document_id``): a moved corpus, a copied data directory or another machine gives the same ids.
    The same bytes at two places of one corpus are two documents, as any two files are.
    """
    for label, folder in (
        ("uploads", settings.data_dir / UPLOADS_FOLDER),
        ("corpus", settings.corpus_dir),
        ("corpus", root if root != path else None),
    ):
        relative = _relative(path, folder) if folder is not None else None
        if relative:
            return f"{label}/{unicodedata.normalize('NFC', relative)}"
    return f"corpus/{unicodedata.normalize('NFC', path.name)}"


def _relative(path: Path, folder: Path) -> str | None:
    """``path`` under ``folder`` as a POSIX path, as written or with links resolved (a corpus folder may be a
    link); None when it is not under it."""
    pairs = ((os.path.abspath(path), os.path.abspath(folder)),
             (os.path.join(os.path.realpath(path.parent), path.name), os.path.realpath(folder)))
    for inner, outer in pairs:
        try:
            relative = PurePath(inner).relative_to(outer)
        except ValueError:
            continue
        if relative.parts:
            return relative.as_posix()
    return None


def _root_of(path: Path, roots: Sequence[Path]) -> Path:
    """The root (folder or file given to ingest) that ``path`` was found under."""
    return next((root for root in roots if path == root or root in path.parents), path)


def _older_versions(manifest: Manifest, key: str, path: Path, doc_id: str) -> tuple[DocumentRecord, ...]:
    """Records this report replaces: the same file with other content (edited in place) or the same place in a
    corpus whose file is gone from where it was recorded (a moved corpus whose report was also edited)."""
    where = str(path.resolve())
    return tuple(
        record for record in manifest.documents.values()
        if record.doc_id != doc_id and (record.path == where or (record.key == key and not Path(record.path).exists()))
    )


def _note_location(record: DocumentRecord, path: Path, manifest: Manifest) -> bool:
    """Record where an unchanged report is now (a moved corpus, a copied data directory): the page deletes an
    upload's file by this path, and shows the source."""
    where, source = str(path.resolve()), display_source(path)
    if (record.path, record.source) == (where, source):
        return False
    manifest.documents[record.doc_id] = record.model_copy(update={"path": where, "source": source})
    return True


def _scanned_keys(roots: Sequence[Path], settings: Settings) -> tuple[str, ...]:
    """Key prefixes this ingest walked completely: a record under one that was not seen is gone."""
    prefixes = []
    for label, folder in (("uploads/", settings.data_dir / UPLOADS_FOLDER), ("corpus/", settings.corpus_dir)):
        if any(os.path.isdir(root) and _same_folder(root, folder) for root in roots):
            prefixes.append(label)
    return tuple(prefixes)


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def _gone(record: DocumentRecord, roots: Sequence[Path], scanned: tuple[str, ...]) -> bool:
    """Whether a record that this ingest did not see is gone: its file no longer exists and it was under a folder
    this ingest walked (by path, or by key when the corpus itself moved)."""
    path = Path(record.path)
    if path.exists():
        return False
    return _under_roots(path, roots) or (bool(record.key) and record.key.startswith(scanned) and bool(scanned))


def display_source(path: Path) -> str:
    """The path as users see it: relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def embedding_text(title: str, section_path: Sequence[str], text: str) -> str:
    """What is embedded for a chunk: the chunk under its title and section path, which the chunk text often lacks."""
    header = " > ".join([title, *section_path[-2:]])
    return f"{header}\n{text}"


def _prepare(
    path: Path, doc_id: str, content_hash: str, config_hash: str, settings: Settings, is_new: bool,
    ocr: PageOcr | bool = False, key: str = "",
) -> _Prepared:
    budget = Budget.from_settings(settings.ingest)
    document = load_document(path, max_bytes=int(settings.ingest.max_file_mb * 2**20), ocr=ocr, budget=budget)
    structure = read_structure(document)
    spans = split_into_chunks(document, settings.ingest.chunk_size, settings.ingest.chunk_overlap, structure)
    if not spans:
        raise CorruptDocumentError(f"{path}: no text to index")
    # Counted before any sentence is tokenized: an over-budget document costs no more than its chunking.
    sentences = sentence_units(document.text, spans, min(settings.ingest.chunk_size, SENTENCE_MAX_CHARS))
    check_texts_to_embed(path, len(spans) + len(sentences), budget.max_texts_to_embed)
    lang = detect_language(document.text)
    source = display_source(path)
    chunks, embed_texts, sidecar_chunks = [], [], []
    for span in spans:
        text = document.text[span.start : span.end]
        chunk = Chunk(
            id=chunk_id(doc_id, span.index),
            doc_id=doc_id,
            index=span.index,
            source=source,
            title=document.title,
            section=span.section,
            page=span.page,
            start=span.start,
            end=span.end,
            text=text,
            lang=lang,
        )
        chunks.append(chunk)
        embed_texts.append(embedding_text(document.title, span.section_path, text))
        sidecar_chunks.append(
            {
                "id": chunk.id,
                "start": span.start,
                "end": span.end,
                "section": span.section,
                "page": span.page,
                "tokens": " ".join(tokenize(f"{span.section}\n{text}")),
            }
        )
    embed_texts.extend(document.text[start:end] for start, end in sentences)
    record = DocumentRecord(
        doc_id=doc_id,
        key=key,
        path=str(path.resolve()),
        source=source,
        title=document.title,
        lang=lang,
        kind=document.kind,
        content_hash=content_hash,
        config_hash=config_hash,
        n_chunks=len(chunks),
        chars=len(document.text),
        pages=len(document.pages),
        ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        status="pending",
    )
    sidecar = {
        "doc_id": doc_id,
        "source": source,
        "title": document.title,
        "content_hash": content_hash,
        "text": document.text,
        "pages": [[p.start, p.end, p.page] for p in document.pages],
        "chunks": sidecar_chunks,
        "sentences": [list(span) for span in sentences],
        # Tokens of each sentence, so answering never runs the Chinese tokenizer over the evidence.
        "sentence_tokens": [" ".join(tokenize(document.text[start:end])) for start, end in sentences],
        # Typed blocks (title, headings, lists, tables, bylines, page furniture) with offsets into "text":
        # read back with rag.text.document_structure.DocumentStructure.from_dict.
        "structure": structure.to_dict(),
        # Where each line of a PDF was drawn (rag.index.page_boxes): what shows a quote on its page.
        "boxes": boxes_record(document.line_boxes, dict(document.page_sizes)),
    }
    return _Prepared(path, record, chunks, embed_texts, sidecar, is_new, document.warnings)


def sentence_units(text: str, spans: Sequence[ChunkSpan], max_chars: int) -> list[tuple[int, int]]:
    """The distinct sentences of all chunks, in order: the units the extractive answerer quotes and scores."""
    units: set[tuple[int, int]] = set()
    for span in spans:
        for start, end in sentence_spans(text, span.start, span.end):
            units.update(cut_long_sentence(text, start, end, max_chars))
    return sorted(units)


def _embed(
    embedder: Embedder,
    texts: list[str],
    batch_size: int,
    done: int,
    total: int,
    item: _Prepared,
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


def _under_roots(path: Path, roots: Sequence[Path]) -> bool:
    for root in roots:
        try:
            resolved = root.resolve()
        except (OSError, RuntimeError):  # a root that is a link loop holds nothing to remove
            continue
        if path == resolved or resolved in path.parents:
            return True
    return False


def _reason(exc: Exception, path: Path) -> str:
    """The message without the leading path (the report prints the path beside it)."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
