"""The vector store: one Chroma collection of chunk vectors, written and read with chromadb directly.

Embedded (``PersistentClient`` in the data directory) by default; ``store.chroma_url`` switches to a Chroma server.
The collection is created without a Chroma embedding function (we always pass vectors, so Chroma never tries to
download its ONNX model) in cosine space, and records which embedder made its vectors.

One storage path: chunks were once written through llama-index's ``ChromaVectorStore`` and read around it. Reading
through it would cost every ``reportqa ask`` the 1.5 s of importing llama-index (half its 3 s start-up budget) for
nothing the query needs, so neither path uses it: a chunk is its text, its vector and the metadata below. Indexes
written the old way hold the same keys (plus llama-index's own, ignored) and stay readable and deletable.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Hashable, Iterable, Sequence
from urllib.parse import urlparse

import numpy as np

from rag.errors import DataDirError, EmbedderMismatchError, EmptyIndexError, StoreUnavailableError
from rag.index.exact import ExactSearch
from rag.index.manifest import Manifest
from rag.models import Chunk
from rag.settings import Settings

logger = logging.getLogger(__name__)

# Chroma reads this at import time; no telemetry leaves the machine even if a caller forgets the client setting.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

# Per embedded database path: how often this process dropped its cached Chroma state, and for which manifest.
_cache_epochs: dict[str, int] = {}
_forgotten_for: dict[str, tuple[str, int]] = {}
_cache_lock = threading.Lock()

_METADATA_KEYS = ("doc_id", "index", "source", "title", "section", "page", "start", "end", "lang")
WRITE_BATCH = 1000  # chunks per request (a server refuses requests over about 32 MB)
# How many candidates the vector search keeps while it walks the HNSW graph. Chroma's default (100) let the same
# question get different neighbours in different processes: the part of the graph not yet saved is rebuilt on
# load, in another order, and a narrow search then takes other paths (6 of 60 questions differed in their top 30 on
# 1,554 chunks). With 1,000 the top 300 were the same in every process on that index; at 100k chunks it costs about
# 3 ms a search.
EF_SEARCH = 1000


def open_client(settings: Settings):
    """A Chroma client for the configured mode.

    Raises:
        StoreUnavailableError: the server cannot be reached.
        DataDirError: the embedded database cannot be created or opened.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    url = settings.store.chroma_url
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        ssl = parsed.scheme == "https"
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # connection refused, DNS, TLS: all one message for the user
            raise StoreUnavailableError(f"Chroma server at {url} is not reachable ({exc}); is it running?") from exc
        return client
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except OSError as exc:
        raise DataDirError(
            f"cannot use data directory {settings.data_dir} ({exc.strerror or exc}); "
            "check it exists and is writable, or point --data-dir / REPORTQA_DATA_DIR elsewhere"
        ) from exc
    except Exception as exc:
        raise DataDirError(
            f"cannot open the Chroma database in {settings.chroma_dir} ({exc}); "
            "run `reportqa ingest --rebuild` to rebuild it"
        ) from exc


def forget_cached_database(settings: Settings, manifest: Manifest) -> None:
    """Make the next embedded client of this data directory read the database from disk, once per manifest that
    another process saved.

    Chroma keeps one in-memory system per database path and process, and its vector index does not see what another
    process (a CLI ingest next to a running chat page) wrote since. Dropping it from Chroma's cache makes the next
    client load the database afresh; stores opened before keep the old system until they are reopened (see
    ``ChunkStore.stale``).
    """
    if settings.store.chroma_url or not manifest.written_elsewhere:
        return
    from chromadb.api.shared_system_client import SharedSystemClient

    path = str(settings.chroma_dir)
    with _cache_lock:
        if _forgotten_for.get(path) == (manifest.writer, manifest.generation):
            return
        _forgotten_for[path] = (manifest.writer, manifest.generation)
        _cache_epochs[path] = _cache_epochs.get(path, 0) + 1
        # Private to chromadb (pinned <2): the per-path cache that PersistentClient(path) looks up.
        SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)


