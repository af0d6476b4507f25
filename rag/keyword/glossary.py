"""The bilingual glossaries of the keyword index for its current vocabulary, without reading the dictionary again.

``rag.bilingual.build_glossary`` and ``build_reverse_glossary`` read all of CC-CEDICT on every call (seconds), which
would cost an ingest of one report more than the rest of the keyword update. What they keep of a dictionary entry
does not depend on the vocabulary, so it is indexed once per data directory (``DictionaryIndex``); a glossary for a
vocabulary is then a few dictionary look-ups, equal to what the two functions return (a test checks this).
"""

from __future__ import annotations

import logging
import marshal
from collections.abc import Iterable
from pathlib import Path

from rag import bilingual
from rag.files import write_atomic

logger = logging.getLogger(__name__)
_INDEX_FORMAT = 1


class DictionaryIndex:
    """Per Chinese word: its glossary keys with (quality, sense position); and its English word forms, in the
    order ``build_reverse_glossary`` meets them."""

    def __init__(self, senses: dict[str, list[list]], forms: dict[str, list[str]]) -> None:
        self.senses = senses
        self.forms = forms
        self._by_form: dict[str, list[str]] | None = None

    @classmethod
    def build(cls) -> DictionaryIndex:
        senses: dict[str, list[list]] = {}
        forms: dict[str, list[str]] = {}
        for line in bilingual._dictionary_lines():
            entry = bilingual._ENTRY_RE.match(line)
            if entry is None:
                continue
            chinese, glosses = entry.group(1), entry.group(2).split("/")
            if not bilingual._CJK_RE.match(chinese):  # neither glossary keeps other words
                continue
            for position, gloss in enumerate(glosses):
                for key, quality in bilingual._gloss_keys(gloss):
                    senses.setdefault(chinese, []).append((key, quality, position))
            known = forms.setdefault(chinese, [])
            known.extend([form for form in _entry_forms(glosses) if form not in known])
        return cls(senses, {c: f for c, f in forms.items() if f})

    @classmethod
    def cached(cls, path: Path) -> DictionaryIndex:
        """The index stored at ``path``, built and stored first if it is missing or unreadable.

        Stored with ``marshal`` (several times faster to read than JSON, which matters on every ingest); its format
        changes between Python versions, so a file that does not read is simply built again.
        """
        try:
            data = marshal.loads(path.read_bytes())
            if data.get("format") == _INDEX_FORMAT:
                return cls(data["senses"], data["forms"])
        except (FileNotFoundError, ValueError, EOFError, TypeError, KeyError, AttributeError):
            pass
        logger.info("indexing the bilingual dictionary once for this data directory")
        index = cls.build()
        write_atomic(path, marshal.dumps({"format": _INDEX_FORMAT, "senses": index.senses, "forms": index.forms}))
        return index

    def glossary(self, vocabulary: Iterable[str]) -> dict[str, list[str]]:
        """What ``rag.bilingual.build_glossary(vocabulary)`` returns."""
        found: dict[str, list[tuple[int, int, str]]] = {}
        for word in vocabulary:
            if word in self.senses:
                for key, quality, position in self.senses[word]:
                    found.setdefault(key, []).append((quality, position, word))
        return {key: list(dict.fromkeys(w for *_, w in sorted(items)))[: bilingual.MAX_TERMS]
                for key, items in found.items()}

    def reverse_glossary(self, vocabulary: Iterable[str]) -> dict[str, list[str]]:
        """What ``rag.bilingual.build_reverse_glossary(vocabulary)`` returns."""
        english = {word for word in vocabulary if bilingual._WORD_RE.fullmatch(word)}
        if not english:
            return {}
        if self._by_form is None:
            self._by_form = {}
            for chinese, forms in self.forms.items():
                for form in forms:
                    self._by_form.setdefault(form, []).append(chinese)
        candidates = {c for form in english for c in self._by_form.get(form, ())}
        reverse = {}
        for chinese in candidates:
            words = [form for form in self.forms[chinese] if form in english]
            reverse[chinese] = words[: bilingual.MAX_REVERSE_TERMS]
        return reverse


def _entry_forms(glosses: list[str]) -> list[str]:
    """English word forms (word, +s, +es) of an entry's first senses, stopwords left out, first seen first."""
    out: list[str] = []
    for gloss in glosses[: bilingual.REVERSE_SENSES]:
        if not gloss.strip() or bilingual._SKIPPED_GLOSS_RE.match(gloss.strip()):
            continue
        for word in bilingual._WORD_RE.findall(bilingual._BRACKETED_RE.sub(" ", gloss).casefold()):
            for form in (word, word + "s", word + "es"):
                if form not in bilingual._STOPWORDS and form not in out:
                    out.append(form)
    return out
