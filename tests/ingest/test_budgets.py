"""Budgets per document: a file over one is named with the setting it hit, and the rest of the ingest goes on."""

from __future__ import annotations

import io
import multiprocessing
import zipfile
from pathlib import Path

import pytest

import filemakers
from ingest.budget import BudgetExceededError, check_zip_expansion, html_nesting_depth
from ingest.loaders import load_document
from ingest.pipeline import run_ingest
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.settings import Settings

GOOD = "# 算力市场\n\n2024年智能算力规模同比增长超过百分之五十。国产加速卡的出货量快速上升。\n"
GOOD_EN = "# Cloud market\n\nPublic cloud revenue grew 20% in 2024. Enterprises moved model training to the cloud.\n"


def _deep_html(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + "深处的文字。" + "</div>" * depth + "</body></html>"


def _indexed_names(settings: Settings) -> list[str]:
    manifest = Manifest.load(settings.manifest_path)
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    assert store.count() == sum(r.n_chunks for r in manifest.documents.values()) > 0
    assert all(r.status == "complete" for r in manifest.documents.values())
    return sorted(Path(r.path).name for r in manifest.documents.values())


def test_hostile_files_are_named_with_the_limit_each_hit_and_the_good_file_is_indexed(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "deep.html").write_text(_deep_html(200_000), encoding="utf-8")
    filemakers.make_zip_bomb_docx(folder / "bomb.docx", uncompressed_mb=3)
    (folder / "long.md").write_text("# 长报告\n\n" + "市场持续增长。" * 1000, encoding="utf-8")
    (folder / "many.txt").write_text("\n\n".join(f"第{i}段。收入增长{i}%。" for i in range(80)), encoding="utf-8")
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data",
        ingest={"max_expanded_bytes": 2**20, "max_chars": 5000, "max_texts_to_embed": 60},
    )

    report = run_ingest(settings, [folder])

    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert sorted(failed) == ["bomb.docx", "deep.html", "long.md", "many.txt"], report.to_dict()
    assert failed["deep.html"] == "nests HTML elements deeper than 512 (ingest.max_nesting_depth)"
    assert failed["bomb.docx"].startswith("expands past 1 MB") and "(ingest.max_expanded_bytes)" in failed["bomb.docx"]
    assert failed["long.md"].startswith("has 7,0") and failed["long.md"].endswith("over 5,000 (ingest.max_chars)")
    assert failed["many.txt"].endswith("over 60 (ingest.max_texts_to_embed)")
    assert [Path(p).name for p in report.added] == ["good.md"]
    assert _indexed_names(settings) == ["good.md"]
    # The deep page is refused by its depth, not after a parse whose cost grows with the square of the depth.
    assert report.parse_seconds[str(folder / "deep.html")] < 5


