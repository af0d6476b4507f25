"""``reportqa ask`` run as a user runs it: the installed command in a subprocess, over a copy of the real index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llm_server import free_port

REPORTQA = Path(sys.executable).with_name("reportqa")
TRIAL = "llm-services-failing-the-trial-period.txt"
ANSWER_KEYS = {"question", "answer", "refused", "mode", "citations", "passages", "notices", "latency_ms"}
CITATION_KEYS = {"n", "source", "title", "section", "page", "start", "end", "quote", "text", "supported", "boxes"}
PASSAGE_KEYS = {"rank", "score", "source", "title", "section", "page", "start", "end", "text"}


@pytest.fixture(scope="module")
def data_dir(corpus_index, tmp_path_factory):
    """A private copy of the corpus index, shared by this module's commands (``ask`` only reads it)."""
    data = tmp_path_factory.mktemp("cli-ask") / "data"
    shutil.copytree(corpus_index.data_dir, data)
    return data


def reportqa(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    return subprocess.run(
        [str(REPORTQA), *args], capture_output=True, text=True, encoding="utf-8", timeout=300,
        env={**clean, **(env or {})}, cwd=cwd,
    )


def ask_json(*args: str, **kwargs) -> dict:
    result = reportqa("ask", *args, "--json", **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ask_json_prints_the_stable_answer_record(data_dir):
    record = ask_json("报告对GPT-4参数量的估计是多少？", "--data-dir", str(data_dir))

    assert set(record) == ANSWER_KEYS
    assert record["question"] == "报告对GPT-4参数量的估计是多少？"
    assert record["refused"] is False and record["mode"] == "extractive"
    assert "1.76万亿" in record["answer"]
    assert isinstance(record["latency_ms"], (int, float)) and record["latency_ms"] > 0
    assert record["notices"] == []
    assert record["citations"]
    for citation in record["citations"]:
        assert set(citation) == CITATION_KEYS
        assert citation["quote"] in citation["text"]
        assert f"[{citation['n']}]" in record["answer"]
    assert len(record["passages"]) >= 10
    for passage in record["passages"]:
        assert set(passage) == PASSAGE_KEYS
    assert [p["rank"] for p in record["passages"]] == list(range(1, len(record["passages"]) + 1))


def test_ask_json_keeps_chinese_readable_rather_than_escaped(data_dir):
    result = reportqa("ask", "报告对GPT-4参数量的估计是多少？", "--json", "--data-dir", str(data_dir))
    assert "1.76万亿" in result.stdout
    assert "\\u" not in result.stdout


def test_ask_with_doc_and_top_k_answers_from_that_document_and_its_best_passages(data_dir):
    record = ask_json("云计算从超前概念变成公认趋势用了多少年？", "--doc", TRIAL, "--top-k", "2",
                      "--data-dir", str(data_dir))

    assert {p["source"].rsplit("/", 1)[-1] for p in record["passages"]} == {TRIAL}
    assert len(record["passages"]) >= 10
    best_two = record["passages"][:2]
    assert record["citations"]
    for citation in record["citations"]:
        assert any(p["start"] <= citation["start"] < citation["end"] <= p["end"] for p in best_two)
    assert "10年" in record["answer"]


def test_ask_prints_the_answer_and_where_each_citation_comes_from(data_dir):
    """Regression: piped output was hard-wrapped at 80 columns, splitting answers and citation lines."""
    result = reportqa("ask", "报告对GPT-4参数量的估计是多少？", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "1.76万亿" in result.stdout
    # The report is named by its H1, not by the note id in its front matter ("AI笔记15").
    assert "[1] AI基础服务市场分析 › 1.1 模型规模持续增长 (corpus/ai-infrastructure-services-market-analysis.md:" in result.stdout


def test_an_unknown_doc_exits_non_zero_with_a_one_line_error_that_names_it(data_dir):
    """Regression: Rich wrapped the error at 80 columns when stderr was piped, splitting the document name."""
    result = reportqa("ask", "报告对GPT-4参数量的估计是多少？", "--doc", "no-such-report-anywhere-in-the-index.pdf",
                      "--data-dir", str(data_dir))
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no-such-report-anywhere-in-the-index.pdf" in lines[0]


def test_ask_on_an_empty_data_dir_says_to_run_ingest(tmp_path):
    """Regression: Rich wrapped the error at 80 columns when stderr was piped, splitting the path mid-word."""
    empty = tmp_path / "an-empty-data-directory"
    empty.mkdir()
    result = reportqa("ask", "报告对GPT-4参数量的估计是多少？", "--data-dir", str(empty))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "reportqa ingest" in lines[0]


def test_an_unknown_mode_exits_non_zero_and_names_the_choices(data_dir):
    result = reportqa("ask", "报告对GPT-4参数量的估计是多少？", "--mode", "magic", "--data-dir", str(data_dir))
    assert result.returncode != 0
    assert "magic" in result.stderr and "extractive" in result.stderr and "llm" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_api_key_never_appears_when_the_llm_endpoint_is_down(data_dir):
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    env = {"REPORTQA_LLM_BASE_URL": base_url, "REPORTQA_LLM_MODEL": "smollm2", "REPORTQA_LLM_API_KEY": "sk-secret-123"}
    result = reportqa("ask", "报告对GPT-4参数量的估计是多少？", "--mode", "llm", "--json", "--data-dir", str(data_dir),
                      env=env)

    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["mode"] == "extractive" and not record["refused"]
    assert any(base_url in n and "cannot be reached" in n for n in record["notices"]), record["notices"]
    assert "sk-secret-123" not in result.stdout
    assert "sk-secret-123" not in result.stderr
