"""Hostile API callers against the real chat server: a URL or a foreign path given as a file is refused without any
connection, uploads have a quota, and an ingested upload leaves no copy behind in Gradio's upload folder.

Every outbound request the server could make goes to a recording listener on 127.0.0.1: it is the server's HTTP(S)
proxy (Gradio's downloads and its ``dns.google`` fallback honour the proxy variables), and it is also the target of
one URL. It must record no connection at all.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from serverkit import ARTIFACTS, start_server, stop_server

pytestmark = pytest.mark.slow

QUOTA_MB = 1


class RecordingListener:
    """A TCP listener on 127.0.0.1 that records the first bytes of every connection made to it."""

    def __init__(self) -> None:
        self.connections: list[bytes] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(50)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                self.connections.append(conn.recv(400))
            except OSError:
                self.connections.append(b"")
            conn.close()

    def close(self) -> None:
        self._sock.close()


@pytest.fixture(scope="module")
def listener():
    server = RecordingListener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def guarded_server(small_index, small_reports, listener, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-callers")
    shutil.copytree(small_index.data_dir, root / "data")
    proxy = f"http://127.0.0.1:{listener.port}"
    env = {name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", GRADIO_TEMP_DIR=str(root / "gradio"),
               REPORTQA_CORPUS_DIR=str(small_reports), REPORTQA_SERVE__UPLOAD_QUOTA_MB=str(QUOTA_MB))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(root / "data", ARTIFACTS / "hostile-callers.log", env=env)
    server.upload_folder = root / "gradio"
    try:
        yield server
    finally:
        stop_server(server.process)
    assert "NETWORK GUARD" not in server.log(), "the server tried to reach the network"


def _file(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "report.md"}


def _documents(server) -> list[str]:
    from gradio_client import Client

    return sorted(d["source"] for d in Client(server.url, verbose=False).predict(api_name="/documents"))


def test_a_url_given_as_a_file_is_refused_and_the_server_connects_nowhere(guarded_server, listener):
    """Regression: a URL passed as a file path made the server resolve and connect to that host."""
    from gradio_client import Client, handle_file

    before = _documents(guarded_server)
    urls = [f"http://127.0.0.1:{listener.port}/report.md", "https://hf.co/report.md", "http://example.com/r.md",
            "file:///etc/passwd", "//example.com/share/report.md"]
    for url in urls:
        response = httpx.post(guarded_server.url + "gradio_api/call/upload", json={"data": [[_file(url)]]}, timeout=30)
        assert response.status_code == 400, (url, response.text)
        assert "does not fetch URLs" in response.json()["error"] and url in response.json()["error"]
    client = Client(guarded_server.url, verbose=False)
    with pytest.raises(Exception, match="400"):  # what gradio_client sends for handle_file(url)
        client.predict([handle_file("https://hf.co/report.md")], api_name="/upload")
    with pytest.raises(Exception, match="400"):  # any endpoint: a file value hidden in /ask's history
        client.predict("云计算", "", 0, [], [{"role": "user", "content": _file("https://hf.co/x.md")}], api_name="/ask")
    for route in ("gradio_api/file=https://hf.co/x.md", "gradio_api/file=http://127.0.0.1:1/x", "gradio_api/proxy=x"):
        assert httpx.get(guarded_server.url + route, timeout=30).status_code == 403, route
    assert listener.connections == [], "the server made a connection on a caller's behalf"
    assert _documents(guarded_server) == before


def test_a_path_outside_the_upload_folder_is_refused_by_name(guarded_server, small_index):
    for path in ("/etc/passwd", str(guarded_server.data_dir / "manifest.json"),
                 str(guarded_server.upload_folder / ".." / "data" / "manifest.json")):
        response = httpx.post(guarded_server.url + "gradio_api/call/upload", json={"data": [[_file(path)]]}, timeout=30)
        assert response.status_code == 400, (path, response.text)
        assert "only files uploaded to this page are accepted" in response.json()["error"]


def test_uploads_over_the_quota_are_refused_and_an_ingested_upload_leaves_no_copy(guarded_server, tmp_path):
    from gradio_client import Client, handle_file

    report = tmp_path / "quota-report.md"
    report.write_text("# 配额测试报告\n\n2031年火星温室农业的总投资额达到七百二十亿元。\n", encoding="utf-8")
    result = Client(guarded_server.url, verbose=False).predict([handle_file(str(report))], api_name="/upload")
    assert result["saved"] == ["quota-report.md"] and not result["failed"], result
    assert not list(guarded_server.upload_folder.rglob("quota-report.md")), "the upload copy was kept after ingest"

    # Raw uploads that are never ingested (the flood of the issue): they fill the quota, then are refused.
    chunk = b"x" * (300 * 1024)
    codes = []
    for i in range(6):
        response = httpx.post(guarded_server.url + "gradio_api/upload", timeout=30,
                              files={"files": (f"flood-{i}.txt", chunk, "text/plain")})
        codes.append(response.status_code)
    assert codes[:3] == [200, 200, 200] and set(codes[3:]) == {413}, codes
    assert "upload quota" in response.json()["error"]
    stored = sum(p.stat().st_size for p in guarded_server.upload_folder.rglob("*") if p.is_file())
    assert stored <= QUOTA_MB * 2**20


def test_a_file_value_is_judged_by_its_path_and_not_by_the_url_the_page_adds(tmp_path):
    """Regression: the first guard also refused the page's own uploads, whose url field names this server."""
    from ui.guard import file_problem

    upload = tmp_path / "gradio" / "abc123" / "report.md"
    page_value = {**_file(str(upload)), "url": "http://127.0.0.1:7860/gradio_api/file=" + str(upload)}
    assert file_problem({"data": [[page_value], None, "text"]}, tmp_path / "gradio") == ""
    assert "does not fetch URLs" in file_problem([{"history": [_file("ftp://example.com/x")]}], tmp_path / "gradio")
    escaped = file_problem([_file(str(tmp_path / "gradio" / ".." / "secret.md"))], tmp_path / "gradio")
    assert "only files uploaded to this page" in escaped
