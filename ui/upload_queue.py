"""The page's upload queue: files dropped on the Documents tab are queued, one job per file, and handled in order by
one background thread, so the upload event returns at once and the page stays usable.

Each job is first *checked*: read as the ingest would, within the ingest's budgets, in a parser worker process of
the queue's own (``ingest.worker.WorkerParser``), outside the index's write lock, so a hostile file costs at most its
time budget and never holds up questions, removals or re-ingests while it is read. A file that passes is stored in
the uploads folder and *indexed* (``Backend.ingest``), read by the same worker (already running: adding a report
starts no process), with its progress (texts embedded) on the job.

The queue's thread, and so its workers, run at a lower CPU priority (niceness 10) than the questions.

A job can be cancelled: a queued one is dropped; one being checked has its worker killed; one being indexed has the
parser worker killed (that document then fails and nothing of it is written) or, while its texts are
embedded, is stopped at the next batch. A cancelled or failed upload's stored file is deleted. No Gradio here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import ReportQAError
from rag.index.files import printable
from rag.settings import Settings
from ui.uploads import check_upload, is_upload, save_uploads

logger = logging.getLogger(__name__)

QUEUED, CHECKING, INDEXING, DONE, FAILED, CANCELLED = "queued", "checking", "indexing", "done", "failed", "cancelled"
ACTIVE = (QUEUED, CHECKING, INDEXING)
KEEP_FINISHED = 20  # finished jobs still listed on the page
_PARSER_NAME = "reportqa-parser"  # ingest.worker names its processes so


class UploadCancelled(Exception):
    """Raised inside an ingest's progress callback to stop a cancelled upload between two embedding batches."""


@dataclass
class UploadJob:
    """One uploaded file on its way into the index."""

    id: str
    name: str
    temp_path: str
    user: str = ""
    state: str = QUEUED
    done: int = 0
    total: int = 0
    message: str = ""
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel_requested: bool = False

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "user": self.user, "state": self.state, "done": self.done,
                "total": self.total, "message": self.message, "submitted": self.submitted,
                "seconds": round((self.finished or time.time()) - (self.started or self.submitted), 2)}


