"""Hybrid retrieval: dense vectors from Chroma plus BM25 over jieba tokens, fused by reciprocal rank.

Optionally reranked by a sentence-transformers ``CrossEncoder`` when one is configured.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from rag.embedders import Embedder
from rag.index.lexical import LexicalIndex
from rag.index.store import ChunkStore
from rag.models import Chunk, Passage
from rag.question import analyse
from rag.settings import RetrievalSettings
from rag.text.primitives import tokenize

logger = logging.getLogger(__name__)

# A shelf this much in the question's other language searches it without Chroma's language filter (see
# ``_other_language_dense``), asking for this many times the chunks the language's share calls for.
WIDE_SEARCH_SHARE = 0.5
WIDE_SEARCH_MARGIN = 2.0
DENSE_LEADERS = 2  # the nearest chunks by meaning that always reach the passages the evidence is drawn from



@dataclass
class Retrieval:
    """Ranked passages plus what the answerer needs to score sentences without embedding the question again."""

    passages: list[Passage]
    query_vector: np.ndarray
    query_tokens: list[str]  # the question's tokens followed by their translations
    timings: dict[str, float]
    translated: list[str] = field(default_factory=list)  # the reports' words in the other language


class HybridRetriever:
    """Dense + BM25 retrieval over one index."""

    def __init__(
        self,
        store: ChunkStore,
        lexical: LexicalIndex | None,
        embedder: Embedder,
        settings: RetrievalSettings,
        reranker=None,
        chunks_by_language: Mapping[str, int] | None = None,
        version: Hashable | None = None,
    ) -> None:
        # The languages of the shelf's documents ("zh", "zh-Hant", "en") and how many chunks each has.
        self.chunks_by_language = dict(chunks_by_language or {})
        self.languages = frozenset(self.chunks_by_language)
        self.store = store
        self.lexical = lexical
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker
        self.version = version  # the index's version (manifest generation): a small shelf is searched exactly

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        doc_ids: Iterable[str] | None = None,
        fusion: str | None = None,
        chinese: bool | None = None,
    ) -> Retrieval:
        """The ``k`` best passages for ``query`` (default ``settings.passages``), best first. ``chinese`` is the
        question's language when the caller has analysed it (see ``rag.question``)."""
        k = k or self.settings.passages
        fusion = fusion or self.settings.fusion
        doc_ids = list(doc_ids) if doc_ids is not None else None
        timings: dict[str, float] = {}
        n = max(self.settings.candidates, k)

        started = time.perf_counter()
        query_vector = self.embedder.embed_query(query)
        timings["embed_ms"] = _ms(started)

        dense: list[tuple[Chunk, float]] = []
        if fusion in ("rrf", "dense"):
            started = time.perf_counter()
            dense = self.store.query(query_vector, n, doc_ids, version=self.version)
            timings["dense_ms"] = _ms(started)
        chinese = analyse(query).lang == "zh" if chinese is None else chinese
        other_dense = self._other_language_dense(query_vector, n, doc_ids, chinese) if fusion == "rrf" else []

        started = time.perf_counter()
        query_tokens = tokenize(query)
        # How much of the question itself the reports' vocabulary holds (before translation): an English question
        # none of whose words occur in the reports is almost always off topic.
        vocabulary = self.lexical.coverage(query_tokens) if self.lexical is not None else 0.0
        timings["vocabulary_coverage"] = round(vocabulary, 3)
        if self.lexical is not None:
            # Known words inside the question's unknown ones search too; they do not make it less off topic.
            query_tokens = self.lexical.with_known_pieces(query_tokens)
        translated = []
        if self.lexical is not None:
            # Words in the other language of the reports: Chinese ones for an English question, English ones for a
            # Chinese question (nothing when the shelf holds no text in that language).
            translated = [t for t in self.lexical.translations(query, query_tokens, chinese) if t not in query_tokens]
            query_tokens += translated
        lexical: list[tuple[str, float]] = []
        other: list[tuple[str, float]] = []
        if fusion in ("rrf", "bm25") and self.lexical is not None:
            lexical = self.lexical.search(query_tokens, n, doc_ids)
            if translated:
                # On a shelf in both languages the question's own words find the reports in its language first; the
                # translations alone rank the reports in the other one.
                other = self.lexical.search(translated, n, doc_ids)
        timings["bm25_ms"] = _ms(started)

        started = time.perf_counter()
        # Keyword evidence counts for as much of the question as the corpus vocabulary covers (cross-lingual
        # questions share few tokens with the reports; their BM25 hits are mostly noise).
        coverage = self.lexical.coverage(query_tokens) if translated else vocabulary
        timings["bm25_coverage"] = round(coverage, 3)
        # The translations' own ranking matters as much as the question's words find reports in its language: on
        # a shelf without such reports the combined ranking above is already the translations' ranking.
        passages = self._fuse([(dense, self.settings.dense_weight),
                               (other_dense, self.settings.other_language_weight)],
                              [(lexical, self.settings.bm25_weight * coverage),
                               (other, self.settings.translated_weight * vocabulary)], fusion)
        if fusion == "rrf":
            own = [(chunk, score) for chunk, score in dense if chunk.lang.startswith("zh") == chinese]
            passages = _with_leaders(passages, own, k)
        if self.reranker is not None and passages:
            passages = self.reranker.rerank(query, passages)
        timings["fuse_ms"] = _ms(started)
        return Retrieval(passages[:k], query_vector, query_tokens, timings, translated)

    def _other_language_dense(
        self, query_vector: np.ndarray, n: int, doc_ids: list[str] | None, chinese: bool
    ) -> list[tuple[Chunk, float]]:
        """The nearest chunks in the shelf's other language: multilingual vectors still rank a question's own
        language first, so on a shelf in both languages the reports in the other one get a ranking of their own."""
        other = {lang for lang in self.languages if lang.startswith("zh") != chinese}
        if not other or other == self.languages or not self.settings.other_language_weight:
            return []
        total = sum(self.chunks_by_language.values())
        share = sum(self.chunks_by_language.get(lang, 0) for lang in other) / total if total else 0.0
        if doc_ids is None and share >= WIDE_SEARCH_SHARE:
            # Most of the shelf is in the other language: Chroma's language filter would list nearly every chunk
            # (325 ms at 100k chunks), while the plain search's nearest, kept to that language, are the same chunks.
            wide = self.store.query(query_vector, math.ceil(WIDE_SEARCH_MARGIN * n / share), version=self.version)
            found = [(chunk, score) for chunk, score in wide if chunk.lang in other][:n]
            if len(found) == n:
                return found
        return self.store.query(query_vector, n, doc_ids, other, version=self.version)

    def _fuse(
        self,
        dense_lists: list[tuple[list[tuple[Chunk, float]], float]],
        keyword_lists: list[tuple[list[tuple[str, float]], float]],
        fusion: str,
    ) -> list[Passage]:
        rrf_k = self.settings.rrf_k
        chunks: dict[str, Chunk] = {}
        scores: dict[str, float] = {}
        dense_scores: dict[str, float] = {}
        bm25_scores: dict[str, float] = {}
        for dense, dense_weight in dense_lists:
            for rank, (chunk, similarity) in enumerate(dense):
                chunks[chunk.id] = chunk
                dense_scores[chunk.id] = similarity
                scores[chunk.id] = scores.get(chunk.id, 0.0) + (
                    dense_weight / (rrf_k + rank + 1) if fusion == "rrf" else similarity
                )
        for lexical, bm25_weight in keyword_lists:
            for rank, (chunk_id, score) in enumerate(lexical):
                bm25_scores[chunk_id] = max(score, bm25_scores.get(chunk_id, 0.0))
                scores[chunk_id] = scores.get(chunk_id, 0.0) + (
                    bm25_weight / (rrf_k + rank + 1) if fusion == "rrf" else score
                )
        missing = [chunk_id for chunk_id in scores if chunk_id not in chunks]
        if missing:
            # BM25 hits the dense search did not return; a stale lexical id that is gone from the store is dropped.
            chunks.update(self.store.get(missing))
        ranked = sorted((cid for cid in scores if cid in chunks), key=lambda cid: -scores[cid])
        return [
            Passage(
                rank=i + 1,
                score=scores[cid],
                chunk=chunks[cid],
                dense_score=dense_scores.get(cid),
                bm25_score=bm25_scores.get(cid),
            )
            for i, cid in enumerate(ranked)
        ]


