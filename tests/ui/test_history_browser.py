"""History and ratings on the chat page in headless Chromium (fixtures of ``test_chat_page_browser``): rate an
answer down with the passage that holds the right one, see the Evaluation tab count it, reload and reopen the
conversation from the side list."""

from __future__ import annotations

import pytest
from serverkit import ARTIFACTS
from test_chat_page_browser import _ask, browser, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

QUESTION = "医疗影像识别创业案例中，团队从医院拿到了多少张带标注的影像？"


def test_an_analyst_rates_an_answer_down_with_a_passage_and_reopens_the_conversation_after_a_reload(page, chat_server):
    page.goto(chat_server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    _ask(page, QUESTION)
    answer_row = page.locator("#rq-chat .rq-answered").last
    assert answer_row.locator(".rq-card").count() >= 1

    page.locator("#rq-chat button[aria-label='踩'], #rq-chat button[aria-label='Dislike']").last.click()
    message = page.locator("#rq-rate-message")
    page.wait_for_function("() => document.querySelector('#rq-rate-message')?.textContent.includes('rated down')",
                           timeout=60_000)
    page.locator("#rq-rate-passage input").click()
    page.get_by_role("option").filter(has_text="#").first.click()
    page.keyboard.press("Escape")
    page.locator("#rq-rate-note textarea").fill("<b>答案</b>在另一段里")
    page.locator("#rq-rate-save").click()
    page.wait_for_function(
        "() => document.querySelector('#rq-rate-message')?.textContent.includes('holds the right answer')",
        timeout=60_000,
    )
    assert "rated down" in message.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-rated.png"))

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
    assert page.outside_requests == [], page.outside_requests
