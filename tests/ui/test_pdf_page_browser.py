"""A cited PDF passage on its page, in headless Chromium: the source card of an answer over a report printed to PDF
shows the page rendered as an image beside the text, with the quote's lines highlighted where they are drawn."""

from __future__ import annotations

import pytest

import printed_pdf
from serverkit import ARTIFACTS, only_the_server, server_over_corpus
from test_chat_page_browser import _ask, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

QUESTION, CELLS = printed_pdf.TABLE_QUESTIONS[0]


@pytest.fixture(scope="module")
def pdf_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("pdf-server")
    printed_pdf.print_pdf(root / "corpus" / "海上风电运维机器人.pdf", printed_pdf.sample_report(16))
    with server_over_corpus(root, "pdf-page-server.log") as server:
        yield server


@pytest.fixture
def page(browser, pdf_server):  # noqa: F811
    page = browser.new_page()
    only_the_server(page, pdf_server.url)
    page.goto(pdf_server.url)
    page.locator("#rq-question textarea").wait_for(timeout=60_000)
    yield page
    assert page.outside_requests == [], page.outside_requests
    page.close()


def test_show_in_source_shows_the_cited_pdf_page_with_the_quote_highlighted(page):
    _ask(page, QUESTION)
    answer = page.locator("#rq-chat .rq-answered").last
    card = answer.locator(".rq-card:not(.rq-card-passage)", has_text=CELLS[1]).first
    figure = card.locator(".rq-page")
    assert figure.count() == 1
    card.locator("summary").click()  # "Show in source · 查看原文"
    assert "第1页" in figure.locator(".rq-page-head").inner_text()
    image = figure.locator("img.rq-page-img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0 && img.src.startsWith('data:image/png')",
                           arg=image.element_handle(), timeout=30_000)
    sheet = figure.locator(".rq-page-sheet").bounding_box()
    text_view = card.locator(".rq-viewer-body").bounding_box()
    assert sheet["width"] > 150 and sheet["height"] > sheet["width"]  # a portrait page
    assert sheet["x"] + sheet["width"] <= text_view["x"] + 1  # beside the text view, not under it
    marks = figure.locator(".rq-page-mark")
    assert marks.count() >= 1  # the quote's lines (this card quotes the table's caption or a row)
    for index in range(marks.count()):
        box = marks.nth(index).bounding_box()
        assert box["width"] > 5 and box["height"] > 3
        # The table stands in the upper right of page 1.
        assert box["x"] >= sheet["x"] + sheet["width"] / 2 - 2
        assert sheet["y"] <= box["y"] and box["y"] + box["height"] <= sheet["y"] + sheet["height"] / 3
    # The highlighted rows are drawn where the table is: the page image has ink (the table's rules and figures)
    # under every mark.
    inked = page.evaluate(
        """([img, marks]) => {
             const canvas = document.createElement('canvas');
             canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
             const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
             const shown = img.getBoundingClientRect(), k = img.naturalWidth / shown.width;
             return marks.map(m => {
               const r = m.getBoundingClientRect();
               const data = ctx.getImageData((r.left - shown.left) * k, (r.top - shown.top) * k,
                                             Math.max(1, r.width * k), Math.max(1, r.height * k)).data;
               let dark = 0;
               for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 300) dark++;
               return dark;
             });
           }""",
        [image.element_handle(), [marks.nth(i).element_handle() for i in range(marks.count())]],
    )
    assert all(count > 20 for count in inked), inked
    page.screenshot(path=str(ARTIFACTS / "pdf-page-highlight.png"))
