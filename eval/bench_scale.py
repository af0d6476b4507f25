"""Scale benchmark: query latency, index build and update time, start-up time and memory from 1k to 1M chunks.

    python -m eval.bench_scale [--sizes 10000 100000 1000000] [--backend embedded server] [--queries 50]
                               [--out eval/out/bench]

The chunks are synthetic report text: sentences of the real corpus recombined at random, 2 to 6 per chunk (about 170
characters on average, a little under the product's ~240), 50 chunks per synthetic document. Embedding 100k chunks would
take hours on a CPU, so vectors are synthesized: a pool of a few hundred real corpus sentences is embedded once with the
configured embedder (cached in the output folder), and a chunk's vector is the normalised mean of the vectors of the
pool sentences it is made of (a random pair when it holds two). The sentence units the answerer scores get their pool
sentence's real vector. The vectors are therefore real-model directions, not random noise, so Chroma's HNSW graph sees a
realistic distribution (many near-duplicates included, which is harder than uniform noise). Everything else is the
product's own code path: ``ChunkStore.add`` writes Chroma (in batches of 5,000, each timed), the per-document sidecars
and the manifest are written as ingest writes them, and ``build_lexical_index`` builds BM25 from the sidecars.

At each size, in a fresh process (so memory is that size's alone): start-up (``Engine.from_settings``), the first
query, then warm ``Engine.retrieve`` and ``Engine.ask`` latency over the dev-set questions, and resident memory.
Then an update: ``run_ingest`` of one real report into the big index (its embedding plus the Chroma write and the
keyword index update, which writes one new segment; see ``eval.bench_keyword`` for that step alone). Then a second
report added as the page adds an upload: into the index already open, read by the upload check's running parser
worker; ``page_add_beyond_embed_s`` is what that costs besides embedding it.

``--backend server`` runs the same at each size against a ``chroma run`` server the benchmark starts on a free
loopback port over a temporary folder (as the tests start one) and stops afterwards: the index is written there as
an ingest with ``store.chroma_url`` writes it (``eval.bench_scale_server``), the probe's data directory is the
writing machine's cache of it, and the server's resident memory is reported beside the engine's. Sizes run in the
order given, each with every backend; ``bench_scale.json`` is rewritten after each, so a run cut short keeps what it
measured, and a stage that fails (write, probe, update) is recorded with its reason. Writes ``bench_scale.json``
and ``bench_scale.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_ingest import machine_info, rss_mb, write_json
from eval.bench_scale_corpus import ADD_BATCH, CHUNKS_PER_DOC, POOL_SIZE, Pool, sentence_pool, write_synthetic_index
from eval.metrics import percentile
from eval.report import save_figure
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
UPDATE_REPORT = "ai-platform-market-insights-2024q1.md"  # the smallest real report: the update's embedding is small
PAGE_REPORT = "llm-services-failing-the-trial-period.txt"  # the next smallest: added after it, as the page adds one


# -- measuring one size in a fresh process ---------------------------------------------------------------------------


def probe(data_dir: Path, queries: int, chroma_url: str | None = None) -> dict[str, Any]:
    """Run in a new process: start-up, first query, warm latency and memory over the index in ``data_dir`` (with
    ``chroma_url``, the index on that server, ``data_dir`` being this machine's cache of it)."""
    process_started = time.perf_counter()
    from eval.questions import load_questions
    from rag.embedders import make_embedder
    from rag.engine import Engine

    settings = Settings(data_dir=data_dir, store={"chroma_url": chroma_url} if chroma_url else {})
    questions = [q.question for q in load_questions(DEV_SET)][:queries]
    imported = time.perf_counter()
    embedder = make_embedder(settings)
    embedder_loaded = time.perf_counter()
    engine = Engine.from_settings(settings, embedder=embedder)
    opened = time.perf_counter()
    rss_open = rss_mb()
    engine.retrieve(questions[0])
    first_query = time.perf_counter() - opened
    retrieval, answers, parts = [], [], {"embed_ms": [], "dense_ms": [], "bm25_ms": []}
    for question in questions:
        started = time.perf_counter()
        found = engine.retrieve(question)
        retrieval.append((time.perf_counter() - started) * 1000)
        for name, values in parts.items():
            values.append(found.timings.get(name, 0.0))
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
        # Where retrieval's time goes: the question's embedding, the vector search (Chroma's part), BM25.
        "retrieve_parts_p50_ms": {name: round(percentile(values, 50), 1) for name, values in parts.items()},
        "ask_p50_ms": round(percentile(answers, 50), 1),
        "ask_p95_ms": round(percentile(answers, 95), 1),
        "rss_after_open_mb": rss_open,
        "rss_after_queries_mb": rss_mb(),
        "queries": len(questions),
    }


