"""The real chat server under load, and a hostile report in the real page.

Reuses the UI tests' server helpers (``tests/ui/serverkit.py``) and browser launch settings
(``tests/ui/test_chat_page_browser.py``); ``tests/ui`` is put on ``sys.path`` the way pytest does for the UI tests.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from filemakers import make_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from serverkit import ARTIFACTS, REPO, server_over_copy
from test_chat_page_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

CLIENTS = 20
QUESTIONS_PER_CLIENT = 25
REQUEST_TIMEOUT_S = 60.0
LOAD_DEADLINE_S = 8 * 60.0
RSS_GROWTH_LIMIT = 1.5
RECORD_KEYS = {"question", "answer", "refused", "mode", "citations", "passages", "notices", "latency_ms"}

LOAD_REPORT = """# 月球背面射电天文台建设简报 2033

## 概况

本简报记录，月球背面射电天文台一期工程于2033年完工，共部署了三百六十台低频天线，总投资约为一百九十亿元。

## 难点

主要难点是月夜期间的供电与保温，以及地月中继通信带宽有限。
"""

HOSTILE_SENTENCE = "北极冰川咖啡馆在2032年的年营业额达到三亿四千万元。"
HOSTILE_QUESTION = "北极冰川咖啡馆2032年的年营业额是多少？"
HOSTILE_REPORT = f"""# 北极冰川咖啡馆经营简报

## 经营情况

