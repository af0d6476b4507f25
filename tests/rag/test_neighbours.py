"""A passage cut mid-thought is finished with the words that follow it in the document (in the LLM prompt)."""

from __future__ import annotations

from ingest.pipeline import run_ingest
from rag.answer.llm import _format_sources
from rag.engine import Engine
from rag.models import Passage


def _all_chunks(engine: Engine):
    for record in engine.documents():
        yield from engine.store.get(record.chunk_ids()).values()


def test_a_lead_in_at_the_end_of_a_passage_brings_the_lines_it_introduces(corpus_index):
    engine = Engine.from_settings(corpus_index)
    chunk = next(c for c in _all_chunks(engine) if c.text.rstrip().endswith("："))
    rest = engine.continuation(chunk)
    text = engine.source_text(chunk.doc_id)
    assert rest and text[chunk.end : chunk.end + len(rest)] == rest
    assert len(rest) <= 200 and "\n#" not in rest
    prompt = _format_sources([Passage(rank=1, score=1.0, chunk=chunk)], {chunk.id: rest})
    assert chunk.text + rest in prompt


def test_a_passage_that_ends_a_sentence_gets_nothing_added(corpus_index):
    engine = Engine.from_settings(corpus_index)
    complete = [c for c in _all_chunks(engine) if c.text.rstrip().endswith("。")]
    assert complete
    assert all(engine.continuation(c) == "" for c in complete[:30])


def test_a_sentence_cut_by_the_chunk_size_is_finished_up_to_its_end(make_settings, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    long_sentence = "，".join(f"第{i}项指标在报告期内保持稳定增长并且超过了预期目标" for i in range(30)) + "。"
    (corpus / "long.md").write_text(f"# 长句报告\n\n{long_sentence}\n\n## 下一节\n\n另一段。", encoding="utf-8")
    settings = make_settings(corpus_dir=corpus)
    assert run_ingest(settings).ok
    engine = Engine.from_settings(settings)
    chunk = next(c for c in _all_chunks(engine) if c.text.rstrip().endswith("，"))
    rest = engine.continuation(chunk)
    assert rest and rest[-1] in "，。" and len(rest) <= 200
    assert engine.source_text(chunk.doc_id)[chunk.end : chunk.end + len(rest)] == rest
