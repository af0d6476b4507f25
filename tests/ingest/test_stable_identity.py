"""A report's identity is its place under the corpus (or uploads) folder plus its content, never the absolute path:
moving the corpus, copying the data directory or ingesting from another folder does not duplicate anything.

The unit under test is identity and change detection, so the embedder is a small deterministic fake.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ingest.identity import UPLOADS_FOLDER
from ingest.pipeline import run_ingest
from rag.index.lexical import LexicalIndex
from rag.index.manifest import MANIFEST_VERSION, Manifest
from rag.index.store import ChunkStore
from rag.settings import Settings


class FakeEmbedder:
    name = "fake"
    dim = 8

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts.extend(texts)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text):
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(abs(hash(text)) % 2**32)
        vector = rng.normal(size=self.dim)
        return (vector / np.linalg.norm(vector)).astype(np.float32)


def _report(label: str, version: int = 1) -> str:
    return (f"# {label}年度报告\n\n{label}公司的收入在第{version}版统计中增长了百分之十二。{label}公司的客户继续增加。\n\n"
            f"## 风险\n\n{label}公司面临的主要风险是算力成本上升。")


def _corpus(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "alpha.md").write_text(_report("阿尔法"), encoding="utf-8")
    (folder / "beta.md").write_text(_report("贝塔"), encoding="utf-8")
    (folder / "sub" / "gamma.md").write_text(_report("伽马"), encoding="utf-8")
    return folder


def _index(settings: Settings) -> tuple[Manifest, list[str], list[str]]:
    manifest = Manifest.load(settings.manifest_path)
    store = ChunkStore.open(settings, manifest.embedder, manifest.dim)
    return manifest, sorted(store.collection.get()["ids"]), sorted(LexicalIndex.load(settings.lexical_dir).chunk_ids)


def _assert_one_copy_each(settings: Settings, documents: int) -> list[str]:
    manifest, chroma_ids, keyword_ids = _index(settings)
    assert len(manifest.documents) == documents
    expected = sorted(c for r in manifest.documents.values() for c in r.chunk_ids())
    assert chroma_ids == expected == keyword_ids, "a chunk is stored twice, or missing from one of the indexes"
    return chroma_ids


def test_a_moved_corpus_is_recognised_and_nothing_is_written_again(tmp_path):
    corpus = _corpus(tmp_path / "old-place" / "corpus")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    run_ingest(settings, embedder=FakeEmbedder())
    ids = _assert_one_copy_each(settings, 3)

    moved = tmp_path / "new-place" / "reports"
    shutil.move(corpus, moved)
    embedder = FakeEmbedder()
    report = run_ingest(settings.with_overrides(corpus_dir=moved), embedder=embedder)

    assert embedder.texts == [] and len(report.unchanged) == 3
    assert not (report.added or report.updated or report.removed)
    assert _assert_one_copy_each(settings, 3) == ids
    manifest = Manifest.load(settings.manifest_path)
    assert all(Path(r.path).is_relative_to(moved) for r in manifest.documents.values()), "paths still point away"


def test_a_moved_corpus_that_lost_a_report_drops_it(tmp_path):
    corpus = _corpus(tmp_path / "a" / "corpus")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    run_ingest(settings, embedder=FakeEmbedder())
    moved = tmp_path / "b" / "corpus"
    shutil.move(corpus, moved)
    (moved / "beta.md").unlink()
    report = run_ingest(settings.with_overrides(corpus_dir=moved), embedder=FakeEmbedder())
    assert [Path(s).name for s in report.removed] == ["beta.md"]
    _assert_one_copy_each(settings, 2)


def test_a_copied_data_directory_keeps_its_documents_and_uploads_once(tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    uploads = settings.data_dir / UPLOADS_FOLDER
    uploads.mkdir(parents=True)
    (uploads / "upload.md").write_text(_report("上传"), encoding="utf-8")
    run_ingest(settings, [corpus, uploads], embedder=FakeEmbedder())
    ids = _assert_one_copy_each(settings, 4)

    copy = settings.with_overrides(data_dir=tmp_path / "copied-data")
    shutil.copytree(settings.data_dir, copy.data_dir)
    embedder = FakeEmbedder()
    report = run_ingest(copy, [corpus, copy.data_dir / UPLOADS_FOLDER], embedder=embedder)

    assert embedder.texts == [] and len(report.unchanged) == 4 and not report.added
    assert _assert_one_copy_each(copy, 4) == ids
    upload = next(r for r in Manifest.load(copy.manifest_path).documents.values() if r.key == "uploads/upload.md")
    assert Path(upload.path).parent == (copy.data_dir / UPLOADS_FOLDER).resolve(), "the copy's upload path is stale"


def test_the_same_corpus_ingested_from_two_folders_is_indexed_once(tmp_path):
    first = _corpus(tmp_path / "machine-a" / "corpus")
    second = tmp_path / "machine-b" / "corpus"
    shutil.copytree(first, second)
    settings = Settings(data_dir=tmp_path / "data")
    run_ingest(settings, [first], embedder=FakeEmbedder())
    ids = _assert_one_copy_each(settings, 3)
    report = run_ingest(settings, [second], embedder=FakeEmbedder())
    assert len(report.unchanged) == 3 and not report.added
    assert _assert_one_copy_each(settings, 3) == ids


def test_one_report_at_two_places_of_the_corpus_is_two_documents(tmp_path):
    """Identity is the place plus the content: the same bytes at two paths are two documents, as two files are."""
    corpus = _corpus(tmp_path / "corpus")
    shutil.copy(corpus / "alpha.md", corpus / "sub" / "alpha-copy.md")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    run_ingest(settings, embedder=FakeEmbedder())
    manifest = Manifest.load(settings.manifest_path)
    keys = sorted(r.key for r in manifest.documents.values())
    assert keys == ["corpus/alpha.md", "corpus/beta.md", "corpus/sub/alpha-copy.md", "corpus/sub/gamma.md"]
    _assert_one_copy_each(settings, 4)


def test_an_edited_report_replaces_its_old_version(tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    run_ingest(settings, embedder=FakeEmbedder())
    old = {r.key: r.doc_id for r in Manifest.load(settings.manifest_path).documents.values()}
    (corpus / "beta.md").write_text(_report("贝塔", version=2), encoding="utf-8")
    report = run_ingest(settings, embedder=FakeEmbedder())
    assert [Path(s).name for s in report.updated] == ["beta.md"] and not report.added and not report.removed
    new = {r.key: r.doc_id for r in Manifest.load(settings.manifest_path).documents.values()}
    assert new.keys() == old.keys() and new["corpus/beta.md"] != old["corpus/beta.md"]
    assert {k for k in new if new[k] == old[k]} == {"corpus/alpha.md", "corpus/sub/gamma.md"}
    _assert_one_copy_each(settings, 3)


def test_an_index_with_absolute_path_ids_is_rebuilt_with_a_message(tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    run_ingest(settings, embedder=FakeEmbedder())
    # What version 1 wrote: the same documents under other ids, no key, manifest version 1.
    data = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    data["version"] = 1
    data["documents"] = {f"old{i}": {**r, "doc_id": f"old{i}", "key": ""}
                         for i, r in enumerate(data["documents"].values())}
    settings.manifest_path.write_text(json.dumps(data), encoding="utf-8")

    report = run_ingest(settings, embedder=FakeEmbedder())

    assert len(report.added) == 3
    assert any("older version" in w.message and "rebuilt" in w.message for w in report.warnings)
    manifest = Manifest.load(settings.manifest_path)
    assert manifest.version == MANIFEST_VERSION and not any(d.startswith("old") for d in manifest.documents)
    _assert_one_copy_each(settings, 3)


def test_the_uploads_folder_is_where_the_page_stores_uploads(tmp_path):
    from ui.uploads import uploads_dir

    settings = Settings(data_dir=tmp_path / "data")
    assert uploads_dir(settings) == settings.data_dir / UPLOADS_FOLDER
