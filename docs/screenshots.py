"""The README's screenshots of the chat page, taken from a real server in headless Chromium.

    python docs/screenshots.py [--index DATA_DIR]

Serves a copy of an index (``--index``, else ``corpus/`` ingested into a temporary folder) and writes into ``docs/``:
``answer-list.png`` (a list question answered item by item), ``citation-clicked.png`` (``[2]`` clicked: its card
open at the highlighted quote), ``rating.png`` (an answer rated down with the passage that holds the right one) and
``history.png`` (after a reload, the conversation reopened from the side list).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from eval.bench_page import index_copy, start_server, stop_server  # noqa: E402
from eval.pagekit import CHROMIUM, CHROMIUM_ARGS, ask_on_page, rate_down_with_passage  # noqa: E402

LIST_QUESTION = "2025年AI产业有哪些趋势？"
FACT_QUESTION = "医疗影像识别创业案例中，团队从医院拿到了多少张带标注的影像？"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        server = start_server(index_copy(args.index, Path(tmp)), Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                _take(page, server["url"])
                browser.close()
        finally:
            stop_server(server["process"])


def _take(page, url: str) -> None:
    page.goto(url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    ask_on_page(page, LIST_QUESTION)
    page.screenshot(path=str(DOCS / "answer-list.png"))
    print("wrote docs/answer-list.png")

    answer = page.locator("#rq-chat .rq-answered").last
    answer.locator("sup.rq-ref a", has_text="[2]").first.click()
    page.wait_for_function("() => [...document.querySelectorAll('#rq-chat .rq-answered')].pop()"
                           ".querySelectorAll('.rq-card:not(.rq-card-passage) details')[1].open", timeout=30_000)
    page.wait_for_timeout(800)  # the scroll to the quote
    page.screenshot(path=str(DOCS / "citation-clicked.png"))
    print("wrote docs/citation-clicked.png")

    ask_on_page(page, FACT_QUESTION)
    rate_down_with_passage(page, "答案在另一段里")
    page.locator("#rq-rate").scroll_into_view_if_needed()
    page.screenshot(path=str(DOCS / "rating.png"))
    print("wrote docs/rating.png")

    page.reload()
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    entry = page.locator("#rq-history label").filter(has_text=LIST_QUESTION[:8]).first
    entry.wait_for(timeout=60_000)
    entry.click()
    page.wait_for_function("() => document.querySelectorAll('#rq-chat .rq-answered .rq-card').length > 0",
                           timeout=60_000)
    page.screenshot(path=str(DOCS / "history.png"))
    print("wrote docs/history.png")


if __name__ == "__main__":
    main()
