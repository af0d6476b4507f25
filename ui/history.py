"""Conversations of the chat page, kept in one SQLite file in the data directory (``Settings.history_path``).

Schema (``PRAGMA user_version`` = ``SCHEMA_VERSION``; WAL journal, so a reader never waits for a writer)::

    conversations(id, user, title, created, updated, report_filter)   report_filter: JSON list of document ids
    messages(id, conversation_id, turn, role, text, citations, answer, created)
        role "user" (text = the question) or "assistant" (text = the answer text, citations = the citation records
        of ``reportqa ask --json``, answer = the whole ``Answer`` as JSON, so the page can draw it again)
    feedback(id, conversation_id, turn, user, rating, note, passage, question, answer, created, updated)
        rating +1 / -1; passage: the picked passage record (JSON) that holds the right answer; one rating per turn
        (see ``ui.feedback``)

``user`` is the logged-in name (``gr.Request.username``) or "" without auth; every read and write is limited to
the user's own conversations. Ratings outlive a deleted conversation: they are evaluation data.

A file that is not a readable SQLite database is moved aside (``history.sqlite3.corrupt-<time>``) and a new one
started; ``HistoryStore.notice`` says so, naming both files.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rag.errors import ReportQAError
from rag.models import Answer

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
TITLE_CHARS = 80
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    report_filter TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user, updated);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    answer TEXT,
    created TEXT NOT NULL,
    UNIQUE (conversation_id, turn, role)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    note TEXT NOT NULL DEFAULT '',
    passage TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (conversation_id, turn)
);
"""


class HistoryError(ReportQAError):
    """The history database cannot be used, or a conversation is not there (or not this user's)."""


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    created: str
    updated: str
    turns: int
    report_filter: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer
    created: str


