"""The evaluation panel's formatting of a run (the runner itself is tested in tests/eval)."""

from __future__ import annotations

import sys

import pytest

from rag.errors import EmptyIndexError, ReportQAError
from ui import app


def _no_index():
    raise EmptyIndexError("empty")


@pytest.fixture
def backend(make_settings):
    return app.Backend(make_settings(), engine_factory=_no_index)


def test_a_run_shows_its_metrics_table_chart_and_failures(backend, monkeypatch, tmp_path):
    from PIL import Image

    chart = tmp_path / "metrics_by_type.png"
    Image.new("RGB", (40, 20), (30, 90, 160)).save(chart)
    calls = []

    def fake_run(settings, questions_path, out_dir, mode=None, progress=None, **kwargs):
        calls.append((questions_path.name, mode))
        progress(1, 2, "plat-001")
        return {
            "metrics": {"overall": {"hit@5": 0.9}, "by_type": {"fact": {"hit@5": 1.0}}},
            "failures": [{"id": "plat-002", "type": "fact", "question": "q", "evidence": ["e"], "reasons": ["r"],
                          "answer": "a", "retrieved": []}],
            "charts": [str(chart)],
            "run": {"seconds": 1.5},
            "gate_failures": [],
        }

    monkeypatch.setattr("eval.runner.run_evaluation", fake_run)
    seen = []
    message, metrics, type_chart, other_charts, failures = app._evaluate_for_page(
        backend, "reports-dev.jsonl", "extractive", lambda *a: seen.append(a)
    )
    assert calls == [("reports-dev.jsonl", "extractive")] and seen == [(1, 2, "plat-001")]
    assert "1 failure(s)" in message and "rq-ok" in message
    assert metrics.value["data"] == [["hit@5", 0.9, 1.0]]
    assert type_chart is not None and type_chart.size == (40, 20) and other_charts == []
    assert failures.value["data"][0][0] == "plat-002"


def test_a_failed_or_missing_runner_is_reported_on_the_panel(backend, monkeypatch):
    def broken(*args, **kwargs):
        raise ReportQAError("the index in x is empty and there is no corpus folder")

    monkeypatch.setattr("eval.runner.run_evaluation", broken)
    message = app._evaluate_for_page(backend, "reports-dev.jsonl", "", lambda *a: None)[0]
    assert "Evaluation failed" in message and "no corpus folder" in message

    monkeypatch.setitem(sys.modules, "eval.runner", None)  # import fails
    message = app._evaluate_for_page(backend, "reports-dev.jsonl", "", lambda *a: None)[0]
    assert "evaluation runner is not available" in message

    message = app._evaluate_for_page(backend, "../../etc/passwd", "", lambda *a: None)[0]
    assert "no question set" in message
