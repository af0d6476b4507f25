"""Which document a file is: its identity key (where it sits in the corpus or the uploads, not on this machine) and
content hash make its document id; and which recorded documents a found file replaces, moved, or left gone.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path, PurePath

from ingest.ingest_report import FileFailure, IngestReport
from rag.index.manifest import DocumentRecord, Manifest, document_id
from rag.settings import Settings

# Under the data directory: where the page stores uploaded reports (``ui.uploads.uploads_dir``); ingest cannot
# import ui, so the folder's name is kept here too and a test checks the two agree.
UPLOADS_FOLDER = "uploads"


def identify_file(
    path: Path, roots: Sequence[Path], settings: Settings, report: IngestReport,
) -> tuple[str, str, str] | None:
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


def older_versions(manifest: Manifest, key: str, path: Path, doc_id: str) -> tuple[DocumentRecord, ...]:
    """Records this report replaces: the same file with other content (edited in place) or the same place in a
    corpus whose file is gone from where it was recorded (a moved corpus whose report was also edited)."""
    where = str(path.resolve())
    return tuple(
        record for record in manifest.documents.values()
        if record.doc_id != doc_id and (record.path == where or (record.key == key and not Path(record.path).exists()))
    )


def note_location(record: DocumentRecord, path: Path, manifest: Manifest) -> bool:
    """Record where an unchanged report is now (a moved corpus, a copied data directory): the page deletes an
    upload's file by this path, and shows the source."""
    where, source = str(path.resolve()), display_source(path)
    if (record.path, record.source) == (where, source):
        return False
    manifest.documents[record.doc_id] = record.model_copy(update={"path": where, "source": source})
    return True


def scanned_keys(roots: Sequence[Path], settings: Settings) -> tuple[str, ...]:
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


def is_gone(record: DocumentRecord, roots: Sequence[Path], scanned: tuple[str, ...]) -> bool:
    """Whether a record that this ingest did not see is gone: its file no longer exists and it was under a folder
    this ingest walked (by path, or by key when the corpus itself moved). ``roots`` are resolved
    (``resolved_roots``): a shelf of thousands of records resolves them once, not once per record."""
    path = Path(record.path)
    if path.exists():
        return False
    return _under_roots(path, roots) or (bool(record.key) and record.key.startswith(scanned) and bool(scanned))


def resolved_roots(roots: Sequence[Path]) -> tuple[Path, ...]:
    """The folders an ingest walked, resolved; one that cannot be (a link loop) holds nothing to remove."""
    resolved = []
    for root in roots:
        try:
            resolved.append(root.resolve())
        except (OSError, RuntimeError):
            continue
    return tuple(resolved)


def display_source(path: Path) -> str:
    """The path as users see it: relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def _under_roots(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)
