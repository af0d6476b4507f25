"""The chat page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Never ``playwright install``: the browser is the system one. Every request that does not go to the test server is
aborted and recorded; the page must work without them (and there should be none).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from filemakers import make_text
from serverkit import ARTIFACTS, REPO, only_the_server

from eval.pagekit import CHROMIUM as CHROMIUM_PATH
from eval.pagekit import CHROMIUM_ARGS, ask_on_page

pytestmark = pytest.mark.slow

CHROMIUM = Path(CHROMIUM_PATH)
README_SCREENSHOT = REPO / "ui" / "assets" / "chat-page.png"
QUESTION = "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？"
UPLOAD_REPORT = """# 深海养殖机器人市场简报

## 市场规模

本简报估计，2030年深海养殖机器人的全球出货量约为一万两千台，巡检机器人占六成。
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: `apt-get install chromium` (see .ci/apt-packages.sh)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1050}, accept_downloads=True, locale="zh-CN",
            permissions=["clipboard-read", "clipboard-write"],
        )
        yield context
        context.close()


@pytest.fixture
def page(browser, chat_server):
    page = browser.new_page()
    page.console_errors = []
    only_the_server(page, chat_server.url)
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    page.close()


def _ask(page, question: str) -> tuple[float, float]:
    """Type a question, press Enter; seconds to the first streamed text and to the finished answer."""
    return ask_on_page(page, question, timeout_ms=60_000)


def test_an_analyst_asks_reads_a_cited_answer_opens_its_source_and_exports(page, chat_server, tmp_path):
    opened = time.perf_counter()
    page.goto(chat_server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    page_ready = time.perf_counter() - opened

    first_token, full_answer = _ask(page, QUESTION)
    answer = page.locator("#rq-chat .rq-answered").last
    assert answer.locator("sup.rq-ref").count() >= 1
    cards = answer.locator(".rq-card")
    assert cards.count() >= 1
    first_card = cards.first
    assert first_card.locator(".rq-card-title").inner_text().strip()
    assert first_card.locator("mark.rq-quote").count() == 2  # in the card and in its (closed) source viewer
    assert not first_card.locator(".rq-viewer").is_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))

    first_card.locator("summary").click()
    viewer = first_card.locator(".rq-viewer")
    viewer.wait_for(state="visible")
    assert viewer.locator(".rq-focus mark.rq-quote").is_visible()  # scrolled to the quote inside its passage
    assert viewer.locator(".rq-ctx").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "chat-source-viewer.png"))

    copy = answer.locator(".rq-copy")
    copy.click()
    page.wait_for_function("() => [...document.querySelectorAll('.rq-copy')].some(b => b.dataset.copied)")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "[1]" in copied and "Sources" in copied

    with page.expect_download() as download_info:
        page.locator("#rq-export").click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert QUESTION in exported and "**Sources · 来源**" in exported and "> " in exported

    # A question full of markup is shown as text and runs nothing.
    _ask(page, '<img src=x onerror="window.__pwned=1"><b>粗体</b> 是什么？')
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#rq-chat img[src='x']").count() == 0
    assert '<b>粗体</b>' in page.locator("#rq-chat .rq-question").last.inner_text()

    # A refusal looks different.
    _ask(page, "？？？")
    assert page.locator("#rq-chat .rq-answer").last.get_attribute("class").count("rq-refused") == 1

    # Back to the one good answer for the README's screenshot.
    page.locator("#rq-new").click()
    page.wait_for_function("() => document.querySelectorAll('#rq-chat .rq-answer').length == 0")
    _ask(page, QUESTION)
    page.locator("#rq-chat .rq-answered .rq-card summary").first.click()
    page.locator("#rq-chat .rq-viewer").first.wait_for(state="visible")
    # The question at the top of the chat, then the answer, its cards and the opened source viewer.
    page.evaluate("() => { document.querySelector('#rq-chat .rq-question').closest('.message-row, .message')"
                  "?.scrollIntoView({block: 'start'}); window.scrollTo(0, 0); }")
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"))
    if os.environ.get("UPDATE_README_SCREENSHOT"):
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / "chat-page.png", README_SCREENSHOT)

    assert page.outside_requests == [], page.outside_requests
    import psutil

    figures = {
        "serve_to_page_s": round(chat_server.page_s, 2),
        "serve_to_index_ready_s": round(chat_server.started_s, 2),
        "page_load_s": round(page_ready, 2),
        "first_token_s": round(first_token, 2),
        "full_answer_s": round(full_answer, 2),
        "server_rss_mb": round(psutil.Process(chat_server.process.pid).memory_info().rss / 2**20, 1),
        "console_errors": page.console_errors,
    }
    (ARTIFACTS / "page-timings.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"page figures: {figures}")


def test_an_analyst_uploads_a_report_and_it_is_listed_and_searchable(page, chat_server, tmp_path):
    report = make_text(tmp_path / "deep-sea-robots.md", UPLOAD_REPORT)
    page.goto(chat_server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Documents · 文档").click()
    page.locator("#rq-docs").wait_for()
    page.locator("#rq-upload input[type=file]").set_input_files(str(report))
    page.wait_for_function(  # queued at once, then listed as indexed
        "() => (document.querySelector('#rq-docs-message') || {}).textContent?.includes('Queued')", timeout=60_000,
    )
    page.wait_for_function(
        "() => (document.querySelector('#rq-upload-queue .rq-upload-done') || {}).textContent?.includes('indexed')",
        timeout=300_000,
    )
    assert "deep-sea-robots.md" in page.locator("#rq-upload-queue .rq-upload-done").last.inner_text()
    page.locator("#rq-docs").get_by_text("深海养殖机器人市场简报").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "documents-after-upload.png"))

    page.get_by_role("tab", name="Chat · 问答").click()
    _ask(page, "2030年深海养殖机器人的全球出货量大约是多少？")
    answer = page.locator("#rq-chat .rq-answer").last
    assert "深海养殖机器人市场简报" in answer.locator(".rq-card-title").all_inner_texts()

    # Restricted to the new report, every source shown comes from it.
    page.locator("#rq-docfilter input").click()
    page.get_by_role("option", name="深海养殖机器人市场简报 (deep-sea-robots.md)").click()
    page.keyboard.press("Escape")
    _ask(page, "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？")
    titles = page.locator("#rq-chat .rq-answer").last.locator(".rq-card-title").all_inner_texts()
    assert titles and set(titles) == {"深海养殖机器人市场简报"}

    page.get_by_role("tab", name="Documents · 文档").click()
    page.locator("#rq-remove-select input").click()
    page.get_by_role("option", name="深海养殖机器人市场简报 (deep-sea-robots.md)").click()
    page.keyboard.press("Escape")
    page.locator("#rq-remove").click()
    page.wait_for_function(
        "() => (document.querySelector('#rq-docs-message') || {}).textContent?.includes('Removed')", timeout=120_000,
    )
    assert page.locator("#rq-docs").get_by_text("深海养殖机器人市场简报").count() == 0
    assert page.outside_requests == [], page.outside_requests
