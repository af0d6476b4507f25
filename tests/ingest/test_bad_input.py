"""Broken, hostile and unsupported files are refused one by one with a reason; they never stop an ingest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import filemakers
from ingest.loaders import load_document
from ingest.pipeline import run_ingest
from rag.errors import CorruptDocumentError, UnsupportedFileError
from rag.index.lexical import LexicalIndex
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.settings import Settings

GOOD_A = "# 算力市场\n\n2024年智能算力规模同比增长超过百分之五十。国产加速卡的出货量快速上升。\n"
GOOD_B = "# Cloud market\n\nPublic cloud revenue grew 20% in 2024. Enterprises moved model training to the cloud.\n"


def _make_bad_files(folder: Path) -> dict[str, tuple[type[Exception], str]]:
    """Write every kind of bad file into ``folder``; return name -> (error type, a word its reason must hold)."""
    filemakers.make_corrupt_pdf(folder / "corrupt.pdf")
    filemakers.make_encrypted_pdf(folder / "encrypted.pdf", "机密：董事会纪要。")
    filemakers.make_image_only_pdf(folder / "scanned.pdf")
    (folder / "empty.md").write_bytes(b"")
    filemakers.make_binary_as_txt(folder / "binary.txt")
    (folder / "budget.xlsx").write_bytes(b"PK\x03\x04 not really a spreadsheet")
    filemakers.make_zip_bomb_docx(folder / "bomb.docx")
    # Root reads through chmod 000, so an unreadable file here is a symlink to a report that is gone.
    os.symlink(folder / "moved-away.md", folder / "dangling.md")
    return {
        "corrupt.pdf": (CorruptDocumentError, "corrupt pdf"),
        "encrypted.pdf": (CorruptDocumentError, "encrypted"),
        "scanned.pdf": (CorruptDocumentError, "ocr"),
        "empty.md": (CorruptDocumentError, "empty"),
        "binary.txt": (CorruptDocumentError, "binary"),
        "budget.xlsx": (UnsupportedFileError, "unsupported file type '.xlsx'"),
        "bomb.docx": (CorruptDocumentError, "zip bomb"),
        "dangling.md": (CorruptDocumentError, "cannot be read"),
    }


@pytest.fixture
def bad_folder(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    return folder, _make_bad_files(folder)


def test_each_bad_file_raises_a_domain_error_that_names_the_file(bad_folder):
    folder, expected = bad_folder
    for name, (error_type, reason) in expected.items():
        path = folder / name
        with pytest.raises(error_type) as caught:
            load_document(path)
        message = str(caught.value)
        assert str(path) in message, name
        assert reason in message.lower(), (name, message)
        assert "\n" not in message, name


def test_an_over_size_file_is_refused_before_it_is_read(tmp_path):
    settings = Settings(ingest={"max_file_mb": 0.001})
    path = tmp_path / "long.md"
    path.write_text("# 长报告\n\n" + "市场持续增长。" * 100, encoding="utf-8")
    with pytest.raises(CorruptDocumentError) as caught:
        load_document(path, max_bytes=int(settings.ingest.max_file_mb * 2**20))
    assert str(path) in str(caught.value)
    assert "over the" in str(caught.value)


def test_the_size_limit_message_shows_sizes_a_user_can_read(tmp_path):
    """Regression: a 2 KB file over a 1 KB limit was reported as '0.0 MB is over the 0 MB limit'."""
    path = tmp_path / "long.md"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(CorruptDocumentError, match=r"2\.0 KB is over the 1\.0 KB limit"):
        load_document(path, max_bytes=1024)


def test_a_broken_file_is_reported_and_the_rest_are_ingested(tmp_path, bad_folder):
    folder, expected = bad_folder
    (folder / "good-a.md").write_text(GOOD_A, encoding="utf-8")
    (folder / "good-b.md").write_text(GOOD_B, encoding="utf-8")
    # Bigger than every other file here (the zip bomb is about 200 KB on disk).
    (folder / "huge.md").write_text("# 超大报告\n\n" + "市场持续增长。" * 20000, encoding="utf-8")
    expected["huge.md"] = (CorruptDocumentError, "over the")
    settings = Settings(data_dir=tmp_path / "data", ingest={"max_file_mb": 0.25})

    report = run_ingest(settings, [folder])

    assert not report.ok
    assert sorted(Path(s).name for s in report.added) == ["good-a.md", "good-b.md"]
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert sorted(failed) == sorted(expected)
    for name, (_, reason) in expected.items():
        assert reason in failed[name].lower(), (name, failed[name])
        assert "\n" not in failed[name] and failed[name].strip() == failed[name]
        assert str(folder) not in failed[name], "the reason repeats the path printed beside it"
    manifest = Manifest.load(settings.manifest_path)
    assert sorted(Path(r.path).name for r in manifest.documents.values()) == ["good-a.md", "good-b.md"]
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    assert store.count() == sum(r.n_chunks for r in manifest.documents.values()) == report.chunks_written > 0


def test_a_dangling_symlink_in_a_folder_is_reported_not_skipped(tmp_path):
    """Regression: discover() dropped broken symlinks silently, so an unreadable report was never reported."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD_A, encoding="utf-8")
    os.symlink(tmp_path / "elsewhere" / "gone.md", folder / "gone.md")
    settings = Settings(data_dir=tmp_path / "data")
    report = run_ingest(settings, [folder])
    assert [Path(f.path).name for f in report.failed] == ["gone.md"]
    assert "cannot be read" in report.failed[0].reason
    assert len(report.added) == 1


