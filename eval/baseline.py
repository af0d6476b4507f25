"""The 20-line LlamaIndex baseline that ``--compare baseline-llamaindex`` measures the product against.

It is what a LlamaIndex quick start gives over the same reports with the same embedding model: ``SimpleDirectoryReader``
over the corpus folder, the default ``SentenceSplitter`` (1024 tokens, 200 overlap), and a ``VectorStoreIndex`` over
a Chroma collection, retrieving the top 10 by vector similarity. Nothing is tuned for the reports: its chunking is
what it is. It has no answerer, so only retrieval metrics are reported for it.

Only the embedding model is ours (``rag.embedders.make_embedder``), wrapped as a llama-index ``BaseEmbedding`` so
both sides embed with the same model and the same query/passage prefixes. No LLM is built, and llama-index's global
``Settings`` are never consulted for a model (its defaults reach for OpenAI).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import PrivateAttr

from rag.embedders import Embedder


class LlamaIndexEmbedding(BaseEmbedding):
    """Our embedder as a llama-index embedding model: queries and passages keep their own E5 prefixes."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "ReportQAEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embedder.embed_query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embedder.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embedder.embed_passages(texts).tolist()


def build_baseline_index(corpus_dir: Path, embedder: Embedder, chroma_dir: Path):
    """The baseline: read, split with the defaults, embed and index in Chroma. Returns the ``VectorStoreIndex``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    documents = SimpleDirectoryReader(str(corpus_dir), recursive=True).load_data()
    client = chromadb.PersistentClient(path=str(chroma_dir), settings=ChromaSettings(anonymized_telemetry=False))
    # No Chroma embedding function: llama-index always passes vectors (and Chroma must not fetch its ONNX model).
    collection = client.get_or_create_collection("baseline", embedding_function=None)
    storage_context = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    return VectorStoreIndex.from_documents(
        documents,
        storage_context=storage_context,
        embed_model=LlamaIndexEmbedding(embedder),
        transformations=[SentenceSplitter()],  # the default splitter, named so the global Settings are not read
    )


class LlamaIndexBaseline:
    """The baseline index, answering questions with ranked passages in the ``reportqa ask --json`` record shape."""

    def __init__(self, index, top_k: int = 10) -> None:
        self.index = index
        self.retriever = index.as_retriever(similarity_top_k=top_k)

    @classmethod
    def build(cls, corpus_dir: Path, embedder: Embedder, chroma_dir: Path, top_k: int = 10) -> LlamaIndexBaseline:
        return cls(build_baseline_index(corpus_dir, embedder, chroma_dir), top_k=top_k)

    def chunk_texts(self) -> list[str]:
        """The text of every chunk in the baseline's collection."""
        collection = self.index.vector_store.client  # ChromaVectorStore.client is the Chroma collection
        return [text or "" for text in collection.get(include=["documents"])["documents"]]

    def ask(self, question: str) -> dict[str, Any]:
        """Retrieve for one question; a record like ``Answer.to_record()`` with passages and no answer."""
        started = time.perf_counter()
        hits = self.retriever.retrieve(question)
        latency_ms = (time.perf_counter() - started) * 1000.0
        passages = []
        for rank, hit in enumerate(hits, start=1):
            metadata = hit.node.metadata or {}
            passages.append(
                {
                    "rank": rank,
                    "score": round(float(hit.score or 0.0), 6),
                    "source": _display_path(metadata.get("file_path", "")),
                    "title": metadata.get("file_name", ""),
                    "section": "",
                    "page": None,
                    "start": getattr(hit.node, "start_char_idx", None),
                    "end": getattr(hit.node, "end_char_idx", None),
                    "text": hit.node.get_content(),
                }
            )
        return {
            "question": question,
            "answer": "",
            "refused": False,
            "mode": "retrieval",
            "citations": [],
            "passages": passages,
            "notices": ["retrieval only: the LlamaIndex baseline has no answerer"],
            "latency_ms": round(latency_ms, 1),
        }


def _display_path(path: str) -> str:
    if not path:
        return ""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
