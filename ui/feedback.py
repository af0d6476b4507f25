"""Ratings of answers (the ``feedback`` table of ``ui.history``) and their export as an evaluation question set.

A rating is up or down, with an optional note and, for a wrong answer, the passage that holds the right one
(picked from the answer's cited or retrieved passages). ``export_questions`` turns the ratings into questions in
the format of ``eval.questions`` so ``reportqa eval FILE`` runs them as regression questions:

- rated down with a picked passage → ``fact``, ``evidence`` = that passage's text (its quote, when the pick was a
  citation), ``doc`` = its file name;
- rated up, answered → ``fact``, ``evidence`` = the cited quotes, ``answer_keywords`` = the same quotes (an
  extractive answer that still quotes them is still right);
- rated up, refused → ``unanswerable``;
- rated down without a picked passage → not exported (nothing says where the right answer is), counted as skipped.

The same question rated several times counts once, by its latest rating.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.models import Answer
from ui.history import HistoryError, HistoryStore, now

NOTE_CHARS = 2000
LABEL_CHARS = 90


@dataclass(frozen=True)
class ExportResult:
    path: Path
    questions: int
    skipped: int


def parse_rating(value: Any) -> int:
    """+1 or -1 from "up"/"down", "like"/"dislike", True/False, 1/-1.

    Raises:
        HistoryError: anything else.
    """
    table = {"up": 1, "like": 1, "1": 1, "+1": 1, "true": 1, "down": -1, "dislike": -1, "-1": -1, "false": -1}
    rating = table.get(str(value).strip().lower())
    if rating is None:
        raise HistoryError(f"a rating is up or down, not {value!r}")
    return rating


def passage_choices(answer: Answer) -> list[tuple[str, str]]:
    """(label, key) of the passages a user may pick as holding the right answer: the citations ``c<n>``, then the
    other retrieved passages ``p<rank>``."""
    out = []
    cited = set()
    for c in answer.citations:
        cited.add(c.chunk.id)
        out.append((_label(f"[{c.n}] {c.chunk.title or c.chunk.source}", c.quote), f"c{c.n}"))
    for p in answer.passages:
        if p.chunk.id not in cited:
            out.append((_label(f"#{p.rank} {p.chunk.title or p.chunk.source}", p.chunk.text), f"p{p.rank}"))
    return out


def picked_passage(answer: Answer, key: str | None) -> dict[str, Any] | None:
    """The record of the passage ``key`` names (see ``passage_choices``), or None for no pick.

    Raises:
        HistoryError: the key names no passage of this answer.
    """
    if not key:
        return None
    for c in answer.citations:
        if key == f"c{c.n}":
            return {"kind": "citation", **c.to_record()}
    for p in answer.passages:
        if key == f"p{p.rank}":
            return {"kind": "passage", **p.to_record()}
    raise HistoryError(f"this answer has no passage {key!r}")


def rate(store: HistoryStore, user: str, conversation_id: str, turn: int, rating: Any, note: str = "",
         passage: str | None = None) -> dict[str, Any]:
    """Store (or replace) the rating of one answer of one of ``user``'s conversations; returns what was stored."""
    value = parse_rating(rating)
    conversation = store.load(user, conversation_id)
    if not 0 <= int(turn) < len(conversation.turns):
        raise HistoryError(f"conversation {conversation_id!r} has no answer {turn}")
    asked = conversation.turns[int(turn)]
    picked = picked_passage(asked.answer, passage)
    note = (note or "").strip()[:NOTE_CHARS]
    stamp = now()
    with store.connect(write=True) as conn:
        conn.execute(
            "INSERT INTO feedback (conversation_id, turn, user, rating, note, passage, question, answer, created, "
            "updated) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (conversation_id, turn) DO UPDATE SET "
            "rating = excluded.rating, note = excluded.note, passage = excluded.passage, updated = excluded.updated",
            (conversation_id, int(turn), user, value, note, json.dumps(picked, ensure_ascii=False) if picked else None,
             asked.question, asked.answer.model_dump_json(), stamp, stamp),
        )
    return {"conversation": conversation_id, "turn": int(turn), "rating": "up" if value > 0 else "down",
            "note": note, "passage": picked}


def rating_of(store: HistoryStore, user: str, conversation_id: str) -> dict[int, int]:
    """turn → rating (+1/-1) of one of ``user``'s conversations."""
    with store.connect() as conn:
        rows = conn.execute("SELECT turn, rating FROM feedback WHERE conversation_id = ? AND user = ?",
                            (conversation_id, user)).fetchall()
    return {int(r["turn"]): int(r["rating"]) for r in rows}


def ratings(store: HistoryStore) -> list[dict[str, Any]]:
    """Every rating (all users: the question set belongs to the project), oldest first."""
    with store.connect() as conn:
        rows = conn.execute("SELECT * FROM feedback ORDER BY updated, id").fetchall()
    return [dict(r) for r in rows]


def to_questions(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The ratings as question records (``eval.questions`` format) and how many could not become one."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # oldest first: a later rating of the same question replaces the earlier one
        latest[" ".join(row["question"].split())] = row
    questions, skipped = [], 0
    for row in latest.values():
        record = _question(row)
        if record is None:
            skipped += 1
        else:
            questions.append(record)
    return questions, skipped


def _question(row: dict[str, Any]) -> dict[str, Any] | None:
    answer = Answer.model_validate_json(row["answer"])
    picked = json.loads(row["passage"]) if row["passage"] else None
    base = {"id": f"fb-{row['id']:04d}", "question": row["question"], "lang": "en" if answer.lang == "en" else "zh"}
    extra = {"origin": "feedback", "rating": "up" if row["rating"] > 0 else "down", "note": row["note"],
             "rated_at": row["updated"], "answer_then": answer.text}
    if picked is not None:
        text = picked.get("quote") if picked["kind"] == "citation" else picked["text"]
        evidence = " ".join((text or "").split())
        return {**base, "type": "fact", "evidence": [evidence], "answer_keywords": [],
                "doc": Path(picked["source"]).name, **extra}
    if row["rating"] < 0:
        return None
    if answer.refused:
        return {**base, "type": "unanswerable", "evidence": [], "answer_keywords": [], "doc": None, **extra}
    quotes = list(dict.fromkeys(" ".join(c.quote.split()) for c in answer.citations if c.quote.strip()))
    if not quotes:
        return None
    docs = list(dict.fromkeys(Path(c.chunk.source).name for c in answer.citations))
    return {**base, "type": "fact", "evidence": quotes, "answer_keywords": quotes,
            "doc": docs[0] if len(docs) == 1 else docs, **extra}


def summary(store: HistoryStore) -> dict[str, int]:
    """Counts for the Evaluation tab: ratings up and down, questions an export would write, ratings skipped."""
    rows = ratings(store)
    questions, skipped = to_questions(rows)
    return {"up": sum(r["rating"] > 0 for r in rows), "down": sum(r["rating"] < 0 for r in rows),
            "questions": len(questions), "skipped": skipped}


def export_questions(store: HistoryStore, out: Path) -> ExportResult:
    """Write the rated questions to ``out`` (JSON Lines, Chinese as-is)."""
    questions, skipped = to_questions(ratings(store))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    return ExportResult(out, len(questions), skipped)


def default_export_path(exports_dir: Path) -> Path:
    return exports_dir / "rated-questions.jsonl"


def _label(head: str, text: str) -> str:
    line = " ".join((text or "").split())
    label = f"{head}: {line}"
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
