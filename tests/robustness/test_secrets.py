"""Nothing leaves the machine that should not: the LLM API key never shows in output, notices, settings dumps or
logs, and ingesting and asking open no connection beyond loopback (no model hub, no telemetry)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rag.settings import Settings
from robustkit import CLOUD_QUESTION, SMALL_REPORTS, child_env, llm_engine, run_cli, write_reports

SECRET = "sk-test-SECRET-42"


def _dead_endpoint() -> str:
    """A loopback URL on which nothing listens (connections are refused at once)."""
    from llm_server import free_port

    return f"http://127.0.0.1:{free_port()}/v1"


def _secret_settings(base_url: str) -> dict[str, str]:
    return {"REPORTQA_LLM_API_KEY": SECRET, "REPORTQA_LLM_BASE_URL": base_url, "REPORTQA_LLM_MODEL": "qwen-test"}


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text and "SECRET-42" not in text, text[-3000:]


def test_the_key_is_read_from_the_environment_and_never_shown_by_settings(monkeypatch):
    monkeypatch.setenv("REPORTQA_LLM_API_KEY", SECRET)
    monkeypatch.setenv("REPORTQA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings()
    assert settings.llm.api_key.get_secret_value() == SECRET
    copy = settings.with_overrides(retrieval={"top_k": 3})
    assert copy.llm.api_key.get_secret_value() == SECRET, "with_overrides lost the key"
    _assert_no_secret(
        repr(settings), str(settings), repr(settings.llm), settings.model_dump_json(), str(settings.model_dump()),
        json.dumps(settings.model_dump(mode="json")), repr(copy),
    )


@pytest.mark.parametrize("endpoint", ["dead", "echoes the key in its error"])
def test_notices_and_debug_logs_never_hold_the_key(small_engine, fake_llm, caplog, endpoint):
    base_url = _dead_endpoint() if endpoint == "dead" else fake_llm.base_url
    fake_llm.mode = "echo-401"
    engine = llm_engine(small_engine, base_url, api_key=SECRET)
    assert engine.settings.llm.api_key.get_secret_value() == SECRET
    # Another test may have quietened these loggers (the CLI does); this one wants everything.
    for name in (None, "rag", "ingest", "openai", "httpx", "httpcore", "llama_index", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)

    answer = engine.ask(CLOUD_QUESTION, mode="llm")

    assert answer.mode == "extractive" and answer.notices
    if endpoint != "dead":
        assert fake_llm.requests[-1].headers.get("Authorization") == f"Bearer {SECRET}"  # sent where it belongs
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    _assert_no_secret(
        " ".join(answer.notices), answer.model_dump_json(), json.dumps(answer.to_record(), ensure_ascii=False),
        caplog.text, "\n".join(str(r.args) for r in caplog.records),
    )


# -- the command line under a network guard -----------------------------------------------------------------

_GUARD = '''
"""Loaded into every Python process of the test (via PYTHONPATH): records and refuses non-loopback network use."""
import atexit, ipaddress, json, os, socket, sys

_LOG = os.environ["NETGUARD_LOG"]


def _write(kind, detail):
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"pid": os.getpid(), "argv": sys.argv[:3], "kind": kind, "detail": detail}) + "\\n")


def _loopback(host):
    if host in (None, "", "localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
_getaddrinfo = socket.getaddrinfo


def _check(sock, address, what):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not _loopback(address[0]):
            _write(what, repr(address))
            raise ConnectionRefusedError(f"netguard: {what} to {address!r} refused")


def connect(self, address):
    _check(self, address, "connect")
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address, "connect")
    return _connect_ex(self, address)


def sendto(self, data, *args):
    _check(self, args[-1], "sendto")
    return _sendto(self, data, *args)


def _ip_literal(host):
    try:
        ipaddress.ip_address(str(host).split("%")[0])
        return True
    except ValueError:
        return False


def getaddrinfo(host, *args, **kwargs):
    # A name that needs a DNS lookup is outbound by itself; an address literal is checked when it is connected to.
    name = host.decode() if isinstance(host, bytes) else host
    if not _loopback(name) and not _ip_literal(name):
        _write("dns", repr(host))
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: lookup of {host!r} refused")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
socket.getaddrinfo = getaddrinfo
_write("loaded", "")


@atexit.register
def _report():
    chroma = "chromadb" in sys.modules
    _write("exit", {"chromadb": chroma, "ANONYMIZED_TELEMETRY": os.environ.get("ANONYMIZED_TELEMETRY")})
'''


def _guard(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose Python processes load the guard; the path of the log it writes."""
    guard_dir = folder / "netguard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(textwrap.dedent(_GUARD), encoding="utf-8")
    log = folder / "netguard.log"
    env = child_env(PYTHONPATH=str(guard_dir), NETGUARD_LOG=str(log))
    # The product must be offline by itself: drop the switches the test session sets for its own process.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ANONYMIZED_TELEMETRY", "GRADIO_ANALYTICS_ENABLED"):
        env.pop(name, None)
    return env, log


