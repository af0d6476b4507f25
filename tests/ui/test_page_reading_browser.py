"""Reading an answer in headless Chromium, over a server of its own on two small reports made for the test: the
answer stays in view, ``[n]`` opens its card at the quote, passages render as safe Markdown, the Sources setting
changes the cards, and the report filter stays with its conversation. (Browser fixture of
``test_chat_page_browser``.)"""

from __future__ import annotations

import pytest
from filemakers import make_text
from serverkit import ARTIFACTS, only_the_server, server_over_corpus
from test_chat_page_browser import _ask, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

ROBOTS = """# Deep-Sea Farming Robots Market Brief 2030

## Overview

This brief covers underwater robots that inspect and clean offshore fish farms. Net inspection robots make up sixty \
percent of the fleet.

## Shipments

Annual shipments of deep-sea farming robots, in units:

| Year | Inspection robots | Cleaning robots |
|---|---|---|
| 2026 | 3,100 | 1,900 |
| 2028 | 5,400 | 3,300 |
| 2030 | 7,200 | 4,800 |

## Risks

- Biofouling on sensors shortens the service interval of every robot to about six weeks.
- Storm seasons keep the robots docked for up to four months a year in the North Atlantic.

## Vendor web pages

One vendor's product page was copied into this brief with its markup: <script>window.__pwned = 1; alert('pwned')\
</script> and <img src=x onerror="window.__pwned = 2">, which the brief keeps as text.

## Outlook

Salmon farms in Norway will buy most of the cleaning robots until 2030. Chile is the second market for inspection \
robots.
"""
HARBOUR = """# Harbour Inspection Drones Report

## Market

Harbour inspection drones check quay walls and ship hulls. Ports in Rotterdam and Singapore run the largest fleets.

## Costs

A harbour inspection drone costs about 40,000 euros, and a yearly service contract adds 6,000 euros.
"""
RISKS = "What are the risks for deep-sea farming robots?"
SHIPMENTS = "How many cleaning robots will be shipped in 2030?"
MARKUP = "What markup did the vendor's product page contain?"

# Whether an element's first line can be seen: inside the window and inside every box that clips it.
FIRST_LINE_VISIBLE = """el => {
  const r = el.getBoundingClientRect();
  const line = parseFloat(getComputedStyle(el).lineHeight) || 20;
  const top = r.top, bottom = r.top + Math.min(line, r.height);
  for (let n = el.parentElement; n; n = n.parentElement) {
    if (!/(auto|scroll|hidden)/.test(getComputedStyle(n).overflowY)) continue;
    const b = n.getBoundingClientRect();
    if (top < b.top - 1 || bottom > b.bottom + 1) return false;
  }
  return top >= 0 && bottom <= window.innerHeight;
}"""


@pytest.fixture(scope="module")
def reading_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("reading-server")
    make_text(root / "corpus" / "deep-sea-robots.md", ROBOTS)
    make_text(root / "corpus" / "harbour-drones.md", HARBOUR)
    with server_over_corpus(root, "reading-server.log") as server:
        yield server


