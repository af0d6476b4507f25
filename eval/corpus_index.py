"""The index an evaluation runs over: a corpus folder's cached data directory (``.reportqa-eval/<name>-<hash>``), the
settings that point at it, and bringing it in line with the folder before a run.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from eval.progress import Tracker
from rag.embedders import Embedder
from rag.errors import EmptyIndexError, ReportQAError
from rag.settings import Settings

logger = logging.getLogger(__name__)

# Where ``--corpus DIR`` keeps DIR's index (under the working directory) when no data directory is given.
EVAL_DATA_ROOT = Path(".reportqa-eval")


def corpus_data_dir(corpus: Path | str, root: Path | None = None) -> Path:
    """The cached data directory of an evaluation corpus: ``.reportqa-eval/<folder name>-<8 hex>`` under ``root``
    (default: the working directory), the hex being the start of the sha256 of the folder's resolved path.

    One folder always maps to the same directory, so a second run only brings the index up to date; two folders of
    the same name get different ones.
    """
    resolved = Path(corpus).expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    return (root or Path.cwd()) / EVAL_DATA_ROOT / f"{resolved.name}-{digest}"


def corpus_overrides(corpus: Path | str | None, data_dir: Path | None = None) -> dict[str, Path]:
    """Settings overrides for evaluating over ``corpus``: ``corpus_dir`` and ``data_dir`` (the given one, else
    ``corpus_data_dir(corpus)``); empty without a corpus.

    The data directory is not taken from ``REPORTQA_DATA_DIR`` here: ingesting another folder into the shipped
    reports' index would remove their chunks.

    Raises:
        ReportQAError: ``corpus`` is not a folder.
    """
    if corpus is None:
        return {}
    corpus = Path(corpus).expanduser()
    if not corpus.is_dir():
        raise ReportQAError(f"no corpus folder at {corpus}")
    return {"corpus_dir": corpus, "data_dir": data_dir or corpus_data_dir(corpus)}


def prepare_index(settings: Settings, embedder: Embedder, tracker: Tracker | None = None) -> dict[str, Any] | None:
    """Bring the index in line with ``settings.corpus_dir`` (cheap when nothing changed); return the ingest summary.

    Without a corpus folder the index is evaluated as it is.

    Raises:
        EmptyIndexError: there is neither a corpus folder nor anything in the index.
    """
    from ingest.pipeline import run_ingest
    from rag.index.manifest import Manifest

    if settings.corpus_dir.is_dir():
        result = run_ingest(settings, embedder=embedder, progress=tracker.ingest if tracker else None)
        for failure in result.failed:
            logger.warning("not ingested: %s: %s", failure.path, failure.reason)
        summary = result.to_dict()
        return {k: summary[k] for k in ("added", "updated", "removed", "failed", "chunks_written", "seconds")}
    if not Manifest.load(settings.manifest_path).complete() and not settings.store.chroma_url:
        raise EmptyIndexError(
            f"the index in {settings.data_dir} is empty and there is no corpus folder at {settings.corpus_dir}"
        )
    return None
