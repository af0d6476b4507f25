"""The one place that builds the pipeline, and the public API the CLI, the UI and the evaluation share.

    engine = Engine.from_settings(settings)
    answer = engine.ask("2025年AI产业有哪些趋势？")
    for event in engine.stream("And in 2025?", history=[...]): ...
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from rag.answer_extractive import compose_extractive
from rag.embedders import Embedder, make_embedder
from rag.errors import EmptyIndexError, LLMUnavailableError, ReportQAError
from rag.evidence import DocumentFiles, rerank_by_evidence, score_sentences
from rag.lexical import LexicalIndex
from rag.manifest import DocumentRecord, Manifest
from rag.models import Answer, Chunk, Passage
from rag.refusal import EMPTY_QUESTION_EN, EMPTY_QUESTION_ZH, evidence_strength, refusal_text
from rag.retrieve import HybridRetriever, Retrieval, make_reranker
from rag.settings import Settings
from rag.store import ChunkStore, forget_cached_database
from rag.text import is_chinese

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
# A question that leans on the one before it: a pronoun or connective first, or too short to stand alone.
_FOLLOW_UP_RE = re.compile(
    r"^(?:那|那么|那它|它|它们|其|这|该|此|他们|她们|还有|另外|同时|以及|并且|而|和|与|"
    r"and\b|but\b|what about\b|how about\b|and in\b|also\b|it\b|its\b|they\b|their\b|them\b|that\b|this\b|those\b)",
    re.IGNORECASE,
)
Mode = Literal["extractive", "llm"]
_SENTENCE_ENDS = tuple("。！？；.!?;…”」\"")
_CONTINUATION_END_RE = re.compile(r"[。！？；!?;…]|\n")


@dataclass(frozen=True)
class AnswerEvent:
    """One step of a streamed answer: a piece of text, a notice, or (last) the finished ``Answer``."""

    kind: Literal["delta", "notice", "answer"]
    text: str = ""
    answer: Answer | None = None


class Engine:
    """Answers questions over one index. Thread-safe for concurrent questions."""

    def __init__(self, settings: Settings, embedder: Embedder, store: ChunkStore) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.files = DocumentFiles(settings.docs_dir)
        self._reranker = make_reranker(settings.retrieval)
        self._lock = threading.Lock()
        self._manifest_stamp: tuple[int, int] | None = None
        self.manifest = Manifest()
        self.lexical: LexicalIndex | None = None
        self._llm = None
        self.refresh()

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        """Open the index in ``settings.data_dir`` (or the Chroma server) with the configured embedder.

        Raises:
            EmptyIndexError: nothing has been ingested yet.
            EmbedderMismatchError: the index was built by another embedder.
        """
        embedder = embedder or make_embedder(settings)
        store = ChunkStore.open(settings, embedder.name, embedder.dim)
        return cls(settings, embedder, store)

    # -- index state -----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Pick up a newer manifest and lexical index if an ingest has changed them (cheap when nothing has)."""
        path = self.settings.manifest_path
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        # The lexical index is rebuilt after the manifest is saved: a refresh in between must not keep the old one.
        current = self.lexical is not None and self.lexical.generation >= self.manifest.generation
        if stamp == self._manifest_stamp and (stamp is None or current):
            return
        with self._lock:
            manifest = Manifest.load(path)
            lexical = LexicalIndex.load(self.settings.lexical_dir)
            # Another process (a CLI ingest beside a running chat page) wrote vectors this process's Chroma state
            # does not hold: read the database again.
            forget_cached_database(self.settings, manifest)
            if self.store.stale:
                self.store = ChunkStore.open(self.settings, self.embedder.name, self.embedder.dim)
            self.manifest, self.lexical = manifest, lexical
            self.files.clear()
            self._manifest_stamp = stamp

    def documents(self) -> list[DocumentRecord]:
        """The documents in the index, by title."""
        self.refresh()
        return sorted(self.manifest.complete(), key=lambda r: r.title)

    def resolve_documents(self, names: Sequence[str]) -> list[str]:
        """Document ids for titles, paths, file names or ids (case-insensitive; a unique substring also matches).

        Raises:
            ReportQAError: a name matches no document.
        """
        ids = []
        records = self.documents()
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

    def neighbours(self, chunk: Chunk) -> tuple[Chunk | None, Chunk | None]:
        """The chunks just before and after ``chunk`` in its document."""
        record = self.manifest.documents.get(chunk.doc_id)
        if record is None:
            return None, None
        ids = record.chunk_ids()
        wanted = [ids[i] for i in (chunk.index - 1, chunk.index + 1) if 0 <= i < len(ids)]
        found = self.store.get(wanted)
        before = found.get(ids[chunk.index - 1]) if chunk.index > 0 else None
        after = found.get(ids[chunk.index + 1]) if chunk.index + 1 < len(ids) else None
        return before, after

    def continuation(self, chunk: Chunk, limit: int = 200) -> str:
        """The words that finish a passage cut mid-thought, from the document text right after it, or "".

        A sentence cut in the middle (a very long one) is finished up to its end; a lead-in that ends the passage
        ("关注点越来越务实：") gets the lines it introduces, up to ``limit`` characters and the next heading.
        """
        text = self.source_text(chunk.doc_id) or ""
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

    def source_text(self, doc_id: str) -> str | None:
        """The cleaned text of a document, which every offset refers to."""
        return self.files.document_text(doc_id)

    # -- questions -------------------------------------------------------------------------------------------

    def retrieve(
        self, question: str, k: int | None = None, doc_ids: Sequence[str] | None = None, fusion: str | None = None
    ) -> Retrieval:
        """Ranked passages only (no answer)."""
        self.refresh()
        if not self.manifest.complete():
            raise EmptyIndexError("the index is empty; add reports and run `reportqa ingest`")
        retriever = HybridRetriever(self.store, self.lexical, self.embedder, self.settings.retrieval, self._reranker)
        return retriever.retrieve(question, k=k, doc_ids=doc_ids, fusion=fusion)

    def ask(self, question: str, history: Sequence[Any] | None = None, **options: Any) -> Answer:
        """Answer one question. Options: ``mode``, ``top_k``, ``documents`` (names), ``doc_ids``."""
        answer = None
        for event in self.stream(question, history=history, **options):
            if event.kind == "answer":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        *,
        mode: Mode | None = None,
        top_k: int | None = None,
        documents: Sequence[str] | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Iterator[AnswerEvent]:
        """Answer one question as a stream of events; the last event carries the finished ``Answer``."""
        started = time.perf_counter()
        mode = mode or self.settings.answer.mode
        top_k = top_k or self.settings.retrieval.top_k
        question = (question or "").strip()
        chinese = is_chinese(question) if question else True
        if not question or not any(ch.isalnum() for ch in question):
            text = EMPTY_QUESTION_ZH if chinese else EMPTY_QUESTION_EN
            yield AnswerEvent("delta", text)
            yield AnswerEvent("answer", answer=Answer(question=question, text=text, refused=True, mode=mode, lang="zh" if chinese else "en"))
            return
        notices: list[str] = []
        if len(question) > MAX_QUESTION_CHARS:
            question = question[:MAX_QUESTION_CHARS]
            notices.append(f"The question was cut to its first {MAX_QUESTION_CHARS} characters.")
        if documents:
            doc_ids = [*(doc_ids or []), *self.resolve_documents(documents)]

        if mode == "llm" and not self.settings.llm.configured:
            notices.append("No LLM endpoint is configured (REPORTQA_LLM_BASE_URL, REPORTQA_LLM_MODEL); "
                           "answering extractively.")
            mode = "extractive"

        search_query = question
        if mode == "llm":
            try:
                search_query = self._llm_answerer().condense(question, history or [])
            except LLMUnavailableError as exc:
                notices.append(f"{exc} Answered extractively instead.")
                mode = "extractive"
        if mode == "extractive":
            search_query = carry_subject(question, history or [])

        settings = self.settings.retrieval
        rerank = settings.evidence_rerank and self._reranker is None
        pool_size = max(settings.passages, top_k, settings.evidence_pool if rerank else 0)
        retrieval = self.retrieve(search_query, k=pool_size, doc_ids=doc_ids)
        passages = retrieval.passages
        timings = dict(retrieval.timings)
        timings["retrieve_ms"] = _ms(started)

        answer_started = time.perf_counter()
        pool = score_sentences(
            passages, retrieval.query_vector, retrieval.query_tokens, self.files, self.lexical, question
        )
        if rerank:
            passages = rerank_by_evidence(passages, pool, settings.evidence_rerank_weight)
        passages = passages[: max(settings.passages, top_k)]
        kept = {p.chunk.id: p for p in passages[:top_k]}
        # The answer draws on the top_k passages only; their sentences keep the (re)ranked passage objects.
        sentences = [replace(s, passage=kept[s.passage.chunk.id]) for s in pool if s.passage.chunk.id in kept]
        timings["evidence_ms"] = _ms(answer_started)
        passage_lang_chinese = bool(passages) and passages[0].chunk.lang.startswith("zh")
        strength = evidence_strength(
            sentences,
            cross_lingual=chinese != passage_lang_chinese,
            vocabulary_coverage=retrieval.timings.get("vocabulary_coverage", 1.0),
        )
        refused = strength < self.settings.answer.refusal_threshold
        timings["evidence"] = round(strength, 4)

        answer: Answer | None = None
        if not refused and mode == "llm":
            answerer = self._llm_answerer()
            try:
                for kind, payload in answerer.stream(question, passages[:top_k], chinese, self):
                    if kind == "delta":
                        yield AnswerEvent("delta", payload)
                    elif payload.refused:
                        refused = True
                    else:
                        answer = payload
            except LLMUnavailableError as exc:
                notices.append(f"{exc} Answered extractively instead.")
                yield AnswerEvent("notice", notices[-1])
                mode = "extractive"
        if answer is None and not refused:
            draft = compose_extractive(sentences, self.settings.answer.max_sentences, english=not chinese,
                                       document_text=self.source_text)
            if draft.citations:
                for piece in _pieces(draft.text):
                    yield AnswerEvent("delta", piece)
                answer = Answer(question=question, text=draft.text, refused=False, mode="extractive",
                                citations=draft.citations)
            else:
                refused = True
        if answer is None:
            text = refusal_text(chinese)
            yield AnswerEvent("delta", text)
            answer = Answer(question=question, text=text, refused=True, mode=mode)
        timings["answer_ms"] = _ms(answer_started)
        timings["total_ms"] = _ms(started)
        yield AnswerEvent(
            "answer",
            answer=answer.model_copy(
                update={
                    "passages": passages,
                    "timings": timings,
                    "notices": notices + answer.notices,
                    "lang": "zh" if chinese else "en",
                    "question": question,
                }
            ),
        )

    def _llm_answerer(self):
        if self._llm is None:
            from rag.answer_llm import LLMAnswerer

            self._llm = LLMAnswerer(
                self.settings.llm,
                max_context_chars=self.settings.llm.max_context_chars,
                max_sentences=self.settings.answer.max_sentences + 1,
            )
        return self._llm


def carry_subject(question: str, history: Sequence[Any]) -> str:
    """For a follow-up question, put the previous question in front so retrieval knows what "it" is."""
    previous = previous_questions(history)
    if not previous:
        return question
    short = len(question) <= 8 if is_chinese(question) else len(question.split()) <= 4
    if short or _FOLLOW_UP_RE.match(question):
        return f"{previous[-1]} {question}"
    return question


def previous_questions(history: Sequence[Any]) -> list[str]:
    """User turns of a history given as messages ({"role", "content"}) or (question, answer) pairs."""
    questions = []
    for turn in history:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return questions


def _pieces(text: str, size: int = 12) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)


__all__ = ["Answer", "AnswerEvent", "Engine", "Passage", "carry_subject"]