@pytest.fixture
def page(browser, reading_server):  # noqa: F811
    page = browser.new_page()
    page.dialogs = []
    only_the_server(page, reading_server.url)

    def dismiss(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(reading_server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    yield page
    assert page.outside_requests == [], page.outside_requests
    page.close()


def _set_sources(page, n: int) -> None:
    box = page.locator("#rq-topk input[type=number]")
    box.fill(str(n))
    box.press("Enter")
    page.wait_for_function(f"() => document.querySelector('#rq-topk input[type=range]').value == '{n}'")


def test_the_answer_stays_in_view_and_a_citation_link_opens_its_card_at_the_highlighted_quote(page):
    _set_sources(page, 10)  # many cards: the chat's bottom is far below the answer
    _ask(page, SHIPMENTS)
    _ask(page, RISKS)
    answer = page.locator("#rq-chat .rq-answered").last
    assert answer.locator(".rq-card").count() > 2
    page.wait_for_timeout(800)  # past any late scroll to the bottom
    assert answer.locator(".rq-answer-text").evaluate(FIRST_LINE_VISIBLE), "the answer's first line is out of view"

    card = answer.locator(".rq-card:not(.rq-card-passage)").nth(1)
    assert card.locator(".rq-card-n").inner_text() == "[2]"
    assert card.locator("details").get_attribute("open") is None
    answer.locator("sup.rq-ref a", has_text="[2]").first.click()
    page.wait_for_function("() => [...document.querySelectorAll('#rq-chat .rq-answered')].pop()"
                           ".querySelectorAll('.rq-card:not(.rq-card-passage) details')[1].open")
    quote = card.locator(".rq-viewer mark.rq-quote").first
    page.wait_for_timeout(300)
    assert quote.evaluate(FIRST_LINE_VISIBLE), "card 2's highlighted quote is out of view"
    assert "North Atlantic" in " ".join(card.locator(".rq-viewer mark.rq-quote").all_inner_texts())
    assert answer.locator(".rq-card:not(.rq-card-passage) details").first.get_attribute("open") is None
    # The passage's list is a list, its quote highlighted whole.
    assert card.locator(".rq-viewer .rq-focus li").count() == 2
    page.screenshot(path=str(ARTIFACTS / "chat-citation-clicked.png"))


def test_a_passage_renders_as_markdown_and_markup_in_it_stays_inert(page):
    _set_sources(page, 1)
    _ask(page, SHIPMENTS)
    card = page.locator("#rq-chat .rq-answered").last.locator(".rq-card").first
    table = card.locator(".rq-passage table")
    assert table.count() == 1 and table.locator("th").first.inner_text().strip() == "Year"
    assert "4,800" in " ".join(table.locator("mark.rq-quote").all_inner_texts())  # the whole quote, to its end
    assert "|" not in card.locator(".rq-passage").inner_text()

    _ask(page, MARKUP)
    passage = page.locator("#rq-chat .rq-answered").last.locator(".rq-card .rq-passage").first
    text = passage.inner_text()
    assert "<script>" in text and "<img src=x" in text  # shown as text
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#rq-chat img[src='x'], #rq-chat .rq-card script").count() == 0


def test_the_sources_setting_changes_how_many_cards_the_next_answer_shows(page):
    _set_sources(page, 1)
    _ask(page, SHIPMENTS)
    assert page.locator("#rq-chat .rq-answered").last.locator(".rq-card").count() == 1
    _set_sources(page, 10)
    _ask(page, SHIPMENTS)
    last = page.locator("#rq-chat .rq-answered").last
    assert last.locator(".rq-card").count() > 1
    assert last.locator(".rq-card-passage").count() >= 1  # further retrieved passages after the cited ones
    assert "Also retrieved" in " ".join(last.locator(".rq-cards-title").all_text_contents())


def test_the_report_filter_stays_with_its_conversation(page):
    page.locator("#rq-docfilter input").click()
    page.get_by_role("option", name="Harbour Inspection Drones Report (harbour-drones.md)").click()
    page.keyboard.press("Escape")
    question = "How much does a harbour inspection drone cost?"
    _ask(page, question)
    titles = page.locator("#rq-chat .rq-answer").last.locator(".rq-card-title").all_inner_texts()
    assert titles and set(titles) == {"Harbour Inspection Drones Report"}

    page.locator("#rq-new").click()
    page.wait_for_function("() => document.querySelectorAll('#rq-chat .rq-answer').length == 0")
    # A new conversation searches every report...
    page.wait_for_function("() => !document.querySelector('#rq-docfilter').innerText.includes('Harbour')",
                           timeout=10_000)

    page.locator("#rq-history label").filter(has_text=question[:20]).first.click()
    page.wait_for_function("() => document.querySelectorAll('#rq-chat .rq-answered').length > 0", timeout=60_000)
    # ...and the saved one comes back with its filter.
    page.locator("#rq-docfilter").get_by_text("Harbour Inspection Drones Report").first.wait_for(timeout=10_000)
