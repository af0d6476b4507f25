"""The domain errors of ReportQA.

They are raised deep inside and caught at the boundary (a CLI command, a Gradio handler), which shows the message;
every message says what went wrong and, where there is one, what to do about it.
"""

from __future__ import annotations


class ReportQAError(Exception):
    """Base class: anything a user should see as a one-line message rather than a traceback."""


class UnsupportedFileError(ReportQAError):
    """A file whose type ReportQA does not read."""


class CorruptDocumentError(ReportQAError):
    """A file that claims a type but cannot be read as one (broken, encrypted, binary, empty, too large)."""


class EmptyIndexError(ReportQAError):
    """A question was asked before any report was ingested."""


class EmbedderMismatchError(ReportQAError):
    """The index was built by another embedding model than the one configured."""


class LLMUnavailableError(ReportQAError):
    """The configured OpenAI-compatible endpoint is down, slow, or answered nonsense."""


class StoreUnavailableError(ReportQAError):
    """The Chroma database cannot be reached or opened."""


class DataDirError(ReportQAError):
    """The data directory is missing, read-only or full."""


class IngestLockedError(ReportQAError):
    """Another ingest is writing to the same data directory."""
