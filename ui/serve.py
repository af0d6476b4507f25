"""``reportqa serve``: check where the page may listen, bring the index up to date, serve the chat page.

The page is served at once; the index check (and, on a fresh machine, the ingest of ``corpus/``) runs in the
background with its progress in the terminal and on the page. Questions are answered from the existing index
meanwhile.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import threading
import time

from rag.errors import ReportQAError
from rag.index.files import printable
from rag.settings import Settings

logger = logging.getLogger(__name__)

STOP_WAIT_S = 2.0  # after Ctrl-C, longest wait for the web server's thread before the process exits anyway


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` as a pair (the password may contain colons).

    Raises:
        ReportQAError: the value is not of that form.
    """
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ReportQAError("--auth (or serve.auth) must be user:password, both non-empty")
    return user, password


def check_exposure(host: str, auth: object | None, insecure_no_auth: bool) -> None:
    """Refuse to serve a non-loopback interface without a password, unless told to.

    Raises:
        ReportQAError: ``host`` is reachable from other machines and there is no ``auth``.
    """
    if is_loopback(host) or auth is not None:
        return
    if insecure_no_auth:
        logger.warning("serving %s without a password (--insecure-no-auth): anyone who can reach it can use it", host)
        return
    raise ReportQAError(
        f"refusing to serve on {host} without a password: anyone on the network could read and change the index. "
        "Pass --auth user:password (or set REPORTQA_SERVE__AUTH), or --insecure-no-auth if you really mean it"
    )


def check_tls_files(settings: Settings) -> None:
    """Fail early, by name, when a TLS certificate or key file cannot be read (Gradio would fail at launch).

    Raises:
        ReportQAError: a file is missing or unreadable.
    """
    serve = settings.serve
    for option, path in (("--ssl-certfile", serve.ssl_certfile), ("--ssl-keyfile", serve.ssl_keyfile)):
        if path is None:
            continue
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise ReportQAError(f"{option} {printable(path)}: cannot be read ({exc.strerror or exc})") from exc


class TerminalProgress:
    """The startup ingest's progress on stderr: one updating line on a terminal, a line per 10 % otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_step = -1
        self._last_time = 0.0

    def __call__(self, done: int, total: int, label: str) -> None:
        if not total:
            return
        step = done * 10 // total
        now = time.monotonic()
        if self.tty:
            if now - self._last_time < 0.2 and done < total:
                return
            self._last_time = now
            bar = "#" * (done * 30 // total)
            self.stream.write(f"\rindexing [{bar:<30}] {done}/{total} {printable(label)[-50:]:<50}")
            if done >= total:
                self.stream.write("\n")
        elif step != self._last_step:
            self._last_step = step
            self.stream.write(f"indexing: {done}/{total} texts embedded ({printable(label)})\n")
        self.stream.flush()


def serve(settings: Settings, insecure_no_auth: bool = False, *, block: bool = True):
    """Serve the chat page until interrupted (or, with ``block=False``, return the running ``gr.Blocks``).

    Raises:
        ReportQAError: a non-loopback host without auth, a malformed ``--auth``, or a port that is taken.
    """
    # Before gradio is imported: no usage statistics or version checks leave the machine.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # Gradio's cache (uploads as they arrive, copies of downloads) in the data directory, not the system temp folder.
    os.environ.setdefault("GRADIO_TEMP_DIR", str((settings.data_dir / "gradio-cache").resolve()))
    host, port = settings.serve.host, settings.serve.port
    auth = parse_auth(settings.serve.auth.get_secret_value() if settings.serve.auth else None)
    if settings.serve.users_file is not None:
        from ui.users import Users

        auth = Users.load(settings.serve.users_file).check  # Gradio calls it with (name, password)
    check_exposure(host, auth, insecure_no_auth)
    check_tls_files(settings)

    from ui.app import Backend, build_app, launch_options

    backend = Backend(settings)
    demo = build_app(settings, backend)
    progress = TerminalProgress()
    started = time.perf_counter()

    def startup() -> None:
        backend.startup(progress)
        job = backend.job
        documents = backend.documents()
        chunks = sum(r.n_chunks for r in documents)
        state = printable(f"failed: {job.outcome}" if job.failed else job.outcome)
        sys.stderr.write(f"index ready: {len(documents)} reports, {chunks} chunks ({state}); "
                         f"{time.perf_counter() - started:.1f} s after start\n")
        sys.stderr.flush()

    backend.job.kind, backend.job.running = "startup", True  # shown from the first page load on
    threading.Thread(target=startup, name="reportqa-startup", daemon=True).start()
    try:
        demo.launch(
            server_name=host,
            server_port=port,
            auth=auth,
            auth_message="ReportQA · 报告问答" if auth else None,
            prevent_thread_lock=True,
            quiet=True,
            inbrowser=False,
            **launch_options(settings),
        )
    except OSError as exc:
        raise ReportQAError(f"cannot listen on {host}:{port} ({exc}); choose another --port") from exc
    shown_host = f"[{host}]" if ":" in host else host
    scheme = "https" if settings.serve.ssl_certfile else "http"
    sys.stderr.write(f"ReportQA is serving the chat page at {scheme}://{shown_host}:{port} (Ctrl+C stops it)\n")
    sys.stderr.flush()
    if not block:
        return demo
    try:
        while demo.is_running:
            time.sleep(0.1)
    except KeyboardInterrupt:
        stop(demo)
    return None


def stop(demo, wait_s: float = STOP_WAIT_S) -> None:
    """Stop serving at once (Ctrl-C): open connections and running events are dropped, not waited for.

    Gradio's own ``block_thread`` waits up to 5 s for uvicorn's graceful shutdown, which waits for every open
    connection (a browser tab, an API client's keep-alive); this waits ``wait_s`` and then lets the process end. An
    answer or an upload in progress is lost either way, and the index is safe (ingests are journalled; the parser
    workers die with this process).
    """
    sys.stderr.write("stopping the chat page (Ctrl+C)\n")
    sys.stderr.flush()
    server = getattr(demo, "server", None)
    demo.is_running = False
    if server is None:
        return
    server.should_exit = True  # uvicorn's graceful shutdown (its force_exit leaves tracebacks in the log)
    thread = getattr(server, "thread", None)
    if thread is not None:
        # Past this the process exits anyway: the server's thread is a daemon and is dropped with what it serves.
        thread.join(timeout=wait_s)
