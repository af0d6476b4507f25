"""Starting and stopping a real chat server for the UI tests: ``reportqa serve`` in a subprocess, on a free port,
with a network guard of its own (the server must not reach out either)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"

# Imported by the server's interpreter before anything else (PYTHONPATH): refuses and reports any connection that
# leaves the machine, the same rule as the test process's autouse guard.
SITECUSTOMIZE = '''
import ipaddress, socket, sys
_connect = socket.socket.connect
def _guarded(self, address):
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            sys.stderr.write(f"NETWORK GUARD: refused connection to {address!r}\\n")
            sys.stderr.flush()
            raise ConnectionRefusedError(f"network guard: {host} is not loopback")
    return _connect(self, address)
socket.socket.connect = _guarded
'''


@dataclass
class ChatServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    data_dir: Path
    page_s: float  # from process start to the page being served
    started_s: float  # from process start to the index being opened and checked against the corpus

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(guard_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    guard_dir.mkdir(parents=True, exist_ok=True)
    (guard_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(guard_dir), str(REPO)])
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1", NO_COLOR="1")
    return env


def start_server(data_dir: Path, log_path: Path, *extra: str, timeout: float = 240.0,
                 env: dict[str, str] | None = None, scheme: str = "http") -> ChatServer:
    """``reportqa serve`` (as ``python -m ui.cli``, so it runs without the package being installed), waiting until
    the page is served and the startup index check has finished. ``env`` adds variables to the server's
    environment; ``scheme`` is ``https`` for a server given a certificate."""
    port = free_port()
    log = log_path.open("w", encoding="utf-8")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data_dir), *extra],
        cwd=REPO, env={**server_env(Path(tempfile.mkdtemp(prefix="reportqa-guard-"))), **(env or {})}, stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"{scheme}://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    page_up, page_s = False, 0.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
        if not page_up:
            try:
                page_up = httpx.get(url, timeout=2, verify=False).status_code in (200, 401)
            except httpx.HTTPError:
                pass
            page_s = time.perf_counter() - started
        if page_up and re.search(r"^index ready:", log_path.read_text(encoding="utf-8"), re.M):
            return ChatServer(url, process, log_path, data_dir, page_s, time.perf_counter() - started)
        time.sleep(0.25)
    stop_server(process)
    raise AssertionError(f"the server did not become ready in {timeout:.0f} s:\n{log_path.read_text()}")


@contextmanager
def server_over_copy(index_dir: Path, root: Path, log_name: str) -> Iterator[ChatServer]:
    """A chat server of its own over a copy of the index in ``index_dir``, made in ``root``; its log goes to the
    artifacts folder. Stopped afterwards, and checked never to have reached for the network."""
    data = root / "data"
    shutil.copytree(index_dir, data)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(data, ARTIFACTS / log_name)
    yield server
    stop_server(server.process)
    assert "NETWORK GUARD" not in server.log(), "the server tried to reach the network"


@contextmanager
def server_over_corpus(root: Path, log_name: str) -> Iterator[ChatServer]:
    """A chat server of its own over the reports in ``root / "corpus"`` (its start-up ingest builds the index in
    ``root / "data"``); its log goes to the artifacts folder. Stopped afterwards, and checked never to have reached
    for the network."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(root / "data", ARTIFACTS / log_name, timeout=900,
                          env={"REPORTQA_CORPUS_DIR": str(root / "corpus")})
    yield server
    stop_server(server.process)
    assert "NETWORK GUARD" not in server.log(), "the server tried to reach the network"


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def only_the_server(page, server_url: str) -> None:
    """Let ``page`` load only from the server (and data:/blob: URLs); every other request is aborted and recorded
    in ``page.outside_requests``."""
    page.outside_requests = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server_url) or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            page.outside_requests.append(url)
            request_route.abort()

    page.route("**/*", route)
