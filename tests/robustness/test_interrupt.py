"""Ctrl-C during `reportqa ingest`: it stops promptly with one clear line, and the next run finishes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from robustkit import REPO, SMALL_REPORTS, child_env, write_reports
from rag.index.manifest import Manifest


def _ingest_command(folder: Path, data: Path) -> list[str]:
    # `python -m` from the repository, so the child runs this checkout's code.
    return [sys.executable, "-m", "ui.cli", "ingest", str(folder), "--data-dir", str(data)]


def _wait_for_parser(process: subprocess.Popen, timeout: float = 120) -> psutil.Process:
    """The ingest's parser worker, once it has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(process.pid).children():
            if "spawn_main" in " ".join(child.cmdline()):  # not multiprocessing's resource tracker
                return child
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError("the ingest started no parser worker")


@pytest.mark.slow
def test_ctrl_c_during_a_slow_document_stops_the_ingest_promptly_and_the_next_run_finishes(tmp_path):
    folder = write_reports(tmp_path / "reports", {k: SMALL_REPORTS[k] for k in ("cloud.md", "chips.md")})
    # Read first (names sort), and slow: a page nested thousands deep, under a depth limit raised to allow it.
    slow = folder / "a-slow.html"
    # 40,000 deep: the parser's cost grows with the square of the depth, so even an idle machine is still reading it
    # well after the 2 s below (8,000 deep was read in under 2 s on an idle CI machine, and the ingest finished).
    depth = 40_000
    slow.write_text("<html><body>" + "<div>" * depth + "深处。" + "</div>" * depth + "</body></html>", encoding="utf-8")
    data = tmp_path / "data"
    env = child_env(PYTHONPATH=str(REPO), REPORTQA_INGEST__MAX_NESTING_DEPTH="100000")
    process = subprocess.Popen(
        _ingest_command(folder, data), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, which is what a terminal's Ctrl-C signals
        # A shell that runs the test suite in the background ignores SIGINT, and children inherit that; the command
        # under test runs as from a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    worker = _wait_for_parser(process)
    time.sleep(2)  # into the slow page

    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    stopped_after = time.monotonic() - sent

    assert process.returncode == 130, stderr
    said = " ".join(stderr.split())  # Rich wraps the line at 80 columns when stderr is not a terminal
    assert "interrupted" in said and "running the command again finishes the work" in said
    assert "Traceback" not in stderr, stderr
    assert stopped_after < 10, f"{stopped_after:.1f} s from Ctrl-C to exit"
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE, "the parser worker outlived the ingest"

    slow.unlink()
    again = subprocess.run(_ingest_command(folder, data), cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    manifest = Manifest.load(data / "manifest.json")
    assert sorted(Path(r.path).name for r in manifest.documents.values()) == ["chips.md", "cloud.md"]
    assert all(r.status == "complete" for r in manifest.documents.values())
