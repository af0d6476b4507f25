"""A real chat server for the UI tests, over a copy of the corpus index (see ``serverkit``)."""

from __future__ import annotations

import pytest
from serverkit import server_over_copy


@pytest.fixture(scope="session")
def chat_server(corpus_index, tmp_path_factory):
    """One chat server for the API and browser tests, over its own copy of the corpus index."""
    with server_over_copy(corpus_index.data_dir, tmp_path_factory.mktemp("chat-server"), "server.log") as server:
        yield server