def test_a_document_over_the_time_budget_is_killed_and_named_and_the_next_ingest_works(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    # Under the raised depth limit, so it is parsed: thousands deep takes the HTML reader many seconds.
    (folder / "a-slow.html").write_text(_deep_html(6000), encoding="utf-8")
    (folder / "b-good.md").write_text(GOOD, encoding="utf-8")
    budget_s = 2.0
    settings = Settings(
        data_dir=tmp_path / "data", ingest={"max_seconds_per_document": budget_s, "max_nesting_depth": 100_000}
    )

    report = run_ingest(settings, [folder])

    assert [(Path(f.path).name, f.reason) for f in report.failed] == [
        ("a-slow.html", "took longer than 2 s to read (ingest.max_seconds_per_document)")
    ]
    assert budget_s <= report.parse_seconds[str(folder / "a-slow.html")] < budget_s + 5
    # Starting the parser (twice: the killed one's successor read b-good.md) is told apart from reading the files.
    assert report.parser_start_seconds > 0
    assert [Path(p).name for p in report.added] == ["b-good.md"]
    assert not multiprocessing.active_children(), "the killed parser, or its successor, was left running"

    (folder / "a-slow.html").unlink()
    (folder / "c-good.md").write_text(GOOD_EN, encoding="utf-8")
    again = run_ingest(settings, [folder])
    assert again.ok and [Path(p).name for p in again.added] == ["c-good.md"]
    assert _indexed_names(settings) == ["b-good.md", "c-good.md"]


def test_parsing_in_process_applies_the_same_budgets(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "deep.html").write_text(_deep_html(2000), encoding="utf-8")
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", ingest={"parse_in_worker": False, "max_nesting_depth": 100})

    report = run_ingest(settings, [folder])

    assert [(Path(f.path).name, f.reason) for f in report.failed] == [
        ("deep.html", "nests HTML elements deeper than 100 (ingest.max_nesting_depth)")
    ]
    assert [Path(p).name for p in report.added] == ["good.md"]
    assert report.parser_start_seconds == 0


def test_the_budgets_are_ingest_settings_that_the_environment_overrides(monkeypatch, tmp_path):
    defaults = Settings().ingest
    assert defaults.max_expanded_bytes == 100 * 2**20 and defaults.max_nesting_depth == 512
    assert defaults.max_chars == 2_000_000 and defaults.max_texts_to_embed == 20_000
    assert defaults.max_seconds_per_document == 600 and defaults.parse_in_worker
    monkeypatch.setenv("REPORTQA_INGEST__MAX_CHARS", "40")
    monkeypatch.setenv("REPORTQA_INGEST__MAX_NESTING_DEPTH", "3")
    from ingest.budget import Budget

    budget = Budget.from_settings(Settings().ingest)
    assert (budget.max_chars, budget.max_nesting_depth) == (40, 3)
    path = tmp_path / "page.html"
    path.write_text("<html><body><div><div><p>" + "增长。" * 5 + "</p></div></div></body></html>", encoding="utf-8")
    with pytest.raises(BudgetExceededError, match=r"page\.html: nests HTML elements deeper than 3"):
        load_document(path, budget=budget)
    with pytest.raises(pydantic_error()):
        Settings(ingest={"max_chars": 0})


def pydantic_error():
    from pydantic import ValidationError

    return ValidationError


def _tree_depth(html: str) -> int:
    """Deepest element of the tree the HTML loader's parser builds (Beautiful Soup, html.parser)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    return max((len(list(tag.parents)) for tag in soup.find_all(True)), default=0)


@pytest.mark.parametrize(
    "html",
    [
        "<div><p>a</p><p>b</p></div>",
        "<p>a<p>b<p>c",  # unclosed paragraphs nest
        "<div><span><b>x</div><div>y</div>",  # a closing tag closes what was opened after it
        "<div></span></span><div>",  # stray closing tags close nothing
        "<br><img src=x><hr/><div/>",
        "<ul><li>a<li>b<li><ul><li>c</ul></ul>",
        "<script>" + "<div>" * 50 + "</script><div>",
        "<!--" + "<div>" * 50 + "--><div>",
        "<DIV><Div><div></DIV>",
    ],
)
def test_html_nesting_depth_is_the_depth_of_the_tree_the_html_reader_builds(html):
    assert html_nesting_depth(html, limit=100) == _tree_depth(html)


def test_a_zip_is_measured_by_what_decompression_produces_and_stops_at_the_limit():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:t>" + b"0" * (3 * 2**20) + b"</w:t>")
    data = buffer.getvalue()
    check_zip_expansion(Path("fine.docx"), data, limit=4 * 2**20)
    with pytest.raises(BudgetExceededError, match=r"bomb\.docx: expands past 2 MB .*\(ingest\.max_expanded_bytes\)"):
        check_zip_expansion(Path("bomb.docx"), data, limit=2 * 2**20)


def _misbehaving_prepare(path: Path, *args, ocr=None, **kwargs):
    """Stands in for ``_prepare`` in the worker: a parser bug, a parser that dies, or a parsed document."""
    import os

    if path.name == "bug.md":
        raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")
    if path.name == "dies.md":
        os._exit(3)
    return f"prepared {path.name} in process {os.getpid()}"


def test_a_parser_bug_or_a_dead_worker_fails_that_document_and_the_next_one_is_read():
    from ingest.worker import WorkerParser
    from rag.errors import CorruptDocumentError

    parser = WorkerParser(_misbehaving_prepare, ocr=False, max_seconds=60)
    try:
        first = parser.prepare(Path("a.md"))
        with pytest.raises(CorruptDocumentError, match=r"bug\.md: the parser failed on it \(TypeError: unsupported"):
            parser.prepare(Path("bug.md"))
        assert parser.prepare(Path("b.md")).split(" in process ")[1] == first.split(" in process ")[1]
        with pytest.raises(CorruptDocumentError, match=r"dies\.md: the parser process died reading it \(exit code 3\)"):
            parser.prepare(Path("dies.md"))
        assert parser.prepare(Path("c.md")).startswith("prepared c.md")
    finally:
        parser.close()
    assert not multiprocessing.active_children()


def test_a_markdown_list_nested_thousands_deep_is_named_with_the_depth_limit_and_a_normal_one_reads(tmp_path):
    deep = tmp_path / "deep.md"
    deep.write_text("# 清单\n\n" + "\n".join("  " * i + f"- 项目{i}" for i in range(600)), encoding="utf-8")
    with pytest.raises(BudgetExceededError, match=r"deep\.md: nests Markdown deeper than 512 levels"):
        load_document(deep, ocr=False)
    normal = tmp_path / "normal.md"
    normal.write_text("# 清单\n\n- 一\n  - 二\n\t- 三\n\n        code\n", encoding="utf-8")
    assert "三" in load_document(normal, ocr=False).text
