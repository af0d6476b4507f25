"""One segment of the keyword index: the chunks of some documents, as term frequencies by token (CSR) and lengths.

A segment is written once and never changed; removing a document marks it deleted in the catalog, and a merge
writes a new segment without it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.files import write_json_atomic


@dataclass(frozen=True)
class SegmentDoc:
    """One document of a segment: its chunks are rows ``start`` to ``start + rows``."""

    doc_id: str
    source: str
    stamp: str  # what version of the document the rows hold (its config hash; the id covers its content)
    english: bool
    start: int
    rows: int


@dataclass
class Segment:
    name: str
    docs: list[SegmentDoc]
    chunk_ids: list[str]
    vocab: list[str]
    indptr: np.ndarray  # token t's postings are rows[indptr[t]:indptr[t + 1]]
    rows: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray  # tokens per chunk

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    def row_docs(self) -> np.ndarray:
        """The document id of every row."""
        return np.repeat(np.asarray([d.doc_id for d in self.docs], dtype=str), [d.rows for d in self.docs])

    def live_mask(self, deleted: set[str]) -> np.ndarray:
        """True for the rows of documents not in ``deleted``."""
        mask = np.ones(self.size, dtype=bool)
        for doc in self.docs:
            if doc.doc_id in deleted:
                mask[doc.start : doc.start + doc.rows] = False
        return mask

    def live_vocabulary(self, deleted: set[str]) -> tuple[set[str], set[str]]:
        """Tokens of the chunks of documents not in ``deleted``, and those of its English documents among them
        (the words the reverse glossary may offer)."""
        live = self.live_mask(deleted)
        english = np.zeros(self.size, dtype=bool)
        for doc in self.docs:
            english[doc.start : doc.start + doc.rows] = doc.english
        english &= live
        if not len(self.rows):
            return set(), set()
        starts = self.indptr[:-1]
        in_live = np.add.reduceat(live[self.rows].astype(np.int32), starts)
        in_english = np.add.reduceat(english[self.rows].astype(np.int32), starts)
        words = {t for t, n in zip(self.vocab, in_live.tolist()) if n}
        return words, {t for t, n in zip(self.vocab, in_english.tolist()) if n}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "postings.npz", indptr=self.indptr, rows=self.rows, tf=self.tf, lengths=self.lengths)
        words, english = self.live_vocabulary(set())
        write_json_atomic(folder / "vocabulary.json", {"all": sorted(words), "english": sorted(english)})
        write_json_atomic(folder / "segment.json", {
            "name": self.name, "vocab": self.vocab, "chunk_ids": self.chunk_ids,
            "docs": [doc.__dict__ for doc in self.docs],
        })

    @classmethod
    def load(cls, folder: Path) -> Segment:
        """Raises FileNotFoundError or ValueError when the segment is missing or damaged."""
        meta = json.loads((folder / "segment.json").read_text(encoding="utf-8"))
        with np.load(folder / "postings.npz") as arrays:
            indptr, rows, tf, lengths = (arrays[k] for k in ("indptr", "rows", "tf", "lengths"))
        if len(indptr) != len(meta["vocab"]) + 1 or len(lengths) != len(meta["chunk_ids"]):
            raise ValueError(f"keyword segment {folder} is inconsistent")
        docs = [SegmentDoc(**doc) for doc in meta["docs"]]
        return cls(meta["name"], docs, meta["chunk_ids"], meta["vocab"], indptr, rows, tf, lengths)


def build_segment(name: str, documents: Iterable[tuple[SegmentDoc, Sequence[str], Sequence[list[str]]]]) -> Segment:
    """A segment from (document, chunk ids, token lists of its chunks) triples; ``SegmentDoc.start`` is set here."""
    docs: list[SegmentDoc] = []
    chunk_ids: list[str] = []
    lengths: list[int] = []
    vocab: dict[str, int] = {}
    token_ids: list[int] = []
    row_ids: list[int] = []
    counts: list[int] = []
    for doc, ids, chunks in documents:
        docs.append(SegmentDoc(doc.doc_id, doc.source, doc.stamp, doc.english, len(chunk_ids), len(ids)))
        for chunk_id, tokens in zip(ids, chunks, strict=True):
            row = len(chunk_ids)
            chunk_ids.append(chunk_id)
            lengths.append(len(tokens))
            for token, count in Counter(tokens).items():
                token_ids.append(vocab.setdefault(token, len(vocab)))
                row_ids.append(row)
                counts.append(count)
    # Tokens numbered in sorted order (only the vocabulary is sorted, not every posting).
    words = list(vocab)
    order = sorted(range(len(words)), key=words.__getitem__)
    rank = np.empty(len(words), dtype=np.int64)
    rank[order] = np.arange(len(words))
    token_index = rank[np.asarray(token_ids, dtype=np.int64)] if token_ids else np.zeros(0, dtype=np.int64)
    return _from_triples(name, docs, chunk_ids, [words[i] for i in order], token_index,
                         np.asarray(row_ids, dtype=np.int64), np.asarray(counts, dtype=np.float32),
                         np.asarray(lengths, dtype=np.int32))


def merge_segments(name: str, parts: Sequence[tuple[Segment, set[str]]]) -> Segment:
    """One segment holding the live documents of ``parts`` ((segment, its deleted document ids) pairs), in order."""
    docs: list[SegmentDoc] = []
    chunk_ids: list[str] = []
    lengths, tokens, rows, tfs = [], [], [], []
    vocab: dict[str, int] = {}
    for segment, deleted in parts:
        new_row = np.full(segment.size, -1, dtype=np.int64)
        for doc in segment.docs:
            if doc.doc_id in deleted:
                continue
            new_row[doc.start : doc.start + doc.rows] = np.arange(len(chunk_ids), len(chunk_ids) + doc.rows)
            docs.append(SegmentDoc(doc.doc_id, doc.source, doc.stamp, doc.english, len(chunk_ids), doc.rows))
            chunk_ids.extend(segment.chunk_ids[doc.start : doc.start + doc.rows])
            lengths.append(segment.lengths[doc.start : doc.start + doc.rows])
        global_token = np.asarray([vocab.setdefault(t, len(vocab)) for t in segment.vocab], dtype=np.int64)
        per_posting = np.repeat(global_token, np.diff(segment.indptr))
        keep = new_row[segment.rows] >= 0
        tokens.append(per_posting[keep])
        rows.append(new_row[segment.rows][keep])
        tfs.append(segment.tf[keep])
    words = list(vocab)
    token_ids = np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.int64)
    # Renumber tokens in sorted order, as a fresh build does, and drop tokens no live chunk holds.
    order = np.asarray(sorted(range(len(words)), key=words.__getitem__), dtype=np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    used = np.unique(rank[token_ids]) if len(token_ids) else np.zeros(0, dtype=np.int64)
    compact = np.full(len(words), -1, dtype=np.int64)
    compact[used] = np.arange(len(used))
    sorted_words = [words[i] for i in order]
    return _from_triples(name, docs, chunk_ids, [sorted_words[i] for i in used], compact[rank[token_ids]],
                         np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
                         np.concatenate(tfs) if tfs else np.zeros(0, dtype=np.float32),
                         np.concatenate(lengths).astype(np.int32) if lengths else np.zeros(0, dtype=np.int32))


def _from_triples(name, docs, chunk_ids, vocab, token_index, row_ids, counts, lengths) -> Segment:
    order = np.lexsort((row_ids, token_index))
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.add.at(indptr, np.asarray(token_index, dtype=np.int64) + 1, 1)
    return Segment(name, docs, chunk_ids, [str(t) for t in vocab], np.cumsum(indptr),
                   row_ids[order].astype(np.int32), counts[order].astype(np.float32), lengths)
