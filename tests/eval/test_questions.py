"""Loading question sets: JSON Lines or YAML, unknown fields kept, errors that name the file and line."""

from __future__ import annotations

import json

import pytest

from eval.questions import load_questions


def test_a_yaml_question_set_is_accepted_with_unknown_fields_kept(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(
        "- id: y1\n  question: 谁写了这份报告？\n  type: fact\n  evidence: [分析：市场研究部 王涛]\n"
        "  answer_keywords: [王涛]\n  doc: ai-platform-market-insights-2024q1.md\n  reviewer: lin\n"
        "- id: y2\n  question: What is the GDP of Mars?\n  lang: en\n  type: unanswerable\n  evidence: null\n",
        encoding="utf-8",
    )
    questions = load_questions(path)
    assert [q.id for q in questions] == ["y1", "y2"]
    assert questions[0].model_extra == {"reviewer": "lin"}
    assert questions[1].evidence == [] and not questions[1].answerable


def test_a_yaml_mapping_with_a_questions_list_is_accepted(tmp_path):
    path = tmp_path / "set.yml"
    path.write_text("questions:\n  - {id: a, question: 什么？, type: fact}\n", encoding="utf-8")
    assert [q.id for q in load_questions(path)] == ["a"]


def test_unknown_fields_of_a_jsonl_question_are_passed_through(tmp_path):
    path = tmp_path / "set.jsonl"
    record = {"id": "j1", "question": "几时？", "type": "number", "evidence": ["x" * 6], "answer_keywords": ["x"],
              "difficulty": "hard", "tags": ["date"]}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (question,) = load_questions(path)
    assert question.model_dump()["difficulty"] == "hard"
    assert question.model_extra["tags"] == ["date"]


def test_a_line_that_is_not_json_is_reported_with_its_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "q", "type": "fact"}\n\n{"id": "b", "question": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path.name}:3: not valid JSON"):
        load_questions(path)


def test_a_record_with_an_unknown_type_is_reported_with_its_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "q", "type": "fact"}\n{"id": "b", "question": "q", "type": "riddle"}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path.name}:2:"):
        load_questions(path)


def test_duplicate_ids_are_rejected(tmp_path):
    path = tmp_path / "set.jsonl"
    line = '{"id": "a", "question": "q", "type": "fact"}\n'
    path.write_text(line * 2, encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate question ids"):
        load_questions(path)