class ChunkStore:
    """One Chroma collection of chunk vectors."""

    def __init__(self, client, collection, url: str | None = None, path: str | None = None, epoch: int = 0) -> None:
        self.client = client
        self.collection = collection
        self.url = url
        self._path = path  # the embedded database's path, None for a server
        self._epoch = epoch
        self._exact = ExactSearch(collection)

    @property
    def stale(self) -> bool:
        """Whether this (embedded) store predates a re-read of the database from disk; reopen it then."""
        return self._path is not None and _cache_epochs.get(self._path, 0) != self._epoch

    @classmethod
    def open(cls, settings: Settings, embedder_name: str, dim: int, create: bool = False) -> ChunkStore:
        """Open (or with ``create``, create) the collection and check it was built by the same embedder.

        Raises:
            EmbedderMismatchError: the collection holds vectors of another model or dimension.
            EmptyIndexError: there is no collection and ``create`` is false.
        """
        if not create and not settings.store.chroma_url and not settings.chroma_dir.is_dir():
            # Opening would create an empty database (and the data directory) just to report that it is empty.
            raise EmptyIndexError(f"no index in {settings.data_dir}; run `reportqa ingest` first")
        path = None if settings.store.chroma_url else str(settings.chroma_dir)
        epoch = _cache_epochs.get(path, 0) if path else 0  # read before opening: a later forget makes this stale
        client = open_client(settings)
        name = settings.store.collection
        try:
            if create:
                collection = client.get_or_create_collection(
                    name,
                    embedding_function=None,
                    metadata={"hnsw:space": "cosine", "embedder": embedder_name, "dim": dim},
                )
            else:
                collection = client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if not create and "does not exist" in str(exc).lower():
                raise EmptyIndexError(
                    f"no index in {settings.store.chroma_url or settings.data_dir}; run `reportqa ingest` first"
                ) from exc
            raise StoreUnavailableError(f"cannot open Chroma collection {name!r}: {exc}") from exc
        check_embedder(collection.metadata or {}, embedder_name, dim)
        if create:
            collection = _with_search_breadth(client, collection)
        return cls(client, collection, settings.store.chroma_url, path=path, epoch=epoch)

    @staticmethod
    def drop(settings: Settings) -> None:
        """Delete the whole collection (``ingest --rebuild``)."""
        client = open_client(settings)
        try:
            client.delete_collection(settings.store.collection)
        except Exception as exc:  # absent already: nothing to drop
            logger.debug("drop collection: %s", exc)

    def add(self, chunks: Sequence[Chunk], embeddings: np.ndarray, context: Sequence[str] | None = None) -> None:
        """Write chunks with their vectors. ``context`` (e.g. the section path) is stored beside each chunk."""
        metadatas = []
        for i, chunk in enumerate(chunks):
            metadata = {key: _to_meta(getattr(chunk, key)) for key in _METADATA_KEYS}
            if context is not None:
                metadata["context"] = context[i]
            metadatas.append(metadata)
        vectors = np.asarray(embeddings, dtype=np.float32)
        if len(vectors) != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        try:
            for i in range(0, len(chunks), WRITE_BATCH):
                batch = slice(i, i + WRITE_BATCH)
                self.collection.upsert(ids=[c.id for c in chunks[batch]], embeddings=vectors[batch],
                                       documents=[c.text for c in chunks[batch]], metadatas=metadatas[batch])
        except Exception as exc:
            raise self._unavailable(exc) from exc

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of one document (safe to repeat)."""
        try:
            self.collection.delete(where={"doc_id": doc_id})
        except Exception as exc:
            raise self._unavailable(exc) from exc

    def query(
        self, embedding: np.ndarray, k: int, doc_ids: Iterable[str] | None = None, langs: Iterable[str] | None = None,
        version: Hashable | None = None,
    ) -> list[tuple[Chunk, float]]:
        """The ``k`` nearest chunks with their cosine similarity, optionally only from some documents or only in
        some languages. With ``version`` (a stamp of the index's contents, the manifest's generation), a collection
        of up to ``EXACT_SEARCH_MAX`` chunks is searched exactly (``rag.index.exact``)."""
        try:
            exact = self._exact.vectors(version) if version is not None else None
        except Exception as exc:
            raise self._unavailable(exc) from exc
        if exact is not None:
            found = exact.nearest(embedding, k, doc_ids, langs)
            chunks = self.get([chunk_id for chunk_id, _ in found])
            return [(chunks[chunk_id], score) for chunk_id, score in found if chunk_id in chunks]
        clauses = []
        if doc_ids is not None:
            clauses.append({"doc_id": {"$in": list(doc_ids)}})
        if langs is not None:
            clauses.append({"lang": {"$in": list(langs)}})
        where = clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else None)
        try:
            result = self.collection.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:
            raise self._unavailable(exc) from exc
        return [
            (node_to_chunk(chunk_id, text or "", metadata or {}), 1.0 - float(distance))
            for chunk_id, text, metadata, distance in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
            )
        ]

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id; ids that are not stored are left out."""
        if not ids:
            return {}
        try:
            result = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        except Exception as exc:
            raise self._unavailable(exc) from exc
        return {
            chunk_id: node_to_chunk(chunk_id, text or "", metadata or {})
            for chunk_id, text, metadata in zip(result["ids"], result["documents"], result["metadatas"])
        }

    def _unavailable(self, exc: Exception) -> StoreUnavailableError:
        # Same words as when the server is down at start-up: where it is, and the likely fix.
        if self.url:
            return StoreUnavailableError(f"Chroma server at {self.url} did not answer ({exc}); is it running?")
        return StoreUnavailableError(f"the vector store did not answer: {exc}")

    def count(self) -> int:
        try:
            return self.collection.count()
        except Exception as exc:
            raise self._unavailable(exc) from exc

    def embedder_info(self) -> tuple[str, int]:
        metadata = self.collection.metadata or {}
        return str(metadata.get("embedder", "?")), int(metadata.get("dim", 0))


