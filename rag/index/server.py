"""The index's records on a Chroma server, beside the chunk collection: documents and sentences.

Two collections, named after the chunk collection (``reportqa``):

- ``reportqa-documents``: per report, one *record* (id = document id; metadata = the manifest entry, with
  ``status`` pending/complete, plus how many parts and sentences it has) and its document file (cleaned text, pages,
  chunk tokens, sentence spans and tokens, structure) as JSON split into *parts* of at most ``PART_CHARS``
  characters (``chroma run`` refuses a request over about 32 MB). Chroma needs a vector per entry: these carry a
  one-number placeholder and are never searched. The collection's metadata is the index's *stamp*: a revision
  bumped by every ingest commit, the manifest generation and the embedder.
- ``reportqa-sentences``: the sentence vectors the answerer scores (float16 values, stored as float32, so a copy
  read back is bit-identical), with the document id and position of each.

Everything here is plain chromadb API: ``get``/``add``/``upsert``/``delete`` with ``where`` filters, and
``modify`` for the stamp.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.errors import ReportQAError, StoreUnavailableError
from rag.index.manifest import MANIFEST_VERSION, DocumentRecord, process_mark
from rag.settings import Settings

logger = logging.getLogger(__name__)

PART_CHARS = 1_000_000  # at most 4 MB of UTF-8 per part
SENTENCE_BATCH = 1000  # sentence vectors per request (about 4 MB of JSON)
FETCH_PARTS = 16  # parts per read
_PLACEHOLDER = [0.0]


@dataclass(frozen=True)
class Stamp:
    """Which version of the index the server holds: ``origin`` changes when the index is rebuilt (a new documents
    collection), ``revision`` with every commit."""

    origin: str
    revision: int
    generation: int
    embedder: str
    dim: int
    version: int = MANIFEST_VERSION


def collection_names(settings: Settings) -> tuple[str, str]:
    """The documents and sentences collections that go with the configured chunk collection."""
    name = settings.store.collection
    return f"{name}-documents", f"{name}-sentences"


def not_found(exc: Exception) -> bool:
    return "does not exist" in str(exc).lower() or type(exc).__name__ == "NotFoundError"


class ServerIndex:
    """The documents and sentences collections of one index on a Chroma server."""

    def __init__(self, client: Any, url: str, documents: Any, sentences: Any) -> None:
        self.client, self.url = client, url
        self.documents, self.sentences = documents, sentences

    @classmethod
    def open(cls, settings: Settings, create: bool = False) -> ServerIndex | None:
        """The collections of the configured server; None when they do not exist and ``create`` is false.

        Raises:
            StoreUnavailableError: the server does not answer.
        """
        from rag.index.store import open_client

        client = open_client(settings)
        url = settings.store.chroma_url or ""
        found = []
        for name in collection_names(settings):
            with answering(url):
                try:
                    found.append(client.get_collection(name, embedding_function=None))
                    continue
                except Exception as exc:
                    if not not_found(exc):
                        raise
                if not create:
                    return None
                found.append(_create(client, name))
        return cls(client, url, *found)

    @staticmethod
    def drop(settings: Settings) -> None:
        """Delete both collections (``ingest --rebuild``); absent ones are skipped."""
        from rag.index.store import open_client

        client = open_client(settings)
        for name in collection_names(settings):
            with answering(settings.store.chroma_url or ""):
                try:
                    client.delete_collection(name)
                except Exception as exc:
                    if not not_found(exc):
                        raise

    # -- the stamp -----------------------------------------------------------------------------------------------

    def stamp(self) -> Stamp:
        """The stamp as the server holds it now (one request)."""
        with answering(self.url):
            collection = self.client.get_collection(self.documents.name, embedding_function=None)
        meta = collection.metadata or {}
        return Stamp(str(collection.id), int(meta.get("revision", 0)), int(meta.get("generation", 0)),
                     str(meta.get("embedder", "")), int(meta.get("dim", 0)), int(meta.get("version", MANIFEST_VERSION)))

    def set_stamp(self, revision: int, generation: int, embedder: str, dim: int) -> None:
        metadata = {"revision": revision, "generation": generation, "embedder": embedder, "dim": dim,
                    "version": MANIFEST_VERSION, "writer": process_mark()}
        with answering(self.url):
            self.documents.modify(metadata=metadata)  # replaces the whole metadata: every key is written

    # -- records -------------------------------------------------------------------------------------------------

    def records(self) -> dict[str, tuple[DocumentRecord, dict[str, int]]]:
        """Every document record: doc id → (manifest entry, {"parts", "sentences"})."""
        with answering(self.url):
            got = self.documents.get(where={"entry": "record"}, include=["metadatas"])
        found = {}
        for metadata in got["metadatas"]:
            meta = dict(metadata or {})
            extra = {"parts": int(meta.pop("parts", 0)), "sentences": int(meta.pop("sentences", 0))}
            meta.pop("entry", None)
            try:
                record = DocumentRecord.model_validate(meta)
            except ValueError as exc:
                logger.warning("an unreadable document record on %s is ignored (%s)", self.url, exc)
                continue
            found[record.doc_id] = (record, extra)
        return found

    def put_records(self, entries: Iterable[tuple[DocumentRecord, dict[str, int]]]) -> None:
        entries = list(entries)
        if not entries:
            return
        metadatas = [{**record.model_dump(mode="json"), **extra, "entry": "record"} for record, extra in entries]
        with answering(self.url):
            self.documents.upsert(ids=[record.doc_id for record, _ in entries], metadatas=metadatas,
                                  embeddings=[_PLACEHOLDER] * len(entries), documents=[""] * len(entries))

    def delete_records(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        if doc_ids:
            with answering(self.url):
                self.documents.delete(ids=doc_ids)

    # -- document files and sentence vectors ---------------------------------------------------------------------

    def write_document(self, doc_id: str, content: dict, vectors: np.ndarray) -> dict[str, int]:
        """Replace a document's file parts and sentence vectors; returns {"parts", "sentences"} for its record."""
        self.delete_document(doc_id)
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        parts = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
        with answering(self.url):
            for n, part in enumerate(parts):
                self.documents.add(ids=[_part_id(doc_id, n)], documents=[part], embeddings=[_PLACEHOLDER],
                                   metadatas=[{"entry": "part", "doc_id": doc_id, "n": n}])
            rows = np.asarray(vectors, dtype=np.float16).astype(np.float32)
            spans = content.get("sentences", [])
            for start in range(0, len(rows), SENTENCE_BATCH):
                batch = range(start, min(start + SENTENCE_BATCH, len(rows)))
                self.sentences.add(
                    ids=[f"{doc_id}/s{n:06d}" for n in batch], embeddings=rows[start : batch.stop],
                    metadatas=[{"doc_id": doc_id, "n": n, "start": int(spans[n][0]), "end": int(spans[n][1])}
                               for n in batch])
        return {"parts": len(parts), "sentences": len(rows)}

    def delete_document(self, doc_id: str) -> None:
        """Remove a document's parts and sentence vectors (safe to repeat); its record is kept."""
        with answering(self.url):
            self.documents.delete(where={"$and": [{"doc_id": doc_id}, {"entry": "part"}]})
            self.sentences.delete(where={"doc_id": doc_id})

    def read_documents(self, wanted: dict[str, dict[str, int]]) -> Iterator[tuple[str, dict | None, np.ndarray | None]]:
        """(doc id, document file, sentence vectors) per wanted document (doc id → its record's counts); None where
        the server does not hold all of it."""
        ids = list(wanted)
        for i in range(0, len(ids), FETCH_PARTS):
            batch = {d: wanted[d] for d in ids[i : i + FETCH_PARTS]}
            texts = self._parts(batch)
            vectors = self._sentence_vectors(batch)
            for doc_id, counts in batch.items():
                content = None
                try:
                    content = json.loads(texts[doc_id]) if doc_id in texts else None
                except ValueError:
                    pass
                rows = vectors.get(doc_id)
                if rows is not None and len(rows) != counts["sentences"]:
                    rows = None
                yield doc_id, content, rows

    def _parts(self, batch: dict[str, dict[str, int]]) -> dict[str, str]:
        ids = [_part_id(d, n) for d, counts in batch.items() for n in range(counts["parts"])]
        with answering(self.url):
            got = self.documents.get(ids=ids, include=["documents"]) if ids else {"ids": [], "documents": []}
        found = dict(zip(got["ids"], got["documents"]))
        texts = {}
        for doc_id, counts in batch.items():
            parts = [found.get(_part_id(doc_id, n)) for n in range(counts["parts"])]
            if parts and all(p is not None for p in parts):
                texts[doc_id] = "".join(parts)
        return texts

    def _sentence_vectors(self, batch: dict[str, dict[str, int]]) -> dict[str, np.ndarray]:
        rows: dict[str, list[tuple[int, np.ndarray]]] = {d: [] for d in batch}
        offset = 0
        while True:
            with answering(self.url):
                got = self.sentences.get(where={"doc_id": {"$in": list(batch)}}, include=["embeddings", "metadatas"],
                                         limit=SENTENCE_BATCH, offset=offset)
            for metadata, vector in zip(got["metadatas"], got["embeddings"]):
                rows[str(metadata["doc_id"])].append((int(metadata["n"]), vector))
            offset += len(got["ids"])
            if len(got["ids"]) < SENTENCE_BATCH:
                break
        out = {}
        for doc_id, found in rows.items():
            found.sort(key=lambda pair: pair[0])
            if [n for n, _ in found] == list(range(len(found))):
                out[doc_id] = (np.asarray([v for _, v in found], dtype=np.float32).astype(np.float16)
                               if found else np.zeros((0, 0), dtype=np.float16))
        return out

    def document_counts(self, doc_id: str) -> tuple[int, int]:
        """(parts, sentence vectors) the server holds for one document."""
        with answering(self.url):
            parts = self.documents.get(where={"$and": [{"doc_id": doc_id}, {"entry": "part"}]}, include=[])
            sentences = self.sentences.get(where={"doc_id": doc_id}, include=[])
        return len(parts["ids"]), len(sentences["ids"])

    def stored_doc_ids(self) -> set[str]:
        """Documents that have parts or sentence vectors on the server (reads every entry's metadata)."""
        with answering(self.url):
            parts = self.documents.get(where={"entry": "part"}, include=["metadatas"])
            sentences = self.sentences.get(include=["metadatas"])
        return {str(m["doc_id"]) for m in [*parts["metadatas"], *sentences["metadatas"]] if m}

    def counts(self) -> tuple[int, int]:
        """(document entries: records and parts, sentence vectors) the server holds."""
        with answering(self.url):
            return self.documents.count(), self.sentences.count()


@contextmanager
def answering(url: str) -> Iterator[None]:
    """Turn a failed request into the message a user sees when the server is down."""
    try:
        yield
    except ReportQAError:
        raise
    except Exception as exc:
        if not_found(exc):  # a collection dropped meanwhile: another machine rebuilt the index
            raise StoreUnavailableError(f"the index on {url} was removed or rebuilt meanwhile ({exc}); "
                                        "ask again, or run `reportqa ingest`") from exc
        raise StoreUnavailableError(f"Chroma server at {url} did not answer ({exc}); is it running?") from exc


def _create(client: Any, name: str) -> Any:
    metadata = {"revision": 0, "generation": 0, "embedder": "", "dim": 0, "version": MANIFEST_VERSION}
    try:
        return client.create_collection(name, embedding_function=None, metadata=metadata)
    except Exception as exc:
        if "already exists" not in str(exc).lower():  # created by another machine meanwhile: use it
            raise
        return client.get_collection(name, embedding_function=None)


def _part_id(doc_id: str, n: int) -> str:
    return f"{doc_id}/part{n:04d}"
