"""Exact vector search for a shelf small enough to compare the question with every chunk.

Chroma's HNSW graph is approximate, and on a small index that has had reports deleted and re-added it can leave a
chunk that no search reaches: on the shipped reports' evaluation index one chunk of 299 was never returned, even
when asked for all 299, and which one depends on the order in which a process rebuilt the graph's unsaved part. A
shelf of up to ``EXACT_SEARCH_MAX`` chunks is therefore searched exactly: its vectors are read from the collection
once per version of the index (the manifest's generation) and each question is one matrix product.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

# Up to this many chunks a search compares every chunk: about 7.5 MB of vectors with a 384-d embedder, read from
# Chroma in about 0.2 s per 1,500 chunks on the first question after each change to the index.
EXACT_SEARCH_MAX = 5_000
_READ_BATCH = 5000


@dataclass(frozen=True)
class ExactVectors:
    """Every chunk's id, unit vector, document and language, as one version of the collection holds them."""

    ids: list[str]
    vectors: np.ndarray  # (n, dim) float32, rows of unit length
    doc_ids: np.ndarray  # (n,) object
    langs: np.ndarray  # (n,) object

    def nearest(self, query: np.ndarray, k: int, doc_ids: Iterable[str] | None = None,
                langs: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` chunk ids most similar to ``query`` (cosine), best first, ties by id; only from ``doc_ids``
        and in ``langs`` when given."""
        if not self.ids or k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        scores = self.vectors @ q
        allowed = np.ones(len(self.ids), dtype=bool)
        if doc_ids is not None:
            allowed &= np.isin(self.doc_ids, list(doc_ids))
        if langs is not None:
            allowed &= np.isin(self.langs, list(langs))
        candidates = np.flatnonzero(allowed)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], self.ids[i]))
        return [(self.ids[i], float(scores[i])) for i in ranked]


def read_vectors(collection) -> ExactVectors:
    """Every vector of a Chroma collection with the metadata a search filters on."""
    ids: list[str] = []
    parts: list[np.ndarray] = []
    doc_ids: list[str] = []
    langs: list[str] = []
    offset = 0
    while True:
        batch = collection.get(include=["embeddings", "metadatas"], limit=_READ_BATCH, offset=offset)
        if not batch["ids"]:
            break
        ids += batch["ids"]
        parts.append(np.asarray(batch["embeddings"], dtype=np.float32))
        for metadata in batch["metadatas"]:
            doc_ids.append(str((metadata or {}).get("doc_id", "")))
            langs.append(str((metadata or {}).get("lang", "")))
        offset += len(batch["ids"])
    vectors = np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    if len(vectors):
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return ExactVectors(ids, vectors, np.asarray(doc_ids, dtype=object), np.asarray(langs, dtype=object))


class ExactSearch:
    """The vectors of one collection for exact search, read again when the version asked for changes; None for a
    collection over ``EXACT_SEARCH_MAX`` chunks (searched through its HNSW graph instead)."""

    def __init__(self, collection) -> None:
        self.collection = collection
        self._version: Hashable | None = None
        self._vectors: ExactVectors | None = None
        self._lock = threading.Lock()

    def vectors(self, version: Hashable) -> ExactVectors | None:
        with self._lock:
            if self._version != version:
                small = self.collection.count() <= EXACT_SEARCH_MAX
                self._vectors = read_vectors(self.collection) if small else None
                self._version = version
            return self._vectors
