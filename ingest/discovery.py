"""Finding the report files under the folders (or files) given to ingest, and saying why any other path found
cannot be read as a report.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from ingest.ingest_report import FileFailure
from ingest.loaders import SUPPORTED_EXTENSIONS


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
