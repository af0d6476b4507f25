"""Question sets: JSON Lines (or YAML), one question per record; unknown fields are kept and passed through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

QuestionType = Literal["fact", "number", "table", "cross_lingual", "trad_simp", "multi_doc", "unanswerable"]


class Question(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    question: str
    lang: str = "zh"
    type: QuestionType
    evidence: list[str] = []
    answer_keywords: list[str] = []
    doc: str | list[str] | None = None

    @field_validator("evidence", "answer_keywords", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def docs(self) -> list[str]:
        if self.doc is None:
            return []
        return [self.doc] if isinstance(self.doc, str) else list(self.doc)


def load_questions(path: Path) -> list[Question]:
    """Read a question set; errors name the file and line.

    Raises:
        ValueError: a line is not valid JSON/YAML or misses a required field.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        records = yaml.safe_load(text) or []
        if isinstance(records, dict):
            records = records.get("questions", [])
        items = list(enumerate(records, start=1))
    else:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("//"):
                try:
                    items.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    questions = []
    for number, record in items:
        try:
            questions.append(Question.model_validate(record))
        except Exception as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    ids = [q.id for q in questions]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{path}: duplicate question ids {sorted(duplicates)}")
    return questions
