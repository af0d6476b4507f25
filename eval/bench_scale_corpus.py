"""The synthetic corpus of ``eval.bench_scale``: real report sentences recombined into chunks, with vectors made
from the sentences' real vectors, written into an index as ingest writes one (see that module's docstring).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rag.settings import Settings

POOL_SIZE = 400
CHUNKS_PER_DOC = 50
ADD_BATCH = 5000
SENTENCES_PER_CHUNK = (2, 6)
SECTIONS = ("一、市场概况", "二、竞争格局", "三、技术趋势", "四、典型案例", "五、挑战与建议", "六、展望")


# -- the synthetic corpus ------------------------------------------------------------------------------------------


def sentence_pool(corpus_dir: Path, size: int, rng: np.random.Generator) -> list[str]:
    """``size`` distinct sentences of the real reports, 12 to 160 characters, no table rows or headings."""
    from ingest.loaders import SUPPORTED_EXTENSIONS, load_document
    from rag.text.primitives import sentence_spans

    sentences: set[str] = set()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS):
        text = load_document(path).text
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if 12 <= len(sentence) <= 160 and not sentence.startswith(("|", "#", "-", "*")) and "\t" not in sentence:
                sentences.add(sentence)
    ordered = sorted(sentences)
    if len(ordered) < size:
        return ordered
    return [ordered[i] for i in sorted(rng.choice(len(ordered), size=size, replace=False))]


class Pool:
    """The embedded sentence pool: texts, unit vectors and lexical tokens, each computed once."""

    def __init__(self, sentences: list[str], embedder, cache: Path | None = None, batch_size: int = 32) -> None:
        from rag.text.primitives import tokenize

        self.sentences = sentences
        started = time.perf_counter()
        key = hashlib.sha256("\n".join([embedder.name, *sentences]).encode("utf-8")).hexdigest()[:16]
        cached = cache / f"bench_scale_pool-{key}.npy" if cache else None
        if cached and cached.exists():
            self.vectors = np.load(cached)
        else:
            batches = range(0, len(sentences), batch_size)
            parts = [embedder.embed_passages(sentences[i : i + batch_size]) for i in batches]
            self.vectors = np.vstack(parts).astype(np.float32)
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, self.vectors)
        self.embed_seconds = time.perf_counter() - started
        # Sentences end at punctuation, so the tokens of a chunk are the tokens of its sentences in order.
        self.tokens = [tokenize(s) for s in sentences]
        self.section_tokens = {s: tokenize(s) for s in SECTIONS}


@dataclass
class SyntheticDocument:
    """One synthetic report as ingest would leave it: its chunks with vectors, document file, sentence rows."""

    record: Any  # rag.index.manifest.DocumentRecord
    chunks: list  # (Chunk, unit vector, section) per chunk
    sidecar: dict[str, Any]
    sentence_rows: list[int]  # the pool sentence of each sentence unit, in order


def synthetic_document(pool: Pool, rng: np.random.Generator, d: int, count: int, now: str) -> SyntheticDocument:
    """Document ``d``: ``count`` chunks of 2 to 6 pool sentences each, sections in order."""
    from rag.index.manifest import DocumentRecord, chunk_id
    from rag.models import Chunk

    doc_id, title = f"synth{d:011d}", f"合成行业报告 {d:05d}"
    text_parts: list[str] = []
    spans: list[tuple[int, int, str, list[int]]] = []
    sentence_spans: list[list[int]] = []
    sentence_rows: list[int] = []
    position = 0
    for c in range(count):
        picks = [int(i) for i in rng.choice(len(pool.sentences),
                                              size=int(rng.integers(*SENTENCES_PER_CHUNK, endpoint=True)))]
        section = SECTIONS[(c * len(SECTIONS)) // count]
        start = position
        for i in picks:
            sentence = pool.sentences[i]
            sentence_spans.append([position, position + len(sentence)])
            sentence_rows.append(i)
            text_parts.append(sentence)
            position += len(sentence)
        spans.append((start, position, section, picks))
        text_parts.append("\n")
        position += 1
    text = "".join(text_parts)
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    source = f"synthetic/{doc_id}.txt"
    chunks, sidecar_chunks = [], []
    for index, (start, end, section, picks) in enumerate(spans):
        chunk = Chunk(id=chunk_id(doc_id, index), doc_id=doc_id, index=index, source=source,
                      title=title, section=section, start=start, end=end, text=text[start:end], lang="zh")
        vector = pool.vectors[picks].mean(axis=0)
        chunks.append((chunk, vector / (np.linalg.norm(vector) or 1.0), section))
        tokens = pool.section_tokens[section] + [t for i in picks for t in pool.tokens[i]]
        sidecar_chunks.append({"id": chunk.id, "start": start, "end": end, "section": section, "page": None,
                               "tokens": " ".join(tokens)})
    sidecar = {"doc_id": doc_id, "source": source, "title": title, "content_hash": content_hash, "text": text,
               "pages": [], "chunks": sidecar_chunks, "sentences": sentence_spans}
    record = DocumentRecord(
        doc_id=doc_id, path=f"/synthetic/{doc_id}.txt", source=source, title=title, lang="zh", kind="text",
        content_hash=content_hash, config_hash="synthetic", n_chunks=count, chars=len(text), ingested_at=now,
    )
    return SyntheticDocument(record, chunks, sidecar, sentence_rows)


def write_synthetic_index(settings: Settings, embedder, pool: Pool, n_chunks: int, seed: int) -> dict[str, Any]:
    """Write ``n_chunks`` synthetic chunks as ingest would: sidecars, sentence vectors, Chroma, manifest, BM25; with
    ``store.chroma_url`` also each report's file and sentence vectors, records and stamp on the server.

    Chunks are written ``ADD_BATCH`` at a time and each report's files as soon as it is made, so the process holds
    one batch of chunks and the manifest, never the whole corpus."""
    from rag.index.docfiles import write_sentence_vectors, write_sidecar
    from rag.index.lexical import build_lexical_index
    from rag.index.manifest import Manifest
    from rag.index.store import ChunkStore

    rng = np.random.default_rng(seed)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = ChunkStore.open(settings, embedder.name, embedder.dim, create=True)
    sink = None
    if settings.store.chroma_url:
        from eval.bench_scale_server import ServerSink

        sink = ServerSink(settings)
    manifest = Manifest(embedder=embedder.name, dim=embedder.dim)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    timings = {"synthesize_s": 0.0, "store_add_s": 0.0, "store_add_batches_s": []}
    pending: list = []

    def flush() -> None:
        started = time.perf_counter()
        store.add([c for c, _, _ in pending], np.vstack([v for _, v, _ in pending]), context=[s for _, _, s in pending])
        elapsed = time.perf_counter() - started
        timings["store_add_s"] += elapsed
        timings["store_add_batches_s"].append(round(elapsed, 3))
        pending.clear()

    total_chars = 0
    for d in range(math.ceil(n_chunks / CHUNKS_PER_DOC)):
        started = time.perf_counter()
        doc = synthetic_document(pool, rng, d, min(CHUNKS_PER_DOC, n_chunks - d * CHUNKS_PER_DOC), now)
        doc_id = doc.record.doc_id
        total_chars += doc.record.chars
        pending.extend(doc.chunks)
        write_sidecar(settings.docs_dir, doc_id, doc.sidecar)
        write_sentence_vectors(settings.docs_dir, doc_id, pool.vectors[doc.sentence_rows])
        manifest.documents[doc_id] = doc.record
        manifest.generation += 1
        timings["synthesize_s"] += time.perf_counter() - started
        if sink is not None:
            sink.write(doc_id, doc.sidecar, pool.vectors[doc.sentence_rows])
        if len(pending) >= ADD_BATCH:
            flush()
    if pending:
        flush()
    if sink is not None:
        sink.commit(manifest)
        first = synthetic_document(pool, np.random.default_rng(seed), 0, min(CHUNKS_PER_DOC, n_chunks), now)
        sink.check(first.record.doc_id, first.sidecar, pool.vectors[first.sentence_rows])
        timings["server_docs_s"] = sink.seconds
    manifest.save(settings.manifest_path)
    started = time.perf_counter()
    build_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    timings["lexical_build_s"] = time.perf_counter() - started
    timings["chunks_in_store"] = store.count()
    timings["avg_chunk_chars"] = round(total_chars / max(n_chunks, 1), 1)
    return timings
