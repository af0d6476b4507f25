"""The regression gates: a question set's own thresholds file, and the pooled gate CI runs on every development set."""

from __future__ import annotations

import json
from pathlib import Path

from eval.metrics import ANSWERABLE_METRICS
from eval.failures import collect_failures
from eval.thresholds import check_gate, thresholds_from_metrics
from eval.questions import Question

DEV_SET = Path("eval/questions/reports-dev.jsonl")
OVERALL = {"hit@5": 0.8519, "mrr@10": 0.7, "answer_keyword": 0.29, "false_refusal": 0.0612, "refusal_accuracy": 1.0}


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_floors_are_the_measured_values_rounded_down_and_ceilings_rounded_up():
    data = thresholds_from_metrics(OVERALL, "eval/questions/reports-dev.jsonl", "extractive")
    assert data["floors"] == {"hit@5": 0.85, "mrr@10": 0.7, "answer_keyword": 0.29, "refusal_accuracy": 1.0}
    assert data["ceilings"] == {"false_refusal": 0.07}


def test_the_measured_metrics_pass_the_thresholds_made_from_them(tmp_path):
    path = write(tmp_path / "t.json", thresholds_from_metrics(OVERALL, "reports-dev.jsonl", "extractive"))
    failures, note = check_gate(OVERALL, path, DEV_SET, "extractive")
    assert failures == [] and "all met" in note


def test_a_metric_below_its_floor_or_above_its_ceiling_fails_the_gate(tmp_path):
    path = write(tmp_path / "t.json", {"question_set": "reports-dev.jsonl", "floors": {"hit@5": 0.9, "mrr@10": 0.5},
                                       "ceilings": {"false_refusal": 0.05}})
    failures, _ = check_gate(OVERALL, path, DEV_SET, "extractive")
    assert len(failures) == 2
    assert any(f.startswith("hit@5 = 0.8519 is below the floor 0.90") for f in failures)
    assert any(f.startswith("false_refusal = 0.0612 is above the ceiling 0.05") for f in failures)


def test_a_floor_on_a_metric_the_run_did_not_measure_fails(tmp_path):
    path = write(tmp_path / "t.json", {"floors": {"citation_precision": 0.5}})
    failures, _ = check_gate(OVERALL, path, DEV_SET, "extractive")
    assert failures == ["citation_precision: not measured (floor 0.50)"]


def test_no_thresholds_file_or_another_question_set_or_mode_is_not_gated(tmp_path):
    assert check_gate(OVERALL, tmp_path / "missing.json", DEV_SET, "extractive")[0] == []
    path = write(tmp_path / "t.json", {"question_set": "reports-dev.jsonl", "mode": "extractive",
                                       "floors": {"hit@5": 2.0}})
    failures, note = check_gate(OVERALL, path, Path("other.jsonl"), "extractive")
    assert failures == [] and "not checked" in note
    failures, note = check_gate(OVERALL, path, DEV_SET, "llm")
    assert failures == [] and "not checked" in note


def test_a_failure_lists_the_expected_evidence_and_the_top_three_passages_retrieved_instead():
    q = Question(id="f1", question="问题？", type="fact", evidence=["正确的证据句子在这里"], answer_keywords=["证据"])
    u = Question(id="u1", question="无解？", type="unanswerable")
    passages = [{"rank": i, "source": f"corpus/r{i}.md", "section": "一、概况", "text": "无关内容" * 60} for i in range(1, 6)]
    records = [
        {"answer": "别的东西", "refused": False, "passages": passages,
         "scores": {"hit@5": 0.0, "false_refusal": 0.0, "answer_keyword": 0.0}},
        {"answer": "我不知道", "refused": True, "passages": [], "scores": {"refusal_correct": True}},
    ]
    (failure,) = collect_failures([q, u], records)
    assert failure["id"] == "f1" and failure["evidence"] == ["正确的证据句子在这里"]
    assert failure["reasons"] == [
        "no passage in the top 5 holds the evidence",
        "the answer lacks every expected keyword",
    ]
    assert [p["source"] for p in failure["retrieved"]] == ["corpus/r1.md", "corpus/r2.md", "corpus/r3.md"]
    assert len(failure["retrieved"][0]["text"]) == 121 and failure["retrieved"][0]["text"].endswith("…")


# -- the pooled gate (eval.gate) -------------------------------------------------------------------------------------

POOLED = {
    "overall": {"questions": 110, "answerable": 100, "hit@5": 0.97, "answer_keyword": 0.9, "refusal_accuracy": 0.8,
                "answered": 0.98, "false_refusal": 0.02},
    "by_type": {"cross_lingual": {"questions": 20, "answerable": 20, "answered": 0.9, "answer_keyword": 0.8},
                "unanswerable": {"questions": 10, "answerable": 0, "refusal_accuracy": 0.8}},
}


def test_pooled_floors_leave_about_one_question_of_slack_per_figure():
    from eval.gate import thresholds

    gate = thresholds(POOLED)
    assert gate["floors"]["hit@5"] == 0.96  # 0.97 - 1/100
    assert gate["floors"]["refusal_accuracy"] == 0.7  # 0.8 - 1/10 (ten unanswerable questions)
    assert gate["ceilings"]["false_refusal"] == 0.03  # 0.02 + 1/100
    assert gate["type_floors"]["cross_lingual"]["answered"] == 0.85  # 0.9 - 1/20


def test_the_pooled_gate_passes_its_own_figures_and_fails_a_two_question_regression():
    from eval.gate import check, thresholds

    gate = thresholds(POOLED)
    assert check(POOLED, gate) == []
    worse = json.loads(json.dumps(POOLED))
    worse["overall"]["answer_keyword"] = 0.88
    worse["by_type"]["unanswerable"]["refusal_accuracy"] = 0.6
    failures = check(worse, gate)
    assert any(f.startswith("overall answer_keyword = 0.8800 is below the floor") for f in failures)
    assert any(f.startswith("unanswerable refusal_accuracy") for f in failures)


def test_the_checked_in_pooled_gate_names_the_development_sets_and_never_a_held_out_one():
    from eval.gate import GATE_FILE

    data = json.loads(GATE_FILE.read_text(encoding="utf-8"))
    names = [Path(q).name for q, _ in data["sets"]]
    assert "reports-dev.jsonl" in names and "questions-tune.jsonl" in names
    assert not any("test" in n or "heldout" in n for n in names)
    assert data["slack_questions"] >= 1
    assert all(0 <= v <= 1 for v in [*data["floors"].values(), *data["ceilings"].values()])
