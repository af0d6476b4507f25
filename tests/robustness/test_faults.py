"""Faults outside ReportQA's control: a second ingest, an unusable or damaged data directory, a full disk, a Chroma
server that goes away and comes back, and an LLM endpoint that is down, slow or talks nonsense.

Each one ends in a clear message (never a traceback) or a degraded answer with a notice, and nothing is left
half-written.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chroma_server import ChromaServer
from ingest.lock import ingest_lock
from ingest.pipeline import run_ingest
from rag.engine import Engine
from rag.errors import DataDirError, EmptyIndexError, StoreUnavailableError
from rag.index.files import write_atomic, write_json_atomic
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.settings import Settings
from robustkit import (
    CLOUD_QUESTION,
    SMALL_REPORTS,
    assert_clean_failure,
    child_env,
    llm_engine,
    one_line,
    run_cli,
    write_reports,
)


def _index_state(settings: Settings) -> dict:
    manifest = Manifest.load(settings.manifest_path)
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    ids = store.collection.get(include=[])["ids"]
    return {
        "count": store.count(),
        "ids": sorted(ids),
        "manifest_ids": sorted(i for r in manifest.documents.values() for i in r.chunk_ids()),
        "n_chunks": sum(r.n_chunks for r in manifest.documents.values()),
        "statuses": sorted({r.status for r in manifest.documents.values()}),
        "documents": len(manifest.documents),
    }


def _assert_no_duplicates(state: dict, documents: int) -> None:
    assert state["documents"] == documents
    assert state["statuses"] == ["complete"]
    assert state["count"] == state["n_chunks"] == len(state["ids"]) == len(set(state["ids"]))
    assert state["ids"] == state["manifest_ids"]


# -- two writers -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_ingests_started_together_both_succeed_one_after_the_other_without_duplicates(tmp_path):
    folder = write_reports(tmp_path / "reports", {k: SMALL_REPORTS[k] for k in ("cloud.md", "chips.md")})
    data = tmp_path / "data"
    command = [str(Path(sys.executable).parent / "reportqa"), "ingest", str(folder), "--data-dir", str(data), "--json"]
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=300) for child in children]
    for child, (out, errors) in zip(children, outputs):
        assert child.returncode == 0, errors[-3000:]
        assert "Traceback" not in errors
    reports = [json.loads(out) for out, _ in outputs]
    # The lock serialised them: one wrote both reports, the other found them unchanged (no interleaved writes).
    assert sorted((len(r["added"]), len(r["unchanged"])) for r in reports) == [(0, 2), (2, 0)], reports
    _assert_no_duplicates(_index_state(Settings(data_dir=data)), documents=2)


def test_an_ingest_that_cannot_get_the_lock_in_time_fails_with_one_clear_line(tmp_path):
    folder = write_reports(tmp_path / "reports", {"cloud.md": SMALL_REPORTS["cloud.md"]})
    data = tmp_path / "data"
    data.mkdir()
    with ingest_lock(Settings(data_dir=data).lock_path, wait_s=0):
        started = time.monotonic()
        result = run_cli("ingest", str(folder), "--data-dir", str(data), env=child_env(REPORTQA_LOCK_WAIT_S="1"))
        elapsed = time.monotonic() - started
    message = assert_clean_failure(result, "another ingest is writing to", str(data), "try again")
    assert message.count("error:") == 1
    assert elapsed < 60, f"gave up after {elapsed:.0f} s although REPORTQA_LOCK_WAIT_S=1"
    assert not (data / "manifest.json").exists()


def test_a_lock_file_that_cannot_be_created_is_a_data_dir_error(tmp_path):
    lock_path = tmp_path / "ingest.lock"
    lock_path.mkdir()  # root ignores permissions, but not a folder where the lock file must go
    with pytest.raises(DataDirError, match="cannot create the ingest lock .*--data-dir"):
        with ingest_lock(lock_path, wait_s=0):
            pass


# -- unusable or missing data directory ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["a file", "under a file", "under /proc"])
def test_an_unusable_data_dir_is_one_clear_error_that_says_what_to_do(tmp_path, where):
    folder = write_reports(tmp_path / "reports", {"cloud.md": SMALL_REPORTS["cloud.md"]})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    data_dir = {
        "a file": blocker,
        "under a file": blocker / "data",
        "under /proc": Path("/proc/self/reportqa-data"),
    }[where]

    result = run_cli("ingest", str(folder), "--data-dir", str(data_dir))

    message = assert_clean_failure(result, "cannot use data directory", str(data_dir), "--data-dir")
    assert "writable" in message
    assert blocker.read_text() == "I am a file"


def test_ask_and_status_on_a_missing_data_dir_say_to_run_ingest_and_create_nothing(tmp_path):
    missing = tmp_path / "never-ingested"

    asked = run_cli("ask", CLOUD_QUESTION, "--data-dir", str(missing))
    assert_clean_failure(asked, "no index in", "run `reportqa ingest`")
    status = run_cli("status", "--json", "--data-dir", str(missing))
    assert status.returncode == 0 and "Traceback" not in status.stderr
    info = json.loads(status.stdout)
    assert info["documents"] == [] and any("run `reportqa ingest`" in p for p in info["problems"])
    assert not missing.exists(), "asking about a missing index created one"


# -- a damaged index -------------------------------------------------------------------------------------------


def test_deleted_chroma_files_give_a_clear_message_and_the_next_ingest_repairs_them(
    small_index, small_engine, small_reports, tmp_path
):
    settings = small_index.with_overrides(data_dir=tmp_path / "data")
    shutil.copytree(small_index.data_dir, settings.data_dir)
    shutil.rmtree(settings.chroma_dir)

    with pytest.raises(EmptyIndexError, match="run `reportqa ingest`"):
        Engine.from_settings(settings, embedder=small_engine.embedder)
    assert_clean_failure(run_cli("ask", CLOUD_QUESTION, "--data-dir", str(settings.data_dir)), "run `reportqa ingest`")

    report = run_ingest(settings, [small_reports], embedder=small_engine.embedder)

    assert report.ok and sorted(report.updated) == sorted(r.source for r in Manifest.load(small_index.manifest_path)
                                                          .documents.values()), report.to_dict()
    _assert_no_duplicates(_index_state(settings), documents=len(SMALL_REPORTS))
    answer = Engine.from_settings(settings, embedder=small_engine.embedder).ask(CLOUD_QUESTION)
    assert not answer.refused and answer.citations and "百分之二十" in answer.text
    again = run_ingest(settings, [small_reports], embedder=small_engine.embedder)
    assert again.chunks_written == 0 and len(again.unchanged) == len(SMALL_REPORTS)


def test_a_deleted_text_file_of_one_document_is_rewritten_by_the_next_ingest(small_index, small_engine, small_reports,
                                                                             tmp_path):
    settings = small_index.with_overrides(data_dir=tmp_path / "data")
    shutil.copytree(small_index.data_dir, settings.data_dir)
    victim = sorted(settings.docs_dir.glob("*.json"))[0]
    victim.unlink()

    report = run_ingest(settings, [small_reports], embedder=small_engine.embedder)

    assert report.ok and len(report.updated) == 1 and len(report.unchanged) == len(SMALL_REPORTS) - 1
    assert victim.exists()
    _assert_no_duplicates(_index_state(settings), documents=len(SMALL_REPORTS))


# -- a full or read-only disk ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only"), (errno.EACCES, "read-only")],
)
def test_a_failed_write_is_a_data_dir_error_that_keeps_the_old_file(tmp_path, monkeypatch, code, words):
    target = tmp_path / "manifest.json"
    write_json_atomic(target, {"generation": 1})

    def failing_replace(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(DataDirError) as caught:
        Manifest(generation=2).save(target)
    assert words in str(caught.value) and str(target) in str(caught.value)
    monkeypatch.undo()
    assert Manifest.load(target).generation == 1, "the old manifest was damaged"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"], "a temporary file was left behind"


def test_a_write_under_a_file_is_a_data_dir_error_not_a_traceback(tmp_path):
    """Regression: write_atomic created the parent folder outside its OSError mapping, so a file in the way leaked."""
    (tmp_path / "documents").write_text("in the way")
    with pytest.raises(DataDirError, match="cannot write"):
        write_atomic(tmp_path / "documents" / "doc.json", b"{}")


def test_the_cli_shows_a_full_disk_during_ingest_as_one_line(tmp_path, monkeypatch):
    """The CLI's boundary turns the DataDirError of a full disk into one line and exit code 1."""
    from typer.testing import CliRunner

    from ui.cli import app

    folder = write_reports(tmp_path / "reports", {"cloud.md": SMALL_REPORTS["cloud.md"]})

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full_disk)
    monkeypatch.setattr("ingest.pipeline.make_embedder", lambda settings: _TinyEmbedder())
    result = CliRunner().invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError) and "Traceback" not in result.output
    assert "no space left" in one_line(result.output)


