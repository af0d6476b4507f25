"""The page's upload queue over a real server: uploads return at once and are read and indexed in order; a hostile
upload can be cancelled and never holds up questions, removals or the uploads queued behind it; Ctrl-C stops the
server promptly even while one is being read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filemakers import make_text
from serverkit import ARTIFACTS, REPO, free_port, server_env, start_server, stop_server
from test_chat_page_browser import browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

REPORTS = {
    "cloud.md": "# 云计算市场\n\n2024年公有云市场规模同比增长百分之二十。阿里云、华为云和腾讯云占据国内公有云市场的前三位。\n",
    "chips.md": "# 芯片出口\n\n国产加速卡的出货量在2024年快速上升，同比增长超过百分之五十。\n",
}
NEW_REPORT = "# 深海养殖机器人市场简报\n\n本简报估计，2030年深海养殖机器人的全球出货量约为一万两千台，巡检机器人占六成。\n"
# Depth limit raised so that the page nested this deep is read (slowly: the parser's cost grows with the square of
# the depth) instead of being refused at once; it stands for any upload that takes long to read.
SLOW_ENV = {"REPORTQA_INGEST__MAX_NESTING_DEPTH": "1000000"}


def _slow_page(path: Path, depth: int = 60_000) -> Path:
    path.write_text("<html><body>" + "<div>" * depth + "深处。" + "</div>" * depth + "</body></html>",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def queue_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("upload-queue")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in REPORTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(root / "data", ARTIFACTS / "upload-queue-server.log",
                          env={"REPORTQA_CORPUS_DIR": str(corpus), **SLOW_ENV})
    yield server
    stop_server(server.process)
    assert "NETWORK GUARD" not in server.log()


def _wait_for(client, job_id: str, states: tuple[str, ...], timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = next(j for j in client.predict(api_name="/upload_queue") if j["id"] == job_id)
        if job["state"] in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"upload {job_id} never reached {states}: {job}")


def test_a_slow_upload_can_be_cancelled_and_holds_up_no_question_removal_or_later_upload(queue_server, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(queue_server.url, verbose=False)
    slow = _slow_page(tmp_path / "a-slow.html")
    good = make_text(tmp_path / "deep-sea-robots.md", NEW_REPORT)
    started = time.perf_counter()
    slow_job, good_job = client.predict([handle_file(str(slow)), handle_file(str(good))], api_name="/queue_upload")
    assert time.perf_counter() - started < 10  # queued, not read
    assert [slow_job["name"], good_job["name"]] == ["a-slow.html", "deep-sea-robots.md"]
    _wait_for(client, slow_job["id"], ("checking",))
    time.sleep(1)

    asked = time.perf_counter()
    record = client.predict("2024年公有云市场规模增长了多少？", api_name="/ask")
    assert record["citations"] and time.perf_counter() - asked < 15
    removed = client.predict(["chips.md"], api_name="/remove")
    assert removed["removed"], removed
    assert client.predict(api_name="/upload_queue")[0]["state"] == "checking"  # still reading it meanwhile

    cancelled_at = time.perf_counter()
    client.predict(slow_job["id"], api_name="/cancel_upload")
    job = _wait_for(client, slow_job["id"], ("cancelled", "failed", "done"), timeout=30)
    assert job["state"] == "cancelled" and time.perf_counter() - cancelled_at < 10, job
    done = _wait_for(client, good_job["id"], ("done", "failed", "cancelled"))
    assert done["state"] == "done" and "indexed" in done["message"], done

    sources = {d["source"] for d in client.predict(api_name="/documents")}
    assert any(s.endswith("deep-sea-robots.md") for s in sources)
    assert not any(s.endswith("a-slow.html") for s in sources)
    assert not any(p.name == "a-slow.html" for p in (queue_server.data_dir / "uploads").iterdir())
    answer = client.predict("2030年深海养殖机器人的全球出货量是多少？", api_name="/ask")
    assert any("deep-sea-robots" in c["source"] for c in answer["citations"]), answer


def test_a_refused_upload_is_named_with_its_reason_and_the_next_one_is_indexed(queue_server, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(queue_server.url, verbose=False)
    deep = tmp_path / "nested.html"
    deep.write_text("<div>" * 2_000_000 + "x", encoding="utf-8")  # over even the raised depth limit
    good = make_text(tmp_path / "arctic-notes.md", "# 北极航线\n\n2029年北极航线的集装箱运量预计达到四百万标箱。\n")
    bad_job, good_job = client.predict([handle_file(str(deep)), handle_file(str(good))], api_name="/queue_upload")
    bad = _wait_for(client, bad_job["id"], ("done", "failed", "cancelled"))
    assert bad["state"] == "failed" and "ingest.max_nesting_depth" in bad["message"], bad
    assert _wait_for(client, good_job["id"], ("done", "failed", "cancelled"))["state"] == "done"


def test_ctrl_c_stops_the_page_server_promptly_while_an_upload_is_being_read(tmp_path):
    from gradio_client import Client, handle_file

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cloud.md").write_text(REPORTS["cloud.md"], encoding="utf-8")
    port = free_port()
    log_path = ARTIFACTS / "ctrl-c-server.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {**server_env(tmp_path / "guard"), "REPORTQA_CORPUS_DIR": str(corpus), **SLOW_ENV}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, which is what a terminal's Ctrl-C signals
            # A suite run in the background ignores SIGINT and children inherit that; serve as from a terminal.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + 240
        while "index ready:" not in log_path.read_text(encoding="utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.25)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        (job,) = client.predict([handle_file(str(_slow_page(tmp_path / "slow.html")))], api_name="/queue_upload")
        _wait_for(client, job["id"], ("checking",))
        time.sleep(1)

        sent = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    print(f"Ctrl-C to exit: {stopped_after:.1f} s")
    assert stopped_after < 8, f"{stopped_after:.1f} s from Ctrl-C to exit"
    # The only traceback allowed: a parser worker caught by Ctrl-C while it was still starting (the signal reaches
    # the whole process group before the worker can ignore it; it dies with the server either way).
    tracebacks = log_path.read_text(encoding="utf-8").split("Traceback (most recent call last):")[1:]
    assert all("spawn_main" in t and "KeyboardInterrupt" in t for t in tracebacks), tracebacks


_LISTED_AS = ("() => [...document.querySelectorAll('#rq-upload-queue .rq-upload-{state}')]"
              ".some(e => e.textContent.includes('slow-report.html'))")


def test_an_analyst_sees_a_slow_upload_in_the_queue_and_cancels_it_on_the_page(queue_server, browser, tmp_path):
    from serverkit import only_the_server

    page = browser.new_page()
    only_the_server(page, queue_server.url)
    try:
        page.goto(queue_server.url)
        page.locator("#rq-question textarea").wait_for(timeout=60_000)
        page.get_by_role("tab", name="Documents · 文档").click()
        slow = _slow_page(tmp_path / "slow-report.html")
        page.locator("#rq-upload input[type=file]").set_input_files(str(slow))
        page.wait_for_function(_LISTED_AS.format(state="checking"), timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "upload-queue-reading.png"))
        assert "slow-report.html" in page.locator("#rq-cancel-select input").input_value()  # the running one
        page.locator("#rq-cancel-upload").click()
        page.wait_for_function(_LISTED_AS.format(state="cancelled"), timeout=30_000)
        assert page.outside_requests == [], page.outside_requests
    finally:
        page.close()
