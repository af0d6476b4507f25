"""The offline answerer: the few sentences that best answer the question, verbatim, each cited.

No model writes anything, so nothing can be made up: every word of an answer is in a report, at the offsets its
citation gives.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from rag.answer.evidence import DocumentEntry, Sentence
from rag.models import Citation
from rag.text.backrefs import leans_back
from rag.text.primitives import line_start, tokenize

# Headings and the report's own questions introduce answers; they are never one.
_NOT_AN_ANSWER_RE = re.compile(r"^#{1,6}\s|[？?]\W*$")
_DISPLAY_MARKUP_RE = re.compile(r"\*+|__|`")
_LEADING_MARKER_RE = re.compile(r"^(?:[-*+•●]\s+|>\s*)+")
# A sentence this close to the best one (relative score) is worth adding to the answer.
_RELATIVE_CUTOFF = 0.90
_MIN_CHARS = 6
# A lead-in ("安装依赖库，如TensorFlow等：") is quoted with what it introduces, up to this many characters.
LEAD_IN_LIMIT = 200
# A paragraph's opening sentence this short states a topic ("人机协同的组织管理需要具备灵活的架构。"); the sentence
# after it says what the topic amounts to, so the two are quoted together.
TOPIC_SENTENCE_MAX_CHARS = 24
# A table row is quoted from its table's header row down, when it is one of the table's first rows.
TABLE_HEADER_MAX_LINES = 3
# A sentence that refers back ("在此片真正成名") is quoted from the sentence that names what it refers to, when that
# is at most this many sentences before it in its paragraph.
ANTECEDENT_REACH = 4
_LEAD_IN_ENDS = ("：", ":")
_TABLE_RULE_RE = re.compile(r"^[\s|:+-]*-[\s|:+-]*$")
_CODE_FENCE_RE = re.compile(r"^\s*```.*$", re.MULTILINE)
_SENTENCE_END_RE = re.compile(r"[。！？!?](?:[”」』\"）)]*)")


@dataclass
class ExtractiveDraft:
    text: str
    citations: list[Citation]


def compose_extractive(
    sentences: list[Sentence],
    max_sentences: int,
    english: bool,
    documents: Callable[[str], DocumentEntry | None] | None = None,
) -> ExtractiveDraft:
    """Pick up to ``max_sentences`` non-redundant sentences near the best score; cite each one.

    The answer keeps the report's order of the chosen sentences within a document, so a figure and the sentence
    that explains it read in sequence. With ``documents`` (doc id → its text and structure), a chosen lead-in,
    short topic sentence or table row is quoted together with the words that complete it (``complete_sentence``).
    """
    chosen: list[Sentence] = []
    chosen_tokens: list[set[str]] = []
    best = None
    for sentence in sentences:
        if len(chosen) >= max_sentences:
            break
        if _NOT_AN_ANSWER_RE.search(sentence.text) or len(sentence.text.strip("-*# ")) < _MIN_CHARS:
            continue
        if best is None:
            best = sentence.score
        elif sentence.score < best * _RELATIVE_CUTOFF:
            break
        tokens = set(tokenize(sentence.text))
        if any(_overlaps(sentence, other) for other in chosen) or any(
            _jaccard(tokens, other) > 0.6 for other in chosen_tokens
        ):
            continue
        chosen.append(sentence)
        chosen_tokens.append(tokens)
    if documents is not None:
        chosen = _merge_overlaps([complete_sentence(s, documents(s.passage.chunk.doc_id)) for s in chosen])
    chosen.sort(key=lambda s: (s.passage.rank, s.start))
    citations = []
    parts = []
    for n, sentence in enumerate(chosen, start=1):
        citations.append(
            Citation(n=n, chunk=sentence.passage.chunk, quote=sentence.text, quote_start=sentence.start,
                     quote_end=sentence.end)
        )
        parts.append(f"{display_sentence(sentence.text)} [{n}]")
    foreign = english and any(not s.passage.chunk.lang.startswith("en") for s in chosen)
    if foreign:
        # An English reader of a Chinese quote is told in English where it stands.
        parts = [f"{_where(s)}: {part}" for s, part in zip(chosen, parts, strict=True)]
        text = "The reports say (quoted as written):\n" + "\n".join(parts)
    else:
        body = (" " if english else "").join(parts)
        text = f"The reports say:\n{body}" if english and parts else body
    return ExtractiveDraft(text=text, citations=citations)


def _where(sentence: Sentence) -> str:
    """"In “<report title>”, section “<section>”" for a quote shown to an English reader."""
    chunk = sentence.passage.chunk
    section = f", section “{chunk.section}”" if chunk.section and chunk.section != chunk.title else ""
    return f"In “{chunk.title}”{section}"


def complete_sentence(sentence: Sentence, doc: DocumentEntry | None) -> Sentence:
    """The sentence with the words it needs to answer anything, as one contiguous span of the document (and of
    the passage it cites), read from the structure stored at ingest.

    - A lead-in ending in a colon gets the list, table or code block it introduces, whole items up to
      ``LEAD_IN_LIMIT`` characters.
    - A short opening sentence of a paragraph gets the next sentence of that paragraph.
    - A table row gets its table's header row ("超级会员 WPS大会员" above "价格 ¥148/年 ¥348/年"), and the rows
      between, when it is one of the first ``TABLE_HEADER_MAX_LINES`` rows.
    - A sentence that refers back to what the sentence before it names ("其轨道周期为5地球日15小时；") gets the
      sentences of its paragraph back to the one that names it.
    """
    if doc is None or doc.text[sentence.start : sentence.end] != sentence.text:
        return sentence
    text = doc.text
    stripped = sentence.text.rstrip().rstrip("*").rstrip()
    start = max(_table_header_start(doc, sentence.start), sentence.passage.chunk.start)
    if start < sentence.start:
        return replace(sentence, start=start, text=text[start : sentence.end])
    start = max(_antecedent_start(doc, sentence.start), sentence.passage.chunk.start)
    end = sentence.end
    if stripped.endswith(_LEAD_IN_ENDS):
        end = _lead_in_end(doc, sentence.start, sentence.end)
    elif _opens_paragraph(text, sentence.start) and len(stripped.lstrip("-*+ ")) <= TOPIC_SENTENCE_MAX_CHARS:
        paragraph_end = text.find("\n", sentence.end)
        paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
        following = _SENTENCE_END_RE.search(text, sentence.end, paragraph_end)
        if text[sentence.end : paragraph_end].strip():
            end = following.end() if following else paragraph_end
    end = max(min(end, sentence.passage.chunk.end), sentence.end)  # a quote stays inside the passage it cites
    if start >= sentence.start and end <= sentence.end:
        return sentence
    return replace(sentence, start=start, end=end, text=text[start:end])


def _antecedent_start(doc: DocumentEntry, start: int) -> int:
    """Where the sentence begins that the sentence at ``start`` refers back to ("在此片真正成名" after the sentence
    naming the film), or ``start`` (see ``antecedent``)."""
    index = bisect.bisect_left(doc.starts, start)
    if index == len(doc.starts) or doc.starts[index] != start:
        return start
    before = antecedent(doc, index)
    return start if before is None else doc.starts[before]


def _lead_in_end(doc: DocumentEntry, start: int, end: int) -> int:
    """Where what a lead-in (the sentence ``start:end``) introduces stops: the end of the list, table or code block
    right after it, cut after the last whole item (or row, or line) within ``LEAD_IN_LIMIT`` characters; ``end``
    when nothing follows that it introduces."""
    block = doc.structure.block_at(start)
    following = doc.structure.block_after(block.end) if block is not None else None
    if following is None or following.kind not in ("list", "table", "code"):
        return end
    limit = end + LEAD_IN_LIMIT
    if following.end <= limit:
        return following.end
    if following.kind == "list":
        parts = [item.end for item in following.items]
    elif following.kind == "table":
        parts = [b for _, b in ((following.header_span or (0, following.start)), *following.rows)]
    else:
        parts = [following.start + i for i, ch in enumerate(doc.text[following.start : limit]) if ch == "\n"]
    fitting = [p for p in parts if p <= limit]
    return max(fitting) if fitting else end


def _table_header_start(doc: DocumentEntry, start: int) -> int:
    """Where the header row of the table whose row begins at ``start`` begins, or ``start`` if it is no table row
    (or it is more than ``TABLE_HEADER_MAX_LINES`` rows below its header)."""
    table = doc.structure.table_of(start)
    if table is None or table.header_span is None or start < table.header_span[1]:
        return start
    row = table.row_at(start)
    if row is None or row >= TABLE_HEADER_MAX_LINES:
        return start
    return table.header_span[0]


def _opens_paragraph(text: str, start: int) -> bool:
    return not text[line_start(text, start) : start].strip("-*+> ")


def display_sentence(text: str) -> str:
    """A quote as shown in an answer: Markdown list markers, emphasis, code fences and table rules removed, words
    untouched; the lines of a multi-line quote run on, separated by " / " (after a lead-in's colon, by a space)."""
    lines = [_LEADING_MARKER_RE.sub("", line).strip().strip("|").strip()
             for line in _CODE_FENCE_RE.sub("", text).splitlines()]
    lines = [line for line in lines if line and not _TABLE_RULE_RE.match(line)]
    shown = "".join(
        line if i == 0 else (" " if lines[i - 1].endswith(_LEAD_IN_ENDS) else " / ") + line
        for i, line in enumerate(lines)
    )
    return _DISPLAY_MARKUP_RE.sub("", shown).strip()


def _merge_overlaps(sentences: list[Sentence]) -> list[Sentence]:
    """Completed quotes that now overlap (two rows under one table header) become one quote when they lie in the
    same passage; otherwise the later one is dropped."""
    kept: list[Sentence] = []
    for sentence in sentences:
        for i, other in enumerate(kept):
            if not _overlaps(sentence, other):
                continue
            if sentence.passage.chunk.id == other.passage.chunk.id:
                start, end = min(sentence.start, other.start), max(sentence.end, other.end)
                text = other.passage.chunk.text[start - other.passage.chunk.start : end - other.passage.chunk.start]
                kept[i] = replace(other, start=start, end=end, text=text)
            break
        else:
            kept.append(sentence)
    return kept


def _overlaps(a: Sentence, b: Sentence) -> bool:
    return a.passage.chunk.doc_id == b.passage.chunk.doc_id and a.start < b.end and b.start < a.end


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def antecedent(doc: DocumentEntry, index: int) -> int | None:
    """Where the run of sentences starts that sentence ``index`` leans on: when it refers back to what the sentence
    before it names ("在此片真正成名", "It was founded…"; see ``rag.text.backrefs``), that sentence, or further back
    while each refers back too, to the sentence in its paragraph that names it. None when ``index`` does not refer
    back, or when no sentence within ``ANTECEDENT_REACH`` before it in its paragraph stops referring back."""
    first = index
    while leans_back(doc.text[doc.starts[first] : doc.ends[first]]):
        opens_paragraph = first == 0 or "\n" in doc.text[doc.ends[first - 1] : doc.starts[first]]
        if opens_paragraph or index - first >= ANTECEDENT_REACH:
            return None
        first -= 1
    return first if first < index else None
