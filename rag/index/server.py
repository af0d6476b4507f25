"""The index's records on a Chroma server, beside the chunk collection: documents, sentences and records.

Three collections, named after the chunk collection (``reportqa``):

- ``reportqa-documents``: per report, its document file (cleaned text, pages, chunk tokens, sentence spans and
  tokens, structure) as JSON, compressed (zlib, then Base85 text marked ``z:``), split into *parts* of at most
  ``PART_CHARS`` characters (``chroma run`` refuses a request over about 32 MB). Compressed because a write to a
  collection costs ``chroma run`` time that grows with the text the collection holds (200 reports of 104 KB: adding
  one part 0.23–0.35 s plain, 0.09–0.14 s compressed; near-duplicate reports far more). Parts written plain by an
  older version are read as they are. Chroma needs a vector per entry: these carry a one-number placeholder and are
  never searched. The collection's metadata is the index's *stamp*: a revision bumped by every ingest commit, the
  manifest generation and the embedder.
- ``reportqa-sentences``: the sentence vectors the answerer scores (float16 values, stored as float32, so a copy
  read back is bit-identical), with the document id and position of each.
- ``reportqa-records``: per report, one *record* (id = document id; metadata = the manifest entry, with ``status``
  pending/complete, plus how many parts and sentences it has), with a placeholder vector. Apart from the parts
  because a write to a collection that holds much text takes ``chroma run`` seconds (1.9–2.6 s with two 1 MB parts
  stored, 15 ms without), and every document written commits its record twice. An index written before the records
  had a collection of their own has them among the parts: the next ingest moves them (``ServerIndex.open``).

Everything here is plain chromadb API: ``get``/``add``/``upsert``/``delete`` with ``where`` filters, and
``modify`` for the stamp.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
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
_PACKED = "z:"  # a compressed document file starts so (a JSON one starts with "{")
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


def collection_names(settings: Settings) -> tuple[str, str, str]:
    """The documents, sentences and records collections that go with the configured chunk collection."""
    name = settings.store.collection
    return f"{name}-documents", f"{name}-sentences", f"{name}-records"


def not_found(exc: Exception) -> bool:
    return "does not exist" in str(exc).lower() or type(exc).__name__ == "NotFoundError"


class ServerIndex:
    """The documents, sentences and records collections of one index on a Chroma server."""

    def __init__(self, client: Any, url: str, documents: Any, sentences: Any, records: Any | None) -> None:
        self.client, self.url = client, url
        self.documents, self.sentences = documents, sentences
        # None on an index written before records had a collection: they are read from among the parts until
        # an ingest (which opens with ``create``) moves them.
        self.records_collection = records

    @classmethod
    def open(cls, settings: Settings, create: bool = False) -> ServerIndex | None:
        """The collections of the configured server; None when they do not exist and ``create`` is false. With
        ``create`` (an ingest, holding the server's lock), missing ones are made and records kept among the parts
        by an older version are moved to their own collection.

        Raises:
            StoreUnavailableError: the server does not answer.
        """
        from rag.index.store import open_client

        client = open_client(settings)
        url = settings.store.chroma_url or ""
        names = collection_names(settings)
        documents, sentences, records = (_get(client, url, name) for name in names)
        if documents is None or sentences is None:
            if not create:
                return None
            with answering(url):
                documents = documents or _create(client, names[0])
                sentences = sentences or _create(client, names[1])
        index = cls(client, url, documents, sentences, records)
        if records is None and create:  # a new index, or one whose records are among the parts: moved out
            with answering(url):
                index.records_collection = _create(client, names[2])
            index.move_records_out()
        return index

    def move_records_out(self) -> None:
        """Move the records an older version kept in the documents collection into their own (copied first, then
        deleted: a kill in between leaves copies there, which ``delete_leftover_records`` clears when the ingest finds
        the server's counts off)."""
        with answering(self.url):
            got = self.documents.get(where={"entry": "record"}, include=["metadatas"])
        if got["ids"]:
            logger.info("moving %d document records on %s into their own collection", len(got["ids"]), self.url)
            with answering(self.url):
                self.records_collection.upsert(ids=got["ids"], metadatas=got["metadatas"],
                                               embeddings=[_PLACEHOLDER] * len(got["ids"]))
        self.delete_leftover_records()

    def delete_leftover_records(self) -> None:
        """Delete record entries from the documents collection (left there by an older version)."""
        with answering(self.url):
            self.documents.delete(where={"entry": "record"})

    @staticmethod
    def drop(settings: Settings) -> None:
        """Delete the three collections (``ingest --rebuild``); absent ones are skipped."""
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
            if self.records_collection is not None:
                got = self.records_collection.get(include=["metadatas"])
            else:
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
            self.records_collection.upsert(ids=[record.doc_id for record, _ in entries], metadatas=metadatas,
                                           embeddings=[_PLACEHOLDER] * len(entries))

    def delete_records(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        if doc_ids:
            with answering(self.url):
                self.records_collection.delete(ids=doc_ids)

    # -- document files and sentence vectors ---------------------------------------------------------------------

    def write_document(self, doc_id: str, content: dict, vectors: np.ndarray) -> dict[str, int]:
        """Replace a document's file parts and sentence vectors; returns {"parts", "sentences"} for its record."""
        self.delete_document(doc_id)
        parts = document_parts(content)
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
                    content = json.loads(_unpack(texts[doc_id])) if doc_id in texts else None
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
            records = self.records_collection.count() if self.records_collection is not None else 0
            return records + self.documents.count(), self.sentences.count()


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


def _get(client: Any, url: str, name: str) -> Any | None:
    """The collection ``name``, or None when the server has none of that name."""
    with answering(url):
        try:
            return client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if not not_found(exc):
                raise
    return None


def _create(client: Any, name: str) -> Any:
    metadata = {"revision": 0, "generation": 0, "embedder": "", "dim": 0, "version": MANIFEST_VERSION}
    try:
        return client.create_collection(name, embedding_function=None, metadata=metadata)
    except Exception as exc:
        if "already exists" not in str(exc).lower():  # created by another machine meanwhile: use it
            raise
        return client.get_collection(name, embedding_function=None)


def document_parts(content: dict) -> list[str]:
    """A document file as the parts the documents collection stores: compressed JSON, cut at ``PART_CHARS``."""
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    packed = _PACKED + base64.b85encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")
    return [packed[i : i + PART_CHARS] for i in range(0, len(packed), PART_CHARS)]


def _unpack(text: str) -> str:
    """A document file's JSON from its joined parts, compressed or (written by an older version) plain.

    Raises:
        ValueError: the parts do not decode (read as a missing copy by the caller).
    """
    if not text.startswith(_PACKED):
        return text
    try:
        return zlib.decompress(base64.b85decode(text[len(_PACKED):])).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"a document file's parts do not decode ({exc})") from exc


def _part_id(doc_id: str, n: int) -> str:
    return f"{doc_id}/part{n:04d}"
