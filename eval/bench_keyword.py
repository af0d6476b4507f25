"""Keyword index benchmark: what adding one report costs the keyword index, and BM25 search latency, by index size.

    python -m eval.bench_keyword [--sizes 10000 100000] [--queries 50] [--repeats 5]

Synthetic chunks are made as in ``eval.bench_scale_corpus`` (real report sentences recombined, 50 chunks per document),
but only their tokens are written (sidecars and manifest; no vectors, no Chroma): the unit measured is the keyword
index. At each size: the index is built once over every chunk (drawn from 400 sentences); then one 50-chunk report is
added ``--repeats`` times (a new one each time, drawn from the corpus's other sentences, so it brings new words as a
real report does) and ingest's keyword step after a write is timed (``update_lexical_index`` when this
code has it, else ``build_lexical_index``, the full rebuild older versions ran after every change), together with
the manifest saves ingest does around one document's write; then the index is loaded as a fresh process would and
``LexicalIndex.search`` is timed over the dev-set questions' tokens. Runs unchanged against an older checkout
(``PYTHONPATH=<checkout>``), which is how the before/after figures are made.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
CHUNKS_PER_DOC = 50
POOL_SIZE = 400


def _keyword_step():
    """The keyword index update ingest runs after a write, and its name (the code under test decides)."""
    import rag.index.lexical as lexical

    if hasattr(lexical, "update_lexical_index"):
        return lexical.update_lexical_index, "update_lexical_index (incremental)"
    return lexical.build_lexical_index, "build_lexical_index (full rebuild)"


def _write_doc(settings, manifest, pool_tokens: list[list[str]], number: int, rng: np.random.Generator) -> None:
    """One synthetic report's sidecar and manifest record (tokens only)."""
    from rag.index.docfiles import write_sidecar
    from rag.index.manifest import DocumentRecord

    doc_id = f"bench{number:011d}"
    chunks = []
    for index in range(CHUNKS_PER_DOC):
        picks = rng.choice(len(pool_tokens), size=int(rng.integers(2, 6, endpoint=True)))
        tokens = [t for i in picks for t in pool_tokens[i]]
        chunks.append({"id": f"{doc_id}-{index:05d}", "start": 0, "end": 0, "section": "", "page": None,
                       "tokens": " ".join(tokens)})
    content_hash = hashlib.sha256(doc_id.encode()).hexdigest()
    source = f"synthetic/{doc_id}.txt"
    write_sidecar(settings.docs_dir, doc_id, {"doc_id": doc_id, "source": source, "title": doc_id,
                                              "content_hash": content_hash, "text": "", "chunks": chunks})
    manifest.documents[doc_id] = DocumentRecord(
        doc_id=doc_id, path=f"/synthetic/{doc_id}.txt", source=source, title=doc_id, lang="zh", kind="text",
        content_hash=content_hash, config_hash="synthetic", n_chunks=CHUNKS_PER_DOC, chars=0,
        ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    manifest.generation += 1


def measure(size: int, workdir: Path, pools, questions: list[list[str]], repeats: int, seed: int) -> dict:
    from rag.index.lexical import LexicalIndex, build_lexical_index
    from rag.index.manifest import Manifest
    from rag.settings import Settings

    pool_tokens, new_tokens = pools
    step, step_name = _keyword_step()
    settings = Settings(data_dir=workdir / f"n{size}")
    rng = np.random.default_rng(seed)
    manifest = Manifest()
    docs = math.ceil(size / CHUNKS_PER_DOC)
    for number in range(docs):
        _write_doc(settings, manifest, pool_tokens, number, rng)
    manifest.save(settings.manifest_path)
    started = time.perf_counter()
    build_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    build_s = time.perf_counter() - started
    adds, saves = [], []
    for extra in range(repeats):
        _write_doc(settings, manifest, new_tokens, docs + extra, rng)
        started = time.perf_counter()
        for _ in range(3):  # pending, complete, and the save before the keyword step (see ingest.pipeline)
            manifest.save(settings.manifest_path)
        saves.append(time.perf_counter() - started)
        started = time.perf_counter()
        step(settings.lexical_dir, settings.docs_dir, manifest)
        adds.append(time.perf_counter() - started)
    started = time.perf_counter()
    index = LexicalIndex.load(settings.lexical_dir)
    load_s = time.perf_counter() - started
    latencies = []
    for tokens in questions:
        started = time.perf_counter()
        index.search(tokens, 40)
        latencies.append((time.perf_counter() - started) * 1000)
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    return {
        "chunks": size, "step": step_name, "build_s": build_s, "add_keyword_s": statistics.median(adds),
        "add_keyword_max_s": max(adds), "manifest_saves_s": statistics.median(saves), "load_s": load_s,
        "search_p50_ms": float(np.percentile(latencies, 50)), "search_p95_ms": float(np.percentile(latencies, 95)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_keyword", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5, help="reports added one at a time at each size")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from eval.bench_scale_corpus import sentence_pool
    from eval.questions import load_questions
    from rag.text.primitives import tokenize

    rng = np.random.default_rng(args.seed)
    every = sentence_pool(args.corpus, 10**9, rng)
    chosen = set(rng.choice(len(every), size=min(POOL_SIZE, len(every) // 2), replace=False).tolist())
    pools = ([tokenize(s) for i, s in enumerate(every) if i in chosen],
             [tokenize(s) for i, s in enumerate(every) if i not in chosen])
    questions = [tokenize(q.question) for q in load_questions(DEV_SET)][: args.queries]
    print(f"{'chunks':>8} {'build s':>8} {'add: keyword s':>15} {'(max)':>6} {'manifest s':>11} {'load s':>7} "
          f"{'bm25 p50 ms':>12} {'p95 ms':>7}  step")
    with tempfile.TemporaryDirectory(prefix="reportqa-bench-keyword-") as tmp:
        for size in args.sizes:
            r = measure(size, Path(tmp), pools, questions, args.repeats, args.seed)
            print(f"{r['chunks']:>8} {r['build_s']:>8.2f} {r['add_keyword_s']:>15.3f} {r['add_keyword_max_s']:>6.2f} "
                  f"{r['manifest_saves_s']:>11.3f} {r['load_s']:>7.2f} {r['search_p50_ms']:>12.2f} "
                  f"{r['search_p95_ms']:>7.2f}  {r['step']}", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
