"""Several users and a server restart, in headless Chromium: two users of one page do not see each other's
conversations and a reader may not change the reports; a conversation is found again after the server restarts."""

from __future__ import annotations

import shutil

import pytest
from serverkit import ARTIFACTS, only_the_server, start_server, stop_server
from test_chat_page_browser import CHROMIUM, CHROMIUM_ARGS, _ask

from ui.users import add_user

pytestmark = pytest.mark.slow

ALICE_ASKS = "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？"
BOB_ASKS = "What date is printed on the Q1 2024 AI platform market insights report?"


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: `apt-get install chromium` (see .ci/apt-packages.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _page_of(chromium, server, user: str | None = None, password: str = ""):
    """A page in a browser context of its own (its own cookies), logged in as ``user`` when given."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1050}, locale="zh-CN")
    if user is not None:
        response = context.request.post(server.url + "login", form={"username": user, "password": password})
        assert response.ok, response.text()
    page = context.new_page()
    only_the_server(page, server.url)
    page.goto(server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    return page


def _history(page) -> list[str]:
    page.locator("#rq-history").wait_for()
    return page.locator("#rq-history label").all_inner_texts()


def test_two_users_see_only_their_own_conversations_and_a_reader_may_not_upload(chromium, corpus_index,
                                                                                tmp_path):
    users = tmp_path / "users.txt"
    add_user(users, "alice", "alice-pass-1", "editor")
    add_user(users, "bob", "bob-pass-1", "reader")
    shutil.copytree(corpus_index.data_dir, tmp_path / "data")
    server = start_server(tmp_path / "data", ARTIFACTS / "users-server.log", "--users", str(users))
    try:
        alice = _page_of(chromium, server, "alice", "alice-pass-1")
        bob = _page_of(chromium, server, "bob", "bob-pass-1")
        _ask(alice, ALICE_ASKS)
        _ask(bob, BOB_ASKS)
        alice.wait_for_function("() => document.querySelectorAll('#rq-history label').length > 0", timeout=60_000)
        bob.wait_for_function("() => document.querySelectorAll('#rq-history label').length > 0", timeout=60_000)
        alice.reload()
        bob.reload()
        alice.wait_for_function("() => document.querySelectorAll('#rq-history label').length > 0", timeout=60_000)
        bob.wait_for_function("() => document.querySelectorAll('#rq-history label').length > 0", timeout=60_000)
        seen_by_alice, seen_by_bob = " ".join(_history(alice)), " ".join(_history(bob))
        assert ALICE_ASKS[:12] in seen_by_alice and BOB_ASKS[:12] not in seen_by_alice
        assert BOB_ASKS[:12] in seen_by_bob and ALICE_ASKS[:12] not in seen_by_bob
        bob.screenshot(path=str(ARTIFACTS / "users-bob-history.png"))

        bob.get_by_role("tab", name="Documents · 文档").click()
        report = tmp_path / "bob-report.md"
        report.write_text("# 鲍勃的报告\n\n鲍勃认为2031年火星农场的产量将翻倍。\n", encoding="utf-8")
        bob.locator("#rq-upload input[type=file]").set_input_files(str(report))
        bob.wait_for_function(
            "() => (document.querySelector('#rq-docs-message') || {}).textContent?.includes('Only editors')",
            timeout=60_000,
        )
        assert alice.outside_requests == [] and bob.outside_requests == []
    finally:
        stop_server(server.process)
    assert "NETWORK GUARD" not in server.log()


def test_a_conversation_is_found_and_reopened_after_the_server_restarts(chromium, corpus_index, tmp_path):
    shutil.copytree(corpus_index.data_dir, tmp_path / "data")
    server = start_server(tmp_path / "data", ARTIFACTS / "restart-server-1.log")
    try:
        page = _page_of(chromium, server)
        _ask(page, ALICE_ASKS)
        page.wait_for_function("() => document.querySelectorAll('#rq-history label').length > 0", timeout=60_000)
    finally:
        stop_server(server.process)
    server = start_server(tmp_path / "data", ARTIFACTS / "restart-server-2.log")
    try:
        page = _page_of(chromium, server)
        entry = page.locator("#rq-history label").filter(has_text=ALICE_ASKS[:12]).first
        entry.wait_for(timeout=60_000)
        entry.click()
        page.wait_for_function("() => document.querySelectorAll('#rq-chat .rq-answered .rq-card').length > 0",
                               timeout=60_000)
        assert ALICE_ASKS in page.locator("#rq-chat .rq-question").first.inner_text()
        assert page.outside_requests == [], page.outside_requests
    finally:
        stop_server(server.process)


def test_a_corrupt_history_database_is_kept_aside_with_a_notice_and_two_tabs_writing_at_once_lose_nothing(
        chromium, corpus_index, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    data = tmp_path / "data"
    shutil.copytree(corpus_index.data_dir, data)
    (data / "history.sqlite3").write_bytes(b"not a database, a truncated copy " * 200)
    server = start_server(data, ARTIFACTS / "corrupt-history-server.log")
    try:
        page = _page_of(chromium, server)
        page.wait_for_function(
            "() => (document.querySelector('#rq-history-message') || {}).textContent?.includes('corrupt-')",
            timeout=60_000,
        )
        notice = page.locator("#rq-history-message").inner_text()
        [aside] = data.glob("history.sqlite3.corrupt-*")
        assert aside.name in notice and "history.sqlite3" in notice
        _ask(page, ALICE_ASKS)
        page.locator("#rq-history label").filter(has_text=ALICE_ASKS[:12]).first.wait_for(timeout=60_000)

        # Two tabs of one user add turns to one conversation at the same moment: every turn is kept, in order.
        first = Client(server.url, verbose=False).predict(BOB_ASKS, api_name="/ask", conversation="new")
        cid = first["conversation"]

        def tab(n: int) -> list[int]:
            client = Client(server.url, verbose=False)
            return [client.predict(f"{BOB_ASKS} ({n}.{i})", api_name="/ask", conversation=cid)["turn"]
                    for i in range(4)]

        with ThreadPoolExecutor(2) as pool:
            turns = sorted(t for got in pool.map(tab, (1, 2)) for t in got)
        assert turns == list(range(1, 9))
        record = Client(server.url, verbose=False).predict(cid, api_name="/conversation")
        assert len(record["turns"]) == 9 and len({t["question"] for t in record["turns"]}) == 9
    finally:
        stop_server(server.process)