def probe_in_subprocess(data_dir: Path, queries: int, chroma_url: str | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "eval.bench_scale", "--probe", str(data_dir), "--queries", str(queries)]
    result = subprocess.run(command + (["--chroma-url", chroma_url] if chroma_url else []),
                            capture_output=True, text=True, cwd=REPO, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"probe of {data_dir} exited with {result.returncode}: {result.stderr.strip()[-1500:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["process_s"] = round(time.perf_counter() - started, 3)
    return figures


def update(settings: Settings, embedder, report: Path) -> dict[str, Any]:
    """Ingest one real report into the big index: what adding a file costs at this size."""
    from ingest.pipeline import run_ingest

    result = run_ingest(settings, paths=[report], embedder=embedder)
    if not result.ok:
        raise RuntimeError(f"ingest of {report.name} failed: {[f.reason for f in result.failed]}")
    parse = sum(result.parse_seconds.values()) + result.parser_start_seconds
    return {
        "update_s": round(result.seconds, 3),
        "update_embed_s": round(result.embed_seconds, 3),
        "update_other_s": round(result.seconds - result.embed_seconds, 3),
        # Reading the report (its parser process started, the file parsed): the same at any index size.
        "update_parse_s": round(parse, 3),
        "update_parser_start_s": round(result.parser_start_seconds, 3),
        # The index's part: everything but reading and embedding the report.
        "update_index_s": round(result.seconds - result.embed_seconds - parse, 3),
        "update_chunks": result.chunks_written,
    }


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def update_as_the_page_does(settings: Settings, embedder, report: Path) -> dict[str, Any]:
    """Add one more report as an upload on the page is added: into the index this process already has open, read
    by the parser worker that has just checked the upload (``ui.upload_queue`` lends it to the ingest)."""
    from ingest.pipeline import run_ingest
    from ingest.worker import WorkerParser
    from ui.uploads import check_upload

    worker = WorkerParser(check_upload, settings.ingest.ocr, settings.ingest.max_seconds_per_document)
    try:
        worker.prepare(report, settings)  # the upload's check, before it is indexed
        result = run_ingest(settings, paths=[report], embedder=embedder, parser=worker)
    finally:
        worker.close()
    if not result.ok:
        raise RuntimeError(f"ingest of {report.name} failed: {[f.reason for f in result.failed]}")
    return {
        "page_add_s": round(result.seconds, 3),
        "page_add_embed_s": round(result.embed_seconds, 3),
        "page_add_beyond_embed_s": round(result.seconds - result.embed_seconds, 3),
        "page_add_chunks": result.chunks_written,
    }


def measure_size(n: int, settings: Settings, embedder, pool: Pool, queries: int, seed: int, report: Path,
                 server=None, log=print) -> dict[str, Any]:
    """Write an index of ``n`` chunks (into ``server`` when given), probe it in a fresh process, add one report.

    A stage that fails (a write the store refuses, memory, a probe that dies) ends this size: the row says which
    stage and why, and keeps the figures measured before it."""
    backend = "server" if server is not None else "embedded"
    row: dict[str, Any] = {"chunks": n, "backend": backend, "niceness": os.nice(0)}
    tag = f"[{n:>7} chunks, {backend}]"
    stage = "write"
    try:
        log(f"{tag} writing the index…")
        build = write_synthetic_index(settings, embedder, pool, n, seed)
        row.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in build.items()})
        row["index_build_s"] = round(build["store_add_s"] + build["lexical_build_s"], 3)
        log(f"{tag} store add {build['store_add_s']:.1f} s, BM25 build {build['lexical_build_s']:.1f} s"
            + (f", server documents {build['server_docs_s']:.1f} s" if server is not None else "")
            + "; measuring in a fresh process…")
        stage = "probe"
        row.update(probe_in_subprocess(settings.data_dir, queries, server.url if server is not None else None))
        if server is not None:
            from eval.bench_scale_server import server_counts, server_rss_mb

            row["server_rss_after_queries_mb"] = server_rss_mb(server)
            row.update(server_counts(settings))
        stage = "update"
        row.update(update(settings, embedder, report))
        row.update(update_as_the_page_does(settings, embedder, report.with_name(PAGE_REPORT)))
        if server is not None:
            row["server_rss_after_update_mb"] = server_rss_mb(server)
    except Exception as exc:  # the benchmark's boundary: record what failed and go on to the next size
        row["failed"] = f"{stage}: {type(exc).__name__}: {str(exc)[:1500]}"
        log(f"{tag} FAILED at {row['failed']}")
    row["disk_mb"] = folder_mb(settings.data_dir)
    if server is not None:
        row["server_disk_mb"] = folder_mb(Path(server.path))
    if "failed" not in row:
        log(f"{tag} start-up {row['engine_open_s']:.2f} s, retrieve p50/p95 {row['retrieve_p50_ms']:.0f}/"
            f"{row['retrieve_p95_ms']:.0f} ms, ask p50/p95 {row['ask_p50_ms']:.0f}/{row['ask_p95_ms']:.0f} ms, "
            f"RSS {row['rss_after_queries_mb']:.0f} MB, update {row['update_s']:.1f} s "
            f"({row['update_embed_s']:.1f} s embedding, {row['update_parse_s']:.1f} s reading the report, "
            f"{row['update_index_s']:.2f} s the index's part); a second one as the page adds it "
            f"{row['page_add_s']:.1f} s, {row['page_add_beyond_embed_s']:.2f} s beyond embedding")
    return row