class UploadQueue:
    """The queue of one page. ``submit`` returns at once; ``jobs`` is what the page shows; ``cancel`` stops a job.

    Args:
        backend: the page's ``ui.backend.Backend`` (documents, ingest).
        discard: deletes Gradio's copy of an upload once it is handled (``ui.documents_page.discard_upload_copies``).
    """

    def __init__(self, backend: Any, discard: Callable[[Sequence[str]], None] | None = None) -> None:
        self.backend = backend
        self.settings: Settings = backend.settings
        self._discard = discard or (lambda paths: None)
        self._jobs: list[UploadJob] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._checker = None  # the queue's parser worker, started for the first check, closed when idle
        self._current: UploadJob | None = None

    # what the page calls ---------------------------------------------------------------------------------------

    def submit(self, files: Sequence[tuple[str, str]], user: str = "") -> list[UploadJob]:
        """Queue (temporary path, name given) pairs, one job each."""
        jobs = [UploadJob(uuid.uuid4().hex[:12], name or Path(path).name, str(path), user) for path, name in files]
        with self._cond:
            self._jobs.extend(jobs)
            self._forget_old()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="reportqa-uploads", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return jobs

    def jobs(self) -> list[UploadJob]:
        """Every listed job, oldest first (copies: the page reads them while the queue works)."""
        with self._cond:
            return [UploadJob(**vars(j)) for j in self._jobs]

    def active(self) -> bool:
        with self._cond:
            return any(j.active for j in self._jobs)

    def cancel(self, job_id: str) -> UploadJob | None:
        """Cancel a queued or running job; returns it (None for an unknown id). A finished job is left alone."""
        with self._cond:
            job = next((j for j in self._jobs if j.id == job_id), None)
            if job is None or not job.active:
                return job
            job.cancel_requested = True
            if job.state == QUEUED:
                self._finish(job, CANCELLED, "cancelled before it started · 已取消")
                self._discard([job.temp_path])
                return job
            state = job.state
        if state == CHECKING:
            threading.Thread(target=self._stop_check, args=(job,), name="reportqa-upload-cancel", daemon=True).start()
        elif state == INDEXING and self.backend.job.running and self.backend.job.kind == "upload":
            # Only while its own ingest runs: one still waiting for the write lock must not kill a re-ingest's parser.
            # That ingest reads with the queue's own worker (see _index).
            _kill_parsers()
        return job

    def _stop_check(self, job: UploadJob) -> None:
        """Kill the queue's worker until the cancelled job leaves the reading state: a worker that is still starting
        (not yet killable) is caught on a later round."""
        deadline = time.monotonic() + 300
        while job.state == CHECKING and time.monotonic() < deadline:
            checker = self._checker
            if checker is not None and checker.pid is not None:
                checker.abort()
            time.sleep(0.2)

    def wait(self, ids: Sequence[str], timeout: float) -> bool:
        """Wait until the jobs ``ids`` are finished; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while any(j.active for j in self._jobs if j.id in ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    # the background thread ---------------------------------------------------------------------------------------

    def _run(self) -> None:
        _lower_priority()
        while True:
            with self._cond:
                job = next((j for j in self._jobs if j.state == QUEUED), None)
                if job is None:
                    self._close_checker()
                    self._cond.wait(30)
                    continue
                job.state, job.started, self._current = CHECKING, time.time(), job
            try:
                self._handle(job)
            except Exception as exc:  # a bug must not stop the queue: the job says what happened
                if job.cancel_requested:
                    self._finish(job, CANCELLED, "cancelled · 已取消")
                else:
                    logger.exception("upload %s failed", printable(job.name))
                    self._finish(job, FAILED, f"failed: {printable(exc)}")
            finally:
                self._current = None

    def _handle(self, job: UploadJob) -> None:
        known = {r.content_hash: r.source for r in self.backend.documents()}
        try:
            result = save_uploads([(job.temp_path, job.name)], self.settings, known, check=self._check)
        finally:
            self._discard([job.temp_path])
        if job.cancel_requested:
            for saved in result.saved:
                if saved.duplicate_of is None and is_upload(saved.path, self.settings):
                    saved.path.unlink(missing_ok=True)
            return self._finish(job, CANCELLED, "cancelled while it was read · 已取消")
        if result.failed:
            return self._finish(job, FAILED, f"refused: {result.failed[0][1]}")
        saved = result.saved[0]
        if saved.duplicate_of is not None:
            return self._finish(job, DONE, saved.note)
        job.state = INDEXING
        self._index(job, saved.path, saved.note)

    def _index(self, job: UploadJob, path: Path, note: str) -> None:
        def progress(done: int, total: int, label: str) -> None:
            if job.cancel_requested:
                raise UploadCancelled(job.name)
            job.done, job.total = done, total

        try:
            if job.cancel_requested:
                raise UploadCancelled(job.name)
            # Read again by the worker that just checked it: no second worker to start.
            report = self.backend.ingest([path], "upload", progress, parser=self._checker)
        except UploadCancelled:
            _delete(path, self.settings)
            return self._finish(job, CANCELLED, "cancelled while it was indexed; nothing of it was written · 已取消")
        except ReportQAError as exc:
            _delete(path, self.settings)
            return self._finish(job, FAILED, f"failed: {exc}")
        failure = next((f for f in report.failed if Path(f.path).resolve() == path.resolve()), None)
        if failure is not None:
            _delete(path, self.settings)
            if job.cancel_requested:
                return self._finish(job, CANCELLED, "cancelled while it was indexed · 已取消")
            return self._finish(job, FAILED, f"failed: {failure.reason}")
        chunks = report.chunks_written
        indexed = f"indexed: {chunks} chunks in {report.seconds:.1f} s"
        self._finish(job, DONE, "; ".join(x for x in (indexed, note) if x))

    def _check(self, staged: Path) -> None:
        """Read a staged upload in the queue's parser worker (in this process when workers are off)."""
        if not self.settings.ingest.parse_in_worker:
            check_upload(staged, self.settings, ocr=self.settings.ingest.ocr)
            return
        from ingest.worker import WorkerParser

        with self._cond:
            if self._checker is None:
                self._checker = WorkerParser(check_upload, self.settings.ingest.ocr,
                                             self.settings.ingest.max_seconds_per_document)
            checker = self._checker
        checker.prepare(staged, self.settings)

    def _close_checker(self) -> None:
        checker, self._checker = self._checker, None
        if checker is not None:
            checker.close()

    def _finish(self, job: UploadJob, state: str, message: str) -> None:
        with self._cond:
            job.state, job.message, job.finished = state, message, time.time()
            self._cond.notify_all()
        logger.info("upload %s: %s %s", printable(job.name), state, printable(message))

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs if not j.active]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._jobs.remove(old)


def _delete(path: Path, settings: Settings) -> None:
    if is_upload(path, settings):
        path.unlink(missing_ok=True)


def _kill_parsers() -> None:
    """Kill this process's parser workers: the document being read fails at once."""
    for child in multiprocessing.active_children():
        if child.name == _PARSER_NAME:
            child.kill()


def upload_pairs(files: Sequence[Any]) -> list[tuple[str, str]]:
    """(temporary path, name the user gave it) for each file value Gradio hands an event (a path, a ``FileData``
    or its dict)."""
    pairs = []
    for item in files:
        if isinstance(item, dict):
            path, original = item.get("path"), item.get("orig_name")
        elif isinstance(item, str):
            path, original = item, None
        else:
            path = getattr(item, "path", None) or getattr(item, "name", None)
            original = getattr(item, "orig_name", None)
        pairs.append((str(path), original or Path(str(path)).name))
    return pairs


def _lower_priority(niceness: int = 10) -> None:
    """Run this thread at a lower CPU priority (Linux: niceness is per thread, and the parser workers it starts
    inherit it), so reading and embedding uploads yields the processor to questions."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError) as exc:  # not Linux, or not permitted: uploads run at normal priority
        logger.info("upload queue at normal priority: %s", exc)
