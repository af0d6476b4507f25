"""What is in the index, for ``reportqa status`` and the documents panel."""

from __future__ import annotations

from typing import Any

from rag.answer.abstain import Abstainer
from rag.errors import ReportQAError
from rag.index.manifest import Manifest
from rag.settings import Settings


def index_status(settings: Settings) -> dict[str, Any]:
    """Documents, embedder, chunk count and storage location. Never prints secrets.

    The chunk count comes from the store itself, so a mismatch with the manifest shows up as a problem.
    """
    from rag.index.store import ChunkStore

    problems: list[str] = []
    if settings.store.chroma_url:
        problems.extend(_server_problems(settings))
    manifest = Manifest.load(settings.manifest_path)
    documents = [
        {
            "title": r.title,
            "source": r.source,
            "lang": r.lang,
            "kind": r.kind,
            "chunks": r.n_chunks,
            "content_hash": r.content_hash,
            "ingested_at": r.ingested_at,
            "doc_id": r.doc_id,
        }
        for r in sorted(manifest.complete(), key=lambda r: r.source)
    ]
    stored_chunks = None
    if manifest.embedder:
        try:
            store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
            stored_chunks = store.count()
        except ReportQAError as exc:
            problems.append(str(exc))
    expected = sum(d["chunks"] for d in documents)
    if stored_chunks is not None and stored_chunks != expected:
        problems.append(f"the store holds {stored_chunks} chunks but the manifest lists {expected}; run `reportqa ingest`")
    if not manifest.documents:
        problems.append(f"no reports have been ingested into {settings.data_dir} yet; run `reportqa ingest`")
    pending = [r.source for r in manifest.documents.values() if r.status == "pending"]
    if pending:
        problems.append(f"an interrupted ingest left {len(pending)} document(s) unfinished; run `reportqa ingest`")
    abstainer = Abstainer.load(manifest.embedder or settings.store.embedder, settings.answer.refusal_threshold)
    if abstainer.model is None:
        problems.append(abstainer.reason)
    return {
        "data_dir": str(settings.data_dir.resolve()),
        "abstainer": abstainer.method,
        "store": settings.store.chroma_url or str(settings.chroma_dir.resolve()),
        "collection": settings.store.collection,
        "embedder": manifest.embedder or settings.store.embedder,
        "dim": manifest.dim,
        "generation": manifest.generation,
        "chunks": stored_chunks if stored_chunks is not None else expected,
        "documents": documents,
        "problems": problems,
    }


def _server_problems(settings: Settings) -> list[str]:
    """Bring this data directory's copy of the server's index up to date (``rag.index.mirror``), so the status
    describes what the server holds; the problems found on the way."""
    from rag.index.mirror import Mirror

    try:
        mirror = Mirror(settings)
        mirror.sync(verify=True)
    except ReportQAError as exc:
        return [str(exc)]
    if mirror.server is None:
        return [f"the server {settings.store.chroma_url} holds no shared index (documents collection) yet; "
                "run `reportqa ingest`"]
    return []