def test_an_over_size_file_is_reported_by_an_ingest_with_a_small_limit(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "long.md").write_text("# 长报告\n\n" + "市场持续增长。" * 100, encoding="utf-8")
    (folder / "short.md").write_text("# 短\n\n增长。\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", ingest={"max_file_mb": 0.001})
    report = run_ingest(settings, [folder])
    assert [Path(p).name for p in report.added] == ["short.md"]
    assert [(Path(f.path).name, "limit" in f.reason) for f in report.failed] == [("long.md", True)]


def test_nothing_already_in_the_index_is_lost_when_a_report_turns_corrupt(tmp_path):
    folder = tmp_path / "reports"
    pdf = filemakers.make_cjk_pdf(folder / "quarterly.pdf", ["一季度营收同比增长百分之十二，利润率保持稳定。"])
    (folder / "other.md").write_text(GOOD_B, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    first = run_ingest(settings, [folder])
    assert first.ok and len(first.added) == 2
    manifest = Manifest.load(settings.manifest_path)
    doc_id = next(r.doc_id for r in manifest.documents.values() if r.path == str(pdf.resolve()))
    before = manifest.documents[doc_id]
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    ids_before = sorted(store.collection.get(where={"doc_id": doc_id})["ids"])
    assert ids_before == sorted(before.chunk_ids()) and ids_before

    filemakers.make_corrupt_pdf(pdf)
    second = run_ingest(settings, [folder])

    assert [Path(f.path).name for f in second.failed] == ["quarterly.pdf"]
    assert "corrupt PDF" in second.failed[0].reason
    assert second.removed == [] and second.updated == [] and len(second.unchanged) == 1
    manifest = Manifest.load(settings.manifest_path)
    assert manifest.documents[doc_id] == before
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    assert sorted(store.collection.get(where={"doc_id": doc_id})["ids"]) == ids_before
    lexical = LexicalIndex.load(settings.lexical_dir)
    assert set(ids_before) <= set(lexical.chunk_ids)
    hits = store.get(ids_before)
    assert "一季度营收" in "".join(chunk.text for chunk in hits.values())


class _UnusedEmbedder:
    name = "unused"
    dim = 4

    def embed_passages(self, texts):  # pragma: no cover - nothing here is ingested
        raise AssertionError("nothing should be embedded")


def test_an_over_size_file_is_refused_without_being_read_into_memory(tmp_path):
    """Regression: ingest hashed every file with read_bytes(), so a huge file was read whole before being refused."""
    import tracemalloc

    folder = tmp_path / "reports"
    folder.mkdir()
    huge = folder / "huge.md"
    with huge.open("wb") as handle:  # sparse: 300 MB on paper, nothing on disk
        handle.truncate(300 * 2**20)
    settings = Settings(data_dir=tmp_path / "data", ingest={"max_file_mb": 1})
    (tmp_path / "empty").mkdir()
    run_ingest(settings, [tmp_path / "empty"], embedder=_UnusedEmbedder())  # imports Chroma & co. outside the trace
    tracemalloc.start()
    try:
        report = run_ingest(settings, [folder], embedder=_UnusedEmbedder())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(Path(f.path).name, "limit" in f.reason) for f in report.failed] == [("huge.md", True)]
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MB allocated to refuse the file"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_encrypted_with_an_empty_user_password_is_read(tmp_path, algorithm):
    path = filemakers.make_encrypted_pdf(
        tmp_path / "restricted.pdf", "仅限制打印的报告：云服务收入同比增长百分之三十。", password="", algorithm=algorithm
    )
    assert "仅限制打印的报告：云服务收入同比增长百分之三十。" in load_document(path).text


def test_a_pdf_that_needs_a_password_is_named_and_skipped_and_the_others_are_ingested(tmp_path, make_settings):
    folder = tmp_path / "corpus"
    filemakers.make_encrypted_pdf(folder / "locked.pdf", "董事会纪要。", password="secret", algorithm="AES-256")
    (folder / "open.md").write_text(GOOD_A, encoding="utf-8")
    report = run_ingest(make_settings(corpus_dir=folder))
    assert [Path(f.path).name for f in report.failed] == ["locked.pdf"]
    assert "needs a password" in report.failed[0].reason
    assert [Path(s).name for s in report.added] == ["open.md"]