def run(
    sizes: Sequence[int], queries: int, workdir: Path, corpus: Path, seed: int, cache: Path | None = None,
    backends: Sequence[str] = ("embedded",), save=None, log=print, keep: bool = False,
) -> dict[str, Any]:
    """Every size with every backend, in that order; ``save(result)`` after each, so a run cut short keeps the
    sizes it finished. With ``keep``, each size's data directory stays in ``workdir`` (``--probe`` it again)."""
    from rag.embedders import make_embedder

    # The machine's embedding cache is off: the added report's embedding is measured, not looked up.
    settings = Settings(corpus_dir=corpus, ingest={"embedding_cache_mb": 0})
    embedder = make_embedder(settings)
    rng = np.random.default_rng(seed)
    pool = Pool(sentence_pool(corpus, POOL_SIZE, rng), embedder, cache=cache)
    log(f"sentence pool: {len(pool.sentences)} sentences, vectors ready in {pool.embed_seconds:.1f} s")
    result = {
        "benchmark": "scale", "embedder": embedder.name, "pool_sentences": len(pool.sentences),
        "pool_embed_s": round(pool.embed_seconds, 2), "chunks_per_document": CHUNKS_PER_DOC,
        "store_add_batch": ADD_BATCH, "queries": queries, "seed": seed, "update_report": UPDATE_REPORT,
        "page_report": PAGE_REPORT, "sizes": [],
    }
    for n in sizes:
        for backend in backends:
            started = time.perf_counter()
            data_dir = workdir / f"n{n}-{backend}"
            shutil.rmtree(data_dir, ignore_errors=True)
            size_settings = settings.with_overrides(data_dir=data_dir)
            if backend == "server":
                from eval.bench_scale_server import chroma_server

                with chroma_server(workdir / f"n{n}-chroma-server", log=log) as server:
                    size_settings = size_settings.with_overrides(store={"chroma_url": server.url})
                    row = measure_size(n, size_settings, embedder, pool, queries, seed, corpus / UPDATE_REPORT,
                                       server=server, log=log)
                shutil.rmtree(workdir / f"n{n}-chroma-server", ignore_errors=True)
            else:
                row = measure_size(n, size_settings, embedder, pool, queries, seed, corpus / UPDATE_REPORT, log=log)
            row["wall_s"] = round(time.perf_counter() - started, 1)
            row["machine"] = machine_info()
            result["sizes"].append(row)
            if not keep:
                shutil.rmtree(data_dir, ignore_errors=True)
            if save is not None:
                save(result)
    result["machine"] = machine_info()
    return result