{HOSTILE_SENTENCE}<script>window.__pwned=1</script>门店共有十二家，全部位于斯瓦尔巴群岛。<img src=x onerror="window.__pwned=2">客单价约为九十元。<img src=y onerror="alert('pwned')">
"""


@pytest.fixture(scope="module")
def load_server(corpus_index, tmp_path_factory):
    """A chat server of its own (so its memory reflects only this module's traffic), over a copy of the index."""
    with server_over_copy(corpus_index.data_dir, tmp_path_factory.mktemp("load-server"), "load-server.log") as server:
        yield server


def _questions() -> list[str]:
    """Chinese and English questions from the dev set, interleaved so every client asks both."""
    rows = [json.loads(line) for line in (REPO / "eval/questions/reports-dev.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    english = [r["question"] for r in rows if r.get("lang") == "en"]
    chinese = [r["question"] for r in rows if r.get("lang") != "en"]
    assert english and chinese
    mixed = []
    for i in range(max(len(english), len(chinese))):
        mixed += [chinese[i % len(chinese)], english[i % len(english)]]
    return mixed


def _record_problems(question: str, record) -> list[str]:
    """What is wrong with an /ask answer record (empty when it has the ``reportqa ask --json`` shape)."""
    if not isinstance(record, dict):
        return [f"not a dict: {type(record).__name__}"]
    problems = []
    if set(record) != RECORD_KEYS:
        problems.append(f"keys {sorted(record)}")
    if record.get("question") != question:
        problems.append(f"answered another question: {record.get('question')!r}")
    if not isinstance(record.get("answer"), str) or not isinstance(record.get("refused"), bool):
        problems.append("answer/refused of the wrong type")
    if not isinstance(record.get("citations"), list) or not isinstance(record.get("passages"), list):
        problems.append("citations/passages not lists")
    else:
        if any(not {"n", "quote", "source"} <= set(c) for c in record["citations"]):
            problems.append("a citation without n/quote/source")
        if any(not isinstance(p, dict) or "source" not in p for p in record["passages"]):
            problems.append("a passage without a source")
        if not record["refused"] and not record["citations"]:
            problems.append("an answer without citations")
    return problems


def _rss_mb(pid: int) -> float:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def test_twenty_clients_asking_while_a_report_is_uploaded_get_answers_without_errors(load_server, tmp_path):
    from gradio_client import Client, handle_file

    questions = _questions()
    clients = [Client(load_server.url, verbose=False) for _ in range(CLIENTS)]
    stop = threading.Event()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def ask(client, question: str) -> None:
        started = time.perf_counter()
        job = client.submit(question, api_name="/ask")
        try:
            record = job.result(timeout=REQUEST_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - every failure is counted and reported, none is swallowed
            job.cancel()
            with lock:
                errors.append(f"{question!r}: {type(error).__name__}: {error}")
            return
        elapsed = time.perf_counter() - started
        problems = _record_problems(question, record)
        with lock:
            latencies.append(elapsed)
            errors.extend(f"{question!r}: {p}" for p in problems)

    def run_client(index: int) -> None:
        for j in range(QUESTIONS_PER_CLIENT):
            if stop.is_set():
                return
            ask(clients[index], questions[(index * QUESTIONS_PER_CLIENT + j) % len(questions)])

    upload_result: dict = {}

    def upload() -> None:
        time.sleep(2)  # start once the questions are queued, so the ingest overlaps them
        report = make_text(tmp_path / "lunar-observatory-2033.md", LOAD_REPORT)
        job = Client(load_server.url, verbose=False).submit([handle_file(str(report))], api_name="/upload")
        upload_result.update(job.result(timeout=LOAD_DEADLINE_S))

    with ThreadPoolExecutor(CLIENTS + 1) as pool:
        # Warm-up: every client asks once, concurrently; the memory baseline is taken after it.
        list(pool.map(lambda i: ask(clients[i], questions[i % len(questions)]), range(CLIENTS)))
        warm_errors = list(errors)
        latencies.clear()
        errors.clear()
        assert not warm_errors, warm_errors[:5]
        rss_warm = _rss_mb(load_server.process.pid)

        started = time.perf_counter()
        futures = [pool.submit(run_client, i) for i in range(CLIENTS)] + [pool.submit(upload)]
        done, pending = wait(futures, timeout=LOAD_DEADLINE_S)
        stop.set()
        wall = time.perf_counter() - started
        for future in done:
            if future.exception() is not None:
                errors.append(f"thread failed: {type(future.exception()).__name__}: {future.exception()}")
        if pending:
            pool.shutdown(wait=False, cancel_futures=True)

    rss_after = _rss_mb(load_server.process.pid)
    ordered = sorted(latencies)
    figures = {
        "clients": CLIENTS,
        "questions_per_client": QUESTIONS_PER_CLIENT,
        "requests_answered": len(latencies),
        "requests_planned": CLIENTS * QUESTIONS_PER_CLIENT,
        "errors": len(errors),
        "first_errors": errors[:10],
        "wall_s": round(wall, 1),
        "requests_per_s": round(len(latencies) / wall, 2) if wall else 0.0,
        "latency_p50_s": round(statistics.median(ordered), 2) if ordered else None,
        "latency_p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2) if ordered else None,
        "latency_max_s": round(ordered[-1], 2) if ordered else None,
        "rss_after_warmup_mb": round(rss_warm, 1),
        "rss_after_run_mb": round(rss_after, 1),
        "rss_ratio": round(rss_after / rss_warm, 2),
        "upload_added": (upload_result.get("ingest") or {}).get("added"),
        "server_tracebacks": load_server.log().count("Traceback"),
        "deadline_hit": bool(pending),
    }
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nload figures: {json.dumps(figures, ensure_ascii=False)}")

    assert not pending, f"the run did not finish within {LOAD_DEADLINE_S:.0f} s: {figures}"
    assert errors == [], errors[:10]
    assert len(latencies) == CLIENTS * QUESTIONS_PER_CLIENT
    assert upload_result.get("saved") == ["lunar-observatory-2033.md"], upload_result
    assert upload_result["ingest"]["added"] and upload_result["ingest"]["chunks_written"] > 0, upload_result
    assert figures["server_tracebacks"] == 0, load_server.log()[-3000:]
    assert rss_after <= RSS_GROWTH_LIMIT * rss_warm, figures


def test_a_report_with_script_tags_shows_as_inert_text_in_the_page(load_server, tmp_path, tmp_path_factory):
    from gradio_client import Client, handle_file
    from playwright.sync_api import sync_playwright

    report = make_text(tmp_path / "arctic-cafe.md", HOSTILE_REPORT)
    result = Client(load_server.url, verbose=False).predict([handle_file(str(report))], api_name="/upload")
    assert result["saved"] == ["arctic-cafe.md"] and result["ingest"]["added"], result

    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: `apt-get install chromium` (see .ci/apt-packages.sh)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1400, "height": 1050}, locale="zh-CN",
        )
        try:
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(load_server.url)
            page.locator("#rq-question textarea").wait_for(timeout=60_000)
            page.locator("#rq-question textarea").fill(HOSTILE_QUESTION)
            page.locator("#rq-question textarea").press("Enter")
            page.wait_for_function(
                "() => document.querySelectorAll('#rq-chat .rq-answer:not(.rq-streaming)').length > 0",
                polling="raf", timeout=60_000,
            )
            answer = page.locator("#rq-chat .rq-answer").last
            card = answer.locator(".rq-card").filter(has_text="北极冰川咖啡馆经营简报").first
            card.wait_for(timeout=10_000)
            card.locator("summary").click()
            viewer = card.locator(".rq-viewer")
            viewer.wait_for(state="visible")
            page.wait_for_timeout(1000)  # give any injected handler (img onerror) time to fire
            page.screenshot(path=str(ARTIFACTS / "hostile-report-viewer.png"))

            shown = viewer.inner_text()
            assert "<script>window.__pwned=1</script>" in shown, shown
            assert "onerror" in shown, shown
            assert page.evaluate("() => window.__pwned") is None
            assert dialogs == []
            assert page.locator("#rq-chat script").count() == 0
            assert page.locator("#rq-chat img[src='x'], #rq-chat img[src='y']").count() == 0
        finally:
            context.close()
    Client(load_server.url, verbose=False).predict(["arctic-cafe.md"], api_name="/remove")
