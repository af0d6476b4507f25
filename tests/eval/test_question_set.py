"""Sanity checks for the evaluation development set eval/questions/reports-dev.jsonl."""
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_SET = REPO_ROOT / "eval" / "questions" / "reports-dev.jsonl"
CORPUS = REPO_ROOT / "corpus"

REPORTS = {
    "ai-infrastructure-services-market-analysis.md",
    "ai-llm-startups-market-challenges.md",
    "ai-platform-market-insights-2024q1.md",
    "analysys-2025-ai-industry-ten-trends.txt",
    "llm-services-failing-the-trial-period.txt",
}
QUESTION_TYPES = {
    "fact", "number", "table", "cross_lingual", "trad_simp", "multi_doc", "unanswerable",
}


def load_questions():
    with DEV_SET.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def docs_of(question):
    doc = question.get("doc")
    if doc is None:
        return []
    return doc if isinstance(doc, list) else [doc]


def test_every_evidence_string_is_an_exact_substring_of_its_report():
    reports = {}
    failures = []
    for question in load_questions():
        docs = docs_of(question)
        if question["evidence"] and not docs:
            failures.append(f"{question['id']}: has evidence but no doc")
            continue
        for doc in docs:
            if doc not in reports:
                path = CORPUS / doc
                assert path.is_file(), f"report missing: {path}"
                reports[doc] = path.read_text(encoding="utf-8")
        for evidence in question["evidence"]:
            # a multi_doc question has one evidence string from each of its reports
            if not any(evidence in reports[doc] for doc in docs):
                failures.append(f"{question['id']}: {evidence!r} not found in {docs}")
    assert not failures, "evidence not found verbatim:\n" + "\n".join(failures)


def test_the_dev_set_covers_every_report_and_every_question_type():
    questions = load_questions()
    assert len(questions) >= 80

    ids = [q["id"] for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"

    types = [q["type"] for q in questions]
    assert set(types) == QUESTION_TYPES, f"types present: {sorted(set(types))}"
    assert types.count("unanswerable") >= 10

    covered = {doc for q in questions for doc in docs_of(q)}
    assert covered <= REPORTS, f"unknown reports: {sorted(covered - REPORTS)}"
    assert covered == REPORTS, f"reports without questions: {sorted(REPORTS - covered)}"
