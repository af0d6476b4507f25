"""The ``reportqa`` command line: ingest, ask, serve, eval, status, calibrate, feedback export.

Each command is a few lines over the library; domain errors are shown as one line and exit non-zero.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rag.index.files import printable

app = typer.Typer(
    name="reportqa",
    help="Cited question answering over a shelf of industry reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

DataDirOption = Annotated[
    Optional[Path],
    typer.Option("--data-dir", help="Index location (env REPORTQA_DATA_DIR; default .reportqa/).", show_default=False),
]


def shown(value: Any) -> str:
    """A path, reason or message as Rich markup that prints as it is: control characters visible, brackets
    escaped (a file named ``[bold]x[/bold].md`` or ``a[/b].md`` is a name, not markup)."""
    return escape(printable(value))


def load_settings(data_dir: Path | None = None, **sections: Any):
    """Build the settings once for this command (environment, optional config file, then these overrides)."""
    from rag.settings import Settings

    # Options left unset (None) fall through to the environment, the config file and the defaults.
    sections = {k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v
                for k, v in sections.items()}
    overrides: dict[str, Any] = {k: v for k, v in sections.items() if v}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return Settings(**overrides)


@contextmanager
def user_errors() -> Iterator[None]:
    """Show domain and settings errors as one line (no traceback) and exit non-zero."""
    from pydantic import ValidationError

    from rag.errors import ReportQAError

    try:
        yield
    except ReportQAError as exc:
        # soft_wrap: Rich would otherwise break the line at 80 columns when stderr is not a terminal, splitting
        # a path or a document name in two.
        err.print(f"[bold red]error:[/] {shown(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        err.print(f"[bold red]invalid settings:[/] {shown(exc)}", highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted; the index is consistent, and running the command again finishes the work")
        raise typer.Exit(130) from None


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "chromadb", "jieba", "bm25s", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose else logging.ERROR)


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: corpus/).")] = None,
    data_dir: DataDirOption = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and ingest everything again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    no_ocr: Annotated[bool, typer.Option("--no-ocr", help="Do not OCR PDF pages that have no text layer.")] = False,
) -> None:
    """Read, split, embed and index reports; only what changed is re-embedded."""
    from ingest.pipeline import run_ingest

    with user_errors():
        settings = load_settings(data_dir, ingest={"ocr": False} if no_ocr else {})
        with _progress_bar(enabled=not as_json) as progress:
            report = run_ingest(settings, paths or None, rebuild=rebuild, progress=progress)
    if as_json:
        console.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_ingest_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer record as JSON.")] = False,
    mode: Annotated[Optional[str], typer.Option(help="extractive (default) or llm.")] = None,
    top_k: Annotated[
        Optional[int], typer.Option("--top-k", min=1, max=50, help="Passages the answer may cite.")
    ] = None,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="Only these documents (title or path).")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Answer one question with numbered citations (or say the reports do not answer it)."""
    from rag.engine import Engine

    if mode not in (None, "extractive", "llm"):
        err.print(f"[bold red]error:[/] unknown mode {mode!r}; choose extractive or llm", soft_wrap=True)
        raise typer.Exit(2)
    with user_errors():
        settings = load_settings(data_dir)
        engine = Engine.from_settings(settings)
        answer = engine.ask(question, mode=mode, top_k=top_k, documents=doc or None)
    if as_json:
        print(json.dumps(answer.to_record(), ensure_ascii=False, indent=2))
        return
    for notice in answer.notices:
        err.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
    # soft_wrap everywhere below: piped output keeps the answer's own line breaks (no newline every 80 columns).
    console.print(answer.text, style="yellow" if answer.refused else None, highlight=False, markup=False,
                  soft_wrap=True)
    console.print()
    if answer.refused:
        console.print("Closest passages:", style="dim")
        for passage in answer.passages[:3]:
            c = passage.chunk
            snippet = " ".join(c.text.split())[:120]
            line = f"  • {printable(c.title)} › {printable(c.section)}: {printable(snippet)}…"
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    for citation in answer.citations:
        c = citation.chunk
        where = " › ".join(x for x in (c.title, c.section, f"p. {c.page}" if c.page else "") if x)
        span = f"{printable(c.source)}:{citation.quote_start}-{citation.quote_end}"
        console.print(f"[{citation.n}] {printable(where)} ({span})",
                      style="dim", highlight=False, markup=False, soft_wrap=True)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Show the documents in the index, the embedder and where the data lives."""
    from rag.status import index_status

    with user_errors():
        settings = load_settings(data_dir)
        info = index_status(settings)
    if as_json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return
    console.print(f"data directory: {shown(info['data_dir'])}", highlight=False)
    console.print(f"store: {shown(info['store'])}", highlight=False)
    console.print(f"embedder: {shown(info['embedder'])} ({info['dim']}-d)", highlight=False)
    console.print(f"refusals: {'fitted abstainer' if info['abstainer'] == 'model' else 'evidence-score threshold'}",
                  highlight=False)
    console.print(f"documents: {len(info['documents'])}, chunks: {info['chunks']}", highlight=False)
    if info["documents"]:
        table = Table("title", "source", "lang", "chunks", "hash", "ingested at")
        for d in info["documents"]:
            table.add_row(shown(d["title"]), shown(d["source"]), d["lang"], str(d["chunks"]), d["content_hash"][:12],
                          d["ingested_at"])
        console.print(table)
    for problem in info.get("problems", []):
        err.print(f"[yellow]warning:[/] {shown(problem)}", highlight=False, soft_wrap=True)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 7860).")] = None,
    auth: Annotated[Optional[str], typer.Option(help="user:password, required for a non-loopback host.")] = None,
    insecure_no_auth: Annotated[
        bool, typer.Option("--insecure-no-auth", help="Serve a non-loopback host without auth.")
    ] = False,
    ssl_certfile: Annotated[Optional[Path], typer.Option(help="PEM certificate: serve over HTTPS.")] = None,
    ssl_keyfile: Annotated[Optional[Path], typer.Option(help="PEM private key of that certificate.")] = None,
    users: Annotated[Optional[Path], typer.Option(
        "--users", help="Users file (see `reportqa users add`): several users, each with their own history.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Start the chat page (ingesting corpus/ first if the index is empty or stale)."""
    from ui.serve import serve as serve_app

    with user_errors():
        settings = load_settings(data_dir, serve={"host": host, "port": port, "auth": auth, "users_file": users,
                                                  "ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile})
        serve_app(settings, insecure_no_auth=insecure_no_auth)


users_app = typer.Typer(no_args_is_help=True, help="The page's users file (reportqa serve --users FILE).")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (no spaces, ':' or '#').")],
    file: Annotated[Path, typer.Option("--file", help="The users file (created if missing).")] = Path("users.txt"),
    role: Annotated[str, typer.Option(help="editor (may upload and remove reports) or reader.")] = "reader",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Add a user (or set their password and role); only a salted scrypt hash of the password is stored."""
    from ui.users import add_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    with user_errors():
        add_user(file, name, password, role)
    err.print(f"{shown(name)} ({role}) written to {shown(file)}", highlight=False)


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Argument(help="Question set (JSONL or YAML).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for results, metrics and reports.")] = Path("eval/out"),
    mode: Annotated[Optional[str], typer.Option(help="extractive (default) or llm.")] = None,
    compare: Annotated[Optional[list[str]], typer.Option("--compare", help="Also run these configurations.")] = None,
    corpus: Annotated[Optional[Path], typer.Option(
        "--corpus", help="Answer over this folder's documents, ingested once into "
        ".reportqa-eval/<name>-<hash>/ (or --data-dir); later runs reuse that index.", show_default=False,
    )] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Run a question set and write results.jsonl, metrics.json, report.md and report.html."""
    from eval.corpus_index import corpus_overrides
    from eval.runner import run_evaluation

    with user_errors():
        overrides = corpus_overrides(corpus, data_dir)
        settings = load_settings(overrides.pop("data_dir", data_dir), **overrides)
        summary = run_evaluation(settings, questions, out, mode=mode, compare=compare or [], console=console)
    console.print(f"wrote {shown(out)}/report.md", highlight=False)
    if summary.get("gate_failures"):
        for failure in summary["gate_failures"]:
            err.print(f"[bold red]below floor:[/] {failure}", highlight=False)
        raise typer.Exit(1)


@app.command()
def calibrate(
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Model file (default: rag/answer/abstainer.json).")
    ] = None,
) -> None:
    """Fit the abstainer (when to say the reports do not answer) on the pooled development sets.

    Each set is answered over its own documents, ingested once into .reportqa-eval/; the model, the embedder it
    was fitted for and its cross-validated figures are written to the model file.
    """
    from eval.calibrate import calibrate as fit_abstainer
    from eval.corpus_index import corpus_data_dir
    from rag.answer.abstain import DEFAULT_MODEL_PATH

    with user_errors():
        settings = load_settings()
        model = fit_abstainer(settings, corpus_data_dir, out or DEFAULT_MODEL_PATH,
                              progress=lambda line: err.print(line, highlight=False))
    cv = model["cross_validated"]["overall"]
    console.print(
        f"fitted on {model['rows']} questions ({', '.join(model['fitted_on'])}) for {model['embedder']}: "
        f"cross-validated refusal of unanswerable {cv.get('refusal_accuracy', 0):.3f}, "
        f"answerable refused {cv.get('false_refusal', 0):.3f} (thresholds by language pair "
        f"{model.get('thresholds') or model['threshold']})",
        highlight=False,
    )
    console.print(f"wrote {shown(out or DEFAULT_MODEL_PATH)}", highlight=False)


feedback_app = typer.Typer(help="Ratings given to answers on the chat page.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Question set to write (default: <data dir>/exports/rated-questions.jsonl).", show_default=False,
    )] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the rated answers as a question set in the eval format, for `reportqa eval FILE`."""
    from ui.feedback import default_export_path, export_questions
    from ui.history import HistoryStore

    with user_errors():
        settings = load_settings(data_dir)
        if not settings.history_path.is_file():
            err.print(f"[bold red]error:[/] no ratings yet: there is no history database at {settings.history_path}",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        store = HistoryStore(settings.history_path)
        if store.notice:
            err.print(f"[yellow]warning:[/] {store.notice}", highlight=False, soft_wrap=True)
        result = export_questions(store, out or default_export_path(settings.exports_dir))
    console.print(f"wrote {result.questions} rated question(s) to {result.path}"
                  + (f" ({result.skipped} rated down without a passage skipped)" if result.skipped else ""),
                  highlight=False, soft_wrap=True)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int, str], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err, transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, label: str) -> None:
            # The label is a file name: Rich would read brackets in it as markup.
            bar.update(task, completed=done, total=total or None, description=shown(label))

        yield update


def _print_ingest_report(report) -> None:
    console.print(
        f"added {len(report.added)} · updated {len(report.updated)} · unchanged {len(report.unchanged)} · "
        f"removed {len(report.removed)} · failed {len(report.failed)} · "
        f"{report.chunks_written} chunks written · {report.seconds:.1f} s",
        highlight=False,
    )
    for failure in report.failed:
        err.print(f"[red]failed:[/] {shown(failure.path)}: {shown(failure.reason)}", highlight=False, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    app()
