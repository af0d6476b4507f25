"""What one ingest did: the files added, updated, unchanged, removed and failed, warnings, and timings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class FileWarning:
    """Part of a file that could not be read (a page OCR found nothing legible on); the rest was ingested."""

    path: str
    message: str


@dataclass
class IngestReport:
    """What one ingest did. ``failed`` files were left as they were in the index."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    # Seconds each read document took to parse (killed ones included), by path: what the time budget bounds.
    parse_seconds: dict[str, float] = field(default_factory=dict)
    # Seconds spent starting parser worker processes (a fresh Python, the parsers imported, the tokenizer's
    # dictionary loaded): the same for any shelf, and none when nothing was read or parsing is in-process.
    parser_start_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "warnings": [{"path": w.path, "message": w.message} for w in self.warnings],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }
