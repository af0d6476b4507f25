"""The one place that builds the pipeline, and the public API the CLI, the UI and the evaluation share.

    engine = Engine.from_settings(settings)
    answer = engine.ask("2025年AI产业有哪些趋势？")
    for event in engine.stream("And in 2025?", history=[...]): ...
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from rag.answer.abstain import Abstainer
from rag.answer.evidence import DocumentFiles
from rag.answer.extractive import ExtractiveDraft, compose_extractive
from rag.answer.gather import Gathered, Gatherer, elapsed_ms
from rag.answer.messages import problem_text, refusal_text
from rag.answer.structured import (
    compose_comparison,
    compose_list,
    compose_summary,
    comparison_subjects,
    join_drafts,
    report_names,
    topic_query,
)
from rag.documents import continuation_in, match_documents
from rag.embedders import Embedder, make_embedder
from rag.errors import EmptyIndexError, LLMUnavailableError
from rag.index.lexical import LexicalIndex
from rag.index.manifest import DocumentRecord, Manifest
from rag.index.mirror import Mirror
from rag.index.page_boxes import PageBoxes, with_boxes
from rag.index.store import ChunkStore, forget_cached_database
from rag.models import Answer, Chunk, Passage
from rag.question import Question, analyse, previous_questions, search_text
from rag.retrieve.hybrid import HybridRetriever, Retrieval, make_reranker
from rag.settings import Settings

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
Mode = Literal["extractive", "llm"]


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
        self.page_boxes = PageBoxes(settings.docs_dir)
        self._reranker = make_reranker(settings.retrieval)
        self._lock = threading.Lock()
        self._report_names: dict[str, str] = {}  # doc id → what names the report (see answer.parts.report_names)
        self._manifest_stamp: tuple[int, int] | None = None
        self.manifest = Manifest()
        self.lexical: LexicalIndex | None = None
        self._llm = None
        self._llm_lock = threading.Lock()
        self._mirror = Mirror(settings) if settings.store.chroma_url else None  # the server holds the index
        self.abstainer = Abstainer.load(embedder.name, settings.answer.refusal_threshold)
        self._gatherer = Gatherer(settings.retrieval, self.retrieve, lambda: self.lexical, self.files, self.abstainer,
                                  reranked=self._reranker is not None)
        self.refresh()
        if settings.llm.configured:
            # The LLM client's imports (llama-index, openai) take seconds: pay them now, not at the first answer.
            threading.Thread(target=self._warm_llm, name="llm-client", daemon=True).start()

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
        if self._mirror is not None and self._mirror.sync() == "rebuilt":
            self.store = ChunkStore.open(self.settings, self.embedder.name, self.embedder.dim)
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
            self.page_boxes.clear()
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
        return match_documents(self.documents(), names)

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
        """The words that finish a passage cut mid-thought, from the document text right after it, or "" (see
        ``rag.documents.continuation_in``)."""
        return continuation_in(self.source_text(chunk.doc_id) or "", chunk, limit)

    def source_text(self, doc_id: str) -> str | None:
        """The cleaned text of a document, which every offset refers to."""
        return self.files.document_text(doc_id)

    # -- questions -------------------------------------------------------------------------------------------

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        fusion: str | None = None,
        chinese: bool | None = None,
    ) -> Retrieval:
        """Ranked passages only (no answer)."""
        self.refresh()
        if not self.manifest.complete():
            raise EmptyIndexError("the index is empty; add reports and run `reportqa ingest`")
        chunks_by_language: Counter[str] = Counter()
        for record in self.manifest.complete():
            chunks_by_language[record.lang] += record.n_chunks
        retriever = HybridRetriever(self.store, self.lexical, self.embedder, self.settings.retrieval, self._reranker,
                                    chunks_by_language=chunks_by_language,
                                    version=(self.manifest.writer, self.manifest.generation))
        return retriever.retrieve(question, k=k, doc_ids=doc_ids, fusion=fusion, chinese=chinese)

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
        asked = analyse(question or "", MAX_QUESTION_CHARS)
        chinese = asked.lang == "zh"
        if asked.problem:
            text = problem_text(asked.problem, chinese)
            yield AnswerEvent("delta", text)
            yield AnswerEvent("answer", answer=Answer(question=asked.text, text=text, refused=True, mode=mode,
                                                      lang=asked.lang))
            return
        notices: list[str] = []
        if asked.truncated:
            notices.append(f"The question was cut to its first {MAX_QUESTION_CHARS} characters.")
        if documents:
            doc_ids = [*(doc_ids or []), *self.resolve_documents(documents)]
        mode, search_query = self._search_query(asked, history or [], mode, notices)
        found = self.gather(asked, search_query, top_k, doc_ids)
        passages, timings = found.passages, found.timings
        # A report or a list may be named in the other language ("the AI infrastructure services analysis").
        named = replace(asked, terms=(*asked.terms, *found.translated))
        answer_started = time.perf_counter()
        refused = not found.decision.answer
        answer: Answer | None = None
        if not refused and mode == "llm":
            answerer = self._llm_answerer()
            try:
                listed = (compose_list(named, found.sentences, found.passages, self.files, found.query_vector,
                                       found.groups, self._names()) if asked.kind == "list" else None)
                items = listed.citations if listed is not None else ()
                streamed = answerer.stream(asked.text, passages[:top_k], chinese, self._continuation(), items)
                for kind, payload in streamed:
                    if kind == "delta":
                        yield AnswerEvent("delta", payload)
                    elif payload.refused:
                        refused = True
                    else:
                        answer = payload
            except LLMUnavailableError as exc:
                notices.append(f"{exc} Answered extractively instead.")
                yield AnswerEvent("notice", notices[-1])
        if answer is None and (mode == "extractive" or not refused):
            draft = self._compose(named, search_query, found)
            if draft is not None and draft.citations:
                for piece in _pieces(draft.text):
                    yield AnswerEvent("delta", piece)
                answer = Answer(question=asked.text, text=draft.text, refused=False, mode="extractive",
                                citations=draft.citations)
        if answer is None:
            text = refusal_text(chinese)
            yield AnswerEvent("delta", text)
            answer = Answer(question=asked.text, text=text, refused=True, mode=mode)
        timings["answer_ms"] = timings.get("evidence_ms", 0.0) + elapsed_ms(answer_started)
        timings["total_ms"] = elapsed_ms(started)
        update = {"passages": passages, "timings": timings, "notices": notices + answer.notices,
                  "lang": asked.lang, "question": asked.text, "signals": found.decision.signals,
                  "citations": with_boxes(answer.citations, self.page_boxes.get)}
        yield AnswerEvent("answer", answer=answer.model_copy(update=update))

    def _compose(self, asked: Question, search_query: str, found: Gathered) -> ExtractiveDraft | None:
        """The extractive answer, or None to refuse: a comparison of named reports or names gets one block per
        subject (each searched and judged on its own); otherwise, when the evidence answers, a whole list or a
        summary when asked for and the structure holds one, else the few best sentences. ``asked`` carries the
        question's terms in both languages."""
        titles, names = self._titles(), self._names()
        subjects = comparison_subjects(asked, titles, names) if asked.kind == "comparison" else []
        if subjects:
            topic = topic_query(asked, search_query, subjects)
            evidence = [self._gatherer.evidence_on(asked, topic, s, found) for s in subjects]
            return compose_comparison(asked, evidence, self.files)
        if asked.kind == "summary" and len(titles) > 1:
            found = self._gatherer.within_named(asked, search_query, found, names)
        if not found.decision.answer:
            return None
        draft = None
        if asked.kind == "list":
            draft = compose_list(asked, found.sentences, found.passages, self.files, found.query_vector, found.groups,
                                 names)
        elif asked.kind == "summary":
            draft = compose_summary(asked, found.sentences, self.files, found.query_vector, found.groups, names)
            # A summary of a topic the report sets out as a list (its trends, its challenges) names those items too.
            listed = compose_list(asked, found.sentences, found.passages, self.files, found.query_vector, found.groups,
                                  names, prose=False)
            draft = join_drafts(draft, listed)
        if draft is None or not draft.citations:
            draft = compose_extractive(found.sentences, self.settings.answer.max_sentences,
                                       english=asked.lang == "en", documents=self.files.get)
        return draft

    def _titles(self) -> list[tuple[str, str]]:
        return [(r.doc_id, r.title) for r in self.manifest.complete()]

    def _names(self) -> list[tuple[str, str]]:
        """(doc id, what names the report: its title, bylines and publisher lines), read once per document."""
        names = []
        for doc_id, title in self._titles():
            if doc_id not in self._report_names:
                self._report_names[doc_id] = report_names(title, self.files.get(doc_id))
            names.append((doc_id, self._report_names[doc_id]))
        return names

    def gather(
        self, asked: Question, search_query: str, top_k: int, doc_ids: Sequence[str] | None = None
    ) -> Gathered:
        """Retrieve passages, score their sentences as evidence, and decide whether they answer the question."""
        return self._gatherer.gather(asked, search_query, top_k, doc_ids)

    def _search_query(
        self, asked: Question, history: Sequence[Any], mode: Mode, notices: list[str]
    ) -> tuple[Mode, str]:
        """The answer mode that will be used and the text to retrieve with (a follow-up carries its subject)."""
        if mode == "llm" and not self.settings.llm.configured:
            notices.append("No LLM endpoint is configured (REPORTQA_LLM_BASE_URL, REPORTQA_LLM_MODEL); "
                           "answering extractively.")
            mode = "extractive"
        if mode == "llm":
            try:
                return mode, self._llm_answerer().condense(asked.text, history)
            except LLMUnavailableError as exc:
                notices.append(f"{exc} Answered extractively instead.")
        return "extractive", search_text(asked, previous_questions(history))

    def _continuation(self):
        """What the LLM is shown after each passage: the rest of its paragraph, when neighbours are on."""
        return self.continuation if self.settings.retrieval.neighbours else None

    def _warm_llm(self) -> None:
        try:
            self._llm_answerer()
        except Exception as exc:  # the first LLM answer meets it again and falls back with a notice
            logger.debug("the LLM client could not be built ahead of the first answer: %s", exc)

    def _llm_answerer(self):
        with self._llm_lock:
            if self._llm is None:
                from rag.answer.llm import LLMAnswerer

                self._llm = LLMAnswerer(
                    self.settings.llm,
                    max_context_chars=self.settings.llm.max_context_chars,
                    max_sentences=self.settings.answer.max_sentences + 1,
                    embedder=self.embedder,
                )
            return self._llm


def _pieces(text: str, size: int = 12) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


__all__ = ["Answer", "AnswerEvent", "Engine", "Passage"]
