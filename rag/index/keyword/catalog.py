"""Which segments make the keyword index, kept in line with the manifest one change at a time.

On disk, under the lexical folder::

    CURRENT                 names the current state folder (swapped atomically)
    g000042/state.json      the generation it matches, its segments, their deleted documents, each document's stamp
    g000042/glossary*.json  the bilingual glossaries of its vocabulary
    segments/<name>/        immutable segments (see ``rag.index.keyword.segment``)

An update compares the manifest's complete documents (id and config hash) with the state's: new ones go into one
new segment, removed ones are marked deleted, and segments are merged by size tier so their number stays small
(a tier of similar-sized segments merges when it reaches ``TIER_SEGMENTS``). A state whose generation differs from
the manifest's is stale and brought in line the same way; one that cannot be read is rebuilt from every document.
The previous state and its segments stay on disk until the next update, for readers that opened it just before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.index.docfiles import read_sidecar
from rag.index.files import write_atomic, write_json_atomic
from rag.index.keyword.glossary import DictionaryIndex
from rag.index.keyword.segment import Segment, SegmentDoc, build_segment, merge_segments
from rag.index.manifest import DocumentRecord, Manifest
from rag.text import bilingual

logger = logging.getLogger(__name__)

FORMAT = 4  # 3: the reverse glossary holds English words in their inflections; 4: the dictionary's supplement
POINTER = "CURRENT"
SEGMENTS = "segments"
TIER_SEGMENTS = 8
# A segment with more than this share of its chunks deleted is rewritten without them at the next update.
MAX_DELETED_SHARE = 0.5


@dataclass
class SegmentEntry:
    name: str
    docs: dict[str, str]  # doc id → stamp
    rows: dict[str, int]  # doc id → chunk count
    deleted: set[str] = field(default_factory=set)

    @property
    def live_rows(self) -> int:
        return sum(n for d, n in self.rows.items() if d not in self.deleted)

    def live_docs(self) -> dict[str, str]:
        return {d: s for d, s in self.docs.items() if d not in self.deleted}


@dataclass
class State:
    generation: int
    segments: list[SegmentEntry]
    folder: str = ""

    def live(self) -> dict[str, tuple[str, str]]:
        """doc id → (stamp, segment name) of every live document."""
        return {d: (s, e.name) for e in self.segments for d, s in e.live_docs().items()}

    def to_json(self) -> dict:
        return {"format": FORMAT, "generation": self.generation, "segments": [
            {"name": e.name, "docs": e.docs, "rows": e.rows, "deleted": sorted(e.deleted)} for e in self.segments]}


def read_state(lexical_dir: Path) -> State | None:
    """The current state, or None if there is none or it is of another format.

    Raises FileNotFoundError when the pointer names a folder that was replaced meanwhile (read it again)."""
    try:
        name = (lexical_dir / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    try:
        data = json.loads((lexical_dir / name / "state.json").read_text(encoding="utf-8"))
    except ValueError:
        return None
    if data.get("format") != FORMAT:
        return None
    return State(data["generation"], _entries(data), name)


def segment_folder(lexical_dir: Path, name: str) -> Path:
    return lexical_dir / SEGMENTS / name


def update(lexical_dir: Path, docs_dir: Path, manifest: Manifest, rebuild: bool = False) -> State:
    """Bring the keyword index in line with ``manifest``; returns the new (or unchanged) state."""
    try:
        current = read_state(lexical_dir)
    except FileNotFoundError:
        current = None
    state = None if rebuild else current
    if state is not None and not _segments_present(lexical_dir, state):
        logger.warning("the keyword index in %s is missing segments; rebuilding it", lexical_dir)
        state = None
    if state is None:
        # Built afresh; the current folder (if any) stays for readers that are opening it.
        state = State(manifest.generation, [], current.folder if current else "")
        return _rebuild(lexical_dir, docs_dir, manifest, state.folder)
    wanted = {r.doc_id: r for r in manifest.complete()}
    live = state.live()
    removed = {d for d, (stamp, _) in live.items() if d not in wanted or wanted[d].config_hash != stamp}
    added = [r for d, r in wanted.items() if d not in live or d in removed]
    if not removed and not added and state.folder and state.generation == manifest.generation:
        return state
    if state.folder and state.generation != manifest.generation and not (removed or added):
        logger.info("keyword index generation %d is behind the manifest's %d; restamping it",
                    state.generation, manifest.generation)
    entries = [SegmentEntry(e.name, e.docs, e.rows, e.deleted | (removed & e.docs.keys())) for e in state.segments]
    entries = [e for e in entries if e.live_docs()]
    new = _segment_from_sidecars(lexical_dir, docs_dir, added)
    if new is not None:
        entries.append(new)
    entries = _merge_tiers(lexical_dir, entries)
    return _commit(lexical_dir, State(manifest.generation, entries), state.folder)


def _rebuild(lexical_dir: Path, docs_dir: Path, manifest: Manifest, previous: str) -> State:
    entries = []
    segment = _segment_from_sidecars(lexical_dir, docs_dir, manifest.complete())
    if segment is not None:
        entries.append(segment)
    return _commit(lexical_dir, State(manifest.generation, entries), previous)


def _segments_present(lexical_dir: Path, state: State) -> bool:
    return all((segment_folder(lexical_dir, e.name) / "segment.json").exists() for e in state.segments)


def _segment_from_sidecars(lexical_dir: Path, docs_dir: Path, records: Iterable[DocumentRecord]) -> SegmentEntry | None:
    parts = []
    for record in sorted(records, key=lambda r: (r.source, r.doc_id)):
        sidecar = read_sidecar(docs_dir, record.doc_id)
        if sidecar is None or sidecar.get("content_hash") != record.content_hash:
            logger.warning("no stored tokens for %s; it is left out of keyword search", record.source)
            continue
        chunks = sidecar["chunks"]
        doc = SegmentDoc(record.doc_id, record.source, record.config_hash, record.lang == "en", 0, len(chunks))
        parts.append((doc, [c["id"] for c in chunks], [c["tokens"].split(" ") if c["tokens"] else [] for c in chunks]))
    if not parts:
        return None
    segment = build_segment(uuid.uuid4().hex[:12], parts)
    segment.save(segment_folder(lexical_dir, segment.name))
    return _entry(segment)


def _entry(segment: Segment) -> SegmentEntry:
    return SegmentEntry(segment.name, {d.doc_id: d.stamp for d in segment.docs},
                        {d.doc_id: d.rows for d in segment.docs})


def _tier(entry: SegmentEntry) -> int:
    return int(math.log10(max(entry.live_rows, 1)))


def _merge_tiers(lexical_dir: Path, entries: list[SegmentEntry]) -> list[SegmentEntry]:
    """Merge each size tier that holds ``TIER_SEGMENTS`` segments, and rewrite mostly deleted segments; repeats
    while a merge fills the next tier."""
    while True:
        tiers: dict[int, list[SegmentEntry]] = {}
        for entry in entries:
            tiers.setdefault(_tier(entry), []).append(entry)
        full = next((group for group in tiers.values() if len(group) >= TIER_SEGMENTS), None)
        if full is None:
            full = next(([e] for e in entries if e.deleted and
                         sum(e.rows[d] for d in e.deleted) > MAX_DELETED_SHARE * sum(e.rows.values())), None)
        if full is None:
            return entries
        parts = [(Segment.load(segment_folder(lexical_dir, e.name)), e.deleted) for e in full]
        merged = merge_segments(uuid.uuid4().hex[:12], parts)
        merged.save(segment_folder(lexical_dir, merged.name))
        position = entries.index(full[0])
        entries = [e for e in entries if e not in full]
        entries.insert(position, _entry(merged))


def _commit(lexical_dir: Path, state: State, previous: str) -> State:
    """Write the state folder (with its glossaries), swap the pointer, and delete what neither it nor the previous
    state uses."""
    name = _free_name(lexical_dir, f"g{state.generation:06d}")
    folder = lexical_dir / name
    folder.mkdir(parents=True)
    stamps = _write_glossaries(lexical_dir, state, folder, previous)
    write_json_atomic(folder / "state.json", {**state.to_json(), "vocabulary": stamps})
    write_atomic(lexical_dir / POINTER, name.encode())
    state.folder = name
    _collect_garbage(lexical_dir, state, previous)
    return state


def _free_name(lexical_dir: Path, base: str) -> str:
    name, n = base, 1
    while (lexical_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _write_glossaries(lexical_dir: Path, state: State, folder: Path, previous: str) -> dict[str, str]:
    """Write the glossaries of the state's vocabulary into ``folder``; one whose words did not change since the
    previous state (the English words, when a Chinese report is added) is copied from it, one whose words only
    grew (a report added) is the previous one with the added words' entries worked out (``DictionaryIndex``), so
    adding a report costs its new words, not the whole vocabulary. Returns the stamps of the two vocabularies."""
    read = _VocabularyReader(lexical_dir)
    vocabulary, english = read.of(state.segments)
    stamps = {"glossary.json": _stamp(w for w in vocabulary if bilingual._CJK_RE.match(w)),
              "glossary-zh.json": _stamp(english)}
    try:
        old_state = read_state_folder(lexical_dir, previous) if previous else {}
    except (FileNotFoundError, ValueError, IsADirectoryError):
        old_state = {}
    before = old_state.get("vocabulary", {})
    # A first build reads the dictionary as before (about a second); later updates use the dictionary index, built
    # once per machine, so that adding one report does not read the whole dictionary again.
    index = DictionaryIndex.shared(lexical_dir) if previous else None
    old_vocabulary, old_english = read.of(_entries(old_state)) if index is not None and before else (set(), set())
    glossaries = (
        ("glossary.json", vocabulary, old_vocabulary, index.glossary if index else bilingual.build_glossary,
         lambda earlier, added: index.glossary_added(earlier, added)),
        ("glossary-zh.json", english, old_english,
         index.reverse_glossary if index else bilingual.build_reverse_glossary,
         lambda earlier, added: index.reverse_glossary_added(earlier, added, english)),
    )
    for name, words, old, build, grow in glossaries:
        try:
            if before.get(name) == stamps[name]:
                write_atomic(folder / name, (lexical_dir / previous / name).read_bytes())
                continue
            if old and old <= words:  # only when the dictionary index is there to grow it
                earlier = json.loads((lexical_dir / previous / name).read_text(encoding="utf-8"))
                write_json_atomic(folder / name, grow(earlier, words - old))
                continue
        except (FileNotFoundError, ValueError):
            pass
        write_json_atomic(folder / name, build(words) if words else {})
    return stamps


def _entries(state_json: dict) -> list[SegmentEntry]:
    return [SegmentEntry(e["name"], e["docs"], e["rows"], set(e["deleted"])) for e in state_json.get("segments", [])]


class _VocabularyReader:
    """The live vocabulary of a list of segments, each segment read once however many states list it."""

    def __init__(self, lexical_dir: Path) -> None:
        self.lexical_dir = lexical_dir
        self._read: dict[tuple[str, frozenset[str]], tuple[set[str], set[str]]] = {}

    def of(self, entries: Iterable[SegmentEntry]) -> tuple[set[str], set[str]]:
        """All words, and the words of English documents."""
        vocabulary: set[str] = set()
        english: set[str] = set()
        for entry in entries:
            key = (entry.name, frozenset(entry.deleted))
            if key not in self._read:
                self._read[key] = _live_vocabulary(segment_folder(self.lexical_dir, entry.name), entry)
            words, english_words = self._read[key]
            vocabulary |= words
            english |= english_words
        return vocabulary, english


def _stamp(words: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(words)).encode("utf-8")).hexdigest()[:16]


def _live_vocabulary(folder: Path, entry: SegmentEntry) -> tuple[set[str], set[str]]:
    """The tokens of a segment's live chunks, and those of its live English documents."""
    try:
        words = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        words = None
    if words is not None and not entry.deleted:
        return set(words["all"]), set(words["english"])
    segment = Segment.load(folder)
    return segment.live_vocabulary(entry.deleted)


def _collect_garbage(lexical_dir: Path, state: State, previous: str) -> None:
    keep = {state.folder, previous, SEGMENTS}
    used = {e.name for e in state.segments}
    try:
        old = read_state_folder(lexical_dir, previous) if previous else None
    except (FileNotFoundError, ValueError):
        old = None
    if old is not None:
        used |= {e["name"] for e in old["segments"]}
    for path in lexical_dir.iterdir():
        if path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
    segments = lexical_dir / SEGMENTS
    if segments.is_dir():
        for path in segments.iterdir():
            if path.name not in used:
                shutil.rmtree(path, ignore_errors=True)


def read_state_folder(lexical_dir: Path, name: str) -> dict:
    return json.loads((lexical_dir / name / "state.json").read_text(encoding="utf-8"))
