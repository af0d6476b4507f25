"""Text reports in encodings nobody wrote down: found by detection before anything is called binary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import filemakers
from ingest.loaders import load_document
from ingest.pipeline import run_ingest
from rag.errors import CorruptDocumentError
from rag.settings import Settings

REPORT = (
    "# 云计算市场观察\n\n"
    "2024年公有云市场规模同比增长百分之二十，企业加快上云，混合云部署比例达到百分之四十五。\n"
    "阿里云、华为云和腾讯云占据国内公有云市场的前三位。\n"
)
TRADITIONAL = "# 雲端市場觀察\n\n二零二四年公有雲市場規模同比成長百分之二十，企業加快上雲。\n"
# No ASCII at all: UTF-16 of these characters has no NUL byte, and GB18030 reads the bytes as other characters.
ONLY_HAN = "公有云市场规模同比增长百分之二十企业加快上云混合云部署比例达到百分之四十五" * 3


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        ("utf16le.txt", REPORT, "utf-16-le"),
        ("utf16be.md", REPORT, "utf-16-be"),
        ("only-han-utf16le.txt", ONLY_HAN, "utf-16-le"),
        ("utf32le.txt", REPORT, "utf-32-le"),
        ("gbk.txt", REPORT, "gbk"),
        ("big5.txt", TRADITIONAL, "big5"),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-16-le-only-han", "utf-32-le", "gbk", "big5"],
)
def test_text_without_a_byte_order_mark_is_decoded_exactly(tmp_path, name, text, encoding):
    """Regression: UTF-16 without a BOM was refused as "binary content (NUL bytes)"."""
    path = filemakers.make_text(tmp_path / name, text, encoding=encoding, bom=False)
    document = load_document(path)
    for line in filter(None, text.splitlines()):
        assert line.removeprefix("# ") in document.text + document.title, line


def test_a_utf16_report_without_a_bom_is_ingested_and_answers(tmp_path):
    from rag.engine import Engine

    folder = tmp_path / "reports"
    filemakers.make_text(folder / "cloud.txt", REPORT, encoding="utf-16-le")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=folder)
    report = run_ingest(settings)
    assert report.ok and len(report.added) == 1, report.to_dict()
    answer = Engine.from_settings(settings).ask("2024年公有云市场规模增长了多少？")
    assert not answer.refused and "百分之二十" in answer.text


@pytest.mark.parametrize(
    ("maker", "reason"),
    [
        (lambda path: filemakers.make_binary_as_txt(path), "control bytes, and no text encoding fits"),
        (lambda path: path.write_bytes(os.urandom(3000).replace(b"\x00", b"\x01")), "no text encoding fits"),
        (lambda path: path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8), "an executable (ELF)"),
        (lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8), "a PNG image"),
    ],
    ids=["random-with-nuls", "random-without-nuls", "elf", "png"],
)
def test_a_truly_binary_file_is_still_refused_with_a_clear_reason(tmp_path, maker, reason):
    path = tmp_path / "notes.txt"
    maker(path)
    with pytest.raises(CorruptDocumentError) as caught:
        load_document(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: binary content, not a text report") and reason in message, message


def test_conversation_exports_are_written_in_the_data_directory(small_index_copy):
    """Regression: conversation exports were left in the system temp folder."""
    from ui.app import Backend, _answer_stream

    backend = Backend(small_index_copy)
    *_, last = _answer_stream(backend, "2024年公有云市场规模增长了多少？", [], "", 0, [], "")
    path = Path(last[-1])
    assert path.is_file() and "公有云" in path.read_text(encoding="utf-8")
    assert (small_index_copy.data_dir / "exports").resolve() in path.resolve().parents
    *_, again = _answer_stream(backend, "混合云部署比例是多少？", last[2], "", 0, [], str(path))
    assert again[-1] == str(path), "a conversation keeps one export file"


@pytest.fixture
def small_index_copy(tmp_path):
    folder = tmp_path / "reports"
    filemakers.make_text(folder / "cloud.md", REPORT)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=folder)
    assert run_ingest(settings).ok
    return settings
