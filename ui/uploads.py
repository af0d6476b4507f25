"""Saving reports uploaded through the page: checked, safely named, never overwriting another report.

An upload is staged under a hidden folder, read by the same loaders as ``reportqa ingest`` (so a broken or
mislabelled file is refused before it lands among the reports), then linked into place under a sanitized name.
A name that is taken by different content gets a ``-2``, ``-3``… suffix and the caller is told; the same content
uploaded twice is recognised and not stored again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.budget import Budget
from ingest.loaders import SUPPORTED_EXTENSIONS, load_document
from rag.errors import CorruptDocumentError, ReportQAError, UnsupportedFileError
from rag.settings import Settings

logger = logging.getLogger(__name__)

# What the page offers (the list); ``.markdown`` and ``.htm`` are the same loaders under other names.
UPLOAD_EXTENSIONS = (".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm")
MAX_NAME_CHARS = 120
_STAGING = ".staging"
# Windows device names: harmless on Linux, but a report folder is often synced to a Windows share.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


@dataclass
class SavedUpload:
    """One accepted upload: where it was stored and what the user should be told about its name."""

    original_name: str
    path: Path
    note: str = ""
    duplicate_of: str | None = None  # the source of an indexed report with the same content


@dataclass
class UploadResult:
    saved: list[SavedUpload] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (original name, reason)


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded reports are kept: beside the index, outside the git-tracked corpus folder."""
    return settings.data_dir / "uploads"


def allowed_extensions(settings: Settings) -> tuple[str, ...]:
    """Extensions the page accepts: the configured ones that a loader reads and the page offers."""
    configured = {e.lower() for e in settings.ingest.extensions}
    return tuple(e for e in UPLOAD_EXTENSIONS if e in configured and e in SUPPORTED_EXTENSIONS)


