"""BM25 over jieba tokens, persisted in the data directory as segments and updated by ingest one change at a time.

Ingest calls ``update_lexical_index`` after every change: a new report's chunks go into a new segment, a removed
report is marked deleted, and the corpus statistics are merged over all segments when the index is loaded, so
scores equal those of one index over every chunk (see ``rag.index.keyword``). Each update writes a new state folder and
swaps a pointer atomically, so a reader sees either the old index or the new one; the previous state is kept until
the next update, so a reader that read the pointer just before a swap can still open it, and one that loses even
that race reads the pointer again. The state carries the manifest generation it matches: a stale one is brought in
line by the next ingest, an unreadable one rebuilt. Tokens come from the per-document files written at ingest:
neither a process start nor a query re-tokenises the corpus.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.index.keyword import catalog
from rag.index.keyword.bm25 import SegmentedBM25
from rag.index.keyword.segment import Segment
from rag.index.manifest import Manifest
from rag.text.bilingual import chinese_terms, english_terms, word_translations
from rag.text.primitives import cjk_ratio

logger = logging.getLogger(__name__)


class LexicalIndex:
    """A loaded BM25 index over chunk ids."""

    def __init__(
        self,
        bm25: SegmentedBM25 | None,
        generation: int,
        glossary: dict[str, list[str]] | None = None,
        reverse_glossary: dict[str, list[str]] | None = None,
    ) -> None:
        self._bm25 = bm25
        self.glossary = glossary or {}
        self.reverse_glossary = reverse_glossary or {}
        self.generation = generation
        rows = _rows(bm25)
        self._docs, self._order, live = rows
        self._live_rows = np.flatnonzero(live)
        self._all_ids = [cid for segment in (bm25.segments if bm25 else []) for cid in segment.chunk_ids]
        n = bm25.n_docs if bm25 else 0
        # Rounded as the index stored them before: the abstainer's fitted signals read these values.
        self.idf = {t: round(math.log(1 + (n - df + 0.5) / (df + 0.5)), 4) for t, df in (bm25.df if bm25 else {}).items()
                    if t}
        # A token never seen in the corpus is as rare as the rarest seen one.
        self.max_idf = max(self.idf.values(), default=1.0)

    @property
    def chunk_ids(self) -> list[str]:
        """Ids of the chunks the index holds."""
        return [self._all_ids[i] for i in self._live_rows]

    def chinese_terms(self, question: str) -> list[str]:
        """Words of the reports that translate the English words of ``question`` (see ``rag.text.bilingual``)."""
        return chinese_terms(question, self.glossary)

    def english_terms(self, tokens: Iterable[str]) -> list[str]:
        """Words of the reports that translate the Chinese tokens of a question (see ``rag.text.bilingual``)."""
        return english_terms(tokens, self.reverse_glossary)

    def translations(self, text: str, tokens: Iterable[str], chinese: bool) -> list[str]:
        """The reports' words in the other language for a question's words: English words for a Chinese question,
        Chinese words for an English one (only words the reports use)."""
        return self.english_terms(tokens) if chinese else self.chinese_terms(text)

    def with_known_pieces(self, tokens: Sequence[str]) -> list[str]:
        """``tokens`` followed by the words the reports use inside each Chinese token they never use. The word
        segmenter joins unknown characters to their neighbours ("室温下乙二醛" → 室温 / 下乙二醛) differently in a
        question than in the text it asks about; the longest known words inside such a token find that text."""
        pieces = [piece for token in tokens if token not in self.idf and cjk_ratio(token) > 0.5
                  for piece in _known_words(token, self.idf)]
        return [*tokens, *(p for p in dict.fromkeys(pieces) if p not in tokens)]

    def token_weight(self, token: str) -> float:
        """Inverse document frequency of a token over the chunks."""
        return self.idf.get(token, self.max_idf)

    def term_groups(self, tokens: Sequence[str], translated: Sequence[str]) -> list[tuple[float, frozenset[str]]]:
        """The question's terms for scoring a sentence in either language: each token of the question with the
        reports' words for it in the other language, weighted by the IDF of the rarest form the reports use.
        Translations of phrases ("chip makers" → 芯片厂商) that no single word accounts for make one more group."""
        groups = []
        attributed: set[str] = set()
        for token in dict.fromkeys(tokens):
            if token in translated:
                continue
            forms = {token, *word_translations(token, self.glossary, self.reverse_glossary)} & ({token} | set(translated))
            attributed |= forms
            known = [self.idf[f] for f in forms if f in self.idf]
            groups.append((max(known) if known else self.max_idf, frozenset(forms)))
        leftover = [t for t in translated if t not in attributed]
        if leftover and groups:
            weight = sum(w for w, _ in groups) / len(groups)
            groups.append((weight, frozenset(leftover)))
        return groups

    @classmethod
    def load(cls, lexical_dir: Path, attempts: int = 3) -> LexicalIndex | None:
        """The current index, or None if none was built (or its files are gone; the next ingest rebuilds it)."""
        for _ in range(attempts):
            try:
                state = catalog.read_state(lexical_dir)
                if state is None:
                    if (lexical_dir / catalog.POINTER).exists():
                        logger.warning("the keyword index in %s was written by an older version; search is by "
                                       "meaning only until `reportqa ingest` rebuilds it", lexical_dir)
                    return None
                return cls._load_state(lexical_dir, state)
            except FileNotFoundError:
                # Two updates finished while this one was being read: the pointer names a newer state now.
                logger.info("keyword index in %s was replaced while being read; reading the pointer again",
                            lexical_dir)
        logger.warning("the keyword index in %s is incomplete; search is by meaning only until the next ingest",
                       lexical_dir)
        return None

    @classmethod
    def _load_state(cls, lexical_dir: Path, state: catalog.State) -> LexicalIndex:
        segments = [Segment.load(catalog.segment_folder(lexical_dir, e.name)) for e in state.segments]
        bm25 = SegmentedBM25(segments, [s.live_mask(e.deleted) for s, e in zip(segments, state.segments)])
        folder = lexical_dir / state.folder
        glossaries = []
        for name in ("glossary.json", "glossary-zh.json"):
            try:
                glossaries.append(json.loads((folder / name).read_text(encoding="utf-8")))
            except (FileNotFoundError, ValueError):
                glossaries.append({})  # questions go without translated keywords until the next update
        return cls(bm25 if segments else None, state.generation, *glossaries)

    def coverage(self, tokens: list[str]) -> float:
        """Share (IDF-weighted) of the query's tokens that occur in the corpus at all.

        Low for a question in another language than the reports: keyword search then has little to go on.
        """
        if not tokens:
            return 0.0
        total = sum(self.token_weight(t) for t in tokens)
        return sum(self.idf[t] for t in tokens if t in self.idf) / total if total else 0.0

    def search(self, tokens: list[str], k: int, doc_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids by BM25 score (only scores above zero); equal scores in source order."""
        if self._bm25 is None or not tokens or k <= 0:
            return []
        scores = self._bm25.scores(tokens)
        keep = scores > 0
        if doc_ids is not None:
            keep &= np.isin(self._docs, list(doc_ids))
        hits = np.flatnonzero(keep)
        if len(hits) > k:
            threshold = np.partition(scores[hits], len(hits) - k)[len(hits) - k]
            hits = hits[scores[hits] >= threshold]
        hits = hits[np.lexsort((self._order[hits], -scores[hits]))][:k]
        return [(self._all_ids[i], float(scores[i])) for i in hits]


