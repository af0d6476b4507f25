"""Per-document files in the data directory: the cleaned text (for the source viewer and offset checks) and each
chunk's lexical tokens (so the BM25 index is rebuilt without re-tokenising the corpus)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.files import write_atomic, write_json_atomic


def sidecar_path(docs_dir: Path, doc_id: str) -> Path:
    return docs_dir / f"{doc_id}.json"


def write_sidecar(docs_dir: Path, doc_id: str, content: dict[str, Any]) -> None:
    write_json_atomic(sidecar_path(docs_dir, doc_id), content)


def read_sidecar(docs_dir: Path, doc_id: str) -> dict[str, Any] | None:
    try:
        return json.loads(sidecar_path(docs_dir, doc_id).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def remove_sidecar(docs_dir: Path, doc_id: str) -> None:
    for path in (sidecar_path(docs_dir, doc_id), sentence_vectors_path(docs_dir, doc_id)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sentence_vectors_path(docs_dir: Path, doc_id: str) -> Path:
    return docs_dir / f"{doc_id}.sentences.npy"


def write_sentence_vectors(docs_dir: Path, doc_id: str, vectors: np.ndarray) -> None:
    """Sentence embeddings (float16, one row per entry of the sidecar's ``sentences``)."""
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.asarray(vectors, dtype=np.float16))
    write_atomic(sentence_vectors_path(docs_dir, doc_id), buffer.getvalue())


def read_sentence_vectors(docs_dir: Path, doc_id: str) -> np.ndarray | None:
    try:
        return np.load(sentence_vectors_path(docs_dir, doc_id), mmap_mode="r")
    except (FileNotFoundError, ValueError):
        return None
