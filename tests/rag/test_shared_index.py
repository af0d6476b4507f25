"""Several machines sharing one index on a real ``chroma run`` server: each "machine" is a data directory of its
own (and a corpus folder of its own where it ingests); the server holds everything needed to answer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest
from rag.embedders import make_embedder
from rag.engine import Engine
from rag.errors import StoreUnavailableError
from rag.index.docfiles import read_sidecar
from rag.index.manifest import Manifest
from rag.index.server import ServerIndex, collection_names
from rag.index.store import open_client
from rag.settings import Settings
from rag.status import index_status

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
REPORTS = {
    "cloud.md": "# 云计算市场观察\n\n## 规模\n\n2024年公有云市场规模同比增长百分之二十，达到六千亿元。企业加快上云，"
                "混合云成为主流部署方式。\n\n## 挑战\n\n数据合规与成本控制是企业上云的两大顾虑。\n",
    "chips.md": "# 芯片出口简报\n\n## 出口\n\n先进芯片的出口在新的贸易限制之后明显下降，降幅约为三成。\n\n## 应对\n\n"
                "国内厂商加大了成熟制程的投资。\n",
    "robots.md": "# Warehouse Robotics Outlook\n\n## Adoption\n\nIn 2025 about 40 percent of large warehouses used "
                 "autonomous mobile robots, up from 25 percent in 2023. Payback periods for robot fleets fell to under "
                 "two years.\n\n## Costs\n\nA typical autonomous mobile robot cost about 35,000 dollars in 2025.\n",
}
LATER = ("mars.md", "# 火星温室农业投资观察\n\n## 投资\n\n火星温室农业项目在2031年的投资额达到七百二十亿元，主要用于建设穹顶温室。\n")
QUESTIONS = ("2024年公有云市场增长了多少？", "企业上云的顾虑是什么？",
             "What share of large warehouses used autonomous mobile robots in 2025?")


@pytest.fixture(scope="module")
def embedder():
    return make_embedder(Settings())


def machine(root: Path, name: str, server, reports: dict[str, str] | None = None, **store) -> Settings:
    """Settings of one machine: its own data directory, and a corpus folder holding ``reports``."""
    corpus = root / name / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for file_name, text in (reports or {}).items():
        (corpus / file_name).write_text(text, encoding="utf-8")
    return Settings(data_dir=root / name / "data", corpus_dir=corpus, store={"chroma_url": server.url, **store})


def server_inventory(settings: Settings) -> dict:
    """What the server holds: record ids, chunk ids and sentence count, and documents with parts or vectors."""
    index = ServerIndex.open(settings)
    records = index.records()
    chunks = open_client(settings).get_collection(settings.store.collection).get(include=[])["ids"]
    return {
        "records": sorted(records),
        "complete": all(record.status == "complete" for record, _ in records.values()),
        "chunks": sorted(chunks),
        "chunks_expected": sum(record.n_chunks for record, _ in records.values()),
        "sentences": index.counts()[1],
        "sentences_expected": sum(extra["sentences"] for _, extra in records.values()),
        "with_files": sorted(index.stored_doc_ids()),
    }


def assert_consistent(inventory: dict, n_reports: int) -> None:
    """No duplicates and no orphans: one complete record per report, its chunks, its sentences, nothing else."""
    assert len(inventory["records"]) == n_reports and inventory["complete"]
    assert len(inventory["chunks"]) == len(set(inventory["chunks"])) == inventory["chunks_expected"]
    assert inventory["sentences"] == inventory["sentences_expected"] > 0
    assert inventory["with_files"] == inventory["records"]


def answer_record(engine: Engine, question: str) -> tuple:
    answer = engine.ask(question)
    return answer.text, answer.refused, [(c.chunk.id, c.chunk.source, c.quote_start, c.quote_end, c.quote)
                                         for c in answer.citations]


def test_a_machine_that_never_ingested_answers_as_the_one_that_did(chroma_server, tmp_path, embedder):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    b = machine(tmp_path, "b", chroma_server)
    assert run_ingest(a, embedder=embedder).ok
    assert not b.data_dir.exists()

    on_a = Engine.from_settings(a, embedder=embedder)
    on_b = Engine.from_settings(b, embedder=embedder)
    assert [r.title for r in on_b.documents()] == [r.title for r in on_a.documents()]
    for question in QUESTIONS:
        answered = answer_record(on_a, question)
        assert not answered[1] and answered[2], f"A did not answer {question!r}: {answered[0]}"
        assert answer_record(on_b, question) == answered
    # B's keyword search works from its own cache, built from the server.
    passages = on_b.retrieve("混合云 部署", k=3).passages
    assert passages[0].chunk.title == "云计算市场观察" and passages[0].bm25_score is not None
    # And `reportqa status` on a third, fresh data directory describes the server's index.
    status = index_status(machine(tmp_path, "c", chroma_server))
    assert len(status["documents"]) == len(REPORTS) and status["problems"] == [], status["problems"]
    assert status["chunks"] == sum(d["chunks"] for d in status["documents"])


def test_the_same_reports_from_another_folder_or_a_copied_data_dir_write_nothing_twice(
    chroma_server, tmp_path, embedder
):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    assert run_ingest(a, embedder=embedder).ok
    before = server_inventory(a)
    assert_consistent(before, len(REPORTS))

    elsewhere = machine(tmp_path, "b", chroma_server, REPORTS)  # the same reports in another folder, another machine
    report = run_ingest(elsewhere, embedder=embedder)
    assert report.ok and len(report.unchanged) == len(REPORTS) and report.chunks_written == 0
    assert server_inventory(elsewhere) == before

    copied = tmp_path / "c" / "data"
    shutil.copytree(a.data_dir, copied)
    report = run_ingest(a.model_copy(update={"data_dir": copied}), embedder=embedder)
    assert report.ok and report.chunks_written == 0
    assert server_inventory(a) == before


def test_a_running_machine_sees_a_later_ingest_and_a_stale_keyword_cache_is_rebuilt(chroma_server, tmp_path, embedder):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    b = machine(tmp_path, "b", chroma_server)
    assert run_ingest(a, embedder=embedder).ok
    on_b = Engine.from_settings(b, embedder=embedder)
    stale = tmp_path / "stale-lexical"
    shutil.copytree(b.lexical_dir, stale)
    question = "火星温室农业项目的投资额是多少？"
    assert all(p.chunk.title != "火星温室农业投资观察" for p in on_b.retrieve(question, k=5).passages)

    (a.corpus_dir / LATER[0]).write_text(LATER[1], encoding="utf-8")
    assert run_ingest(a, embedder=embedder).ok
    found = {p.chunk.title: p for p in on_b.retrieve(question, k=5).passages}
    assert "火星温室农业投资观察" in found, "B did not pick up A's new report"
    assert found["火星温室农业投资观察"].bm25_score is not None, "B's keyword cache missed the new report"
    assert "七百二十亿元" in on_b.ask(question).text

    # B restarts with the keyword index it had before A's ingest: detected as stale and brought in line.
    shutil.rmtree(b.lexical_dir)
    shutil.copytree(stale, b.lexical_dir)
    restarted = Engine.from_settings(b, embedder=embedder)
    found = {p.chunk.title: p for p in restarted.retrieve(question, k=5).passages}
    assert found["火星温室农业投资观察"].bm25_score is not None, "the stale keyword cache was used as it was"
    assert restarted.lexical.generation == Manifest.load(b.manifest_path).generation


def _ingest_in_a_process(settings: Settings) -> subprocess.Popen:
    code = (
        "import json, sys; from pathlib import Path; from rag.settings import Settings; "
        "from ingest.pipeline import run_ingest; "
        f"s = Settings(data_dir=Path({str(settings.data_dir)!r}), corpus_dir=Path({str(settings.corpus_dir)!r}), "
        f"store={{'chroma_url': {settings.store.chroma_url!r}}}); "
        "r = run_ingest(s); print(json.dumps(r.to_dict())); sys.exit(0 if r.ok else 1)"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_two_machines_ingesting_at_once_end_with_the_same_index_as_one(chroma_server, tmp_path):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    b = machine(tmp_path, "b", chroma_server, REPORTS)
    runs = [_ingest_in_a_process(a), _ingest_in_a_process(b)]
    outcomes = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    # They took turns: one wrote every report, the other found them all written.
    assert sorted(len(o["added"]) for o in outcomes) == [0, len(REPORTS)]
    assert sorted(len(o["unchanged"]) for o in outcomes) == [0, len(REPORTS)]
    inventory = server_inventory(a)
    assert_consistent(inventory, len(REPORTS))
    one = Manifest.load((a if outcomes[0]["added"] else b).manifest_path)
    assert inventory["records"] == sorted(one.documents)
    assert inventory["chunks"] == sorted(cid for r in one.documents.values() for cid in r.chunk_ids())


def test_the_server_stopped_mid_question_gives_a_clear_message(chroma_server, tmp_path, embedder, monkeypatch):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    assert run_ingest(a, embedder=embedder).ok
    engine = Engine.from_settings(machine(tmp_path, "b", chroma_server), embedder=embedder)
    real = embedder.embed_query

    def stop_then_embed(text):  # the question was read and the index checked; then the server goes away
        chroma_server.stop()
        return real(text)

    monkeypatch.setattr(embedder, "embed_query", stop_then_embed)
    with pytest.raises(StoreUnavailableError) as caught:
        engine.ask(QUESTIONS[0])
    assert chroma_server.url in str(caught.value) and "is it running?" in str(caught.value)


def test_an_ingest_cut_off_by_the_server_resumes_with_no_duplicates_or_orphans(
    chroma_server, tmp_path, embedder, monkeypatch
):
    a = machine(tmp_path, "a", chroma_server, REPORTS, lock_ttl_s=2)
    real_write = ServerIndex.write_document
    written = []

    def write_then_stop(self, doc_id, content, vectors):  # the second report's file and vectors reach the server,
        counts = real_write(self, doc_id, content, vectors)  # then the server goes away before its chunks do
        written.append(doc_id)
        if len(written) == 2:
            chroma_server.stop()
        return counts

    monkeypatch.setattr(ServerIndex, "write_document", write_then_stop)
    with pytest.raises(StoreUnavailableError):
        run_ingest(a, embedder=embedder)
    monkeypatch.undo()

    chroma_server.start()
    half = ServerIndex.open(a).records()
    assert [record.status for record, _ in half.values()].count("pending") == 1
    report = run_ingest(a, embedder=embedder)  # waits out the dead run's lock (2 s), then finishes its work
    assert report.ok and len(report.unchanged) == 1 and len(report.added) == len(REPORTS) - 1
    assert_consistent(server_inventory(a), len(REPORTS))


def test_vectors_lost_on_the_server_are_written_again_and_entries_without_a_record_are_removed(
    chroma_server, tmp_path, embedder
):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    assert run_ingest(a, embedder=embedder).ok
    index = ServerIndex.open(a)
    victim = sorted(index.records())[0]
    index.sentences.delete(where={"doc_id": victim})  # a restored backup, a lost write
    index.documents.add(ids=["ghost/part0000"], documents=["{}"], embeddings=[[0.0]],
                        metadatas=[{"entry": "part", "doc_id": "ghost", "n": 0}])  # left by a writer that lost its lock

    report = run_ingest(a, embedder=embedder)
    assert report.ok and report.updated == [index.records()[victim][0].source]
    assert_consistent(server_inventory(a), len(REPORTS))



def test_an_index_with_its_records_among_the_document_parts_is_answered_and_moved_by_the_next_ingest(
    chroma_server, tmp_path, embedder
):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    assert run_ingest(a, embedder=embedder).ok
    before = server_inventory(a)
    index = ServerIndex.open(a)
    # The layout an older version wrote: each record an entry of the documents collection, no records collection.
    held = index.records_collection.get(include=["metadatas"])
    index.documents.add(ids=held["ids"], metadatas=held["metadatas"], embeddings=[[0.0]] * len(held["ids"]),
                        documents=[""] * len(held["ids"]))
    open_client(a).delete_collection(collection_names(a)[2])

    # A machine that never ingested answers from it as it is (reading it writes nothing).
    reader = machine(tmp_path, "b", chroma_server)
    on_b = Engine.from_settings(reader, embedder=embedder)
    assert not answer_record(on_b, QUESTIONS[0])[1]
    assert ServerIndex.open(a).records_collection is None

    report = run_ingest(a, embedder=embedder)

    assert report.ok and report.chunks_written == 0 and len(report.unchanged) == len(REPORTS), report.to_dict()
    moved = ServerIndex.open(a)
    assert moved.records_collection is not None
    assert moved.documents.get(where={"entry": "record"}, include=[])["ids"] == []
    assert server_inventory(a) == before


def test_document_files_are_stored_compressed_and_plain_ones_of_an_older_version_still_read(
    chroma_server, tmp_path, embedder
):
    a = machine(tmp_path, "a", chroma_server, REPORTS)
    assert run_ingest(a, embedder=embedder).ok
    index = ServerIndex.open(a)
    stored = index.documents.get(where={"entry": "part"}, include=["documents", "metadatas"])
    assert stored["ids"] and all(text.startswith("z:") and "云计算" not in text for text in stored["documents"])
    # One report's file as an older version wrote it: its JSON, plain.
    plain = json.dumps(read_sidecar(a.docs_dir, stored["metadatas"][0]["doc_id"]), ensure_ascii=False)
    index.documents.update(ids=[stored["ids"][0]], documents=[plain], embeddings=[[0.0]])

    on_b = Engine.from_settings(machine(tmp_path, "b", chroma_server), embedder=embedder)
    on_a = Engine.from_settings(a, embedder=embedder)
    for question in QUESTIONS:
        assert answer_record(on_b, question) == answer_record(on_a, question)