@dataclass(frozen=True)
class Conversation:
    info: ConversationInfo
    turns: list[Turn]

    def to_record(self) -> dict[str, Any]:
        """The JSON export: the conversation and each turn's question with its ``reportqa ask --json`` record."""
        i = self.info
        return {
            "id": i.id, "title": i.title, "created": i.created, "updated": i.updated,
            "report_filter": i.report_filter,
            "turns": [{"question": t.question, "asked_at": t.created, **t.answer.to_record()} for t in self.turns],
        }


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def title_from(question: str) -> str:
    """A conversation's first title: its first question on one line, shortened."""
    text = " ".join((question or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def new_id() -> str:
    return uuid.uuid4().hex


class HistoryStore:
    """The conversations (and ratings, see ``ui.feedback``) in one SQLite file; safe across threads and processes
    (a connection per call, WAL, a busy timeout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.notice = ""
        try:
            self._open()
        except sqlite3.OperationalError as exc:  # locked, unwritable, disk full: not the file's fault
            raise HistoryError(f"cannot open the history database {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed", a failed quick_check
            self._set_aside(exc)
            try:
                self._open()
            except sqlite3.Error as again:
                raise HistoryError(f"cannot start a new history database at {self.path}: {again}") from again
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"cannot open the history database {self.path}: {exc}") from exc

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            # quick_check reads every page: a truncated or overwritten file fails here, not at the first question.
            result = conn.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {result[0] if result else 'no result'}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(f"the history database {self.path} has schema version {version}, newer than this "
                                   f"ReportQA's {SCHEMA_VERSION}; upgrade ReportQA or point --data-dir elsewhere")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.commit()

    def _set_aside(self, exc: Exception) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            extra = self.path.with_name(self.path.name + suffix)
            if extra.exists():
                extra.replace(aside.with_name(aside.name + suffix))
        self.notice = (f"The history database {self.path} could not be read ({exc}); it was kept as {aside.name} "
                       "and a new one started. · 历史记录数据库无法读取，已另存并新建。")
        logger.error("%s", self.notice)

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One connection for one unit of work; a write holds the write lock from its start (``BEGIN IMMEDIATE``),
        so two tabs adding a turn at once get consecutive turn numbers."""
        try:
            with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as conn:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise HistoryError(f"the history database {self.path} failed: {exc}") from exc

    # conversations -----------------------------------------------------------------------------------------

    def add_turn(self, user: str, conversation_id: str, question: str, answer: Answer,
                 report_filter: Sequence[str] = ()) -> int:
        """Save one question and its answer, creating the conversation on its first turn; returns the turn number
        (0-based). The report filter in use is kept with the conversation."""
        stamp = now()
        citations = json.dumps([c.to_record() for c in answer.citations], ensure_ascii=False)
        with self.connect(write=True) as conn:
            row = conn.execute("SELECT user FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO conversations (id, user, title, created, updated, report_filter) VALUES (?,?,?,?,?,?)",
                    (conversation_id, user, title_from(question), stamp, stamp, json.dumps(list(report_filter))),
                )
            elif row["user"] != user:
                raise HistoryError(f"no conversation {conversation_id!r}")
            turn = conn.execute("SELECT COALESCE(MAX(turn) + 1, 0) FROM messages WHERE conversation_id = ?",
                                (conversation_id,)).fetchone()[0]
            conn.execute("INSERT INTO messages (conversation_id, turn, role, text, created) VALUES (?,?,?,?,?)",
                         (conversation_id, turn, "user", question, stamp))
            conn.execute(
                "INSERT INTO messages (conversation_id, turn, role, text, citations, answer, created) "
                "VALUES (?,?,?,?,?,?,?)",
                (conversation_id, turn, "assistant", answer.text, citations, answer.model_dump_json(), stamp),
            )
            conn.execute("UPDATE conversations SET updated = ?, report_filter = ? WHERE id = ?",
                         (stamp, json.dumps(list(report_filter)), conversation_id))
        return turn

    def conversations(self, user: str, limit: int = 100) -> list[ConversationInfo]:
        """This user's conversations, the most recently used first."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user') "
                "AS turns FROM conversations c WHERE c.user = ? ORDER BY c.updated DESC, c.rowid DESC LIMIT ?",
                (user, limit),
            ).fetchall()
        return [_info(r) for r in rows]

    def load(self, user: str, conversation_id: str) -> Conversation:
        """One of this user's conversations with every turn."""
        with self.connect() as conn:
            row = self._owned(conn, user, conversation_id)
            turns = conn.execute(
                "SELECT q.text AS question, a.answer AS answer, q.created AS created FROM messages q "
                "JOIN messages a ON a.conversation_id = q.conversation_id AND a.turn = q.turn AND a.role = 'assistant' "
                "WHERE q.conversation_id = ? AND q.role = 'user' ORDER BY q.turn",
                (conversation_id,),
            ).fetchall()
            count = len(turns)
        info = _info({**dict(row), "turns": count})
        return Conversation(info, [Turn(t["question"], Answer.model_validate_json(t["answer"]), t["created"])
                                   for t in turns])

    def rename(self, user: str, conversation_id: str, title: str) -> str:
        """Give a conversation a new title (one line, at most ``TITLE_CHARS``); returns it."""
        clean = title_from(title)
        if not clean:
            raise HistoryError("a conversation needs a non-empty name")
        with self.connect(write=True) as conn:
            self._owned(conn, user, conversation_id)
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (clean, conversation_id))
        return clean

    def delete(self, user: str, conversation_id: str) -> None:
        """Delete a conversation and its messages (its ratings stay, as evaluation data)."""
        with self.connect(write=True) as conn:
            self._owned(conn, user, conversation_id)
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    @staticmethod
    def _owned(conn: sqlite3.Connection, user: str, conversation_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM conversations WHERE id = ? AND user = ?",
                           (conversation_id, user)).fetchone()
        if row is None:
            raise HistoryError(f"no conversation {conversation_id!r}")
        return row

    # exports -----------------------------------------------------------------------------------------------

    def export(self, user: str, conversation_id: str, out_dir: Path, fmt: str) -> Path:
        """Write one conversation as ``md`` (question, answer, cited quotes) or ``json`` into ``out_dir``."""
        from ui import render

        conversation = self.load(user, conversation_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = export_path(out_dir, conversation_id, fmt)
        if fmt == "md":
            text = render.conversation_markdown([(t.question, t.answer) for t in conversation.turns])
        elif fmt == "json":
            text = json.dumps(conversation.to_record(), ensure_ascii=False, indent=2) + "\n"
        else:
            raise ValueError(f"unknown export format: {fmt!r}; choose md or json")
        target.write_text(text, encoding="utf-8")
        return target


def _info(row: Any) -> ConversationInfo:
    try:
        report_filter = json.loads(row["report_filter"] or "[]")
    except ValueError:
        report_filter = []
    return ConversationInfo(row["id"], row["title"], row["created"], row["updated"], int(row["turns"]),
                            report_filter)


def export_path(out_dir: Path, conversation_id: str, fmt: str) -> Path:
    """Where a conversation's export goes: named by its id (not its title, which a rename changes), so each
    export of it overwrites the last."""
    if not re.fullmatch(r"[0-9a-f]{32}", conversation_id):
        raise HistoryError(f"no conversation {conversation_id!r}")
    return out_dir / f"conversation-{conversation_id[:12]}.{fmt}"
