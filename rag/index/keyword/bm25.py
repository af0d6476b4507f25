"""BM25 over segments, with the corpus statistics (chunk count, mean length, document frequencies) of the live
chunks of all segments together, so scores equal those of one index over every chunk.

The arithmetic follows bm25s' default (Lucene) variant, which the engine used before as one index: IDF
``log(1 + (N - df + 0.5) / (df + 0.5))`` rounded to float32; per token and chunk ``idf * tf / (k1 * (1 - b + b *
len / avglen) + tf)`` in float64, stored as float32; a query's scores summed in float32 in the query's token
order (a repeated token counts again, an unknown one not at all).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from rag.index.keyword.segment import Segment

K1 = 1.5
B = 0.75


class SegmentedBM25:
    """Scores over the rows of ``segments`` laid end to end; rows of deleted documents score zero."""

    def __init__(self, segments: Sequence[Segment], live: Sequence[np.ndarray]) -> None:
        self.segments = list(segments)
        self.live = list(live)
        self.offsets = np.cumsum([0] + [s.size for s in self.segments])
        self.n_rows = int(self.offsets[-1])
        self.n_docs = int(sum(int(m.sum()) for m in self.live))
        total = sum(int(s.lengths[m].sum()) for s, m in zip(self.segments, self.live))
        self.avg_len = np.float64(total) / self.n_docs if self.n_docs else np.float64(1.0)
        self.df: Counter[str] = Counter()
        self._vocab: list[dict[str, int]] = []
        # Per posting, laid out as the segment's: the row among all rows, and the term-frequency part of the score
        # (it depends on the mean length over all segments, so it is computed here, once per load).
        self._rows: list[np.ndarray] = []
        self._tfc: list[np.ndarray] = []
        for offset, segment, mask in zip(self.offsets, self.segments, self.live):
            counts = _live_counts(segment, mask)
            self.df.update({t: int(n) for t, n in zip(segment.vocab, counts.tolist()) if n})
            self._vocab.append({t: i for i, t in enumerate(segment.vocab)})
            norm = K1 * ((1 - B) + B * segment.lengths.astype(np.float64) / self.avg_len)
            tf = segment.tf.astype(np.float64)
            self._tfc.append(tf / (norm[segment.rows] + tf))
            self._rows.append((segment.rows + offset).astype(np.int64 if self.n_rows >= 2**31 else np.int32))
        self._idf32: dict[str, np.float32] = {}

    def idf(self, token: str) -> float:
        """The unrounded Lucene IDF of a token over the live chunks (0 for a token no live chunk holds)."""
        df = self.df.get(token, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)) if df else 0.0

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (float32) for a query's tokens."""
        scores = np.zeros(self.n_rows, dtype=np.float32)
        for token in tokens:
            if token not in self.df:
                continue
            idf = self._idf32.get(token)
            if idf is None:
                idf = self._idf32[token] = np.float32(self.idf(token))
            weight = np.float64(idf)
            for segment, vocab, rows, tfc in zip(self.segments, self._vocab, self._rows, self._tfc):
                t = vocab.get(token)
                if t is None:
                    continue
                start, end = segment.indptr[t], segment.indptr[t + 1]
                scores[rows[start:end]] += (weight * tfc[start:end]).astype(np.float32)
        for offset, segment, mask in zip(self.offsets, self.segments, self.live):
            if not mask.all():
                scores[offset : offset + segment.size][~mask] = 0.0
        return scores


def _live_counts(segment: Segment, mask: np.ndarray) -> np.ndarray:
    """Document frequency of each of the segment's tokens over its live rows."""
    if not len(segment.rows):
        return np.zeros(len(segment.vocab), dtype=np.int64)
    if mask.all():  # the common case: nothing deleted, every posting counts
        return np.diff(segment.indptr)
    return np.add.reduceat(mask[segment.rows].astype(np.int64), segment.indptr[:-1])
