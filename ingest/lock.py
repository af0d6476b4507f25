"""One writer at a time per data directory: two ingests (two CLIs, or an upload during a CLI ingest) never
interleave their writes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import DataDirError, IngestLockedError

logger = logging.getLogger(__name__)

DEFAULT_WAIT_S = float(os.environ.get("REPORTQA_LOCK_WAIT_S", "600"))


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
