"""Fixtures of the tests against a real Chroma server (``tests/chroma_server.py``)."""

from __future__ import annotations

import pytest

from chroma_server import ChromaServer


@pytest.fixture
def chroma_server(tmp_path):
    """A ``chroma run`` server on loopback over a folder of the test's own, stopped afterwards."""
    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma.log")
    try:
        server.start(timeout=60)
        yield server
    finally:
        server.stop()
