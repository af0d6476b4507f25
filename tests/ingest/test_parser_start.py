"""What adding a report costs in processes: an ingest reads with a worker its caller keeps running (the page's upload
queue lends the one that just checked the upload), starts none when nothing is new, and leaves the keyword tokens to
the ingest process (so a worker need not load the Chinese dictionary)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest
from ingest.worker import WorkerParser
from rag.index.docfiles import read_sidecar
from rag.index.manifest import Manifest
from rag.settings import Settings
from rag.text.primitives import tokenize
from ui.uploads import check_upload

REPORT = "# 算力市场\n\n## 规模\n\n2024年智能算力规模同比增长超过百分之五十。国产加速卡的出货量快速上升。\n"
SECOND = "# Cloud market\n\nPublic cloud revenue grew 20% in 2024. Enterprises moved model training to the cloud.\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.md").write_text(REPORT, encoding="utf-8")
    return folder


def test_an_ingest_reads_with_the_callers_running_worker_and_leaves_it_running(tmp_path, corpus):
    settings = Settings(data_dir=tmp_path / "data")
    worker = WorkerParser(check_upload, ocr=False, max_seconds=60)
    try:
        worker.prepare(corpus / "a.md", settings)  # as the upload queue's check does: the worker is now running
        pid = worker.pid

        report = run_ingest(settings, [corpus], parser=worker)

        assert report.ok and [Path(p).name for p in report.added] == ["a.md"], report.to_dict()
        assert report.parser_start_seconds == 0
        assert worker.pid == pid and [c.pid for c in multiprocessing.active_children()] == [pid]
        (corpus / "b.md").write_text(SECOND, encoding="utf-8")
        again = run_ingest(settings, [corpus], parser=worker)
        assert [Path(p).name for p in again.added] == ["b.md"] and worker.pid == pid
    finally:
        worker.close()
    assert not multiprocessing.active_children()


def test_an_ingest_of_reports_already_indexed_starts_no_parser(tmp_path, corpus, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data")
    assert run_ingest(settings, [corpus]).ok
    started: list[int] = []
    spawn = WorkerParser._spawn

    def counting(self: WorkerParser) -> None:
        started.append(1)
        spawn(self)

    monkeypatch.setattr(WorkerParser, "_spawn", counting)

    again = run_ingest(settings, [corpus])

    assert again.ok and not again.added and [Path(p).name for p in again.unchanged] == ["a.md"]
    assert started == [] and not multiprocessing.active_children()
    (corpus / "b.md").write_text(SECOND, encoding="utf-8")
    assert [Path(p).name for p in run_ingest(settings, [corpus]).added] == ["b.md"] and started == [1]


def test_the_keyword_tokens_written_for_a_report_are_its_chunks_and_sentences_tokenized(tmp_path, corpus):
    settings = Settings(data_dir=tmp_path / "data")
    assert run_ingest(settings, [corpus]).ok
    (record,) = Manifest.load(settings.manifest_path).documents.values()

    sidecar = read_sidecar(settings.docs_dir, record.doc_id)

    text = sidecar["text"]
    assert [c["tokens"] for c in sidecar["chunks"]] == [
        " ".join(tokenize(f"{c['section']}\n{text[c['start']:c['end']]}")) for c in sidecar["chunks"]
    ]
    assert "算力" in sidecar["chunks"][0]["tokens"].split(" ")
    assert sidecar["sentence_tokens"] == [" ".join(tokenize(text[s:e])) for s, e in sidecar["sentences"]]
    assert len(sidecar["sentence_tokens"]) == len(sidecar["sentences"]) >= 2
