"""Hostile paths in the corpus: symlink loops, unreadable files and folders, FIFOs, names that are Rich markup or
carry terminal escape codes, names that are not UTF-8. Each is reported by name (escaped) with a reason, nothing
crashes the run, and the good reports beside them are indexed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest
from rag.index.files import printable
from rag.settings import Settings
from robustkit import REPO, child_env
from ui import render

GOOD = "# {title}\n\n2024年公有云市场规模同比增长百分之二十。{title} is a short report about cloud revenue.\n"
ESC_NAME = "\x1b[31mred\x1b[0m.md"


def run_here(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``reportqa`` from this checkout (``python -m ui.cli``), wide enough that Rich truncates no table cell."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, timeout=300,
        env=child_env(COLUMNS="400", NO_COLOR="1"), cwd=REPO,
    )


def hostile_folder(root: Path) -> Path:
    folder = root / "reports"
    folder.mkdir(parents=True)
    (folder / "good.md").write_text(GOOD.format(title="Good"), encoding="utf-8")
    (folder / "a[").mkdir()
    (folder / "a[" / "b].md").write_text(GOOD.format(title="Bracket"), encoding="utf-8")
    (folder / "[bold]x[").mkdir()
    (folder / "[bold]x[" / "bold].md").write_text(GOOD.format(title="Markup"), encoding="utf-8")
    (folder / ESC_NAME).write_text(GOOD.format(title="Escape"), encoding="utf-8")
    os.symlink("loop-b.md", folder / "loop-a.md")
    os.symlink("loop-a.md", folder / "loop-b.md")
    os.symlink(".", folder / "self")  # a folder link back to itself: the walk must not go round it
    os.mkfifo(folder / "pipe.md")  # opening it would wait forever for a writer
    with open(os.path.join(os.fsencode(folder), b"bad-\xff.md"), "wb") as handle:
        handle.write(GOOD.format(title="Latin1").encode())
    return folder


def test_hostile_paths_are_reported_by_name_and_the_good_reports_are_indexed(tmp_path):
    """Regression: a symlink loop aborted `reportqa ingest` with a traceback; `a[/b].md` crashed the printout."""
    folder = hostile_folder(tmp_path)
    data = str(tmp_path / "data")
    result = run_here("ingest", str(folder), "--data-dir", data)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 1, output[-3000:]
    assert "\x1b" not in output, "a terminal escape code reached the terminal raw"
    failed = dict(line.removeprefix("failed: ").split(": ", 1)
                  for line in result.stderr.splitlines() if line.startswith("failed: "))
    assert failed == {
        f"{folder}/loop-a.md": "cannot be read (symbolic link loop)",
        f"{folder}/loop-b.md": "cannot be read (symbolic link loop)",
        f"{folder}/pipe.md": "not a regular file (a pipe, socket or device)",
        f"{folder}/bad-\\xff.md": "the file name is not valid UTF-8; rename the file",
    }
    assert "added 4 " in result.stdout

    status = run_here("status", "--data-dir", data)
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    assert "\x1b" not in status.stdout
    for shown in ("a[/b].md", "[bold]x[/bold].md", "\\x1b[31mred\\x1b[0m.md", "good.md"):
        assert shown in status.stdout, (shown, status.stdout)
    listed = json.loads(run_here("status", "--json", "--data-dir", data).stdout)
    assert sorted(d["title"] for d in listed["documents"]) == ["Bracket", "Escape", "Good", "Markup"]


def test_the_page_shows_control_characters_in_file_names_as_visible_escapes(tmp_path):
    from rag.index.manifest import Manifest

    folder = hostile_folder(tmp_path)
    (folder / "\u202egnp.md").write_text("", encoding="utf-8")  # empty, and its name reverses what follows
    settings = Settings(data_dir=tmp_path / "data")
    html = render.ingest_report_html(run_ingest(settings, [folder]))
    assert "\x1b" not in html and "\u202e" not in html
    for shown in ("\\u202egnp.md", "loop-a.md", "pipe.md", "bad-\\xff.md"):
        assert shown in html, shown
    sources = [row[-1] for row in render.document_rows(Manifest.load(settings.manifest_path).complete())]
    assert len(sources) == 4 and not any("\x1b" in s for s in sources)
    assert any(s.endswith("\\x1b[31mred\\x1b[0m.md") for s in sources)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_an_unreadable_file_and_an_unreadable_folder_are_reported_and_the_rest_indexed(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD.format(title="Good"), encoding="utf-8")
    (folder / "secret.md").write_text(GOOD.format(title="Secret"), encoding="utf-8")
    (folder / "locked").mkdir()
    (folder / "locked" / "inside.md").write_text(GOOD.format(title="Inside"), encoding="utf-8")
    os.chmod(folder / "secret.md", 0)
    os.chmod(folder / "locked", 0)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it ignore file permissions
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: chmod 000 cannot make a file unreadable")
        prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search")
    try:
        result = run_here("ingest", str(folder), "--data-dir", str(tmp_path / "data"), prefix=prefix)
    finally:
        os.chmod(folder / "locked", 0o755)
        os.chmod(folder / "secret.md", 0o644)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and result.returncode == 1, output[-3000:]
    assert f"failed: {folder}/secret.md: cannot be read (Permission denied)" in result.stderr
    assert f"failed: {folder}/locked: folder cannot be read (Permission denied)" in result.stderr
    assert "added 1 " in result.stdout


def test_printable_makes_every_control_character_visible_and_keeps_the_rest():
    assert printable("a\x1b[31mb\nc\u202ed\x7f中文[bold]") == "a\\x1b[31mb\\x0ac\\u202ed\\x7f中文[bold]"
    assert printable("line one\nline\ttwo", keep_newlines=True) == "line one\nline\ttwo"
    assert printable(os.fsdecode(b"caf\xe9.md")) == "caf\\xe9.md"
