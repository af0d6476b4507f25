"""Scale benchmark: query latency, index build and update time, start-up time and memory at 1k, 10k, 100k chunks.

    python -m eval.bench_scale [--sizes 1000 10000 100000] [--queries 50] [--out eval/out/bench]

The chunks are synthetic report text: sentences of the real corpus recombined at random, 2 to 6 per chunk (about 170
characters on average, a little under the product's ~240), 50 chunks per synthetic document. Embedding 100k chunks would take hours on a CPU, so vectors
are synthesized: a pool of a few hundred real corpus sentences is embedded once with the configured embedder (cached
in the output folder), and a chunk's vector is the normalised mean of the vectors of the pool sentences it is made of
(a random pair when it holds two). The sentence units the answerer scores get their pool sentence's real vector.
The vectors are therefore real-model directions, not random noise, so Chroma's HNSW graph sees a realistic
distribution (many near-duplicates included, which is harder than uniform noise). Everything else is the product's
own code path: ``ChunkStore.add`` writes Chroma (in batches of 5,000, each timed), the per-document sidecars and the
manifest are written as ingest writes them, and ``build_lexical_index`` builds BM25 from the sidecars.

At each size, in a fresh process (so memory is that size's alone): start-up (``Engine.from_settings``), the first
query, then warm ``Engine.retrieve`` and ``Engine.ask`` latency over the dev-set questions, and resident memory.
Then an update: ``run_ingest`` of one real report into the big index (its embedding plus the Chroma write and the
keyword index update, which writes one new segment; see ``eval.bench_keyword`` for that step alone). Writes ``bench_scale.json`` and
``bench_scale.png``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_ingest import machine_info, rss_mb, write_json
from eval.metrics import percentile
from eval.report import save_figure
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
UPDATE_REPORT = "ai-platform-market-insights-2024q1.md"  # the smallest real report: the update's embedding is small
POOL_SIZE = 400
CHUNKS_PER_DOC = 50
ADD_BATCH = 5000
SENTENCES_PER_CHUNK = (2, 6)
SECTIONS = ("一、市场概况", "二、竞争格局", "三、技术趋势", "四、典型案例", "五、挑战与建议", "六、展望")


# -- the synthetic corpus ------------------------------------------------------------------------------------------


def sentence_pool(corpus_dir: Path, size: int, rng: np.random.Generator) -> list[str]:
    """``size`` distinct sentences of the real reports, 12 to 160 characters, no table rows or headings."""
    from ingest.loaders import SUPPORTED_EXTENSIONS, load_document
    from rag.text import sentence_spans

    sentences: set[str] = set()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS):
        text = load_document(path).text
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if 12 <= len(sentence) <= 160 and not sentence.startswith(("|", "#", "-", "*")) and "\t" not in sentence:
                sentences.add(sentence)
    ordered = sorted(sentences)
    if len(ordered) < size:
        return ordered
    return [ordered[i] for i in sorted(rng.choice(len(ordered), size=size, replace=False))]


class Pool:
    """The embedded sentence pool: texts, unit vectors and lexical tokens, each computed once."""

    def __init__(self, sentences: list[str], embedder, cache: Path | None = None, batch_size: int = 32) -> None:
        from rag.text import tokenize

        self.sentences = sentences
        started = time.perf_counter()
        key = hashlib.sha256("\n".join([embedder.name, *sentences]).encode("utf-8")).hexdigest()[:16]
        cached = cache / f"bench_scale_pool-{key}.npy" if cache else None
        if cached and cached.exists():
            self.vectors = np.load(cached)
        else:
            batches = range(0, len(sentences), batch_size)
            parts = [embedder.embed_passages(sentences[i : i + batch_size]) for i in batches]
            self.vectors = np.vstack(parts).astype(np.float32)
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, self.vectors)
        self.embed_seconds = time.perf_counter() - started
        # Sentences end at punctuation, so the tokens of a chunk are the tokens of its sentences in order.
        self.tokens = [tokenize(s) for s in sentences]
        self.section_tokens = {s: tokenize(s) for s in SECTIONS}


def write_synthetic_index(settings: Settings, embedder, pool: Pool, n_chunks: int, seed: int) -> dict[str, Any]:
    """Write ``n_chunks`` synthetic chunks as ingest would: sidecars, sentence vectors, Chroma, manifest, BM25."""
    from rag.docfiles import write_sentence_vectors, write_sidecar
    from rag.lexical import build_lexical_index
    from rag.manifest import DocumentRecord, Manifest, chunk_id
    from rag.models import Chunk
    from rag.store import ChunkStore

    rng = np.random.default_rng(seed)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = ChunkStore.open(settings, embedder.name, embedder.dim, create=True)
    manifest = Manifest(embedder=embedder.name, dim=embedder.dim)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    timings = {"synthesize_s": 0.0, "store_add_s": 0.0, "store_add_batches_s": []}
    pending: list[tuple[Chunk, np.ndarray, str]] = []

    def flush() -> None:
        started = time.perf_counter()
        store.add([c for c, _, _ in pending], np.vstack([v for _, v, _ in pending]), context=[s for _, _, s in pending])
        elapsed = time.perf_counter() - started
        timings["store_add_s"] += elapsed
        timings["store_add_batches_s"].append(round(elapsed, 3))
        pending.clear()

    total_chars = 0
    for d in range(math.ceil(n_chunks / CHUNKS_PER_DOC)):
        started = time.perf_counter()
        doc_id = f"synth{d:011d}"
        title = f"合成行业报告 {d:05d}"
        count = min(CHUNKS_PER_DOC, n_chunks - d * CHUNKS_PER_DOC)
        text_parts: list[str] = []
        spans: list[tuple[int, int, str, list[int]]] = []
        sentence_spans: list[list[int]] = []
        sentence_rows: list[int] = []
        position = 0
        for c in range(count):
            picks = rng.choice(len(pool.sentences), size=int(rng.integers(*SENTENCES_PER_CHUNK, endpoint=True)))
            section = SECTIONS[(c * len(SECTIONS)) // count]
            start = position
            for i in picks:
                sentence = pool.sentences[i]
                sentence_spans.append([position, position + len(sentence)])
                sentence_rows.append(int(i))
                text_parts.append(sentence)
                position += len(sentence)
            spans.append((start, position, section, [int(i) for i in picks]))
            text_parts.append("\n")
            position += 1
        text = "".join(text_parts)
        total_chars += len(text)
        content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        source = f"synthetic/{doc_id}.txt"
        sidecar_chunks = []
        for index, (start, end, section, picks) in enumerate(spans):
            chunk = Chunk(id=chunk_id(doc_id, index), doc_id=doc_id, index=index, source=source,
                          title=title, section=section, start=start, end=end, text=text[start:end], lang="zh")
            vector = pool.vectors[picks].mean(axis=0)
            pending.append((chunk, vector / (np.linalg.norm(vector) or 1.0), section))
            tokens = pool.section_tokens[section] + [t for i in picks for t in pool.tokens[i]]
            sidecar_chunks.append({"id": chunk.id, "start": start, "end": end, "section": section, "page": None,
                                   "tokens": " ".join(tokens)})
        write_sidecar(settings.docs_dir, doc_id, {
            "doc_id": doc_id, "source": source, "title": title, "content_hash": content_hash, "text": text,
            "pages": [], "chunks": sidecar_chunks, "sentences": sentence_spans,
        })
        write_sentence_vectors(settings.docs_dir, doc_id, pool.vectors[sentence_rows])
        manifest.documents[doc_id] = DocumentRecord(
            doc_id=doc_id, path=f"/synthetic/{doc_id}.txt", source=source, title=title, lang="zh", kind="text",
            content_hash=content_hash, config_hash="synthetic", n_chunks=count, chars=len(text), ingested_at=now,
        )
        manifest.generation += 1
        timings["synthesize_s"] += time.perf_counter() - started
        if len(pending) >= ADD_BATCH:
            flush()
    if pending:
        flush()
    manifest.save(settings.manifest_path)
    started = time.perf_counter()
    build_lexical_index(settings.lexical_dir, settings.docs_dir, manifest)
    timings["lexical_build_s"] = time.perf_counter() - started
    timings["chunks_in_store"] = store.count()
    timings["avg_chunk_chars"] = round(total_chars / max(n_chunks, 1), 1)
    return timings


# -- measuring one size in a fresh process ---------------------------------------------------------------------------


def probe(data_dir: Path, queries: int) -> dict[str, Any]:
    """Run in a new process: start-up, first query, warm latency and memory over the index in ``data_dir``."""
    process_started = time.perf_counter()
    from eval.questions import load_questions
    from rag.embedders import make_embedder
    from rag.engine import Engine

    settings = Settings(data_dir=data_dir)
    questions = [q.question for q in load_questions(DEV_SET)][:queries]
    imported = time.perf_counter()
    embedder = make_embedder(settings)
    embedder_loaded = time.perf_counter()
    engine = Engine.from_settings(settings, embedder=embedder)
    opened = time.perf_counter()
    rss_open = rss_mb()
    engine.retrieve(questions[0])
    first_query = time.perf_counter() - opened
    retrieval, answers = [], []
    for question in questions:
        started = time.perf_counter()
        engine.retrieve(question)
        retrieval.append((time.perf_counter() - started) * 1000)
    for question in questions:
        started = time.perf_counter()
        engine.ask(question)
        answers.append((time.perf_counter() - started) * 1000)
    return {
        "imports_s": round(imported - process_started, 3),
        "embedder_load_s": round(embedder_loaded - imported, 3),
        "engine_open_s": round(opened - embedder_loaded, 3),
        "first_query_s": round(first_query, 3),
        "retrieve_p50_ms": round(percentile(retrieval, 50), 1),
        "retrieve_p95_ms": round(percentile(retrieval, 95), 1),
        "ask_p50_ms": round(percentile(answers, 50), 1),
        "ask_p95_ms": round(percentile(answers, 95), 1),
        "rss_after_open_mb": rss_open,
        "rss_after_queries_mb": rss_mb(),
        "queries": len(questions),
    }


def probe_in_subprocess(data_dir: Path, queries: int) -> dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "eval.bench_scale", "--probe", str(data_dir), "--queries", str(queries)],
        capture_output=True, text=True, cwd=REPO, timeout=1800,
    )
    if result.returncode != 0:
        raise SystemExit(f"probe of {data_dir} failed: {result.stderr.strip()[-1500:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["process_s"] = round(time.perf_counter() - started, 3)
    return figures


def update(settings: Settings, embedder, report: Path) -> dict[str, Any]:
    """Ingest one real report into the big index: what adding a file costs at this size."""
    from ingest.pipeline import run_ingest

    result = run_ingest(settings, paths=[report], embedder=embedder)
    return {
        "update_s": round(result.seconds, 3),
        "update_embed_s": round(result.embed_seconds, 3),
        "update_other_s": round(result.seconds - result.embed_seconds, 3),
        "update_chunks": result.chunks_written,
    }


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def run(
    sizes: Sequence[int], queries: int, workdir: Path, corpus: Path, seed: int, cache: Path | None = None, log=print
) -> dict[str, Any]:
    from rag.embedders import make_embedder

    settings = Settings(corpus_dir=corpus)
    embedder = make_embedder(settings)
    rng = np.random.default_rng(seed)
    pool = Pool(sentence_pool(corpus, POOL_SIZE, rng), embedder, cache=cache)
    log(f"sentence pool: {len(pool.sentences)} sentences, vectors ready in {pool.embed_seconds:.1f} s")
    results = []
    for n in sizes:
        started = time.perf_counter()
        data_dir = workdir / f"n{n}"
        shutil.rmtree(data_dir, ignore_errors=True)
        size_settings = settings.with_overrides(data_dir=data_dir)
        log(f"[{n:>7} chunks] writing the index…")
        build = write_synthetic_index(size_settings, embedder, pool, n, seed)
        log(f"[{n:>7} chunks] store add {build['store_add_s']:.1f} s, BM25 build {build['lexical_build_s']:.1f} s; "
            "measuring in a fresh process…")
        measured = probe_in_subprocess(data_dir, queries)
        changed = update(size_settings, embedder, corpus / UPDATE_REPORT)
        row = {
            "chunks": n,
            **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in build.items()},
            "index_build_s": round(build["store_add_s"] + build["lexical_build_s"], 3),
            **measured,
            **changed,
            "disk_mb": folder_mb(data_dir),
            "wall_s": round(time.perf_counter() - started, 1),
        }
        results.append(row)
        log(f"[{n:>7} chunks] start-up {row['engine_open_s']:.2f} s, retrieve p50/p95 {row['retrieve_p50_ms']:.0f}/"
            f"{row['retrieve_p95_ms']:.0f} ms, ask p50/p95 {row['ask_p50_ms']:.0f}/{row['ask_p95_ms']:.0f} ms, "
            f"RSS {row['rss_after_queries_mb']:.0f} MB, update {row['update_s']:.1f} s, took {row['wall_s']:.0f} s")
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "benchmark": "scale",
        "embedder": embedder.name,
        "pool_sentences": len(pool.sentences),
        "pool_embed_s": round(pool.embed_seconds, 2),
        "chunks_per_document": CHUNKS_PER_DOC,
        "store_add_batch": ADD_BATCH,
        "queries": queries,
        "seed": seed,
        "sizes": results,
        "machine": machine_info(),
    }


def chart(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["sizes"]
    xs = [r["chunks"] for r in rows]
    panels = (
        ("Index build (s)", (("store_add_s", "Chroma add"), ("lexical_build_s", "BM25 build"),
                             ("update_s", "update: ingest 1 report"))),
        ("Query latency (ms)", (("retrieve_p50_ms", "retrieve p50"), ("retrieve_p95_ms", "retrieve p95"),
                                ("ask_p50_ms", "ask p50"), ("ask_p95_ms", "ask p95"))),
        ("Start-up (s)", (("engine_open_s", "Engine.from_settings"), ("first_query_s", "first query"),
                          ("embedder_load_s", "embedder load"))),
        ("Memory and disk (MB)", (("rss_after_open_mb", "RSS after start"),
                                  ("rss_after_queries_mb", "RSS after queries"), ("disk_mb", "data dir on disk"))),
    )
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, (title, series) in zip(axes.flat, panels):
        for key, label in series:
            ax.plot(xs, [r.get(key, math.nan) for r in rows], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("ReportQA cost as the index grows (synthetic chunks, log-log)")
    return save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=50, help="dev-set questions timed at each size")
    parser.add_argument("--corpus", type=Path, default=None, help="reports to draw sentences from (default corpus/)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the indexes are built (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench"))
    parser.add_argument("--probe", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe is not None:
        print(json.dumps(probe(args.probe, args.queries)))
        return 0
    corpus = args.corpus or Settings().corpus_dir
    started = time.perf_counter()
    workdir = tempfile.TemporaryDirectory(prefix="reportqa-bench-scale-", dir=args.workdir, ignore_cleanup_errors=True)
    with workdir as tmp:
        result = run(args.sizes, args.queries, Path(tmp), corpus, args.seed, cache=args.out)
    result["total_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    result["chart"] = str(chart(result, args.out / "bench_scale.png"))
    result["json"] = str(write_json(args.out / "bench_scale.json", result))
    header = f"{'chunks':>8} {'build s':>8} {'add s':>7} {'bm25 s':>7} {'update s':>8} {'open s':>7} " \
             f"{'retr p50':>8} {'retr p95':>8} {'ask p50':>8} {'ask p95':>8} {'RSS MB':>7} {'disk MB':>7} {'took s':>7}"
    print(header)
    for r in result["sizes"]:
        print(f"{r['chunks']:>8} {r['index_build_s']:>8.1f} {r['store_add_s']:>7.1f} {r['lexical_build_s']:>7.1f} "
              f"{r['update_s']:>8.1f} {r['engine_open_s']:>7.2f} "
              f"{r['retrieve_p50_ms']:>8.0f} {r['retrieve_p95_ms']:>8.0f} "
              f"{r['ask_p50_ms']:>8.0f} {r['ask_p95_ms']:>8.0f} {r['rss_after_queries_mb']:>7.0f} {r['disk_mb']:>7.0f} "
              f"{r['wall_s']:>7.0f}")
    print(f"machine: {result['machine']['cpus']} CPUs, load {result['machine']['load_average_1m']}; "
          f"total {result['total_s']:.0f} s")
    print(f"wrote {result['json']} and {result['chart']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
