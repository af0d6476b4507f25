"""One report read, structured, chunked and cut into sentences, ready to embed and write (run in the worker process,
see ``ingest.worker``): its chunks, the texts to embed, its record and its document file.

The keyword tokens of its chunks and sentences are added afterwards, in the ingest process (``add_tokens``): that
process loads the Chinese tokenizer's dictionary anyway (for the keyword index), so a worker that never loads it
starts in a third of the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ingest.budget import Budget, check_texts_to_embed
from ingest.chunking import ChunkSpan, cut_long_sentence, split_into_chunks
from ingest.identity import display_source
from ingest.loaders import load_document
from ingest.ocr import PageOcr
from ingest.structure import read_structure
from rag.errors import CorruptDocumentError
from rag.index.manifest import DocumentRecord, chunk_id
from rag.index.page_boxes import boxes_record
from rag.models import Chunk
from rag.settings import Settings
from rag.text.primitives import detect_language, sentence_spans, tokenize

# Longer sentences are cut at a comma for quoting: a citation should point at a sentence, not a page.
SENTENCE_MAX_CHARS = 200


@dataclass
class Prepared:
    path: Path
    record: DocumentRecord
    chunks: list[Chunk]
    embed_texts: list[str]
    sidecar: dict
    is_new: bool
    warnings: tuple[str, ...] = ()
    replaces: tuple[DocumentRecord, ...] = ()  # older versions of this report, removed once it is written


def embedding_text(title: str, section_path: Sequence[str], text: str) -> str:
    """What is embedded for a chunk: the chunk under its title and section path, which the chunk text often lacks."""
    header = " > ".join([title, *section_path[-2:]])
    return f"{header}\n{text}"


def prepare_document(
    path: Path, doc_id: str, content_hash: str, config_hash: str, settings: Settings, is_new: bool,
    ocr: PageOcr | bool = False, key: str = "",
) -> Prepared:
    """The report at ``path`` read, structured, chunked and cut into sentences: all ``run_ingest`` writes for it."""
    budget = Budget.from_settings(settings.ingest)
    document = load_document(path, max_bytes=int(settings.ingest.max_file_mb * 2**20), ocr=ocr, budget=budget)
    structure = read_structure(document)
    spans = split_into_chunks(document, settings.ingest.chunk_size, settings.ingest.chunk_overlap, structure)
    if not spans:
        raise CorruptDocumentError(f"{path}: no text to index")
    # Counted before any sentence is tokenized: an over-budget document costs no more than its chunking.
    sentences = sentence_units(document.text, spans, min(settings.ingest.chunk_size, SENTENCE_MAX_CHARS))
    check_texts_to_embed(path, len(spans) + len(sentences), budget.max_texts_to_embed)
    lang = detect_language(document.text)
    source = display_source(path)
    chunks, embed_texts, sidecar_chunks = [], [], []
    for span in spans:
        text = document.text[span.start : span.end]
        chunk = Chunk(
            id=chunk_id(doc_id, span.index),
            doc_id=doc_id,
            index=span.index,
            source=source,
            title=document.title,
            section=span.section,
            page=span.page,
            start=span.start,
            end=span.end,
            text=text,
            lang=lang,
        )
        chunks.append(chunk)
        embed_texts.append(embedding_text(document.title, span.section_path, text))
        sidecar_chunks.append(
            {
                "id": chunk.id,
                "start": span.start,
                "end": span.end,
                "section": span.section,
                "page": span.page,
                "tokens": "",  # add_tokens
            }
        )
    embed_texts.extend(document.text[start:end] for start, end in sentences)
    record = DocumentRecord(
        doc_id=doc_id,
        key=key,
        path=str(path.resolve()),
        source=source,
        title=document.title,
        lang=lang,
        kind=document.kind,
        content_hash=content_hash,
        config_hash=config_hash,
        n_chunks=len(chunks),
        chars=len(document.text),
        pages=len(document.pages),
        ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        status="pending",
    )
    sidecar = {
        "doc_id": doc_id,
        "source": source,
        "title": document.title,
        "content_hash": content_hash,
        "text": document.text,
        "pages": [[p.start, p.end, p.page] for p in document.pages],
        "chunks": sidecar_chunks,
        "sentences": [list(span) for span in sentences],
        # Tokens of each sentence, so answering never runs the Chinese tokenizer over the evidence (add_tokens).
        "sentence_tokens": [],
        # Typed blocks (title, headings, lists, tables, bylines, page furniture) with offsets into "text":
        # read back with rag.text.document_structure.DocumentStructure.from_dict.
        "structure": structure.to_dict(),
        # Where each line of a PDF was drawn (rag.index.page_boxes): what shows a quote on its page.
        "boxes": boxes_record(document.line_boxes, dict(document.page_sizes)),
    }
    return Prepared(path, record, chunks, embed_texts, sidecar, is_new, document.warnings)


def add_tokens(item: Prepared) -> None:
    """Fill in the keyword tokens of ``item``'s chunks (with their section) and sentences."""
    sidecar = item.sidecar
    text = sidecar["text"]
    for entry in sidecar["chunks"]:
        entry["tokens"] = " ".join(tokenize(f"{entry['section']}\n{text[entry['start'] : entry['end']]}"))
    sidecar["sentence_tokens"] = [" ".join(tokenize(text[start:end])) for start, end in sidecar["sentences"]]


def sentence_units(text: str, spans: Sequence[ChunkSpan], max_chars: int) -> list[tuple[int, int]]:
    """The distinct sentences of all chunks, in order: the units the extractive answerer quotes and scores."""
    units: set[tuple[int, int]] = set()
    for span in spans:
        for start, end in sentence_spans(text, span.start, span.end):
            units.update(cut_long_sentence(text, start, end, max_chars))
    return sorted(units)
