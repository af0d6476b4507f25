"""LLM mode on the page, in headless Chromium, against the OpenAI-protocol stand-in (``robustkit.FakeLLM``): a sentence
the model left uncited is marked as such, and an answer that cites nothing never stands without passages."""

from __future__ import annotations

import shutil

import pytest
from robustness.robustkit import FakeLLM
from serverkit import ARTIFACTS, start_server, stop_server
from test_chat_page_browser import _ask
from test_users_browser import _page_of, chromium  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

QUESTION = "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？"
UNCITED = "火星上的农场将在2031年把产量翻倍。"


@pytest.fixture(scope="module")
def fake_llm():
    server = FakeLLM()
    yield server
    server.close()


@pytest.fixture(scope="module")
def llm_server(corpus_index, fake_llm, tmp_path_factory):
    root = tmp_path_factory.mktemp("llm-page")
    shutil.copytree(corpus_index.data_dir, root / "data")
    env = {"REPORTQA_LLM_BASE_URL": fake_llm.base_url, "REPORTQA_LLM_MODEL": "fake", "REPORTQA_ANSWER__MODE": "llm"}
    server = start_server(root / "data", ARTIFACTS / "llm-page-server.log", env=env)
    yield server
    stop_server(server.process)
    assert "NETWORK GUARD" not in server.log()


def test_a_sentence_the_model_left_uncited_is_marked_uncited_on_the_page(chromium, llm_server, fake_llm):
    fake_llm.mode, fake_llm.answer = "echo-source", UNCITED
    page = _page_of(chromium, llm_server)
    _ask(page, QUESTION)
    answer = page.locator("#rq-chat .rq-answered").last
    marked = answer.locator(".rq-claim-unsupported")
    assert marked.count() == 1 and "火星上的农场" in marked.inner_text(), answer.inner_html()
    assert marked.get_attribute("title") == "uncited"
    assert "未注明来源" in answer.locator(".rq-unsupported").first.inner_text()  # the visible mark
    assert answer.locator(".rq-ref-link").count() >= 1 and answer.locator(".rq-card").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "llm-uncited-marked.png"))
    assert page.outside_requests == [], page.outside_requests


def test_an_llm_answer_that_cites_nothing_is_replaced_and_shown_with_its_passages(chromium, llm_server, fake_llm):
    fake_llm.mode, fake_llm.answer = "ok", "这个回答没有给出任何出处，全凭模型自己说。"
    page = _page_of(chromium, llm_server)
    _ask(page, QUESTION)
    answer = page.locator("#rq-chat .rq-answer").last
    notices = " ".join(answer.locator(".rq-notice").all_inner_texts())
    assert "cites no source" in notices, answer.inner_html()
    assert "全凭模型" not in answer.locator(".rq-answer-text").inner_text()
    assert answer.locator(".rq-card").count() >= 1
    assert page.outside_requests == [], page.outside_requests
