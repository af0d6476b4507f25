"""Saving uploaded reports: safe names, no silent overwrite, content checked by the ingest loaders."""

from __future__ import annotations

import pytest
from filemakers import make_binary_as_txt, make_corrupt_pdf, make_text

from ui.uploads import MAX_NAME_CHARS, delete_upload, is_upload, sanitize_filename, save_uploads, uploads_dir

REPORT = "# 新能源车报告\n\n2025年新能源车渗透率达到百分之五十五。\n"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\fakepath\\季度报告.PDF", "季度报告.pdf"),
        ("..\\..\\boot.ini.txt", "boot.ini.txt"),
        (".bashrc.md", "bashrc.md"),
        ('a<b>:"c"|d?*.md', "a_b___c__d__.md"),
        ("con.txt", "_con.txt"),
        ("line\nbreak\x00\x1b.md", "linebreak.md"),
        ("   .md", "report.md"),
        ("", "report"),
        ("..", "report"),
    ],
)
def test_a_file_name_loses_folders_traversal_and_unsafe_characters(given, expected):
    assert sanitize_filename(given) == expected


def test_a_very_long_file_name_is_cut_but_keeps_its_extension():
    name = sanitize_filename("报" * 300 + ".docx")
    assert len(name) <= MAX_NAME_CHARS and name.endswith(".docx")


def test_an_upload_named_with_a_path_lands_inside_the_uploads_folder(make_settings, tmp_path):
    settings = make_settings()
    source = make_text(tmp_path / "in" / "x.md", REPORT)
    result = save_uploads([(source, "../../../../tmp/evil.md")], settings)
    assert not result.failed
    saved = result.saved[0].path
    assert saved.parent == uploads_dir(settings) and saved.name == "evil.md"
    assert saved.read_text(encoding="utf-8") == REPORT


def test_a_name_taken_by_another_report_gets_a_suffix_and_a_note(make_settings, tmp_path):
    settings = make_settings()
    first = make_text(tmp_path / "a" / "报告.md", REPORT)
    second = make_text(tmp_path / "b" / "报告.md", REPORT + "\n另一版本。\n")
    save_uploads([(first, "报告.md")], settings)
    result = save_uploads([(second, "报告.md")], settings)
    saved = result.saved[0]
    assert saved.path.name == "报告-2.md" and "already exists" in saved.note
    assert (uploads_dir(settings) / "报告.md").read_text(encoding="utf-8") == REPORT  # not overwritten


def test_the_same_content_uploaded_twice_is_stored_once(make_settings, tmp_path):
    settings = make_settings()
    source = make_text(tmp_path / "r.md", REPORT)
    save_uploads([(source, "r.md")], settings)
    result = save_uploads([(source, "r.md")], settings)
    assert result.saved[0].path.name == "r.md" and not result.saved[0].note
    assert sorted(p.name for p in uploads_dir(settings).iterdir() if not p.name.startswith(".")) == ["r.md"]


def test_a_report_already_in_the_index_is_not_stored_again(make_settings, tmp_path):
    import hashlib

    settings = make_settings()
    source = make_text(tmp_path / "r.md", REPORT)
    known = {hashlib.sha256(source.read_bytes()).hexdigest(): "corpus/r.md"}
    result = save_uploads([(source, "copy.md")], settings, known)
    assert result.saved[0].duplicate_of == "corpus/r.md" and "already in the index" in result.saved[0].note
    assert not (uploads_dir(settings) / "copy.md").exists()


def test_bad_files_are_refused_by_name_and_reason_and_the_others_are_saved(make_settings, tmp_path):
    settings = make_settings(serve={"max_upload_mb": 0.01})
    good = make_text(tmp_path / "good.md", REPORT)
    binary = make_binary_as_txt(tmp_path / "binary.txt", size=2048)
    corrupt = make_corrupt_pdf(tmp_path / "broken.pdf")
    big = make_text(tmp_path / "big.md", "大" * 20000)
    exe = make_text(tmp_path / "tool.exe", "MZ")
    empty = make_text(tmp_path / "empty.md", "")
    result = save_uploads(
        [(good, "good.md"), (binary, "binary.txt"), (corrupt, "broken.pdf"), (big, "big.md"), (exe, "tool.exe"),
         (empty, "empty.md")],
        settings,
    )
    assert [s.path.name for s in result.saved] == ["good.md"]
    reasons = dict(result.failed)
    assert set(reasons) == {"binary.txt", "broken.pdf", "big.md", "tool.exe", "empty.md"}
    assert "upload limit" in reasons["big.md"] and "unsupported file type '.exe'" in reasons["tool.exe"]
    assert all(str(tmp_path) not in reason for reason in reasons.values())  # no staging paths in messages
    stored = sorted(p.name for p in uploads_dir(settings).iterdir() if not p.name.startswith("."))
    assert stored == ["good.md"]


def test_only_files_in_the_uploads_folder_are_ever_deleted(make_settings, tmp_path):
    settings = make_settings()
    outside = make_text(tmp_path / "corpus" / "keep.md", REPORT)
    inside = save_uploads([(outside, "mine.md")], settings).saved[0].path
    assert not is_upload(outside, settings) and not delete_upload(outside, settings) and outside.exists()
    assert is_upload(inside, settings) and delete_upload(inside, settings) and not inside.exists()


def test_an_upload_over_a_budget_is_refused_naming_the_setting_it_hit(make_settings, tmp_path):
    """An upload over a budget crashed save_uploads (its error could not be rebuilt from a message) and the
    check ignored the configured budgets."""
    settings = make_settings(ingest={"max_nesting_depth": 50})
    nested = make_text(tmp_path / "nested.html", "<div>" * 60 + "深处。" + "</div>" * 60)
    shallow = make_text(tmp_path / "shallow.html", "<div>" * 40 + "浅处的报告正文。" + "</div>" * 40)
    result = save_uploads([(nested, "nested.html"), (shallow, "shallow.html")], settings)
    reasons = dict(result.failed)
    assert "ingest.max_nesting_depth" in reasons["nested.html"] and str(tmp_path) not in reasons["nested.html"]
    assert [s.path.name for s in result.saved] == ["shallow.html"]
