"""The manifest: which documents the index holds, in which version, and whether their write finished.

It is the index's journal. A document is marked ``pending`` before its chunks are touched in Chroma and
``complete`` after, each time through an atomic rewrite, so an ingest killed at any point is finished (or undone)
by the next one with no duplicates and no orphans.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from rag.errors import DataDirError
from rag.index.files import write_json_atomic

_PROCESS_START = uuid.uuid4().hex[:8]
# 2: document ids come from the report's place under its corpus (or uploads) folder and its content, not from its
# absolute path, and chunk ids from the document id and position. An index written by version 1 is rebuilt by the
# next ingest (see ``ingest.pipeline``): its ids cannot be matched to the new ones without reading every report.
MANIFEST_VERSION = 2


def process_mark() -> str:
    """This process, as recorded in a manifest it saves (the pid part changes in a forked child)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_START}"


class DocumentRecord(BaseModel):
    doc_id: str
    # Where the report sits, whatever folder the corpus or data directory is in: "corpus/<relative path>" or
    # "uploads/<relative path>" (see ``ingest.identity.identity_key``). With the content hash it makes ``doc_id``.
    key: str = ""
    path: str
    source: str
    title: str
    lang: str
    kind: str
    content_hash: str
    config_hash: str
    n_chunks: int
    chars: int
    pages: int = 0
    ingested_at: str
    status: Literal["pending", "complete"] = "complete"

    def chunk_ids(self) -> list[str]:
        return [chunk_id(self.doc_id, i) for i in range(self.n_chunks)]


class Manifest(BaseModel):
    version: int = MANIFEST_VERSION
    embedder: str = ""
    dim: int = 0
    generation: int = 0
    documents: dict[str, DocumentRecord] = {}
    # The process that saved it last. Another process that reads it knows its own embedded Chroma state may be
    # older than the database on disk (see ``rag.index.store.forget_cached_database``).
    writer: str = ""
    # With a Chroma server: the server index this data directory mirrors (its documents collection's id) and the
    # revision it was copied at (see ``rag.index.mirror``); empty for an embedded index.
    origin: str = ""
    revision: int = 0

    @property
    def written_elsewhere(self) -> bool:
        return bool(self.writer) and self.writer != process_mark()

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """The manifest at ``path``, or an empty one if there is none yet."""
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, ValidationError) as exc:
            raise DataDirError(
                f"the index manifest {path} is unreadable ({exc}); run `reportqa ingest --rebuild`"
            ) from exc

    def save(self, path: Path) -> None:
        self.writer = process_mark()
        write_json_atomic(path, self.model_dump(mode="json"))

    @property
    def outdated(self) -> bool:
        """Whether documents were written by an older manifest version (with ids this version does not make)."""
        return bool(self.documents) and self.version < MANIFEST_VERSION

    def complete(self) -> list[DocumentRecord]:
        return [record for record in self.documents.values() if record.status == "complete"]


def document_id(key: str, content_hash: str) -> str:
    """A report's id: its place under the corpus (``key``) and its bytes, hashed. The same report ingested from a
    moved corpus, a copied data directory or another machine gets the same id; an edited report gets a new one."""
    return hashlib.sha256(f"{key}\n{content_hash}".encode("utf-8")).hexdigest()[:16]


def chunk_id(doc_id: str, index: int) -> str:
    """Chunk ids are a function of the document id (which covers its content) and the chunk's position, so
    re-running an ingest rewrites the same ids."""
    return f"{doc_id}-{index:05d}"