class _TinyEmbedder:
    name = "tiny"
    dim = 4

    def embed_passages(self, texts):
        import numpy as np

        return np.ones((len(texts), self.dim), dtype=np.float32) / 2

    def embed_query(self, text):
        import numpy as np

        return np.ones(self.dim, dtype=np.float32) / 2


# -- a Chroma server that goes away and comes back --------------------------------------------------------------

@pytest.mark.slow
def test_a_chroma_server_that_goes_away_gives_a_clear_error_and_the_same_engine_answers_when_it_is_back(
    tmp_path, small_engine
):
    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma.log")
    server.start()
    try:
        folder = write_reports(tmp_path / "reports", {k: SMALL_REPORTS[k] for k in ("cloud.md", "chips.md")})
        settings = Settings(data_dir=tmp_path / "data", store={"chroma_url": server.url})
        assert run_ingest(settings, [folder], embedder=small_engine.embedder).ok
        engine = Engine.from_settings(settings, embedder=small_engine.embedder)
        assert not engine.ask(CLOUD_QUESTION).refused

        server.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError) as caught:
            engine.ask(CLOUD_QUESTION)
        elapsed = time.monotonic() - started
        message = str(caught.value)
        assert server.url in message and "is it running?" in message, message
        assert elapsed < 30, f"{elapsed:.1f} s to notice the server is gone"

        server.start()
        answer = engine.ask(CLOUD_QUESTION)
        assert not answer.refused and "百分之二十" in answer.text and answer.citations
    finally:
        server.stop()


