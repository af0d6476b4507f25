"""Sanity checks for the question sets in eval/questions: the development sets and the held-out test set."""
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = REPO_ROOT / "eval" / "questions"
DEV_SET = QUESTIONS / "reports-dev.jsonl"
# Written after reports-dev.jsonl had been tuned on; tuned on since (see eval/questions/README.md).
DEV_B_SET = QUESTIONS / "reports-dev-b.jsonl"
# Written without looking at the engine's answers and never tuned on.
TEST_SET = QUESTIONS / "reports-test.jsonl"
ALL_SETS = [DEV_SET, DEV_B_SET, TEST_SET]
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


def load_questions(path=DEV_SET):
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def docs_of(question):
    doc = question.get("doc")
    if doc is None:
        return []
    return doc if isinstance(doc, list) else [doc]


@pytest.mark.parametrize("path", ALL_SETS, ids=lambda p: p.stem)
def test_every_evidence_string_is_an_exact_substring_of_its_report(path):
    reports = {}
    failures = []
    for question in load_questions(path):
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


@pytest.mark.parametrize("path", [DEV_B_SET, TEST_SET], ids=lambda p: p.stem)
def test_the_later_sets_cover_every_type_and_ask_about_other_facts_than_the_dev_set(path):
    questions = load_questions(path)
    assert {q["type"] for q in questions} == QUESTION_TYPES
    assert {doc for q in questions for doc in docs_of(q)} == REPORTS
    earlier = [DEV_SET] if path == DEV_B_SET else [DEV_SET, DEV_B_SET]
    earlier_evidence = [e for p in earlier for q in load_questions(p) for e in q["evidence"]]
    repeated = [e for q in questions for e in q["evidence"] if any(e in old or old in e for old in earlier_evidence)]
    assert not repeated, repeated
    ids = [q["id"] for p in ALL_SETS for q in load_questions(p)]
    assert len(ids) == len(set(ids))
