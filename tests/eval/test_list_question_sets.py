"""The list, summary and comparison question sets: they load, meet their size and mix, quote their documents
exactly, use only their own half of the external set, and ask nothing another set already asks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.external_split import HELDOUT, TUNE, document_halves
from eval.metrics import normalise
from eval.questions import NUGGET_TYPES, load_questions

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = REPO_ROOT / "eval" / "questions"
EXTERNAL = REPO_ROOT / "eval" / "external"
CORPUS = REPO_ROOT / "corpus"

LISTS_DEV = QUESTIONS / "reports-lists-dev.jsonl"
# Held out: written the same way about other lists and sections, measured but never tuned on.
LISTS_TEST = QUESTIONS / "reports-lists-test.jsonl"
LISTS_EXTERNAL = EXTERNAL / "questions-lists-dev.jsonl"
# Written from the documents alone, before any answer was looked at; to be split by id parity (odd numbers tune,
# even numbers are held out) before any answer is looked at.
LISTS_C = QUESTIONS / "reports-lists-c.jsonl"
# Held out: only documents of the held-out half of the external set; only ever measured.
LISTS_EXTERNAL_HELDOUT = EXTERNAL / "questions-lists-heldout.jsonl"

# set → (id prefix, folder of its documents)
SETS = {
    LISTS_DEV: ("ldev-", CORPUS),
    LISTS_TEST: ("ltest-", CORPUS),
    LISTS_EXTERNAL: ("lext-", EXTERNAL / "docs"),
    LISTS_C: ("lc-", CORPUS),
    LISTS_EXTERNAL_HELDOUT: ("lhx-", EXTERNAL / "docs"),
}
TYPE_PREFIX = {"list": "list-", "summary": "sum-", "comparison": "cmp-"}
# Evidence in the hand-written report sets must match cleaned chunk text, which has lost its Markdown markup.
MARKUP = set("*#|`>[]\t")


@pytest.fixture(scope="module")
def texts():
    cache: dict[Path, str] = {}

    def read(folder: Path, name: str) -> str:
        path = folder / name
        if path not in cache:
            assert path.is_file(), f"document missing: {path}"
            cache[path] = path.read_text(encoding="utf-8")
        return cache[path]

    return read


@pytest.mark.parametrize("path", list(SETS), ids=lambda p: p.stem)
def test_every_set_loads_with_ids_that_name_its_set_and_type(path):
    questions = load_questions(path)
    prefix, _ = SETS[path]
    assert questions
    for question in questions:
        assert question.type in NUGGET_TYPES, question.id
        assert question.id.startswith(prefix + TYPE_PREFIX[question.type]), question.id
        assert question.lang in {"zh", "en"}, question.id
        assert question.docs, f"{question.id}: no document"
        assert question.answerable


def counts(path):
    questions = load_questions(path)
    return questions, Counter(q.type for q in questions), Counter(q.lang for q in questions)


def test_the_development_set_has_the_agreed_mix_of_kinds_languages_and_comparisons():
    questions, types, langs = counts(LISTS_DEV)
    assert len(questions) >= 24
    assert types["list"] >= 10 and types["summary"] >= 6 and types["comparison"] >= 5, types
    assert langs["en"] >= 6 and langs["zh"] >= 6, langs
    comparisons = [q for q in questions if q.type == "comparison"]
    assert sum(len(q.docs) >= 2 for q in comparisons) >= 3
    assert any(q.model_extra.get("silent_docs") for q in comparisons), "no comparison where one report says nothing"
    assert {d for q in questions for d in q.docs} == {p.name for p in CORPUS.iterdir() if p.is_file()}


def test_the_held_out_set_has_twelve_questions_of_every_kind():
    questions, types, langs = counts(LISTS_TEST)
    assert len(questions) == 12
    assert set(types) == NUGGET_TYPES
    assert langs["en"] >= 2 and langs["zh"] >= 2


def test_the_external_set_has_sixteen_or_more_questions_of_every_kind_in_both_languages():
    questions, types, langs = counts(LISTS_EXTERNAL)
    assert len(questions) >= 16
    assert set(types) == NUGGET_TYPES
    assert langs["en"] >= 4 and langs["zh"] >= 4
    sources = {d.split("-", 1)[0] for q in questions for d in q.docs}
    assert sources == {"squad2", "cmrc", "drcd"}


@pytest.mark.parametrize(("path", "half"), [(LISTS_EXTERNAL, TUNE), (LISTS_EXTERNAL_HELDOUT, HELDOUT)],
                         ids=["lists-dev-tuning-half", "lists-heldout-held-out-half"])
def test_each_external_set_uses_only_documents_of_its_own_half(path, half):
    halves = document_halves([p.name for p in (EXTERNAL / "docs").iterdir() if p.is_file()])
    used = {d for q in load_questions(path) for d in q.docs}
    assert used and all(halves.get(d) == half for d in used), sorted(d for d in used if halves.get(d) != half)


def id_number(question) -> int:
    return int(question.id.rsplit("-", 1)[1])


def test_the_third_report_set_has_the_agreed_mix_over_all_five_reports():
    questions, types, langs = counts(LISTS_C)
    assert len(questions) == 24
    assert types == {"list": 14, "summary": 5, "comparison": 5}, types
    assert langs["en"] >= 8 and langs["zh"] >= 8, langs
    comparisons = [q for q in questions if q.type == "comparison"]
    assert sum(len(q.docs) >= 2 for q in comparisons) >= 2
    assert sum(len(q.docs) == 1 for q in comparisons) >= 2, "no comparison of two entities of one report"
    assert sum(bool(q.model_extra.get("silent_docs")) for q in comparisons) >= 2
    assert {d for q in questions for d in q.docs} == {p.name for p in CORPUS.iterdir() if p.is_file()}
    sizes = [len(q.nuggets) for q in questions if q.type == "list"]
    assert min(sizes) <= 3 and max(sizes) >= 8, sizes


def test_splitting_the_third_report_set_by_id_parity_gives_each_half_every_kind_and_language():
    questions = load_questions(LISTS_C)
    for parity in (0, 1):
        half = [q for q in questions if id_number(q) % 2 == parity]
        assert {q.type for q in half} == NUGGET_TYPES, parity
        assert {q.lang for q in half} == {"zh", "en"}, parity
        assert any(q.model_extra.get("silent_docs") for q in half), f"half {parity} has no silent comparison"
        assert {d for q in half for d in q.docs} == {p.name for p in CORPUS.iterdir() if p.is_file()}, parity


def test_the_external_held_out_set_has_sixteen_questions_of_every_kind_from_all_three_sources():
    questions, types, langs = counts(LISTS_EXTERNAL_HELDOUT)
    assert len(questions) == 16
    assert types == {"list": 10, "summary": 3, "comparison": 3}, types
    assert langs["en"] >= 5 and langs["zh"] >= 5, langs
    assert {d.split("-", 1)[0] for q in questions for d in q.docs} == {"squad2", "cmrc", "drcd"}
    comparisons = [q for q in questions if q.type == "comparison"]
    assert any(len(q.docs) >= 2 for q in comparisons)
    assert any(q.model_extra.get("silent_docs") for q in comparisons)


@pytest.mark.parametrize("path", list(SETS), ids=lambda p: p.stem)
def test_every_nugget_alternative_is_a_short_string_of_its_documents(path, texts):
    _, folder = SETS[path]
    failures = []
    for question in load_questions(path):
        bodies = [texts(folder, d) for d in question.docs]
        for item in question.nuggets:
            for alternative in item:
                if not 2 <= len(alternative) <= 20:
                    failures.append(f"{question.id}: {alternative!r} is {len(alternative)} characters")
                if not any(alternative in body for body in bodies):
                    failures.append(f"{question.id}: {alternative!r} not in {question.docs}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", list(SETS), ids=lambda p: p.stem)
def test_each_nugget_has_its_own_verbatim_evidence_string_that_holds_it(path, texts):
    _, folder = SETS[path]
    failures = []
    for question in load_questions(path):
        bodies = [texts(folder, d) for d in question.docs]
        if len(question.evidence) != len(question.nuggets):
            failures.append(f"{question.id}: evidence and nuggets differ in number")
            continue
        if len(set(question.evidence)) != len(question.evidence):
            failures.append(f"{question.id}: an evidence string repeats")
        for item, evidence in zip(question.nuggets, question.evidence, strict=True):
            if not any(evidence in body for body in bodies):
                failures.append(f"{question.id}: evidence {evidence!r} not in {question.docs}")
            if not any(alternative in evidence for alternative in item):
                failures.append(f"{question.id}: evidence {evidence!r} holds none of {item}")
            if "\n" in evidence or evidence != evidence.strip():
                failures.append(f"{question.id}: evidence {evidence!r} is not one trimmed line")
            if folder == CORPUS and (len(evidence) > 40 or MARKUP & set(evidence)):
                failures.append(f"{question.id}: evidence {evidence!r} is over 40 characters or has markup")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", list(SETS), ids=lambda p: p.stem)
def test_comparisons_name_their_entities_and_silent_documents_hold_no_nugget(path, texts):
    _, folder = SETS[path]
    for question in load_questions(path):
        if question.type != "comparison":
            assert not question.model_extra.get("silent_docs"), question.id
            continue
        assert len(question.entities) >= 2, question.id
        for silent in question.model_extra.get("silent_docs", []):
            assert silent in question.docs, question.id
            body = texts(folder, silent)
            held = [a for item in question.nuggets for a in item if a in body]
            assert not held, f"{question.id}: {silent} is said to be silent but holds {held}"


def other_question_files() -> list[Path]:
    files = [p for p in QUESTIONS.glob("*.jsonl") if p not in SETS]
    return files + [p for p in [EXTERNAL / "questions.jsonl"] if p.is_file()]


def test_no_question_repeats_a_question_of_this_or_another_set():
    ours = [(path.name, q.id, normalise(q.question)) for path in SETS for q in load_questions(path)]
    seen: dict[str, str] = {}
    for _, qid, text in ours:
        assert text not in seen, f"{qid} repeats {seen[text]}"
        seen[text] = qid
    for path in other_question_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                text = normalise(record["question"])
                assert text not in seen, f"{seen[text]} repeats {record['id']} of {path.name}"


def test_the_held_out_set_shares_no_evidence_with_the_development_set():
    dev = {e for q in load_questions(LISTS_DEV) for e in q.evidence}
    shared = sorted({e for q in load_questions(LISTS_TEST) for e in q.evidence} & dev)
    assert not shared, shared
