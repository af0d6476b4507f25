"""Re-ingesting does only the work that changed, and an interrupted ingest is finished by the next one.

Most tests here use a small deterministic embedder: the unit under test is change detection and the write journal,
not embedding quality. The SIGKILL test runs the real embedder in a real subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import run_ingest
from rag.index.lexical import LexicalIndex
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[2]
LABELS = ["阿尔法", "贝塔", "伽马", "德尔塔"]


class FakeEmbedder:
    """Fixed vectors from a hash of the text; counts its calls. Optionally fails on the Nth call."""

    name = "fake"
    dim = 8

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls = 0
        self.texts: list[str] = []
        self.fail_on_call = fail_on_call

    def embed_passages(self, texts):
        self.calls += 1
        if self.fail_on_call is not None and self.calls == self.fail_on_call:
            raise RuntimeError("simulated crash while embedding")
        self.texts.extend(texts)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def embed_query(self, text):
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        vector = np.frombuffer(digest[: self.dim * 4], dtype=np.uint32).astype(np.float64) / 2**32 - 0.5
        return (vector / np.linalg.norm(vector)).astype(np.float32)


def _report_text(label: str, version: int = 1) -> str:
    """A small two-section report in which every sentence names ``label``."""
    return (
        f"# {label}公司年度报告\n\n"
        f"{label}公司的收入在第{version}版统计中增长了百分之十二。{label}公司的客户数量继续上升。\n\n"
        f"## {label}公司的风险\n\n"
        f"{label}公司面临的主要风险是算力成本上升。{label}公司计划通过自研芯片降低成本。"
    )


def _write_reports(folder: Path, labels=LABELS) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for i, label in enumerate(labels):
        path = folder / f"report-{i}.md"
        path.write_text(_report_text(label), encoding="utf-8")
        paths[label] = path
    return paths


def document_id(settings: Settings, path: Path) -> str | None:
    """The id the index gave the report at ``path`` as it is now (ids follow the content), or None."""
    where = str(path.resolve())
    return next((r.doc_id for r in Manifest.load(settings.manifest_path).documents.values() if r.path == where), None)


def _state(settings: Settings) -> dict:
    """Everything an index holds, keyed by document: manifest records, Chroma ids, BM25 ids and sidecar files."""
    manifest = Manifest.load(settings.manifest_path)
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    stored = store.collection.get(include=["metadatas"])
    lexical = LexicalIndex.load(settings.lexical_dir)
    return {
        "docs": {doc_id: (r.content_hash, r.n_chunks, r.status) for doc_id, r in manifest.documents.items()},
        "manifest_ids": sorted(i for r in manifest.documents.values() for i in r.chunk_ids()),
        "chroma_ids": sorted(stored["ids"]),
        "chroma_count": store.count(),
        "lexical_ids": sorted(lexical.chunk_ids) if lexical else None,
        "sidecars": sorted(p.name.split(".")[0] for p in settings.docs_dir.glob("*.json")),
    }


def _assert_consistent(state: dict) -> None:
    assert state["chroma_count"] == len(state["chroma_ids"]) == len(set(state["chroma_ids"]))
    assert state["chroma_ids"] == state["manifest_ids"] == state["lexical_ids"]
    assert state["sidecars"] == sorted(state["docs"])
    assert all(status == "complete" for _, _, status in state["docs"].values())


@pytest.fixture
def reports(tmp_path):
    return _write_reports(tmp_path / "reports")


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data")


def test_a_second_ingest_of_unchanged_reports_embeds_nothing(settings, reports):
    first = run_ingest(settings, [reports["阿尔法"].parent], embedder=FakeEmbedder())
    assert len(first.added) == 4 and first.chunks_written > 0
    embedder = FakeEmbedder()
    second = run_ingest(settings, [reports["阿尔法"].parent], embedder=embedder)
    assert embedder.calls == 0
    assert second.chunks_written == 0
    assert len(second.unchanged) == 4 and not (second.added or second.updated or second.removed or second.failed)
    assert second.seconds < 5, f"an ingest with nothing to do took {second.seconds:.1f} s"
    _assert_consistent(_state(settings))


def test_editing_one_report_re_embeds_only_that_report(settings, reports):
    folder = reports["阿尔法"].parent
    run_ingest(settings, [folder], embedder=FakeEmbedder())
    doc_id = document_id(settings, reports["贝塔"])
    old_ids = set(Manifest.load(settings.manifest_path).documents[doc_id].chunk_ids())

    reports["贝塔"].write_text(_report_text("贝塔", version=2), encoding="utf-8")
    embedder = FakeEmbedder()
    report = run_ingest(settings, [folder], embedder=embedder)

    assert [Path(s).name for s in report.updated] == ["report-1.md"]
    assert len(report.unchanged) == 3 and not report.added
    assert embedder.calls > 0 and all("贝塔" in text for text in embedder.texts)
    state = _state(settings)
    _assert_consistent(state)
    assert not old_ids & set(state["chroma_ids"]), "the old version's chunks are still stored"
    store = ChunkStore.open(settings, "fake", 8)
    stored = store.collection.get(where={"doc_id": document_id(settings, reports["贝塔"])}, include=["documents"])
    assert "第2版" in "".join(stored["documents"])


def test_a_deleted_report_leaves_chroma_the_keyword_index_and_the_data_folder(settings, reports):
    folder = reports["阿尔法"].parent
    run_ingest(settings, [folder], embedder=FakeEmbedder())
    doc_id = document_id(settings, reports["伽马"])
    gone = set(Manifest.load(settings.manifest_path).documents[doc_id].chunk_ids())
    assert gone

    reports["伽马"].unlink()
    report = run_ingest(settings, [folder], embedder=FakeEmbedder())

    assert [Path(s).name for s in report.removed] == ["report-2.md"]
    store = ChunkStore.open(settings, "fake", 8)
    assert store.collection.get(where={"doc_id": doc_id})["ids"] == []
    lexical = LexicalIndex.load(settings.lexical_dir)
    assert not gone & set(lexical.chunk_ids)
    assert doc_id not in Manifest.load(settings.manifest_path).documents
    assert not list(settings.docs_dir.glob(f"{doc_id}*"))
    _assert_consistent(_state(settings))


def test_a_new_report_is_added_and_the_others_are_left_alone(settings, reports):
    folder = reports["阿尔法"].parent
    run_ingest(settings, [folder], embedder=FakeEmbedder())
    (folder / "new.md").write_text(_report_text("欧米伽"), encoding="utf-8")
    embedder = FakeEmbedder()
    report = run_ingest(settings, [folder], embedder=embedder)
    assert [Path(s).name for s in report.added] == ["new.md"]
    assert len(report.unchanged) == 4
    assert all("欧米伽" in text for text in embedder.texts)
    _assert_consistent(_state(settings))


def test_a_report_outside_the_ingested_folder_is_not_removed(settings, tmp_path, reports):
    other = _write_reports(tmp_path / "other", ["西格玛"])
    run_ingest(settings, [reports["阿尔法"].parent], embedder=FakeEmbedder())
    run_ingest(settings, [other["西格玛"].parent], embedder=FakeEmbedder())
    report = run_ingest(settings, [reports["阿尔法"].parent], embedder=FakeEmbedder())
    assert report.removed == []
    assert document_id(settings, other["西格玛"]) in Manifest.load(settings.manifest_path).documents


def test_rebuild_starts_over_and_embeds_everything_again(settings, reports):
    folder = reports["阿尔法"].parent
    run_ingest(settings, [folder], embedder=FakeEmbedder())
    before = _state(settings)
    embedder = FakeEmbedder()
    report = run_ingest(settings, [folder], rebuild=True, embedder=embedder)
    assert len(report.added) == 4 and not report.unchanged
    assert embedder.calls > 0
    after = _state(settings)
    _assert_consistent(after)
    assert after["chroma_ids"] == before["chroma_ids"]


def test_rebuild_drops_documents_that_are_no_longer_asked_for(settings, tmp_path, reports):
    other = _write_reports(tmp_path / "other", ["西格玛"])
    run_ingest(settings, [other["西格玛"].parent], embedder=FakeEmbedder())
    dropped = document_id(settings, other["西格玛"])
    assert dropped is not None
    run_ingest(settings, [reports["阿尔法"].parent], rebuild=True, embedder=FakeEmbedder())
    assert dropped not in Manifest.load(settings.manifest_path).documents
    _assert_consistent(_state(settings))


def test_a_sequence_of_ingests_never_duplicates_a_chunk(settings, reports):
    folder = reports["阿尔法"].parent
    embedder = FakeEmbedder()
    run_ingest(settings, [folder], embedder=embedder)
    reports["阿尔法"].write_text(_report_text("阿尔法", version=3), encoding="utf-8")
    run_ingest(settings, [folder], embedder=embedder)
    reports["贝塔"].unlink()
    (folder / "extra.md").write_text(_report_text("卡帕"), encoding="utf-8")
    run_ingest(settings, [folder], embedder=embedder)
    run_ingest(settings, [folder], embedder=embedder)
    reports["阿尔法"].write_text(_report_text("阿尔法", version=1), encoding="utf-8")
    run_ingest(settings, [reports["阿尔法"]], embedder=embedder)  # a single file, not the folder
    state = _state(settings)
    _assert_consistent(state)
    manifest = Manifest.load(settings.manifest_path)
    assert state["chroma_count"] == sum(r.n_chunks for r in manifest.documents.values())
    assert len(manifest.documents) == 4


def _clean_state(tmp_path: Path, folder: Path) -> dict:
    clean = Settings(data_dir=tmp_path / "clean-data")
    run_ingest(clean, [folder], embedder=FakeEmbedder())
    return _state(clean)


def test_an_ingest_that_crashed_while_embedding_is_completed_by_the_next_run(settings, reports, tmp_path):
    folder = reports["阿尔法"].parent
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_ingest(settings, [folder], embedder=FakeEmbedder(fail_on_call=3))
    partial = Manifest.load(settings.manifest_path)
    assert 0 < len(partial.documents) < 4

    report = run_ingest(settings, [folder], embedder=FakeEmbedder())

    assert report.ok and len(report.added) + len(report.unchanged) == 4 and report.added
    state = _state(settings)
    _assert_consistent(state)
    assert state == _clean_state(tmp_path, folder)


def test_an_ingest_that_died_halfway_through_a_chroma_write_is_undone_and_redone(
    settings, reports, tmp_path, monkeypatch
):
    folder = reports["阿尔法"].parent
    real_add = ChunkStore.add
    writes = {"n": 0}

    def add_half_then_die(self, chunks, embeddings, context=None):
        writes["n"] += 1
        if writes["n"] == 2:
            real_add(self, chunks[: len(chunks) // 2 or 1], embeddings[: len(chunks) // 2 or 1], None)
            raise KeyboardInterrupt("killed mid-write")
        real_add(self, chunks, embeddings, context)

    monkeypatch.setattr(ChunkStore, "add", add_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(settings, [folder], embedder=FakeEmbedder())
    monkeypatch.setattr(ChunkStore, "add", real_add)
    statuses = [r.status for r in Manifest.load(settings.manifest_path).documents.values()]
    assert sorted(statuses) == ["complete", "pending"]

    report = run_ingest(settings, [folder], embedder=FakeEmbedder())

    assert report.ok and sorted(Path(s).name for s in report.added) == ["report-1.md", "report-2.md", "report-3.md"]
    state = _state(settings)
    _assert_consistent(state)
    assert state == _clean_state(tmp_path, folder)


def test_a_pending_record_with_stray_chunks_is_rewritten_from_scratch(settings, reports, tmp_path):
    folder = reports["阿尔法"].parent
    run_ingest(settings, [folder], embedder=FakeEmbedder())
    doc_id = document_id(settings, reports["德尔塔"])
    manifest = Manifest.load(settings.manifest_path)
    record = manifest.documents[doc_id]
    manifest.documents[doc_id] = record.model_copy(update={"status": "pending"})
    manifest.save(settings.manifest_path)
    store = ChunkStore.open(settings, "fake", 8)
    store.collection.delete(ids=record.chunk_ids()[1:])  # as if the write stopped after the first chunk

    report = run_ingest(settings, [folder], embedder=FakeEmbedder())

    assert [Path(s).name for s in report.added] == ["report-3.md"]
    state = _state(settings)
    _assert_consistent(state)
    assert state == _clean_state(tmp_path, folder)


_CHILD = """
import sys
from pathlib import Path
from ingest.pipeline import run_ingest
from rag.settings import Settings
report = run_ingest(Settings(data_dir=Path(sys.argv[1])), [Path(sys.argv[2])])
print("finished", report.to_dict())
"""


def _longer_report(i: int) -> str:
    paragraphs = [
        f"第{i}号报告第{p}部分指出，人工智能产业在{2020 + p}年保持了较快增长，算力、数据与算法共同推动了应用落地。"
        f"企业客户更加关注投入产出比，行业大模型在金融、制造、医疗等领域加速渗透。"
        for p in range(2)
    ]
    return f"# 第{i}号行业报告\n\n" + "\n\n".join(f"## 第{p}部分\n\n{text}" for p, text in enumerate(paragraphs))


def _write_longer_reports(folder: Path, count: int = 6) -> Path:
    folder.mkdir()
    for i in range(count):
        (folder / f"report-{i}.md").write_text(_longer_report(i), encoding="utf-8")
    return folder


@pytest.mark.slow
def test_an_ingest_killed_with_sigkill_is_completed_by_the_next_run(tmp_path):
    folder = _write_longer_reports(tmp_path / "reports")
    killed = Settings(data_dir=tmp_path / "killed")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(killed.data_dir), str(folder)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            try:
                documents = json.loads(killed.manifest_path.read_text(encoding="utf-8"))["documents"]
            except (FileNotFoundError, ValueError, KeyError):
                documents = {}
            if documents:
                break
            time.sleep(0.02)
        assert child.poll() is None, f"the ingest finished before it could be killed: {child.communicate()}"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(json.loads(killed.manifest_path.read_text(encoding="utf-8"))["documents"]) < 6

    report = run_ingest(killed, [folder])

    assert report.ok and report.added, report.to_dict()
    assert len(report.added) + len(report.unchanged) == 6
    # Ids and counts do not depend on the vectors, so the reference index may use the quick embedder.
    clean = Settings(data_dir=tmp_path / "clean")
    assert run_ingest(clean, [folder], embedder=FakeEmbedder()).ok
    after_kill, reference = _state(killed), _state(clean)
    _assert_consistent(after_kill)
    assert after_kill == reference
    assert after_kill["chroma_count"] >= 6


_SLOW_FAKE_CHILD = """
import hashlib, sys, time
from pathlib import Path
import numpy as np
from ingest.pipeline import run_ingest
from rag.settings import Settings