def _with_leaders(passages: list[Passage], dense: list[tuple[Chunk, float]], k: int) -> list[Passage]:
    """``passages`` with the ``DENSE_LEADERS`` nearest chunks by meaning inside the first ``k``. Keyword search
    weighs more in the fusion, so a chunk that only the dense search finds, even first, ranked below every keyword
    hit ("美國南北戰爭於何時正式結束" over "南軍全數投降，戰事宣告結束") and never reached the evidence; inside the pool,
    the evidence scoring judges it like any other. The caller passes chunks in the question's language only: the
    nearest chunk in the other language is as often a near miss that makes an off-topic question look answerable."""
    leaders = {chunk.id for chunk, _ in dense[:DENSE_LEADERS]}
    late = [p for p in passages[k:] if p.chunk.id in leaders]
    if not late:
        return passages
    head = passages[: max(0, k - len(late))]
    moved = {p.chunk.id for p in late}
    rest = [p for p in passages[len(head):] if p.chunk.id not in moved]
    return [p.model_copy(update={"rank": i + 1}) for i, p in enumerate([*head, *late, *rest])]


class CrossEncoderReranker:
    """Reorders the fused candidates with a sentence-transformers ``CrossEncoder`` (e.g. a bge-reranker)."""

    def __init__(self, model_name_or_path: str, top_n: int = 30) -> None:
        from sentence_transformers import CrossEncoder

        self.name = model_name_or_path
        self.model = CrossEncoder(model_name_or_path, device="cpu")
        self.top_n = top_n
        self._lock = threading.Lock()

    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]:
        head, tail = passages[: self.top_n], passages[self.top_n :]
        with self._lock:
            scores = self.model.predict([(query, p.chunk.text) for p in head], convert_to_numpy=True)
        order = np.argsort(-np.asarray(scores), kind="stable")
        reranked = [head[i].model_copy(update={"score": float(scores[i])}) for i in order] + tail
        return [p.model_copy(update={"rank": i + 1}) for i, p in enumerate(reranked)]


def make_reranker(settings: RetrievalSettings) -> CrossEncoderReranker | None:
    """The configured cross-encoder, or None. A model that cannot be loaded is logged and skipped."""
    if not settings.reranker:
        return None
    try:
        return CrossEncoderReranker(settings.reranker)
    except Exception as exc:  # a missing model must not take the engine down; the default works without one
        logger.warning("reranker %s unavailable, continuing without it: %s", settings.reranker, exc)
        return None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