def _with_search_breadth(client, collection):
    """The collection with its search breadth (``ef_search``) set to ``EF_SEARCH``: set by the writer (an ingest),
    which also brings an index made before it up to date."""
    hnsw = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
    if hnsw.get("ef_search") == EF_SEARCH:
        return collection
    try:
        collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
    except Exception as exc:  # an index that takes no configuration still answers, only less repeatably
        logger.warning("could not set the vector search breadth of %s (%s)", collection.name, exc)
        return collection
    return client.get_collection(collection.name, embedding_function=None)


def check_embedder(metadata: dict, embedder_name: str, dim: int) -> None:
    """Refuse to mix vectors of two models in one collection."""
    stored_name, stored_dim = metadata.get("embedder"), metadata.get("dim")
    if stored_name and (stored_name != embedder_name or int(stored_dim or 0) != dim):
        raise EmbedderMismatchError(
            f"the index was built with {stored_name} ({stored_dim}-d) but the configured embedder is "
            f"{embedder_name} ({dim}-d); re-ingest with `reportqa ingest --rebuild`, or set "
            f"REPORTQA_EMBEDDER={stored_name} to use the existing index"
        )


def node_to_chunk(chunk_id: str, text: str, metadata: dict) -> Chunk:
    page = metadata.get("page")
    return Chunk(
        id=chunk_id,
        doc_id=str(metadata.get("doc_id", "")),
        index=int(metadata.get("index", 0)),
        source=str(metadata.get("source", "")),
        title=str(metadata.get("title", "")),
        section=str(metadata.get("section", "")),
        page=int(page) if page not in (None, "", 0) else None,
        start=int(metadata.get("start", 0)),
        end=int(metadata.get("end", 0)),
        text=text,
        lang=str(metadata.get("lang", "zh")),
    )


def _to_meta(value):
    # Chroma metadata holds no None; page 0 means "no page".
    return 0 if value is None else value
