"""A real chat server for the UI tests, over a copy of the corpus index (see ``serverkit``)."""

from __future__ import annotations

import shutil

import pytest
from serverkit import ARTIFACTS, start_server, stop_server


@pytest.fixture(scope="session")
def chat_server(corpus_index, tmp_path_factory):
    """One chat server for the API and browser tests, over its own copy of the corpus index."""
    root = tmp_path_factory.mktemp("chat-server")
    data = root / "data"
    shutil.copytree(corpus_index.data_dir, data)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(data, ARTIFACTS / "server.log")
    yield server
    stop_server(server.process)
    assert "NETWORK GUARD" not in server.log(), "the server tried to reach the network"
