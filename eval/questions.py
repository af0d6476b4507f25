"""Question sets: JSON Lines (or YAML), one question per record; unknown fields are kept and passed through.

Besides the one-fact types, three kinds ask for several items at once: ``list`` (the items of a list the document
gives), ``summary`` (the key points of a section or report) and ``comparison`` (what two or more reports or entities
say). They carry ``nuggets``, the gold items, each a list of alternative strings copied from the document, any one of
which names the item; a comparison also carries ``entities``, the things compared, each a list of alternatives.
``eval.nuggets`` scores answers against them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

QuestionType = Literal[
    "fact", "number", "table", "cross_lingual", "trad_simp", "multi_doc", "unanswerable",
    "list", "summary", "comparison",
]
# Types answered by several items, scored by the share of gold items (nuggets) the answer names.
NUGGET_TYPES = frozenset({"list", "summary", "comparison"})


class Question(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    question: str
    lang: str = "zh"
    type: QuestionType
    evidence: list[str] = []
    answer_keywords: list[str] = []
    doc: str | list[str] | None = None
    nuggets: list[list[str]] = []
    entities: list[list[str]] = []

    @field_validator("evidence", "answer_keywords", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("nuggets", "entities", mode="before")
    @classmethod
    def _items_are_lists_of_alternatives(cls, value: Any) -> Any:
        # A bare string is an item with a single alternative.
        if value is None:
            return []
        if isinstance(value, list):
            return [[item] if isinstance(item, str) else item for item in value]
        return value

    @field_validator("nuggets", "entities")
    @classmethod
    def _no_empty_alternatives(cls, value: list[list[str]]) -> list[list[str]]:
        for item in value:
            if not item or any(not alternative.strip() for alternative in item):
                raise ValueError(f"an item needs at least one non-empty alternative: {item!r}")
        return value

    @model_validator(mode="after")
    def _nugget_types_have_nuggets(self) -> Question:
        if self.type in NUGGET_TYPES and not self.nuggets:
            raise ValueError(f"a {self.type} question needs nuggets")
        if self.type == "comparison" and len(self.entities) < 2:
            raise ValueError("a comparison question needs at least two entities")
        return self

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
