"""BM25 over jieba tokens (bm25s), persisted in the data directory and rebuilt by ingest.

Each build goes to a new folder named by the manifest generation; a pointer file is swapped atomically, so a
reader sees either the old index or the new one. The previous folder is kept until the next build, so a reader that
read the pointer just before a swap can still open what it points to; a reader that loses even that race reads the
pointer again. Tokens come from the per-document files written at ingest:
neither a process start nor a query re-tokenises the corpus.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.bilingual import build_glossary, build_reverse_glossary, chinese_terms, english_terms, word_translations
from rag.docfiles import read_sidecar
from rag.files import write_atomic, write_json_atomic
from rag.manifest import Manifest

logger = logging.getLogger(__name__)
_POINTER = "CURRENT"


class LexicalIndex:
    """A loaded BM25 index over chunk ids."""

    def __init__(
        self,
        retriever,
        chunk_ids: list[str],
        chunk_docs: list[str],
        generation: int,
        idf: dict[str, float],
        glossary: dict[str, list[str]] | None = None,
        reverse_glossary: dict[str, list[str]] | None = None,
    ) -> None:
        self._retriever = retriever
        self.glossary = glossary or {}
        self.reverse_glossary = reverse_glossary or {}
        self.chunk_ids = chunk_ids
        self.generation = generation
        self._docs = np.asarray(chunk_docs)
        self.idf = idf
        # A token never seen in the corpus is as rare as the rarest seen one.
        self.max_idf = max(idf.values(), default=1.0)

    def chinese_terms(self, question: str) -> list[str]:
        """Words of the reports that translate the English words of ``question`` (see ``rag.bilingual``)."""
        return chinese_terms(question, self.glossary)

    def english_terms(self, tokens: Iterable[str]) -> list[str]:
        """Words of the reports that translate the Chinese tokens of a question (see ``rag.bilingual``)."""
        return english_terms(tokens, self.reverse_glossary)

    def translations(self, text: str, tokens: Iterable[str], chinese: bool) -> list[str]:
        """The reports' words in the other language for a question's words: English words for a Chinese question,
        Chinese words for an English one (only words the reports use)."""
        return self.english_terms(tokens) if chinese else self.chinese_terms(text)

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
                name = (lexical_dir / _POINTER).read_text().strip()
            except FileNotFoundError:
                return None
            try:
                return cls._load_folder(lexical_dir / name)
            except FileNotFoundError:
                # Two builds finished while this one was being read: the pointer names a newer folder now.
                logger.info("lexical index %s was replaced while being read; reading the pointer again", name)
        logger.warning("the keyword index in %s is incomplete; search is by meaning only until the next ingest",
                       lexical_dir)
        return None

    @classmethod
    def _load_folder(cls, folder: Path) -> LexicalIndex | None:
        try:
            meta = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        except ValueError:
            return None
        if not {"chunk_ids", "chunk_docs", "generation", "idf"} <= meta.keys():
            return None  # written by an older version: the next ingest rebuilds it
        if not meta["chunk_ids"]:
            return cls(None, [], [], meta["generation"], {})
        retriever = _bm25s().BM25.load(str(folder), mmap=True, show_progress=False)
        try:
            glossary = json.loads((folder / "glossary.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            glossary = {}  # built by an older version: English questions go without Chinese keywords until rebuilt
        try:
            reverse = json.loads((folder / "glossary-zh.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            reverse = {}  # likewise for Chinese questions over English reports
        return cls(retriever, meta["chunk_ids"], meta["chunk_docs"], meta["generation"], meta["idf"], glossary,
                   reverse)

    def coverage(self, tokens: list[str]) -> float:
        """Share (IDF-weighted) of the query's tokens that occur in the corpus at all.

        Low for a question in another language than the reports: keyword search then has little to go on.
        """
        if not tokens:
            return 0.0
        total = sum(self.token_weight(t) for t in tokens)
        return sum(self.idf[t] for t in tokens if t in self.idf) / total if total else 0.0

    def search(self, tokens: list[str], k: int, doc_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids by BM25 score (only scores above zero)."""
        if self._retriever is None or not tokens:
            return []
        scores = np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)
        if doc_ids is not None:
            scores = np.where(np.isin(self._docs, list(doc_ids)), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]


def build_lexical_index(lexical_dir: Path, docs_dir: Path, manifest: Manifest) -> int:
    """Rebuild the BM25 index from the stored tokens of every complete document; returns the chunk count."""
    bm25s = _bm25s()

    chunk_ids: list[str] = []
    chunk_docs: list[str] = []
    corpus: list[list[str]] = []
    # Chinese questions are given English words only from English reports: the Latin words inside Chinese reports
    # ("AI", "model") are not what such a question needs translated.
    english_vocabulary: set[str] = set()
    for record in sorted(manifest.complete(), key=lambda r: r.source):
        sidecar = read_sidecar(docs_dir, record.doc_id)
        if sidecar is None or sidecar.get("content_hash") != record.content_hash:
            logger.warning("no stored tokens for %s; it is left out of keyword search", record.source)
            continue
        for chunk in sidecar["chunks"]:
            chunk_ids.append(chunk["id"])
            chunk_docs.append(record.doc_id)
            corpus.append(chunk["tokens"].split(" ") if chunk["tokens"] else [])
            if record.lang == "en":
                english_vocabulary.update(corpus[-1])
    name = f"g{manifest.generation:06d}"
    folder = lexical_dir / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if corpus:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        retriever.save(str(folder), show_progress=False)
    document_frequency: Counter[str] = Counter()
    for tokens in corpus:
        document_frequency.update(set(tokens))
    n = len(corpus)
    idf = {t: round(math.log(1 + (n - df + 0.5) / (df + 0.5)), 4) for t, df in document_frequency.items() if t}
    write_json_atomic(folder / "glossary.json", build_glossary(idf))
    write_json_atomic(folder / "glossary-zh.json", build_reverse_glossary(english_vocabulary))
    write_json_atomic(
        folder / "chunks.json",
        {"generation": manifest.generation, "chunk_ids": chunk_ids, "chunk_docs": chunk_docs, "idf": idf},
    )
    try:
        previous = (lexical_dir / _POINTER).read_text().strip()
    except FileNotFoundError:
        previous = ""
    write_atomic(lexical_dir / _POINTER, name.encode())
    for old in lexical_dir.iterdir():
        if old.is_dir() and old.name not in (name, previous):
            shutil.rmtree(old, ignore_errors=True)
    return len(chunk_ids)


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print to the user's terminal.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s
