"""Documents parsed in a worker process that the ingest can kill at its time budget.

A parser stuck on a hostile file (a quadratic HTML tree, a PDF that makes pypdf loop, a runaway OCR) cannot be
stopped from inside the process running it. So ``run_ingest`` hands each document to one long-lived worker process
and waits at most ``ingest.max_seconds_per_document``; past it, the worker is killed (the document is named with
that limit) and a fresh one is started for the next document. The worker only reads files and returns the prepared
chunks: everything written to the index is written by the ingest process, journalled (``rag.index.manifest``), so
killing the worker at any instant cannot harm the index.

The worker ignores SIGINT: Ctrl-C reaches the whole process group, and it is the ingest process that stops, kills the
worker and reports the interruption.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ingest.budget import BudgetExceededError
from rag.errors import CorruptDocumentError, ReportQAError
from rag.settings import Settings

logger = logging.getLogger(__name__)

# Starting Python and importing the parsers: not part of any document's time budget, and far more than it takes on
# a loaded two-core machine.
STARTUP_TIMEOUT_S = 120.0
# A worker asked to stop that has not stopped after this long is killed.
STOP_TIMEOUT_S = 5.0

Prepare = Callable[..., Any]


class ParserWorkerError(ReportQAError):
    """The worker process could not be started at all (not a problem of any one document)."""


class InProcessParser:
    """Parses in the calling process (``ingest.parse_in_worker = false``): for tests and debugging; no time budget,
    and a parser's own bug surfaces as its traceback."""

    def __init__(self, ocr: Any) -> None:
        self._ocr = ocr
        self.seconds: dict[str, float] = {}
        self.startup_seconds = 0.0

    def start(self) -> None:
        pass

    def call(self, function: Prepare, path: Path, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(path, *args, ocr=self._ocr, **kwargs)
        finally:
            self.seconds[str(path)] = time.perf_counter() - started

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class WorkerParser:
    """One worker process reused across documents, started on the first document and after each kill.

    ``start`` begins starting it without waiting, so that Python's start and the parsers' imports (about 0.7 s)
    overlap whatever the caller does before its first document; the first ``prepare`` then waits for what is left.
    ``startup_seconds`` counts only that wait: the start-up time a caller really paid.
    """

    def __init__(self, prepare: Prepare, ocr: bool, max_seconds: float) -> None:
        self._prepare, self._ocr, self._max_seconds = prepare, ocr, max_seconds
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self.seconds: dict[str, float] = {}
        self.restarts = 0
        self.startup_seconds = 0.0  # waiting for worker processes to start, summed over restarts

    def start(self) -> None:
        """Start the worker in the background if none runs; returns at once."""
        if self._process is None or not self._process.is_alive():
            if self._process is not None:
                self._kill()
            self._spawn()

    def prepare(self, path: Path, *args: Any, **kwargs: Any) -> Any:
        """``prepare(path, *args, **kwargs)`` run in the worker, within the time budget (see ``call``)."""
        return self.call(self._prepare, path, *args, **kwargs)

    def call(self, function: Prepare, path: Path, *args: Any, **kwargs: Any) -> Any:
        """``function(path, *args, ocr=..., **kwargs)`` run in the worker, within the time budget. ``function`` must
        be importable by name (a module's top-level function): one worker serves any such reader.

        Raises:
            BudgetExceededError: the document took longer than ``max_seconds`` (its worker was killed).
            CorruptDocumentError: the parser failed or its process died on this document.
            ParserWorkerError: no worker could be started.
        """
        conn = self._ensure_started()
        started = time.perf_counter()
        try:
            conn.send((function, path, args, kwargs))
            if not conn.poll(self._max_seconds):
                self._kill()
                raise BudgetExceededError(
                    path, f"took longer than {self._max_seconds:g} s to read", "ingest.max_seconds_per_document"
                )
            status, payload = conn.recv()
        except (EOFError, OSError) as exc:  # the worker died under this document (out of memory, a crash)
            code = self._kill()
            raise CorruptDocumentError(f"{path}: the parser process died reading it (exit code {code})") from exc
        finally:
            self.seconds[str(path)] = time.perf_counter() - started
        if status == "ok":
            return payload
        if status == "error":
            raise payload
        logger.warning("parser failed on %s:\n%s", path, payload[1])
        raise CorruptDocumentError(f"{path}: the parser failed on it ({payload[0]})")

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs (the page's upload queue tells its own worker from the ingest's)."""
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        """Ask the worker to exit; kill it if it does not (at once if it is still starting: it holds no work)."""
        if self._process is None:
            return
        if self._ready:
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._process.join(STOP_TIMEOUT_S)
        self._kill()

    def abort(self) -> None:
        """Kill the worker now, whatever it is doing."""
        self._kill()

    def _ensure_started(self) -> Connection:
        self.start()
        if not self._ready:
            waited = time.perf_counter()
            try:
                self._wait_ready()
            finally:
                self.startup_seconds += time.perf_counter() - waited
        return self._conn

    def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_conn, child_conn = context.Pipe()
        process = context.Process(
            target=serve, args=(child_conn, self._prepare, self._ocr, _logging_levels()), daemon=True,
            name="reportqa-parser",
        )
        with _sigint_ignored():  # inherited through exec: the child ignores Ctrl-C from its first instruction
            process.start()
        child_conn.close()
        self._process, self._conn, self._ready = process, parent_conn, False

    def _wait_ready(self) -> None:
        if not self._conn.poll(STARTUP_TIMEOUT_S):
            self._kill()
            raise ParserWorkerError(
                f"the parser worker did not start within {STARTUP_TIMEOUT_S:.0f} s; "
                "set ingest.parse_in_worker = false (REPORTQA_INGEST__PARSE_IN_WORKER=false) to parse in-process"
            )
        try:
            self._conn.recv()  # "ready"
        except (EOFError, OSError) as exc:
            code = self._kill()
            raise ParserWorkerError(f"the parser worker exited while starting (exit code {code})") from exc
        self._ready = True

    def _kill(self) -> int | None:
        """Kill the worker (if still running), reap it and forget it; returns its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.is_alive():
            process.kill()
            self.restarts += self._ready  # one that never started held no document
        self._ready = False
        process.join()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        code = process.exitcode
        process.close()
        return code


@contextmanager
def make_parser(settings: Settings, prepare: Prepare):
    """The parser ``run_ingest`` hands documents to, per ``settings.ingest``; the worker is gone on exit (Ctrl-C
    included). ``prepare`` is the reader a worker imports before it says it is ready."""
    if settings.ingest.parse_in_worker:
        parser: WorkerParser | InProcessParser = WorkerParser(
            prepare, settings.ingest.ocr, settings.ingest.max_seconds_per_document
        )
    else:
        from ingest.ocr import PageOcr

        # The OCR models load once, if a page needs them.
        parser = InProcessParser(PageOcr() if settings.ingest.ocr else False)
    try:
        yield parser
    except BaseException:  # Ctrl-C or an error of the ingest itself: nothing more will be parsed, stop at once
        parser.abort()
        raise
    parser.close()


def serve(conn: Connection, prepare: Prepare, ocr: bool, levels: dict[str, int]) -> None:
    """The worker's loop: receive ``(function, path, args, kwargs)``, send back ``("ok", result)``, ``("error", exc)``
    for a domain or file error, or ``("failed", (summary, traceback))`` for a parser bug. ``None`` ends it.

    ``prepare``, the worker's usual reader, is only passed so that its modules are imported before "ready"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    _apply_logging_levels(levels)
    from ingest.ocr import PageOcr

    reader = PageOcr() if ocr else False
    conn.send("ready")
    while (job := _receive(conn)) is not None:
        function, path, args, kwargs = job
        try:
            reply: tuple[str, Any] = ("ok", function(path, *args, ocr=reader, **kwargs))
        except (ReportQAError, OSError) as exc:
            reply = ("error", exc)
        except Exception as exc:  # a parser's bug on odd input: this document fails, the worker and ingest go on
            reply = ("failed", (f"{type(exc).__name__}: {exc}"[:300], traceback.format_exc()))
        conn.send(reply)


def _receive(conn: Connection) -> Any:
    try:
        return conn.recv()
    except (EOFError, OSError):  # the ingest process is gone
        return None


def _exit_with_parent() -> None:
    """End the worker when the ingest process dies (kill -9 included) rather than finish a document for nobody."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="reportqa-parser-watchdog", daemon=True).start()


@contextmanager
def _sigint_ignored():
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _logging_levels() -> dict[str, int]:
    """The ingest process's logging levels (root and every named logger that sets one), for the worker to copy:
    a fuzzed PDF's pypdf warnings are as quiet there as here."""
    levels = {"": logging.getLogger().level}
    for name, item in logging.root.manager.loggerDict.items():
        if isinstance(item, logging.Logger) and item.level:
            levels[name] = item.level
    return levels


def _apply_logging_levels(levels: dict[str, int]) -> None:
    logging.basicConfig(level=levels.get("", logging.WARNING), format="%(levelname)s %(name)s: %(message)s")
    for name, level in levels.items():
        if name:
            logging.getLogger(name).setLevel(level)