class SlowFake:
    name, dim = "fake", 8  # the same vectors as FakeEmbedder, a little slower, so a kill lands anywhere
    def embed_passages(self, texts):
        time.sleep(0.03)
        out = []
        for t in texts:
            d = hashlib.sha256(t.encode("utf-8")).digest()
            v = np.frombuffer(d[:32], dtype=np.uint32).astype(np.float64) / 2**32 - 0.5
            out.append(v / np.linalg.norm(v))
        return np.stack(out).astype(np.float32)
    def embed_query(self, text):
        return self.embed_passages([text])[0]

settings = Settings(data_dir=Path(sys.argv[1]), ingest={"embed_batch_size": 4})
print("ready", flush=True)
run_ingest(settings, [Path(sys.argv[2])], embedder=SlowFake())
print("finished", flush=True)
"""

_KILL_POINTS = 12


@pytest.mark.slow
def test_an_ingest_killed_at_any_point_leaves_an_index_identical_to_a_clean_one_after_the_next_run(tmp_path):
    """SIGKILL at twelve points spread over a whole ingest (embedding, Chroma writes, manifest and index writes)."""
    folder = _write_longer_reports(tmp_path / "reports")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    settings_for = lambda name: Settings(data_dir=tmp_path / name, ingest={"embed_batch_size": 4})  # noqa: E731

    def start(data: Path) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-c", _SLOW_FAKE_CHILD, str(data), str(folder)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        return child

    # A full run, timed from "ready", is also the reference index. The first run of a machine also fills caches
    # (jieba's dictionary, compiled bytecode) that later runs skip: the second run is the one timed, so that the
    # kills spread over an ingest as long as the killed ones.
    for name in ("warm-up", "reference"):
        reference = settings_for(name)
        child = start(reference.data_dir)
        began = time.monotonic()
        out, err = child.communicate(timeout=300)
        duration = time.monotonic() - began
        assert child.returncode == 0 and "finished" in out, err
    expected = _state(reference)
    _assert_consistent(expected)

    outcomes = []
    for k in range(_KILL_POINTS):
        killed = settings_for(f"killed-{k}")
        child = start(killed.data_dir)
        time.sleep(duration * (k + 0.5) / _KILL_POINTS)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        outcomes.append(child.returncode)
        assert run_ingest(killed, [folder], embedder=FakeEmbedder()).ok
        state = _state(killed)
        _assert_consistent(state)
        assert state == expected, f"kill point {k + 1}/{_KILL_POINTS}"
    # Most kills must have landed before the ingest finished, or the test proved nothing.
    assert sum(code == -signal.SIGKILL for code in outcomes) >= _KILL_POINTS // 2, outcomes
