"""The conversation store and the ratings, against a real SQLite file (answers are built as the engine types them)."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from eval.questions import load_questions
from rag.models import Answer, Chunk, Citation, Passage
from ui import feedback
from ui.history import HistoryError, HistoryStore, new_id

DOC = "某金融机构上了联邦学习以后，觉得比技术更难搞定的是数据贡献和模型分润的扯皮。平台需要提供可审计的分润机制。"


def _chunk(i: int, text: str, source: str = "corpus/ai-platform-market-insights-2024q1.md") -> Chunk:
    return Chunk(id=f"c{i}", doc_id="d1", index=i, source=source, title="AI平台市场洞察", section="二、挑战",
                 start=100 * i, end=100 * i + len(text), text=text)


def _answer(question: str, refused: bool = False) -> Answer:
    first, second = _chunk(1, DOC), _chunk(2, "平台需要提供可审计的分润机制，并支持跨机构的数据治理。")
    quote = "比技术更难搞定的是数据贡献和模型分润的扯皮"
    citations = [] if refused else [Citation(n=1, chunk=first, quote=quote, quote_start=115, quote_end=136)]
    return Answer(question=question, text="报告中没有找到答案。" if refused else f"{quote} [1]", refused=refused,
                  mode="extractive", citations=citations,
                  passages=[Passage(rank=1, score=0.9, chunk=first), Passage(rank=2, score=0.5, chunk=second)])


@pytest.fixture
def store(tmp_path):
    return HistoryStore(tmp_path / "data" / "history.sqlite3")


def test_a_conversation_is_saved_listed_reopened_renamed_and_deleted(store, tmp_path):
    cid = new_id()
    assert store.add_turn("", cid, "联邦学习以后更难搞定的是什么？", _answer("q1"), ["d1"]) == 0
    assert store.add_turn("", cid, "那对平台的要求是什么？", _answer("q2")) == 1

    again = HistoryStore(tmp_path / "data" / "history.sqlite3")  # as after a restart
    [info] = again.conversations("")
    assert (info.id, info.title, info.turns) == (cid, "联邦学习以后更难搞定的是什么？", 2)
    conversation = again.load("", cid)
    assert [t.question for t in conversation.turns] == ["联邦学习以后更难搞定的是什么？", "那对平台的要求是什么？"]
    cited = conversation.turns[0].answer.citations[0]
    assert cited.quote == "比技术更难搞定的是数据贡献和模型分润的扯皮" and cited.chunk.title == "AI平台市场洞察"

    assert again.rename("", cid, "  分润\n问题  ") == "分润 问题"
    assert again.conversations("")[0].title == "分润 问题"
    with pytest.raises(HistoryError):
        again.rename("", cid, "   ")
    again.delete("", cid)
    assert again.conversations("") == []
    with pytest.raises(HistoryError, match="no conversation"):
        again.load("", cid)


def test_a_user_sees_and_changes_only_their_own_conversations(store):
    alice, bob = new_id(), new_id()
    store.add_turn("alice", alice, "alice 的问题", _answer("a"))
    store.add_turn("bob", bob, "bob 的问题", _answer("b"))
    assert [c.title for c in store.conversations("alice")] == ["alice 的问题"]
    assert [c.title for c in store.conversations("bob")] == ["bob 的问题"]
    for action in (lambda: store.load("bob", alice), lambda: store.rename("bob", alice, "x"),
                   lambda: store.delete("bob", alice), lambda: store.add_turn("bob", alice, "q", _answer("q"))):
        with pytest.raises(HistoryError, match="no conversation"):
            action()
    assert store.load("alice", alice).turns[0].question == "alice 的问题"


def test_two_tabs_adding_turns_at_once_lose_nothing(store):
    cid = new_id()
    store.add_turn("", cid, "first", _answer("first"))
    errors = []

    def ask(i: int) -> None:
        try:
            store.add_turn("", cid, f"question {i}", _answer(f"q{i}"))
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(t.question for t in store.load("", cid).turns) == sorted(["first", *(f"question {i}" for i in range(8))])


def test_a_corrupt_history_database_is_kept_aside_and_a_new_one_started(tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database at all " * 200)
    store = HistoryStore(path)
    assert str(path) in store.notice and "corrupt" in store.notice
    aside = list(tmp_path.glob("history.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    cid = new_id()
    store.add_turn("", cid, "still works", _answer("q"))
    assert store.conversations("")[0].title == "still works"


def test_html_in_a_title_is_stored_as_text(store):
    cid = new_id()
    store.add_turn("", cid, '<img src=x onerror="alert(1)">', _answer("q"))
    store.rename("", cid, "<script>alert(1)</script>")
    assert store.conversations("")[0].title == "<script>alert(1)</script>"


def test_exports_write_markdown_with_citations_and_json_into_the_given_folder(store, tmp_path):
    cid = new_id()
    store.add_turn("", cid, "联邦学习以后更难搞定的是什么？", _answer("q"))
    md = store.export("", cid, tmp_path / "exports", "md")
    assert md.parent == tmp_path / "exports"
    text = md.read_text(encoding="utf-8")
    assert "联邦学习以后更难搞定的是什么？" in text and "> 比技术更难搞定的是数据贡献和模型分润的扯皮" in text
    data = json.loads(store.export("", cid, tmp_path / "exports", "json").read_text(encoding="utf-8"))
    assert data["id"] == cid and data["turns"][0]["citations"][0]["quote"].startswith("比技术更难")


def test_ratings_become_a_question_set_the_evaluation_reads(store, tmp_path):
    wrong, right, refused, vague = new_id(), new_id(), new_id(), new_id()
    store.add_turn("", wrong, "平台要提供什么机制？", _answer("q"))
    store.add_turn("", right, "联邦学习以后更难搞定的是什么？", _answer("q"))
    store.add_turn("", refused, "火星上有几家AI公司？", _answer("q", refused=True))
    store.add_turn("", vague, "另一个问题？", _answer("q"))
    choices = dict((key, label) for label, key in feedback.passage_choices(store.load("", wrong).turns[0].answer))
    assert set(choices) == {"c1", "p2"}
    feedback.rate(store, "", wrong, 0, "down", "答案应该是分润机制", "p2")
    feedback.rate(store, "", right, 0, "up")
    feedback.rate(store, "", refused, 0, "up")
    feedback.rate(store, "", vague, 0, "down")  # no passage: nothing says where the right answer is
    with pytest.raises(HistoryError):
        feedback.rate(store, "", right, 3, "up")
    with pytest.raises(HistoryError):
        feedback.rate(store, "", right, 0, "meh")
    assert feedback.summary(store) == {"up": 2, "down": 2, "questions": 3, "skipped": 1}

    result = feedback.export_questions(store, tmp_path / "rated.jsonl")
    assert (result.questions, result.skipped) == (3, 1)
    questions = {q.question: q for q in load_questions(result.path)}
    down = questions["平台要提供什么机制？"]
    assert down.type == "fact" and down.evidence == ["平台需要提供可审计的分润机制，并支持跨机构的数据治理。"]
    assert down.doc == "ai-platform-market-insights-2024q1.md" and down.model_extra["note"] == "答案应该是分润机制"
    up = questions["联邦学习以后更难搞定的是什么？"]
    assert up.evidence == ["比技术更难搞定的是数据贡献和模型分润的扯皮"] and up.answer_keywords == up.evidence
    assert questions["火星上有几家AI公司？"].type == "unanswerable"

    feedback.rate(store, "", wrong, 0, "up")  # changed mind: the rating is replaced, not added
    assert feedback.summary(store)["up"] == 3


def test_a_database_broken_while_the_page_runs_gives_an_error_naming_the_file(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE messages")
    with pytest.raises(HistoryError, match=str(path)):
        store.add_turn("", new_id(), "q", _answer("q"))


def test_the_page_answers_and_names_the_file_when_the_history_database_cannot_be_used(make_settings):
    """A history path that cannot be a database (here a folder) turns saving off; answers still stream."""
    from ui.history_page import PageHistory

    settings = make_settings()
    settings.history_path.mkdir(parents=True)
    page = PageHistory(settings)
    assert page.store is None and str(settings.history_path) in page.problem
    assert str(settings.history_path) in page.message()

    turn = {"question": "q", "answer": _answer("q"), "html": "<div>a</div>"}

    def stream(export_path: str):  # the shape of ui.app._answer_stream's outputs
        assert export_path == ""
        yield [[], "", [], None, ""]
        yield [[{"role": "assistant", "content": "a"}], "", [turn], None, "x.md"]

    outputs = list(page.saving(stream, "", "", []))
    assert outputs[-1][2] == [turn] and str(settings.history_path) in outputs[-1][-1]


def test_the_page_starts_a_new_database_beside_a_corrupt_one_and_says_so(make_settings):
    from ui.history_page import PageHistory

    settings = make_settings()
    settings.history_path.parent.mkdir(parents=True)
    settings.history_path.write_bytes(b"\x00garbage" * 500)
    page = PageHistory(settings)
    assert page.store is not None and str(settings.history_path) in page.problem
    assert "kept as history.sqlite3.corrupt-" in page.message()
