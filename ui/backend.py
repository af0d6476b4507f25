"""What the page needs from the index: the engine (opened when there is an index), ingests and removals, and
the state of the running ingest. No Gradio here: the handlers call this."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import EmptyIndexError, ReportQAError
from rag.index.files import printable
from rag.settings import Settings
from ui.uploads import delete_upload, uploads_dir

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """The ingest that is running (or ran last), for the banner and the terminal."""

    kind: str = ""
    label: str = ""
    done: int = 0
    total: int = 0
    running: bool = False
    outcome: str = ""
    failed: bool = False


class Backend:
    """What the page needs from the index: the engine (opened when there is an index), ingests and removals.

    Ingests run one at a time (``_write_lock``; the data directory's file lock also keeps out a CLI ingest) with
    their own embedder instance, so questions never wait behind a batch of passages being embedded.
    """

    def __init__(self, settings: Settings, engine_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._engine_factory = engine_factory
        self._engine = None
        self._engine_error: str = ""
        self._engine_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._ingest_embedder = None
        self._question_embedder = None
        self.job = Job()

    # engine ------------------------------------------------------------------------------------------------

    def engine(self):
        """The engine, opened on first use.

        Raises:
            EmptyIndexError: nothing has been ingested yet.
            ReportQAError: the index cannot be opened (another embedder, an unreadable store).
        """
        with self._engine_lock:
            if self._engine is None:
                if self._engine_factory is not None:
                    self._engine = self._engine_factory()
                else:
                    from rag.engine import Engine

                    self._engine = Engine.from_settings(self.settings, embedder=self._query_embedder())
                self._engine_error = ""
            return self._engine

    def try_engine(self):
        """The engine, or ``None`` (with ``engine_problem`` set) when there is no usable index yet."""
        try:
            return self.engine()
        except EmptyIndexError:
            self._engine_error = ""
            return None
        except ReportQAError as exc:
            self._engine_error = str(exc)
            return None

    @property
    def engine_problem(self) -> str:
        return self._engine_error

    def refresh(self) -> None:
        """After a write: let the engine pick up the new index (or open it, if this was the first ingest)."""
        engine = self._engine
        if engine is not None:
            engine.refresh()
        else:
            self.try_engine()

    def documents(self) -> list[Any]:
        """The complete documents in the index, by title."""
        engine = self._engine
        if engine is not None:
            return engine.documents()
        from rag.index.manifest import Manifest

        return sorted(Manifest.load(self.settings.manifest_path).complete(), key=lambda r: r.title)

    def ingest_roots(self) -> list[Path]:
        """What "re-ingest" covers: the corpus folder and the uploaded reports."""
        roots = [self.settings.corpus_dir]
        if uploads_dir(self.settings).is_dir():
            roots.append(uploads_dir(self.settings))
        return roots

    # writes ------------------------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path] | None, kind: str, progress: Callable[[int, int, str], None] | None = None,
               parser: Any = None):
        """Run one ingest (waiting for any other), keeping ``job`` up to date; returns the ``IngestReport``.
        ``parser``: a running parser worker to read with (the upload queue's), instead of starting one."""
        from ingest.pipeline import run_ingest

        with self._write_lock:
            self.job = Job(kind=kind, label="starting", running=True)
            try:
                embedder = self._embedder_for_ingest()

                def update(done: int, total: int, label: str) -> None:
                    self.job.done, self.job.total, self.job.label = done, total, label
                    if progress is not None:
                        progress(done, total, label)

                report = run_ingest(self.settings, list(paths) if paths else self.ingest_roots(), progress=update,
                                    embedder=embedder, parser=parser)
            except ReportQAError as exc:
                self.job.running, self.job.failed, self.job.outcome = False, True, str(exc)
                raise
            except Exception as exc:
                self.job.running, self.job.failed, self.job.outcome = False, True, f"ingest failed: {exc}"
                raise
            self.job.running = False
            self.job.failed = not report.ok
            self.job.outcome = (
                f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
                f"failed {len(report.failed)} ({report.seconds:.1f} s)"
            ) + "".join(f"; {Path(f.path).name}: {f.reason}" for f in report.failed[:3])
            self.refresh()
            return report

    def remove(self, doc_ids: Sequence[str]) -> list[tuple[str, bool]]:
        """Take documents out of the index; an uploaded report's file is deleted too (else a re-ingest would bring
        it back). Returns (source, file deleted) pairs."""
        from ingest.pipeline import remove_documents

        with self._write_lock:
            records = {r.doc_id: r for r in self.documents()}
            wanted = [d for d in dict.fromkeys(doc_ids) if d in records]
            removed = set(remove_documents(self.settings, wanted)) if wanted else set()
            out = []
            for doc_id in wanted:
                record = records[doc_id]
                if record.source in removed:
                    out.append((record.source, delete_upload(record.path, self.settings)))
            self.refresh()
            return out

    def resolve(self, names: Sequence[str]) -> list[str]:
        """Document ids for titles, paths, file names or ids (see ``Engine.resolve_documents``)."""
        engine = self.engine()
        return engine.resolve_documents([n for n in names if n and n.strip()])

    @staticmethod
    def _warm_up(engine) -> None:
        # The first question would otherwise pay for loading the tokenizer dictionaries and the first query embedding.
        from rag.text.specificity import warm

        try:
            engine.retrieve("报告 report", k=1)
            warm()
        except ReportQAError as exc:
            logger.info("warm-up skipped: %s", exc)

    def _query_embedder(self):
        # Kept across failed opens (no index yet), so each attempt does not load the model again.
        if self._question_embedder is None:
            from rag.embedders import make_embedder

            self._question_embedder = make_embedder(self.settings)
        return self._question_embedder

    def _embedder_for_ingest(self):
        if self._ingest_embedder is None:
            self._ingest_embedder = _SecondEmbedder(self.settings, self._query_embedder())
        return self._ingest_embedder

    def startup(self, progress: Callable[[int, int, str], None] | None = None) -> None:
        """Open the index if there is one, then bring it in line with the corpus folder and the uploads (cheap
        when nothing changed). Runs in a background thread while the page is already served."""
        self.job = Job(kind="startup", label="opening the index", running=True)
        engine = self.try_engine()
        if engine is not None:
            self._warm_up(engine)
        try:
            self.ingest(None, "startup", progress)
        except ReportQAError as exc:
            logger.error("startup ingest: %s", printable(exc))


class _SecondEmbedder:
    """The configured embedder for ingests: a model instance of its own (loaded on the first batch), so embedding
    passages never holds the lock that questions' query embeddings wait on. An ingest that finds nothing changed
    only needs the name and dimension, and loads nothing."""

    def __init__(self, settings: Settings, like: Any) -> None:
        self.name, self.dim = like.name, like.dim
        self._settings = settings
        self._model = None
        self._lock = threading.Lock()

    def _loaded(self):
        with self._lock:
            if self._model is None:
                from rag.embedders import make_embedder

                self._model = make_embedder(self._settings)
            return self._model

    def embed_passages(self, texts):
        return self._loaded().embed_passages(texts)

    def embed_query(self, text):
        return self._loaded().embed_query(text)

