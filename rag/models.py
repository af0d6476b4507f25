"""Typed results that flow from the store to the answer. The UI and the CLI's ``--json`` only format these."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from rag.text.instructions import instruction_cue


class Chunk(BaseModel):
    """A span of one cleaned document: ``text == document_text[start:end]``."""

    model_config = ConfigDict(frozen=True)

    id: str
    doc_id: str
    index: int = Field(ge=0, description="Position of the chunk in its document.")
    source: str
    title: str
    section: str = ""
    page: int | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    lang: str = "zh"


class Passage(BaseModel):
    """A retrieved chunk with its place in the ranking."""

    model_config = ConfigDict(frozen=True)

    rank: int
    score: float
    chunk: Chunk
    dense_score: float | None = None
    bm25_score: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def instruction(self) -> str:
        """The words that make the passage read as an instruction to a model ("" for an ordinary passage)."""
        return instruction_cue(self.chunk.text)

    def to_record(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "source": c.source,
            "title": c.title,
            "section": c.section,
            "page": c.page,
            "start": c.start,
            "end": c.end,
            "text": c.text,
        }


class PageBox(BaseModel):
    """Part of a PDF page a quote was drawn on: a box in points from the page's top-left corner, and the page's
    size (so it can be drawn over the page at any scale)."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(ge=1)
    x0: float
    top: float
    x1: float
    bottom: float
    page_width: float = Field(gt=0)
    page_height: float = Field(gt=0)

    def to_record(self) -> dict[str, Any]:
        return {"page": self.page, "box": [self.x0, self.top, self.x1, self.bottom],
                "page_size": [self.page_width, self.page_height]}


class Citation(BaseModel):
    """What ``[n]`` in an answer points at: a quoted span inside one chunk, with document offsets."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(ge=1)
    chunk: Chunk
    quote: str
    quote_start: int = Field(ge=0, description="Offset of the quote in the cleaned document.")
    quote_end: int = Field(ge=0)
    supported: bool = True
    boxes: tuple[PageBox, ...] = Field((), description="Where the quote was drawn on its PDF page(s); () otherwise.")

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def instruction(self) -> str:
        """The words that make the cited passage read as an instruction to a model ("" for an ordinary one)."""
        return instruction_cue(self.chunk.text)

    def to_record(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "n": self.n,
            "source": c.source,
            "title": c.title,
            "section": c.section,
            "page": c.page,
            "start": self.quote_start,
            "end": self.quote_end,
            "quote": self.quote,
            "text": c.text,
            "supported": self.supported,
            "boxes": [box.to_record() for box in self.boxes],
        }


class SentenceSupport(BaseModel):
    """Whether one sentence of an LLM answer is supported by the passages it cites (see ``rag.answer.support``)."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, description="Offsets of the sentence in the answer text (its marker excluded).")
    end: int = Field(ge=0)
    citations: tuple[int, ...] = ()
    supported: bool
    reason: str = Field("", description="Why not: 'uncited', 'instruction', 'missing: …', 'meaning', 'payload'.")
    similarity: float | None = None


class Answer(BaseModel):
    """The result of one question."""

    question: str
    text: str
    refused: bool
    mode: Literal["extractive", "llm"]
    citations: list[Citation] = []
    passages: list[Passage] = []
    timings: dict[str, float] = {}
    notices: list[str] = Field(default_factory=list, description="Things the user should know, e.g. a fallback.")
    lang: str = "zh"
    signals: dict[str, float] = Field(
        default_factory=dict, description="What the abstainer measured (rag.answer.abstain)."
    )
    support: list[SentenceSupport] = Field(
        default_factory=list, description="Per sentence of an LLM answer: supported by its sources or not."
    )

    @property
    def latency_ms(self) -> float:
        return round(self.timings.get("total_ms", 0.0), 1)

    def to_record(self) -> dict[str, Any]:
        """The stable JSON shape of ``reportqa ask --json`` and of every eval result line."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "citations": [c.to_record() for c in self.citations],
            "passages": [p.to_record() for p in self.passages],
            "notices": list(self.notices),
            "latency_ms": self.latency_ms,
        }
