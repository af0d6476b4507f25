"""One writer at a time per data directory: two ingests (two CLIs, or an upload during a CLI ingest) never
interleave their writes; with a Chroma server, one writer at a time per server index as well (``index_lock``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import DataDirError, IngestLockedError
from rag.index.server_lock import ServerLock
from rag.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_WAIT_S = float(os.environ.get("REPORTQA_LOCK_WAIT_S", "600"))


@contextmanager
def index_lock(settings: Settings, wait_s: float = DEFAULT_WAIT_S) -> Iterator[ServerLock | None]:
    """The data directory's lock, and with a server URL the server's ingest lock too (``rag.index.server_lock``),
    which is yielded so the ingest can check it is still held before each commit.

    Raises:
        IngestLockedError: another ingest still holds one of them after ``wait_s``.
    """
    with ingest_lock(settings.lock_path, wait_s):
        if not settings.store.chroma_url:
            yield None
            return
        with ServerLock(settings).held(wait_s) as lock:
            yield lock


@contextmanager
def ingest_lock(lock_path: Path, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Hold the data directory's ingest lock; wait up to ``wait_s`` for another ingest to finish.

    The lock is an OS file lock, so a killed ingest releases it with its process.

    Raises:
        IngestLockedError: another ingest still holds it after ``wait_s``.
    """
    lock = FileLock(str(lock_path))
    try:
        _acquire(lock, 0)
    except Timeout:
        logger.warning("another ingest is running on %s; waiting up to %.0f s", lock_path.parent, wait_s)
        try:
            _acquire(lock, wait_s)
        except Timeout as exc:
            raise IngestLockedError(
                f"another ingest is writing to {lock_path.parent}; try again when it has finished"
            ) from exc
    try:
        yield
    finally:
        lock.release()


def _acquire(lock: FileLock, timeout: float) -> None:
    try:
        lock.acquire(timeout=timeout)
    except Timeout:  # a subclass of OSError: "someone else holds it", not "cannot be created"
        raise
    except OSError as exc:
        raise DataDirError(
            f"cannot create the ingest lock {lock.lock_file} ({exc.strerror or exc}); check the data directory is "
            "a writable folder, or point --data-dir / REPORTQA_DATA_DIR elsewhere"
        ) from exc
