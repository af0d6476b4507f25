"""Conversation history and ratings through a running chat server (``gradio_client``): kept across a restart,
renamed and deleted, separate per user, and rated answers exported as a question set that ``reportqa eval`` runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from serverkit import ARTIFACTS, REPO, free_port, server_env, start_server, stop_server

from eval.questions import load_questions

pytestmark = pytest.mark.slow

QUESTION = "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？"
FOLLOW_UP = "What date is printed on the Q1 2024 AI platform market insights report?"


def _client(url: str, auth: tuple[str, str] | None = None):
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env=server_env(Path(tempfile.mkdtemp(prefix="reportqa-guard-"))), timeout=600)


@pytest.fixture
def data_dir(corpus_index, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(corpus_index.data_dir, data)
    return data


def test_a_conversation_survives_a_restart_and_can_be_renamed_and_deleted(data_dir):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(data_dir, ARTIFACTS / "history-server-1.log")
    try:
        client = _client(server.url)
        first = client.predict(QUESTION, api_name="/ask", conversation="new")
        cid = first["conversation"]
        second = client.predict(FOLLOW_UP, api_name="/ask", conversation=cid)
        assert (first["turn"], second["turn"], second["conversation"]) == (0, 1, cid)
        unsaved = client.predict("What date is printed on the report?", api_name="/ask")
        assert "conversation" not in unsaved
    finally:
        stop_server(server.process)

    server = start_server(data_dir, ARTIFACTS / "history-server-2.log")
    try:
        client = _client(server.url)
        listed = client.predict(api_name="/conversations")
        assert [(c["id"], c["title"], c["turns"]) for c in listed] == [(cid, QUESTION, 2)]
        saved = client.predict(cid, api_name="/conversation")
        assert [t["question"] for t in saved["turns"]] == [QUESTION, FOLLOW_UP]
        assert saved["turns"][0]["answer"] == first["answer"]
        assert saved["turns"][0]["citations"] == first["citations"] and first["citations"]

        renamed = client.predict(cid, "联邦学习的难点", api_name="/rename_conversation")
        assert [c["title"] for c in renamed] == ["联邦学习的难点"]
        assert client.predict(api_name="/conversations")[0]["title"] == "联邦学习的难点"
        assert client.predict(cid, api_name="/delete_conversation") == []
        with pytest.raises(Exception, match="no conversation"):
            client.predict(cid, api_name="/conversation")
    finally:
        stop_server(server.process)
    assert "NETWORK GUARD" not in server.log()


def test_two_users_see_only_their_own_conversations(data_dir):
    from rag.settings import Settings
    from ui.app import Backend, build_app, launch_options

    settings = Settings(data_dir=data_dir, corpus_dir=REPO / "corpus")
    demo = build_app(settings, Backend(settings))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, auth=[("alice", "alice-pw"), ("bob", "bob-pw")],
                prevent_thread_lock=True, quiet=True, **launch_options(settings))
    try:
        url = f"http://127.0.0.1:{port}/"
        alice, bob = _client(url, ("alice", "alice-pw")), _client(url, ("bob", "bob-pw"))
        mine = alice.predict(QUESTION, api_name="/ask", conversation="new")["conversation"]
        bob.predict(FOLLOW_UP, api_name="/ask", conversation="new")
        assert [c["title"] for c in alice.predict(api_name="/conversations")] == [QUESTION]
        assert [c["title"] for c in bob.predict(api_name="/conversations")] == [FOLLOW_UP]
        for attempt in (lambda: bob.predict(mine, api_name="/conversation"),
                        lambda: bob.predict(mine, api_name="/delete_conversation"),
                        lambda: bob.predict(QUESTION, api_name="/ask", conversation=mine)):
            with pytest.raises(Exception, match="no conversation"):
                attempt()
        assert alice.predict(mine, api_name="/conversation")["turns"][0]["question"] == QUESTION
    finally:
        demo.close()


def test_a_wrong_answer_rated_down_with_its_passage_becomes_a_question_reportqa_eval_runs(data_dir, tmp_path):
    server = start_server(data_dir, ARTIFACTS / "history-server-rating.log")
    try:
        client = _client(server.url)
        record = client.predict(QUESTION, api_name="/ask", conversation="new")
        # The analyst says the answer is wrong and points at the second retrieved passage as the right one.
        picked = record["passages"][1]
        stored = client.predict(record["conversation"], 0, "down", "应该引用第二段", "p2", api_name="/rate")
        assert stored["rating"] == "down" and stored["passage"]["text"] == picked["text"]
        assert client.predict(api_name="/rated")["questions"] == 1
    finally:
        stop_server(server.process)

    out = tmp_path / "rated.jsonl"
    exported = _cli("feedback", "export", "--data-dir", str(data_dir), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "wrote 1 rated question" in exported.stdout
    [question] = load_questions(out)
    assert question.question == QUESTION and question.type == "fact"
    assert question.evidence == [" ".join(picked["text"].split())]
    assert question.doc == Path(picked["source"]).name

    run = _cli("eval", str(out), "--data-dir", str(data_dir), "--out", str(tmp_path / "eval"))
    assert run.returncode == 0, run.stdout + run.stderr
    [result] = [json.loads(line) for line in (tmp_path / "eval" / "results.jsonl").read_text().splitlines()]
    assert result["id"] == question.id
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    # The picked passage was retrieved for this very question, so the regression question finds it.
    assert metrics["overall"]["questions"] == 1 and metrics["overall"]["hit@10"] == 1.0


def test_the_evaluation_tab_runs_the_rated_questions(copied_index):
    """What "Run rated questions" does: export the ratings, run them through the real runner, show the metrics."""
    from rag.engine import Engine
    from ui import app
    from ui.history import new_id
    from ui.history_page import PageHistory

    page = PageHistory(copied_index)
    assert "0 rated question(s)" in page.rated_html()
    answer = Engine.from_settings(copied_index).ask(QUESTION)
    cid = new_id()
    page.store.add_turn("", cid, QUESTION, answer)
    message = page.save_rating("", cid, [{"question": QUESTION, "answer": answer}], 0, "down", "", "p2")[0]
    assert "holds the right answer" in message
    assert "1 rated question(s)" in page.rated_html()

    backend = app.Backend(copied_index)
    message, metrics, _, _, failures = app._evaluate_for_page(backend, "rated questions", "", lambda *a: None,
                                                              questions_path=page.export_rated())
    assert "rated questions" in message and "Evaluation failed" not in message
    assert dict((row[0], row[1]) for row in metrics.value["data"])["hit@10"] == 1.0
