"""Driving the chat page in headless Chromium (Debian's ``chromium``, via Playwright): the steps a user takes, shared
by the page benchmark (``eval.bench_page``), the README's screenshots (``docs/screenshots.py``) and the browser
tests. Never ``playwright install``: the browser is the system one."""

from __future__ import annotations

import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def ask_on_page(page, question: str, timeout_ms: int = 120_000) -> tuple[float, float]:
    """Type a question, press Enter; seconds to the first streamed text and to the finished answer."""
    before = page.locator("#rq-chat .rq-answer:not(.rq-streaming)").count()
    page.locator("#rq-question textarea").fill(question)
    started = time.perf_counter()
    page.locator("#rq-question textarea").press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#rq-chat .rq-streaming .rq-answer-text')].some("
        "e => e.textContent.trim().length > 0) || document.querySelectorAll('#rq-chat "
        f".rq-answer:not(.rq-streaming)').length > {before}", polling="raf", timeout=timeout_ms)
    first = time.perf_counter() - started
    page.wait_for_function(
        f"() => document.querySelectorAll('#rq-chat .rq-answer:not(.rq-streaming)').length > {before}",
        polling="raf", timeout=timeout_ms)
    return first, time.perf_counter() - started


def rate_down_with_passage(page, note: str, timeout_ms: int = 60_000) -> None:
    """Thumbs down on the last answer, then in "Rate an answer" pick the first passage offered as the one holding
    the right answer, add ``note`` and save; returns once the page says it is saved."""
    page.locator("#rq-chat button[aria-label='踩'], #rq-chat button[aria-label='Dislike']").last.click()
    page.wait_for_function("() => document.querySelector('#rq-rate-message')?.textContent.includes('rated down')",
                           timeout=timeout_ms)
    page.locator("#rq-rate-passage input").click()
    page.get_by_role("option").filter(has_text="#").first.click()
    page.keyboard.press("Escape")
    page.locator("#rq-rate-note textarea").fill(note)
    page.locator("#rq-rate-save").click()
    page.wait_for_function(
        "() => document.querySelector('#rq-rate-message')?.textContent.includes('holds the right answer')",
        timeout=timeout_ms)
