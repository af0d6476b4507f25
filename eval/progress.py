"""Progress of an evaluation run: a rich progress bar on a console and the caller's ``progress(done, total, label)``."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int, str], None]


class Tracker:
    """A rich progress bar on ``console`` (when given) and the caller's ``progress(done, total, label)``."""

    def __init__(self, console, callback: ProgressCallback | None, total: int) -> None:
        self.console, self.callback, self.total = console, callback, total
        self.done = 0
        self._label = ""
        self._bar = None
        self._task = None
        self._ingest_task = None

    def __enter__(self) -> Tracker:
        if self.console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.description}"), console=self.console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total, stage="evaluating")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._bar is not None:
            self._bar.stop()

    def ingest(self, done: int, total: int, label: str) -> None:
        if self._bar is not None:
            if self._ingest_task is None:
                self._ingest_task = self._bar.add_task("", total=total or None, stage="ingesting ")
            self._bar.update(self._ingest_task, completed=done, total=total or None, description=label)
        if self.callback:
            self.callback(done, total, f"ingesting {label}".strip())

    def label(self, text: str) -> None:
        self._label = text
        if self._bar is not None:
            self._bar.update(self._task, description=text)
        if self.callback:
            self.callback(self.done, self.total, text)

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        if self.callback:
            self.callback(self.done, self.total, self._label)
