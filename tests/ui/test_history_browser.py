"""History and ratings on the chat page in headless Chromium (fixtures of ``test_chat_page_browser``): rate an
answer down with the passage that holds the right one, see the Evaluation tab count it, reload and reopen the
conversation from the side list."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gradio_client import Client
from serverkit import ARTIFACTS, REPO
from test_chat_page_browser import _ask, browser, page  # noqa: F401  (fixtures)

from eval.pagekit import rate_down_with_passage
from eval.questions import load_questions

pytestmark = pytest.mark.slow

QUESTION = "医疗影像识别创业案例中，团队从医院拿到了多少张带标注的影像？"
HOSTILE_NAME = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>影像对话"


def test_an_analyst_rates_an_answer_down_with_a_passage_and_reopens_the_conversation_after_a_reload(page, chat_server,
                                                                                                   tmp_path):
    page.goto(chat_server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    _ask(page, QUESTION)
    answer_row = page.locator("#rq-chat .rq-answered").last
    assert answer_row.locator(".rq-card").count() >= 1

    message = page.locator("#rq-rate-message")
    rate_down_with_passage(page, "<b>答案</b>在另一段里")
    assert "rated down" in message.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-rated.png"))

    # The rating is in the question set `reportqa feedback export` writes, with the picked passage as evidence.
    exported = tmp_path / "rated.jsonl"
    done = subprocess.run([sys.executable, "-m", "ui.cli", "feedback", "export", "--data-dir",
                           str(chat_server.data_dir), "--out", str(exported)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [rated] = [q for q in load_questions(exported) if q.question == QUESTION]
    assert rated.evidence and rated.doc and rated.model_extra["note"] == "<b>答案</b>在另一段里"
    client = Client(chat_server.url, verbose=False)
    saved = next(c for c in client.predict(api_name="/conversations") if c["title"].startswith(QUESTION[:12]))
    turn = client.predict(saved["id"], api_name="/conversation")["turns"][0]
    assert rated.evidence[0] in {" ".join(x["text"].split()) for x in [*turn["passages"], *turn["citations"]]}

    page.get_by_role("tab", name="Evaluation · 评测").click()
    page.wait_for_function(
        "() => /\\b1 rated question/.test(document.querySelector('#rq-rated-info')?.textContent || '')",
        timeout=60_000,
    )

    page.reload()
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    assert page.locator("#rq-chat .rq-answer").count() == 0  # a reload starts a new conversation...
    entry = page.locator("#rq-history label").filter(has_text=QUESTION[:12]).first
    entry.wait_for(timeout=60_000)  # ...and the saved one is in the side list
    entry.click()
    page.wait_for_function("() => document.querySelectorAll('#rq-chat .rq-answered .rq-card').length > 0",
                           timeout=60_000)
    assert QUESTION in page.locator("#rq-chat .rq-question").first.inner_text()
    assert page.locator("#rq-rename input, #rq-rename textarea").first.input_value().startswith(QUESTION[:12])
    page.screenshot(path=str(ARTIFACTS / "chat-history-reopened.png"))

    # A name full of markup is shown as text and runs nothing.
    page.locator("#rq-rename input, #rq-rename textarea").first.fill(HOSTILE_NAME)
    page.locator("#rq-rename-save").click()
    page.locator("#rq-history label").filter(has_text="onerror").first.wait_for(timeout=60_000)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#rq-history img").count() == 0
    assert page.outside_requests == [], page.outside_requests