def _known_words(token: str, vocabulary: dict[str, float], shortest: int = 2) -> list[str]:
    """The known words of at least ``shortest`` characters inside ``token``, a word ``vocabulary`` does not hold,
    longest first from left to right."""
    words, start = [], 0
    while start <= len(token) - shortest:
        end = next((end for end in range(len(token), start + shortest - 1, -1) if token[start:end] in vocabulary),
                   None)
        if end is None:
            start += 1
        else:
            words.append(token[start:end])
            start = end
    return words


def _rows(bm25: SegmentedBM25 | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of all segments: its document id, its rank in (source, document, position) order (how one index
    over every chunk laid them out, which decides between equal scores), and whether it is live."""
    if bm25 is None:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=str), empty, np.zeros(0, dtype=bool)
    docs = [doc for segment in bm25.segments for doc in segment.docs]
    doc_rank = np.empty(len(docs), dtype=np.int64)
    doc_rank[sorted(range(len(docs)), key=lambda i: (docs[i].source, docs[i].doc_id))] = np.arange(len(docs))
    counts = [doc.rows for doc in docs]
    position = np.arange(sum(counts)) - np.repeat(np.cumsum([0] + counts[:-1]), counts)
    order = np.repeat(doc_rank, counts) * (max(counts, default=0) + 1) + position
    row_docs = np.concatenate([s.row_docs() for s in bm25.segments]) if docs else np.zeros(0, dtype=str)
    return row_docs, order, np.concatenate(bm25.live)


def update_lexical_index(lexical_dir: Path, docs_dir: Path, manifest: Manifest) -> int:
    """Bring the keyword index in line with the manifest's complete documents, touching only those added or removed
    since it was written (a missing, unreadable or older-format index is built from every document); returns the
    chunk count."""
    state = catalog.update(lexical_dir, docs_dir, manifest)
    return sum(e.live_rows for e in state.segments)


def build_lexical_index(lexical_dir: Path, docs_dir: Path, manifest: Manifest) -> int:
    """Build the keyword index afresh from the stored tokens of every complete document; returns the chunk count."""
    state = catalog.update(lexical_dir, docs_dir, manifest, rebuild=True)
    return sum(e.live_rows for e in state.segments)
