"""Writing files so that a crash at any instant leaves either the old or the new version, never half of one; and
showing file names safely (``printable``)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from rag.errors import DataDirError


# Invisible characters that change how the text around them is shown: bidirectional overrides and isolates.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters made visible, for a terminal or a page: ``\\x1b`` instead of an escape code.

    File names may hold anything but ``/`` and NUL: terminal escape sequences, line breaks that forge a second
    line, bidirectional overrides that reverse what follows, bytes that are not UTF-8 (Python keeps those as lone
    surrogates, which a UTF-8 stream refuses to print). Every place that shows a path or a reason passes it through
    here; ``keep_newlines`` keeps line breaks and tabs (for report text, which has lines).
    """
    out = []
    for ch in str(text):
        code = ord(ch)
        if keep_newlines and ch in "\n\r\t":
            out.append(ch)
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and a rename.

    Raises:
        DataDirError: the directory is read-only, missing or full.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(path.parent)
    except OSError as exc:
        raise DataDirError(_explain(exc, path)) from exc


def write_json_atomic(path: Path, value: Any) -> None:
    write_atomic(path, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _explain(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"no space left to write {path}; free some disk space and run the command again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path}: the data directory is read-only; use a writable --data-dir"
    return f"cannot write {path}: {exc.strerror or exc}"
