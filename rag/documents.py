"""What the engine says about the documents on its shelf: which ones a name means, and how a passage cut
mid-thought goes on in its document."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.errors import ReportQAError
from rag.index.manifest import DocumentRecord
from rag.models import Chunk

_SENTENCE_ENDS = tuple("。！？；.!?;…”」\"")
_CONTINUATION_END_RE = re.compile(r"[。！？；!?;…]|\n")


def match_documents(records: Sequence[DocumentRecord], names: Sequence[str]) -> list[str]:
    """Document ids for titles, paths, file names or ids (case-insensitive; a unique substring also matches).

    Raises:
        ReportQAError: a name matches no document.
    """
    ids = []
    for name in names:
        key = name.strip().casefold()
        exact = [
            r.doc_id
            for r in records
            if key in (r.doc_id, r.title.casefold(), r.source.casefold(), r.source.rsplit("/", 1)[-1].casefold())
        ]
        partial = [r.doc_id for r in records if key in r.title.casefold() or key in r.source.casefold()]
        found = exact or partial
        if not found:
            raise ReportQAError(f"no document in the index matches {name!r}; see `reportqa status`")
        ids.extend(found)
    return list(dict.fromkeys(ids))


def continuation_in(text: str, chunk: Chunk, limit: int = 200) -> str:
    """The words that finish a passage cut mid-thought, from its document's ``text`` right after it, or "".

    A sentence cut in the middle (a very long one) is finished up to its end; a lead-in that ends the passage
    ("关注点越来越务实：") gets the lines it introduces, up to ``limit`` characters and the next heading.
    """
    tail = text[chunk.end : chunk.end + limit]
    stripped = chunk.text.rstrip()
    if stripped.endswith(("：", ":")):
        heading = tail.find("\n#")
        tail = tail if heading < 0 else tail[:heading]
        cut = tail.rfind("\n") if chunk.end + limit < len(text) and heading < 0 else len(tail)
        return tail[:cut].rstrip() if cut > 0 else ""
    if stripped.endswith(_SENTENCE_ENDS):
        return ""
    # Only a sentence that runs on in the same line was cut; a chunk that ends at a line break is complete.
    end = _CONTINUATION_END_RE.search(tail)
    if end is None:  # still no end within the limit: up to the last comma
        comma = max(tail.rfind(mark) for mark in "，,、；")
        return tail[: comma + 1] if comma > 0 else ""
    return tail[: end.end()] if end.group(0) != "\n" else ""
