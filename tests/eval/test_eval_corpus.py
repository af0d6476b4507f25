"""``reportqa eval QUESTIONS --corpus DIR``: DIR is ingested once into a cached data directory of its own, and the
figures come per question type and per language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.external_split import EXTERNAL_DIR, document_halves
from eval.metrics import aggregate, score_record
from eval.questions import Question
from eval.corpus_index import corpus_data_dir

EXTERNAL_DOCS = EXTERNAL_DIR / "docs"


def smallest_tuning_document(prefix: str) -> Path:
    """The smallest document of one source in the external set's tuning half (the held-out half stays unseen)."""
    halves = document_halves([p.name for p in EXTERNAL_DOCS.iterdir()])
    candidates = [p for p in EXTERNAL_DOCS.iterdir() if p.name.startswith(prefix) and halves[p.name] == "tune"]
    return min(candidates, key=lambda p: (p.stat().st_size, p.name))


def question(qid: str, lang: str, type_: str, **fields) -> Question:
    if type_ != "unanswerable":
        fields = {"evidence": ["证据句"], "answer_keywords": ["答案"], **fields}
    return Question(id=qid, question="?", lang=lang, type=type_, **fields)


def record(hit: bool, refused: bool = False) -> dict:
    text = "前文。证据句，答案。" if hit else "无关的段落。"
    return {"answer": "" if refused else text, "refused": refused, "passages": [{"text": text}],
            "citations": [] if refused else [{"text": text}], "latency_ms": 10.0}


def test_figures_come_per_language_and_per_type_and_language_beside_per_type():
    questions = [
        question("a", "en", "fact"), question("b", "zh", "fact"), question("c", "en", "cross_lingual"),
        question("d", "en", "cross_lingual"), question("e", "zh", "unanswerable"),
    ]
    records = [record(True), record(False), record(True), record(True, refused=True), record(False, refused=True)]
    metrics = aggregate(questions, [score_record(q, r) for q, r in zip(questions, records)])

    assert set(metrics) >= {"overall", "by_type", "by_lang", "by_type_lang"}
    assert set(metrics["by_lang"]) == {"en", "zh"}
    assert metrics["by_lang"]["en"]["questions"] == 3 and metrics["by_lang"]["en"]["hit@5"] == 1.0
    assert metrics["by_lang"]["zh"]["hit@5"] == 0.0 and metrics["by_lang"]["zh"]["refusal_accuracy"] == 1.0
    assert set(metrics["by_type_lang"]) == {"fact/en", "fact/zh", "cross_lingual/en", "unanswerable/zh"}
    assert metrics["by_type"]["cross_lingual"]["answered"] == 0.5
    assert metrics["by_type_lang"]["cross_lingual/en"]["answered"] == 0.5
    assert metrics["overall"]["answered"] == pytest.approx(1 - metrics["overall"]["false_refusal"])
    assert "answered" not in metrics["by_type"]["unanswerable"]


def test_the_cached_data_directory_is_named_after_the_folder_and_its_resolved_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a" / "docs").mkdir(parents=True)
    (tmp_path / "b" / "docs").mkdir(parents=True)

    first = corpus_data_dir(Path("a/docs"))
    assert first.parent == tmp_path / ".reportqa-eval"
    assert first.name.startswith("docs-") and len(first.name) == len("docs-") + 8
    assert corpus_data_dir(tmp_path / "a" / "docs") == first
    assert corpus_data_dir(Path("b/docs")) != first


def test_a_corpus_that_is_not_a_folder_is_a_one_line_error(tmp_path, monkeypatch):
    from ui.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": "x", "question": "?", "type": "unanswerable"}) + "\n")
    result = CliRunner().invoke(app, ["eval", "q.jsonl", "--corpus", "missing", "--out", "out"])
    assert result.exit_code == 1
    assert "no corpus folder at missing" in result.output
    assert not (tmp_path / ".reportqa-eval").exists()


@pytest.mark.slow
def test_reportqa_eval_over_a_corpus_folder_ingests_it_once_and_reports_both_languages(tmp_path, monkeypatch):
    from ui.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    chosen = [smallest_tuning_document("squad2-"), smallest_tuning_document("cmrc-")]
    for doc in chosen:
        (corpus / doc.name).write_bytes(doc.read_bytes())
    names = {doc.name for doc in chosen}
    lines = [
        line for line in (EXTERNAL_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["doc"] in names
    ]
    questions = tmp_path / "subset.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def run(out: str) -> dict:
        result = CliRunner().invoke(app, ["eval", str(questions), "--corpus", "corpus", "--out", out])
        assert result.exit_code == 0, result.output
        return json.loads((tmp_path / out / "metrics.json").read_text(encoding="utf-8"))

    first = run("out1")
    data_dir = corpus_data_dir(corpus)
    assert data_dir.is_relative_to(tmp_path / ".reportqa-eval") and (data_dir / "manifest.json").is_file()
    assert first["run"]["data_dir"] == str(data_dir)
    assert sorted(Path(source).name for source in first["run"]["ingest"]["added"]) == sorted(names)
    assert set(first["by_lang"]) == {"en", "zh"}
    assert first["overall"]["questions"] == len(lines)
    assert first["overall"]["hit@5"] >= 0.6
    assert "## Per question language" in (tmp_path / "out1" / "report.md").read_text(encoding="utf-8")

    second = run("out2")
    assert second["run"]["ingest"]["added"] == []
    assert second["run"]["ingest"]["updated"] == []
    assert second["overall"]["hit@5"] == first["overall"]["hit@5"]
