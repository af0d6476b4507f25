"""The chat server end to end, through its named API with ``gradio_client``: what scripts see."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from filemakers import make_corrupt_pdf, make_text

pytestmark = pytest.mark.slow

# A report none of the shipped ones resembles, with one fact to ask about.
NEW_REPORT = """# 火星温室农业投资观察 2031

## 一、投资规模

据本报告统计，2031年火星温室农业的总投资额达到七百二十亿元，其中约四成来自深空资源基金。

## 二、主要风险

主要风险是沙尘暴导致的光照不足，以及补给周期过长带来的设备维护困难。
"""
NEW_QUESTION = "2031年火星温室农业的总投资额是多少？"


@pytest.fixture(scope="module")
def client(chat_server):
    from gradio_client import Client

    return Client(chat_server.url, verbose=False)


def _check_cited(record: dict) -> None:
    assert not record["refused"], record["answer"]
    numbers = {c["n"] for c in record["citations"]}
    assert numbers, record
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", record["answer"])}
    assert markers and markers <= numbers, (markers, numbers)
    for citation in record["citations"]:
        assert citation["quote"] and citation["start"] < citation["end"]


def test_the_api_lists_its_named_endpoints(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/ask", "/documents", "/upload", "/remove", "/reingest", "/status", "/evaluate"} <= names


def test_a_chinese_and_an_english_question_get_cited_answers(client):
    chinese = client.predict("某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？", api_name="/ask")
    _check_cited(chinese)
    assert any("ai-platform-market-insights" in c["source"] for c in chinese["citations"])

    english = client.predict("What date is printed on the Q1 2024 AI platform market insights report?",
                             api_name="/ask")
    _check_cited(english)
    assert any("ai-platform-market-insights" in c["source"] for c in english["citations"])


def test_a_follow_up_question_can_carry_the_conversation(client):
    history = [{"role": "user", "content": "某金融机构上了联邦学习以后，觉得比技术更难搞定的是什么？"},
               {"role": "assistant", "content": "数据贡献、模型分润的扯皮 [1]"}]
    record = client.predict("那对平台的要求是什么？", "extractive", 3, [], history, api_name="/ask")
    assert record["citations"] and len(record["citations"]) <= 3


def test_an_uploaded_report_is_answered_from_and_not_after_it_is_removed(client, tmp_path):
    from gradio_client import handle_file

    good = make_text(tmp_path / "mars-farming-2031.md", NEW_REPORT)
    broken = make_corrupt_pdf(tmp_path / "broken.pdf")
    result = client.predict([handle_file(str(good)), handle_file(str(broken))], api_name="/upload")
    assert result["saved"] == ["mars-farming-2031.md"]
    failed = {f["file"]: f["reason"] for f in result["failed"]}
    assert set(failed) == {"broken.pdf"} and failed["broken.pdf"]
    assert result["ingest"]["added"] and result["ingest"]["chunks_written"] > 0

    titles = {d["title"] for d in client.predict(api_name="/documents")}
    assert "火星温室农业投资观察 2031" in titles
    answer = client.predict(NEW_QUESTION, api_name="/ask")
    _check_cited(answer)
    assert any("mars-farming-2031" in c["source"] for c in answer["citations"])
    assert "七百二十亿元" in answer["answer"]

    removed = client.predict(["mars-farming-2031.md"], api_name="/remove")
    assert len(removed["removed"]) == 1 and removed["files_deleted"] == removed["removed"]
    assert "火星温室农业投资观察 2031" not in {d["title"] for d in client.predict(api_name="/documents")}
    after = client.predict(NEW_QUESTION, api_name="/ask")
    assert not any("mars-farming-2031" in c["source"] for c in after["citations"])
    assert not any("mars-farming-2031" in p["source"] for p in after["passages"])


def test_questions_are_answered_while_a_long_upload_is_being_ingested(chat_server, tmp_path):
    """An ingest runs in its own queue with its own embedder, so it does not hold up other users' questions."""
    from gradio_client import Client, handle_file

    # Long enough that embedding it takes several seconds even on a quiet machine.
    paragraphs = [
        f"## 第{i}节 区域市场观察\n\n第{i}个区域的智能仓储项目在{2020 + i % 9}年完成部署，"
        f"订单处理效率提升了百分之{10 + i % 37}，人工成本下降了{3 + i % 11}个百分点。"
        f"项目负责人认为，关键在于第{i}期的数据治理与设备联网改造。" for i in range(1, 241)
    ]
    long_report = make_text(tmp_path / "warehouse-regions.md", "# 智能仓储区域报告\n\n" + "\n\n".join(paragraphs))
    uploader = Client(chat_server.url, verbose=False)
    asker = Client(chat_server.url, verbose=False)
    answered: list[tuple[float, bool]] = []  # (latency, whether the ingest was still running when it came back)
    with ThreadPoolExecutor(1) as pool:
        started = time.perf_counter()
        upload = pool.submit(uploader.predict, [handle_file(str(long_report))], api_name="/upload")
        time.sleep(1)  # let the upload reach the server and the ingest start
        while not upload.done() and len(answered) < 3:
            asked = time.perf_counter()
            record = asker.predict("What date is printed on the Q1 2024 AI platform market insights report?",
                                   api_name="/ask")
            answered.append((time.perf_counter() - asked, not upload.done()))
            assert record["citations"]
        result = upload.result(timeout=600)
        total = time.perf_counter() - started
    assert result["ingest"]["added"], result
    during = [latency for latency, running in answered if running]
    print(f"question latencies during ingest: {[round(x, 2) for x in during]} s; ingest took {total:.1f} s")
    assert during, f"no question came back while the ingest ran ({answered}, ingest {total:.1f} s); make it longer"
    assert max(during) < max(10.0, total / 2)
    Client(chat_server.url, verbose=False).predict(["warehouse-regions.md"], api_name="/remove")


def test_a_corpus_report_removed_from_the_index_comes_back_with_a_reingest(client):
    removed = client.predict(["llm-services-failing-the-trial-period.txt"], api_name="/remove")
    assert removed["removed"] and removed["files_deleted"] == []  # a corpus file is never deleted
    # The report is titled by its own "標題:" line, not by its file name.
    assert "大模型沒過“試用期”" not in {d["title"] for d in client.predict(api_name="/documents")}
    report = client.predict(api_name="/reingest")
    assert [Path(p).name for p in report["added"]] == ["llm-services-failing-the-trial-period.txt"]
    assert not report["failed"] and not report["removed"]
    assert "大模型沒過“試用期”" in {d["title"] for d in client.predict(api_name="/documents")}
