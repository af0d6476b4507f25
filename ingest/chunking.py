"""Splitting a cleaned report into chunks that respect Chinese sentences and the report's sections.

Every chunk is a span ``[start, end)`` of the cleaned text, so ``text[start:end]`` is exactly the chunk and a
citation can point at the exact characters it quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.document import LoadedDocument
from ingest.structure import read_structure
from rag.text.document_structure import DocumentStructure
from rag.text.primitives import sentence_spans

_SOFT_BREAKS = "，,、：: "


@dataclass(frozen=True)
class ChunkSpan:
    """One chunk of a document: its span, the heading it sits under and the PDF page it starts on."""

    index: int
    start: int
    end: int
    section: str
    section_path: tuple[str, ...]
    page: int | None


@dataclass(frozen=True)
class _Section:
    start: int
    end: int
    path: tuple[str, ...]
    body_start: int  # where the text after the heading line(s) begins


def split_into_chunks(
    document: LoadedDocument, chunk_size: int, overlap: int, structure: DocumentStructure | None = None
) -> list[ChunkSpan]:
    """Split ``document`` into chunks of about ``chunk_size`` characters.

    Headings start a new chunk and name its section; a heading with nothing under it joins the next section, so no
    chunk is only a heading. Inside a section, whole sentences are packed up to ``chunk_size`` and the next chunk
    repeats up to ``overlap`` characters of trailing sentences. A sentence longer than the chunk is cut at a comma.
    Chunks are at most ``chunk_size`` characters, except a small last piece of a section merged into the chunk
    before it (at most 1.3 × ``chunk_size``) and a heading kept with a first sentence that fills a chunk alone.
    """
    text = document.text
    structure = structure if structure is not None else read_structure(document)
    chunks: list[ChunkSpan] = []
    for section in _sections(document, structure):
        for start, end in _pack(text, section, chunk_size, overlap):
            chunks.append(
                ChunkSpan(
                    index=len(chunks),
                    start=start,
                    end=end,
                    section=section.path[-1] if section.path else "",
                    section_path=section.path,
                    page=document.page_at(start),
                )
            )
    return chunks


def _sections(document: LoadedDocument, structure: DocumentStructure) -> list[_Section]:
    """The text cut at the headings the structure read (page headers and footers are never headings)."""
    text = document.text
    headings = [(b.start, b.end, b.level, b.path[-1]) for b in structure.outline() if b.path]
    sections: list[_Section] = []
    stack: list[tuple[int, str]] = []
    bounds = [(0, 0, 0, "")] + headings  # a preamble section before the first heading
    pending_start: int | None = None
    for i, (start, line_end, level, title) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
        if level:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
        body = text[line_end:end]
        if not body.strip():
            # An empty section (a heading straight above a sub-heading): keep its heading with what follows.
            if pending_start is None and (level or text[start:end].strip()):
                pending_start = start
            continue
        sections.append(
            _Section(
                start=start if pending_start is None else pending_start,
                end=end,
                path=tuple(t for _, t in stack),
                body_start=line_end,
            )
        )
        pending_start = None
    if pending_start is not None and sections:
        last = sections[-1]
        sections[-1] = _Section(last.start, len(text), last.path, last.body_start)
    elif pending_start is not None:
        sections.append(_Section(pending_start, len(text), tuple(t for _, t in stack), pending_start))
    return sections


def _pack(text: str, section: _Section, chunk_size: int, overlap: int) -> list[tuple[int, int]]:
    sentences = []
    for start, end in sentence_spans(text, section.start, section.end):
        sentences.extend(cut_long_sentence(text, start, end, chunk_size))
    chunks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for sentence in sentences:
        # The heading line(s) never make a chunk of their own: they go with the first sentence under them.
        if current and sentence[1] - current[0][0] > chunk_size and current[-1][1] > section.body_start:
            chunks.append(current)
            current = _overlap_tail(current, overlap, sentence, chunk_size)
        current.append(sentence)
    if current:
        chunks.append(current)
    # A small leftover is better read together with the chunk before it.
    if len(chunks) > 1 and chunks[-1][-1][1] - chunks[-1][0][0] < chunk_size // 4:
        merged = chunks[-2] + [s for s in chunks[-1] if s[0] >= chunks[-2][-1][1]]
        if merged[-1][1] - merged[0][0] <= chunk_size * 1.3:
            chunks[-2:] = [merged]
    return [(c[0][0], c[-1][1]) for c in chunks]


def _overlap_tail(
    sentences: list[tuple[int, int]], overlap: int, incoming: tuple[int, int], chunk_size: int
) -> list[tuple[int, int]]:
    """Trailing sentences of the finished chunk that fit in ``overlap`` and leave room for the next sentence."""
    tail: list[tuple[int, int]] = []
    for sentence in reversed(sentences[1:]):
        if incoming[1] - sentence[0] > chunk_size or sentence[1] - sentence[0] + _length(tail) > overlap:
            break
        tail.insert(0, sentence)
    return tail


def _length(spans: list[tuple[int, int]]) -> int:
    return spans[-1][1] - spans[0][0] if spans else 0


def cut_long_sentence(text: str, start: int, end: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than a chunk at commas (or anywhere, as a last resort)."""
    pieces = []
    while end - start > chunk_size:
        window = text[start : start + chunk_size]
        cut = max(window.rfind(mark) for mark in _SOFT_BREAKS)
        cut = start + cut + 1 if cut > chunk_size // 3 else start + chunk_size
        # A cut at a space must not leave the space at the end of the piece: chunks start and end on text.
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces
