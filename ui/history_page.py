"""The chat page's conversation history and answer ratings: the handler bodies behind the side list, the rating
panel, the Evaluation tab's rated questions and the named API endpoints. Storage is ``ui.history`` and
``ui.feedback``; ``ui.app`` only places the components and hooks these up.

The user is ``gr.Request.username`` when the page has a password (``--auth``), else "" (one shared history).
When the history database cannot be used at all, the page still answers; saving is off and the side list says why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.errors import ReportQAError
from rag.models import Answer
from rag.settings import Settings
from ui import feedback, render
from ui.history import HistoryError, HistoryStore, export_path, new_id

logger = logging.getLogger(__name__)

OPEN_FIRST = "Open a saved conversation from the list first. · 请先从列表中打开一个对话。"
RATINGS = [("Good · 有用 👍", "up"), ("Wrong · 有误 👎", "down")]


def user_of(request: gr.Request | None) -> str:
    return (getattr(request, "username", None) or "") if request is not None else ""


class PageHistory:
    """The page's handle on the history database (or the reason there is none)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: HistoryStore | None = None
        self.problem = ""
        try:
            self.store = HistoryStore(settings.history_path)
            self.problem = self.store.notice
        except HistoryError as exc:
            self.problem = f"{exc}. Conversations are not saved. · 对话不会被保存。"
            logger.error("%s", self.problem)

    def require(self) -> HistoryStore:
        if self.store is None:
            raise HistoryError(self.problem or "conversation history is off")
        return self.store

    def export_md_path(self, conversation_id: str) -> str:
        """Where the page's Markdown export of this conversation goes (the data directory's exports folder)."""
        if self.store is None:
            return ""
        try:
            self.settings.exports_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            logger.error("cannot create %s: %s", self.settings.exports_dir, exc)
            return ""
        return str(export_path(self.settings.exports_dir, conversation_id, "md"))

    # the side list -----------------------------------------------------------------------------------------

    def listing(self, user: str, selected: str | None = None) -> gr.Radio:
        if self.store is None:
            return gr.Radio(choices=[], value=None)
        try:
            infos = self.store.conversations(user, self.settings.serve.history_listed)
        except HistoryError as exc:
            logger.error("%s", exc)
            return gr.Radio(choices=[], value=None)
        choices = [(f"{i.title} · {i.turns} · {render.format_time(i.updated)}", i.id) for i in infos]
        return gr.Radio(choices=choices, value=selected if selected in {i.id for i in infos} else None)

    def message(self, text: str = "", kind: str = "info") -> str:
        if self.problem and not text:
            return render.message_html(self.problem, "error")
        return render.message_html(text, kind) if text else ""

    # asking ------------------------------------------------------------------------------------------------

    def saving(self, stream: Callable[[str], Iterator[list[Any]]], user: str, conversation_id: str,
               doc_ids: Sequence[str]) -> Iterator[list[Any]]:
        """Run the page's answer stream (``stream(export_path)`` yields ``[chat, question, turns, export button,
        export path]``); when a turn is added, save it. Adds outputs: conversation id, side list, rating panel's
        answer choices, JSON export button, side-list message."""
        cid = conversation_id or new_id()
        asked_with = None
        last: list[Any] = []
        for out in stream(self.export_md_path(cid)):
            turns = out[2]
            if asked_with is None:
                asked_with = len(turns)
            last = out
            yield [*out, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()]
        if not last or len(last[2]) <= (asked_with or 0) or self.store is None:
            if last and self.store is None and len(last[2]) > (asked_with or 0):
                yield [*last, gr.skip(), gr.skip(), turn_choices(last[2]), gr.skip(), self.message()]
            return
        turn = last[2][-1]
        try:
            self.store.add_turn(user, cid, turn["question"], turn["answer"], list(doc_ids or []))
            json_path = self.store.export(user, cid, self.settings.exports_dir, "json")
        except ReportQAError as exc:
            logger.error("%s", exc)
            yield [*last, gr.skip(), gr.skip(), turn_choices(last[2]), gr.skip(), self.message(str(exc), "error")]
            return
        yield [*last, cid, self.listing(user, cid), turn_choices(last[2]),
               gr.DownloadButton(value=str(json_path), interactive=True), ""]

    def save_api_turn(self, user: str, conversation: str, question: str, answer: Answer,
                      documents: Sequence[str]) -> dict[str, Any]:
        """For ``/ask`` with ``conversation`` ("new" or one of the user's ids): save the turn; returns the
        ``conversation`` and ``turn`` keys added to the answer record."""
        store = self.require()
        if conversation == "new":
            cid = new_id()
        else:
            cid = store.load(user, conversation).info.id
        turn = store.add_turn(user, cid, question, answer, list(documents))
        return {"conversation": cid, "turn": turn}

    # reopening, renaming, deleting, exporting ------------------------------------------------------------------

    def reopen(self, user: str, conversation_id: str, draw: Callable[[Answer, int], str],
               known_docs: set[str]) -> list[Any]:
        """Outputs: chat, turns, conversation id, Markdown and JSON export buttons, export path, report filter,
        rename box, rating panel's answer choices, side-list message."""
        skip = [gr.skip()] * 9
        if not conversation_id:
            return [*skip, ""]
        try:
            store = self.require()
            conversation = store.load(user, conversation_id)
            md = store.export(user, conversation_id, self.settings.exports_dir, "md")
            js = store.export(user, conversation_id, self.settings.exports_dir, "json")
        except ReportQAError as exc:
            return [*skip, self.message(str(exc), "error")]
        turns = [{"question": t.question, "answer": t.answer, "html": draw(t.answer, i)}
                 for i, t in enumerate(conversation.turns)]
        chat = [m for t in turns for m in ({"role": "user", "content": render.question_html(t["question"])},
                                           {"role": "assistant", "content": t["html"]})]
        report_filter = [d for d in conversation.info.report_filter if d in known_docs]
        return [chat, turns, conversation_id, gr.DownloadButton(value=str(md), interactive=True),
                str(md), gr.DownloadButton(value=str(js), interactive=True), report_filter,
                conversation.info.title, turn_choices(turns), ""]

    def rename(self, user: str, conversation_id: str, title: str) -> list[Any]:
        """Outputs: side list, side-list message."""
        if not conversation_id:
            return [gr.skip(), self.message(OPEN_FIRST)]
        try:
            self.require().rename(user, conversation_id, title or "")
        except ReportQAError as exc:
            return [gr.skip(), self.message(str(exc), "error")]
        return [self.listing(user, conversation_id), self.message("Renamed · 已重命名", "ok")]

    def delete(self, user: str, conversation_id: str) -> list[Any]:
        """Outputs: side list, side-list message, then (when the open conversation went) a fresh chat: chat,
        turns, conversation id, Markdown and JSON export buttons, export path, rename box, answer choices."""
        if not conversation_id:
            return [gr.skip(), self.message(OPEN_FIRST), *[gr.skip()] * 8]
        try:
            self.require().delete(user, conversation_id)
        except ReportQAError as exc:
            return [gr.skip(), self.message(str(exc), "error"), *[gr.skip()] * 8]
        for fmt in ("md", "json"):
            export_path(self.settings.exports_dir, conversation_id, fmt).unlink(missing_ok=True)
        off = gr.DownloadButton(value=None, interactive=False)
        return [self.listing(user), self.message("Deleted · 已删除", "ok"), [], [], "", off, "", off, "",
                gr.Dropdown(choices=[], value=None)]

    # ratings ---------------------------------------------------------------------------------------------------

    def on_like(self, user: str, conversation_id: str, turns: list, index: Any, liked: Any) -> list[Any]:
        """The chat's thumbs: save the rating and open the rating panel on that answer. Outputs: panel, answer
        choice, rating, passage choices, note, panel message, Evaluation tab count."""
        position = index[0] if isinstance(index, (list, tuple)) else index
        turn = int(position) // 2 if isinstance(position, int) else -1
        if not 0 <= turn < len(turns or []):
            return [gr.skip()] * 6 + [gr.skip()]
        rating = "up" if liked is True or str(liked).lower() == "like" else "down"
        outcome = self.save_rating(user, conversation_id, turns, turn, rating, "", None)
        return [gr.Accordion(open=True), gr.Dropdown(choices=_turn_list(turns), value=turn), rating,
                passage_dropdown(turns, turn), "", *outcome]

    def save_rating(self, user: str, conversation_id: str, turns: list, turn: Any, rating: str, note: str,
                    passage: str | None) -> list[Any]:
        """Outputs: panel message, Evaluation tab count."""
        if turn is None or turn == "" or not rating:
            return [render.message_html("Choose an answer and a rating first. · 请先选择回答和评价。"), gr.skip()]
        if not conversation_id:
            return [render.message_html("This answer was not saved, so it cannot be rated. · 该回答未保存。",
                                        "error"), gr.skip()]
        try:
            stored = feedback.rate(self.require(), user, conversation_id, int(turn), rating, note or "",
                                   passage or None)
        except ReportQAError as exc:
            return [render.message_html(str(exc), "error"), gr.skip()]
        text = f"Saved: answer {int(turn) + 1} rated {stored['rating']}" + (
            " with the passage that holds the right answer" if stored["passage"] else "") + " · 已保存"
        return [render.message_html(text, "ok"), self.rated_html()]

    def rated_html(self) -> str:
        if self.store is None:
            return render.message_html(self.problem or "no history database", "error")
        try:
            counts = feedback.summary(self.store)
        except ReportQAError as exc:
            return render.message_html(str(exc), "error")
        return render.message_html(
            f"{counts['questions']} rated question(s) to run · 可运行的已评价问题 {counts['questions']} 个 "
            f"({counts['up']} up · {counts['down']} down"
            + (f"; {counts['skipped']} rated down without a passage are not runnable" if counts["skipped"] else "")
            + ")", "info")

    def export_rated(self) -> Path:
        path = feedback.default_export_path(self.settings.exports_dir)
        result = feedback.export_questions(self.require(), path)
        if not result.questions:
            raise HistoryError("there are no rated questions yet: rate answers in the Chat tab first")
        return result.path


def turn_choices(turns: Sequence[dict]) -> gr.Dropdown:
    """The rating panel's answers to pick from, the last one selected."""
    choices = _turn_list(turns)
    return gr.Dropdown(choices=choices, value=len(choices) - 1 if choices else None)


def _turn_list(turns: Sequence[dict]) -> list[tuple[str, int]]:
    return [(f"{i + 1}. {_short(t['question'])}", i) for i, t in enumerate(turns or [])]


def passage_dropdown(turns: Sequence[dict], turn: Any) -> gr.Dropdown:
    try:
        answer = turns[int(turn)]["answer"]
    except (TypeError, ValueError, IndexError):
        return gr.Dropdown(choices=[], value=None)
    return gr.Dropdown(choices=[("— none · 不选 —", "")] + feedback.passage_choices(answer), value="")


def _short(text: str, limit: int = 60) -> str:
    line = re.sub(r"\s+", " ", text or "").strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"