def sanitize_filename(name: str, default_stem: str = "report") -> str:
    """A safe file name from a user-supplied one: no folders, no traversal, no control or reserved characters,
    not hidden, at most ``MAX_NAME_CHARS`` characters; letters of any script (Chinese included) are kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # a browser may send C:\\fakepath\\x.pdf; a client may send ../../x
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*\x00]', "_", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" .") or default_stem
    if stem.split(".")[0].lower() in _RESERVED:
        stem = f"_{stem}"
    ext = ext.strip(" .").lower()
    budget = MAX_NAME_CHARS - (len(ext) + 1 if ext else 0)
    stem = stem[: max(1, budget)].rstrip(" .") or default_stem
    return f"{stem}.{ext}" if ext else stem


def check_upload(path: Path, settings: Settings, ocr: Any = True) -> None:
    """Read ``path`` as the ingest would, within the ingest's budgets (``settings.ingest``), and discard it.
    Top-level so that a parser worker (``ingest.worker.WorkerParser``) can run it: ``ui.upload_queue`` checks
    uploads there, where a hostile file can be killed at its time budget or cancelled.

    Raises:
        ReportQAError: the file is not a readable report (the message names the reason and, for a budget, the
            setting it hit).
    """
    max_bytes = int(settings.serve.max_upload_mb * 2**20)
    load_document(path, max_bytes=max_bytes, ocr=ocr, budget=Budget.from_settings(settings.ingest))


def save_uploads(
    files: Iterable[tuple[str | Path, str]],
    settings: Settings,
    known_hashes: Mapping[str, str] | None = None,
    check: Callable[[Path], None] | None = None,
) -> UploadResult:
    """Check and store uploaded files in ``uploads_dir(settings)``.

    Args:
        files: (temporary path of the upload, name the user gave it) pairs.
        settings: gives the size cap (``serve.max_upload_mb``), the extensions and the budgets of a read.
        known_hashes: sha256 of each indexed report's bytes → its source, to spot a report that is already in.
        check: reads a staged file or raises ``ReportQAError``; default ``check_upload`` in this process (the
            page's upload queue passes one that reads in a parser worker).

    Returns:
        The stored files (with a note when a name was changed) and, by name, the files refused and why.
    """
    target = uploads_dir(settings)
    staging_root = target / _STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    allowed = allowed_extensions(settings)
    max_bytes = int(settings.serve.max_upload_mb * 2**20)
    known = dict(known_hashes or {})
    check = check or (lambda staged: check_upload(staged, settings, ocr=settings.ingest.ocr))
    result = UploadResult()
    for temp_path, original in files:
        shown = sanitize_filename(original or Path(temp_path).name)
        try:
            saved = _save_one(Path(temp_path), shown, target, staging_root, allowed, max_bytes, known, check)
        except ReportQAError as exc:
            result.failed.append((shown, str(exc)))
            continue
        except OSError as exc:
            logger.warning("could not store upload %s: %s", shown, exc)
            result.failed.append((shown, f"could not be stored ({exc.strerror or exc})"))
            continue
        result.saved.append(saved)
        if saved.duplicate_of is None:
            known[_sha256(saved.path)] = str(saved.path)
    return result


def _save_one(
    temp_path: Path, name: str, target: Path, staging_root: Path, allowed: tuple[str, ...], max_bytes: int,
    known: Mapping[str, str], check: Callable[[Path], None],
) -> SavedUpload:
    ext = Path(name).suffix.lower()
    if ext not in allowed:
        raise UnsupportedFileError(
            f"unsupported file type {ext or '(none)'!r}; the page accepts {', '.join(allowed)}"
        )
    try:
        size = temp_path.stat().st_size
    except OSError as exc:
        raise CorruptDocumentError(f"the upload did not arrive ({exc.strerror or exc})") from exc
    if size > max_bytes:
        raise CorruptDocumentError(f"{size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB upload limit")
    if size == 0:
        raise CorruptDocumentError("the file is empty")
    staging = staging_root / uuid.uuid4().hex
    staging.mkdir()
    try:
        staged = staging / name
        shutil.copyfile(temp_path, staged)
        # The same loaders as `reportqa ingest`: a PDF that is really a JPEG, an encrypted PDF, an empty DOCX
        # are refused here, before they are stored among the reports.
        try:
            check(staged)
        except ReportQAError as exc:
            message = str(exc)
            prefix = f"{staged}: "
            # Not ``type(exc)(...)``: a budget error is built from its parts, not from one message.
            refused = UnsupportedFileError if isinstance(exc, UnsupportedFileError) else CorruptDocumentError
            raise refused(message[len(prefix):] if message.startswith(prefix) else message) from exc
        digest = _sha256(staged)
        if digest in known:
            return SavedUpload(name, Path(known[digest]), note=f"{name}: same content as {known[digest]}, "
                               "which is already in the index; not stored again", duplicate_of=known[digest])
        final, renamed = _link_unique(staged, target / name, digest)
        note = ""
        if renamed:
            note = f"{name} already exists with different content; saved as {final.name}"
        return SavedUpload(name, final, note=note)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_unique(staged: Path, wanted: Path, digest: str) -> tuple[Path, bool]:
    """Put ``staged`` at ``wanted`` or, if that name is taken by other content, at ``stem-2.ext``…; an existing
    file with the same content is reused. ``os.link`` fails on an existing name, so two uploads racing for one
    name never overwrite each other."""
    stem, ext = wanted.stem, wanted.suffix
    for i in range(1, 1000):
        candidate = wanted if i == 1 else wanted.with_name(f"{stem}-{i}{ext}")
        try:
            os.link(staged, candidate)
            return candidate, i > 1
        except FileExistsError:
            if candidate.is_file() and _sha256(candidate) == digest:
                return candidate, i > 1
        except OSError:
            # Hard links unsupported (some network filesystems): exclusive create, then copy.
            try:
                with open(candidate, "xb") as out, open(staged, "rb") as src:
                    shutil.copyfileobj(src, out)
                return candidate, i > 1
            except FileExistsError:
                if _sha256(candidate) == digest:
                    return candidate, i > 1
    raise CorruptDocumentError(f"too many reports named {wanted.name}; rename the file and upload it again")


def is_upload(path: str | Path, settings: Settings) -> bool:
    """Whether ``path`` is a file the page stored (and so may delete when its report is removed)."""
    try:
        resolved = Path(path).resolve()
        root = uploads_dir(settings).resolve()
    except OSError:
        return False
    return root in resolved.parents and _STAGING not in resolved.relative_to(root).parts


def delete_upload(path: str | Path, settings: Settings) -> bool:
    """Delete a stored upload (after its report was removed from the index); other paths are left alone."""
    if not is_upload(path, settings):
        return False
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    return True


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes (what the manifest records as ``content_hash``)."""
    return _sha256(Path(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
