"""Real evaluation runs over the corpus index: output files, the record shape, escaping, --compare and the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import ReportQAError
from rag.models import Answer

REPO = Path(__file__).resolve().parents[2]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
SCRIPT = "<script>alert('x')</script>"


def write_subset(tmp_path: Path, name: str = "subset.jsonl") -> Path:
    """Six dev-set questions (the first of each of several types), one of them carrying a ``<script>`` tag and a
    keyword no answer contains, so that it is listed among the report's failures."""
    records = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen, seen = [], set()
    for record in records:
        if record["type"] not in seen:
            seen.add(record["type"])
            chosen.append(record)
        if len(chosen) == 6:
            break
    chosen[0] = {**chosen[0], "question": chosen[0]["question"] + SCRIPT, "answer_keywords": ["不会出现在任何答案里的词"]}
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    return path


@pytest.mark.slow
def test_an_evaluation_run_writes_every_output_in_the_ask_json_shape_with_html_escaped(copied_index, tmp_path):
    from eval.runner import run_evaluation

    questions = write_subset(tmp_path)
    out = tmp_path / "out"
    calls = []
    summary = run_evaluation(copied_index, questions, out, progress=lambda done, total, label: calls.append(done))

    for name in ("results.jsonl", "metrics.json", "report.md", "report.html", "metrics_by_type.png", "latency.png"):
        assert (out / name).is_file(), name
    assert summary["out_dir"] == str(out)
    assert {Path(c).name for c in summary["charts"]} == {"metrics_by_type.png", "latency.png"}
    assert all(Path(c).read_bytes().startswith(b"\x89PNG") for c in summary["charts"])
    assert summary["gate_failures"] == [] and summary["comparison"] == {}
    assert calls and calls[-1] == 6

    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6
    ask_json_keys = set(Answer(question="q", text="t", refused=False, mode="extractive").to_record())
    for line in lines:
        record = json.loads(line)
        assert ask_json_keys | {"id", "type", "scores"} <= set(record)
        assert record["passages"]
        assert {"rank", "source", "section", "text", "start", "end"} <= set(record["passages"][0])
        for citation in record["citations"]:
            assert {"n", "source", "quote", "text", "start", "end"} <= set(citation)

    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"] == summary["metrics"]["overall"]
    assert set(metrics["by_type"]) == {json.loads(line)["type"] for line in lines}
    assert {"hit@5", "mrr@10", "ndcg@10", "answer_keyword", "latency_p95_ms"} <= set(metrics["overall"])

    page = (out / "report.html").read_text(encoding="utf-8")
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert "data:image/png;base64," in page
    report_md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Per question type" in report_md and SCRIPT not in report_md
    for failure in summary["failures"]:
        assert {"id", "type", "question", "evidence", "answer", "retrieved"} <= set(failure)
        assert all({"source", "section", "text"} <= set(p) for p in failure["retrieved"])


@pytest.mark.slow
def test_compare_writes_one_side_by_side_table_of_the_configurations(copied_index, tmp_path):
    from eval.runner import run_evaluation

    out = tmp_path / "out"
    summary = run_evaluation(copied_index, write_subset(tmp_path), out, compare=["dense", "bm25"])

    assert list(summary["comparison"]) == ["default", "dense", "bm25"]
    table = (out / "comparison.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| config | hit@1 | hit@5 | MRR@10 | nDCG@10 | recall@5")
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["default", "dense", "bm25"]
    assert "| config | hit@1" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "comparison.png").is_file()
    for name in ("dense", "bm25"):
        assert len((out / "compare" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()) == 6
        assert summary["comparison"][name]["avg_chunk_chars"] > 0


def test_an_unknown_configuration_is_an_error_listing_the_names(make_settings, tmp_path):
    from eval.runner import run_evaluation

    with pytest.raises(ReportQAError, match="unknown configuration: 'hybrid2'; choose one of default, dense, bm25"):
        run_evaluation(make_settings(), write_subset(tmp_path), tmp_path / "out", compare=["hybrid2"])


@pytest.mark.slow
def test_reportqa_eval_exits_1_when_a_metric_is_below_its_floor(copied_index, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import eval.runner
    from ui.cli import app

    questions = write_subset(tmp_path, "gated.jsonl")
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"question_set": "gated.jsonl", "floors": {"hit@5": 1.01}}), encoding="utf-8")
    monkeypatch.setattr(eval.runner, "DEFAULT_THRESHOLDS", thresholds)
    monkeypatch.setenv("REPORTQA_CORPUS_DIR", str(copied_index.corpus_dir))

    args = ["eval", str(questions), "--out", str(tmp_path / "out"), "--data-dir", str(copied_index.data_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "hit@5" in result.output and "below the floor 1.01" in result.output

    thresholds.write_text(json.dumps({"question_set": "gated.jsonl", "floors": {"hit@5": 0.0}}), encoding="utf-8")
    assert CliRunner().invoke(app, args).exit_code == 0


@pytest.mark.slow
def test_the_llamaindex_baseline_retrieves_with_our_embedder_and_no_global_llama_index_models(tmp_path):
    from llama_index.core import Settings as LlamaSettings

    from eval.baseline import LlamaIndexBaseline
    from eval.metrics import holds_evidence
    from rag.embedders import make_embedder
    from rag.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    report = REPO / "corpus" / "ai-platform-market-insights-2024q1.md"
    (corpus / report.name).write_text(report.read_text(encoding="utf-8"), encoding="utf-8")
    embedder = make_embedder(Settings(data_dir=tmp_path / "data"))

    baseline = LlamaIndexBaseline.build(corpus, embedder, tmp_path / "chroma")
    record = baseline.ask("这份AI平台市场洞察报告是哪个部门的哪位分析师写的？")

    ask_json_keys = set(Answer(question="q", text="t", refused=False, mode="extractive").to_record())
    assert ask_json_keys <= set(record) and record["answer"] == "" and record["citations"] == []
    assert record["passages"] and record["passages"][0]["title"] == report.name
    assert any(holds_evidence(p["text"], "分析：市场研究部 王涛") for p in record["passages"])
    assert len(baseline.chunk_texts()) == len(record["passages"])  # one small report: every chunk comes back
    # Neither an embedding model nor an LLM was resolved from llama-index's global Settings (OpenAI defaults).
    assert LlamaSettings._embed_model is None and LlamaSettings._llm is None