def _events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


@pytest.fixture(scope="module")
def guarded_commands(tmp_path_factory):
    """``reportqa ingest``, ``status --json`` and ``--verbose ask --json --mode llm`` run once, in real processes,
    under the network guard, with an API key set and an LLM endpoint that is down (loopback, refused)."""
    root = tmp_path_factory.mktemp("guarded")
    env, log = _guard(root)
    env.update(_secret_settings(_dead_endpoint()))
    folder = write_reports(root / "reports", {k: SMALL_REPORTS[k] for k in ("cloud.md", "chips.md")})
    data = str(root / "data")
    results = {
        "ingest": run_cli("ingest", str(folder), "--data-dir", data, env=env),
        "status": run_cli("status", "--json", "--data-dir", data, env=env),
        "ask": run_cli("--verbose", "ask", "--json", CLOUD_QUESTION, "--mode", "llm", "--data-dir", data, env=env),
    }
    for name, result in results.items():
        assert result.returncode == 0 and "Traceback" not in result.stderr, (name, result.stderr[-3000:])
    return results, _events(log)


def test_status_and_an_llm_question_on_the_command_line_never_print_the_key(guarded_commands):
    results, _ = guarded_commands
    record = json.loads(results["ask"].stdout)
    assert record["mode"] == "extractive" and not record["refused"]
    assert any("cannot be reached" in n for n in record["notices"]), record["notices"]
    assert json.loads(results["status"].stdout)["documents"]
    for result in results.values():
        _assert_no_secret(result.stdout, result.stderr)


def test_ingesting_and_asking_open_no_connection_beyond_loopback(guarded_commands):
    _, events = guarded_commands
    loaded = [e for e in events if e["kind"] == "loaded"]
    assert len(loaded) >= 3, "the guard did not run in every command"
    outbound = [e for e in events if e["kind"] in ("connect", "sendto", "dns")]
    assert outbound == [], outbound
    exits = [e["detail"] for e in events if e["kind"] == "exit"]
    chroma_processes = [d for d in exits if d["chromadb"]]
    # ReportQA turns Chroma's telemetry off itself (the test session's own switch was removed from the children).
    assert chroma_processes and all(d["ANONYMIZED_TELEMETRY"] == "False" for d in chroma_processes), exits


def test_the_network_guard_itself_records_and_refuses_an_outbound_connection(tmp_path):
    env, log = _guard(tmp_path)
    probe = (
        "import socket\n"
        "try:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"  # TEST-NET-1: never routed
        "except OSError as e:\n    print(e)"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert "netguard" in result.stdout, result
    kinds = [e["kind"] for e in _events(log)]
    assert kinds[0] == "loaded" and "connect" in kinds


def test_the_chroma_client_is_created_with_telemetry_off(tmp_path):
    from rag.index.store import open_client

    client = open_client(Settings(data_dir=tmp_path / "data"))
    assert client.get_settings().anonymized_telemetry is False