# -- an LLM endpoint that is down, slow or talks nonsense -------------------------------------------------------

LLM_TIMEOUT_S = 3.0


@pytest.mark.parametrize("mode", ["slow", "stall", "bad-json", "garbage-sse", "http500"])
def test_a_misbehaving_llm_endpoint_falls_back_to_the_extractive_answer_with_a_notice(small_engine, fake_llm, mode):
    engine = llm_engine(small_engine, fake_llm.base_url, timeout_s=LLM_TIMEOUT_S)
    extractive = small_engine.ask(CLOUD_QUESTION, mode="extractive")
    fake_llm.mode = mode

    started = time.monotonic()
    answer = engine.ask(CLOUD_QUESTION, mode="llm")
    elapsed = time.monotonic() - started

    assert fake_llm.requests, "the endpoint was never asked"
    assert answer.mode == "extractive" and not answer.refused
    assert answer.text == extractive.text and answer.citations
    notice = " ".join(answer.notices)
    assert fake_llm.base_url in notice and "Answered extractively instead" in notice, answer.notices
    if mode in ("slow", "stall"):
        assert f"within {LLM_TIMEOUT_S:.0f} s" in notice
    # The timeout bounds the wait; the rest is retrieval and answering on a shared, loaded machine.
    assert elapsed < LLM_TIMEOUT_S + 15, f"{mode}: {elapsed:.1f} s"
    print(f"{mode}: fallback after {elapsed:.2f} s")


def test_a_working_fake_endpoint_answers_in_llm_mode(small_engine, fake_llm):
    """The fake endpoint speaks the protocol: a good reply is an LLM answer, so the fallbacks above are real."""
    answer = llm_engine(small_engine, fake_llm.base_url).ask(CLOUD_QUESTION, mode="llm")
    assert answer.mode == "llm" and not answer.notices, answer.notices
    assert answer.text == "2024年公有云市场规模同比增长百分之二十[1]。"
    assert [c.n for c in answer.citations] == [1] and "百分之二十" in answer.citations[0].quote
    assert fake_llm.requests[-1].body["stream"] is True


@pytest.mark.slow
def test_a_real_llm_server_that_stops_is_a_notice_and_the_same_engine_uses_it_again_when_it_is_back(small_engine):
    from llm_server import run_llama_server, smollm2_gguf_path

    with run_llama_server(smollm2_gguf_path()) as server:
        engine = llm_engine(small_engine, server.base_url, model=server.model, timeout_s=120, max_tokens=48)
        first = engine.ask(CLOUD_QUESTION, mode="llm")
        assert _reached(first), first.notices

        server.stop()
        started = time.monotonic()
        down = engine.ask(CLOUD_QUESTION, mode="llm")
        elapsed = time.monotonic() - started
        assert down.mode == "extractive" and not down.refused and down.citations
        assert any("cannot be reached" in n and "Answered extractively instead" in n for n in down.notices)
        assert elapsed < 15, f"{elapsed:.1f} s to fall back from a stopped server"
        print(f"stopped llama.cpp server: fallback after {elapsed:.2f} s")

        server.start()
        back = engine.ask(CLOUD_QUESTION, mode="llm")
        assert _reached(back), back.notices


def _reached(answer) -> bool:
    """The endpoint answered: an LLM answer, or the extractive one because the model's answer had no supported
    sentence (a small model often cites nothing), never because the endpoint could not be reached."""
    if any("cannot be reached" in n for n in answer.notices):
        return False
    return answer.mode == "llm" or any("cites no source" in n or "No sentence of the LLM's answer" in n
                                       for n in answer.notices)