def chart(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["sizes"] if "failed" not in r]
    backends = list(dict.fromkeys(r.get("backend", "embedded") for r in rows))
    panels = (
        ("Index build (s)", (("store_add_s", "Chroma add"), ("lexical_build_s", "BM25 build"),
                             ("update_s", "update: ingest 1 report"))),
        ("Query latency (ms)", (("retrieve_p50_ms", "retrieve p50"), ("retrieve_p95_ms", "retrieve p95"),
                                ("ask_p50_ms", "ask p50"), ("ask_p95_ms", "ask p95"))),
        ("Start-up (s)", (("engine_open_s", "Engine.from_settings"), ("first_query_s", "first query"),
                          ("embedder_load_s", "embedder load"))),
        ("Memory and disk (MB)", (("rss_after_open_mb", "RSS after start"), ("rss_after_queries_mb",
                                  "RSS after queries"), ("server_rss_after_queries_mb", "chroma run RSS"),
                                  ("disk_mb", "data dir on disk"))),
    )
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (title, series) in zip(axes.flat, panels):
        for backend in backends:
            picked = [r for r in rows if r.get("backend", "embedded") == backend]
            for key, label in series:
                if any(key in r for r in picked):
                    ax.plot([r["chunks"] for r in picked], [r.get(key, math.nan) for r in picked], marker="o",
                            linestyle="-" if backend == "embedded" else "--", label=f"{label} ({backend})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("ReportQA cost as the index grows (synthetic chunks, log-log; dashed: chroma run server)")
    return save_figure(fig, path)


def table(result: dict[str, Any]) -> list[str]:
    """The figures as printed: one line per size and backend, failures with their reason."""
    columns = (("chunks", 8, "d"), ("backend", 8, "s"), ("build s", 8, ".1f"), ("bm25 s", 7, ".1f"),
               ("open s", 7, ".2f"), ("retr p50", 8, ".0f"), ("retr p95", 8, ".0f"), ("ask p50", 8, ".0f"),
               ("ask p95", 8, ".0f"), ("RSS MB", 7, ".0f"), ("srv MB", 7, ".0f"), ("add s", 7, ".2f"),
               ("embed s", 7, ".2f"), ("read s", 7, ".2f"), ("index s", 7, ".2f"), ("page +s", 7, ".2f"),
               ("took s", 7, ".0f"))
    keys = ("chunks", "backend", "index_build_s", "lexical_build_s", "engine_open_s", "retrieve_p50_ms",
            "retrieve_p95_ms", "ask_p50_ms", "ask_p95_ms", "rss_after_queries_mb", "server_rss_after_queries_mb",
            "update_s", "update_embed_s", "update_parse_s", "update_index_s", "page_add_beyond_embed_s", "wall_s")
    lines = [" ".join(f"{name:>{width}}" for name, width, _ in columns)]
    for r in result["sizes"]:
        cells = []
        for key, (_, width, spec) in zip(keys, columns):
            value = r.get(key)
            cells.append(f"{value:>{width}{spec}}" if value is not None else f"{'-':>{width}}")
        lines.append(" ".join(cells))
        if "failed" in r:
            lines.append(f"{'':>8} failed at {r['failed']}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--backend", nargs="+", choices=("embedded", "server"), default=["embedded"],
                        help="embedded Chroma in the data directory, and/or a `chroma run` server the benchmark "
                             "starts on a free loopback port over a temporary folder (each size, every backend)")
    parser.add_argument("--queries", type=int, default=50, help="dev-set questions timed at each size")
    parser.add_argument("--corpus", type=Path, default=None, help="reports to draw sentences from (default corpus/)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the indexes are built (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true",
                        help="keep each size's index in --workdir (measure it again with --probe DATA_DIR)")
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench"))
    parser.add_argument("--probe", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe is not None:
        print(json.dumps(probe(args.probe, args.queries, args.chroma_url)))
        return 0
    corpus = args.corpus or Settings().corpus_dir
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "bench_scale.json"
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    if args.keep and args.workdir is None:
        parser.error("--keep needs --workdir")
    workdir = (contextlib.nullcontext(str(args.workdir)) if args.keep else tempfile.TemporaryDirectory(
        prefix="reportqa-bench-scale-", dir=args.workdir, ignore_cleanup_errors=True))
    with workdir as tmp:
        result = run(args.sizes, args.queries, Path(tmp), corpus, args.seed, cache=args.out, backends=args.backend,
                     save=lambda partial: write_json(json_path, partial), keep=args.keep)
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["chart"] = str(chart(result, args.out / "bench_scale.png"))
    result["json"] = str(write_json(json_path, result))
    print("\n".join(table(result)))
    print(f"machine: {result['machine']['cpus']} CPUs, load {result['machine']['load_average_1m']}; "
          f"total {result['total_s']:.0f} s")
    print(f"wrote {result['json']} and {result['chart']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
