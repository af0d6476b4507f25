"""Two machines sharing one index on a ``chroma run`` server: what the server costs and what a second machine pays.

    python -m eval.bench_shared [--reports 5] [--queries 30] [--out eval/out/bench]

A ``chroma run`` server is started over a temporary folder (as the tests start it, ``tests/chroma_server.py``).
Machine A (a data directory and a copy of the first ``--reports`` reports of ``corpus/``, smallest first) ingests
them; machine B (an empty data directory) opens the engine, which copies the documents, sentence vectors and
manifest from the server and builds its keyword index. Then the dev-set questions (the first ``--queries``) are
asked on both: retrieval and answer latency on each, and how many answers B gives exactly as A (text and
citations). Then the check a question makes that nothing changed on the server (one request), and A adds one
report (the smallest of the rest, or a small one written here): B's next refresh copies it and updates its keyword
index. Prints the figures and writes ``bench_shared.json``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench_ingest import machine_info, rss_mb, write_json
from eval.bench_query import summary_ms
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
EXTRA_REPORT = "# 火星温室农业投资观察\n\n## 投资\n\n火星温室农业项目在2031年的投资额达到七百二十亿元，主要用于建设穹顶温室。\n"


def _chroma_server_class():
    sys.path.insert(0, str(REPO / "tests"))
    from chroma_server import ChromaServer

    return ChromaServer


def _questions(limit: int) -> list[str]:
    from eval.questions import load_questions

    return [q.question for q in load_questions(DEV_SET)][:limit]


def _timed(call) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, (time.perf_counter() - started) * 1000.0


def _ask_all(engine, questions: list[str]) -> tuple[list[tuple], dict, dict]:
    """Answers (text and citations) and latency figures: retrieval, its question embedding and vector search
    (the server's part), and the whole answer."""
    records, parts = [], {"retrieval": [], "embed": [], "vector_search": [], "answer": []}
    for question in questions:
        found, ms = _timed(lambda: engine.retrieve(question))
        parts["retrieval"].append(ms)
        parts["embed"].append(found.timings.get("embed_ms", 0.0))
        parts["vector_search"].append(found.timings.get("dense_ms", 0.0))
        result, ms = _timed(lambda: engine.ask(question))
        parts["answer"].append(ms)
        records.append((result.text, [(c.chunk.id, c.quote_start, c.quote_end) for c in result.citations]))
    return records, {name: summary_ms(values) for name, values in parts.items()}


def run(reports: int, queries: int, out: Path) -> dict[str, Any]:
    from ingest.pipeline import run_ingest
    from rag.embedders import make_embedder
    from rag.engine import Engine

    files = sorted((p for p in (REPO / "corpus").iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    shared, rest = files[:reports], files[reports:]
    root = Path(tempfile.mkdtemp(prefix="bench-shared-"))
    server = _chroma_server_class()(root / "server", root / "chroma.log")
    server.start()
    try:
        corpus = root / "a" / "corpus"
        corpus.mkdir(parents=True)
        for path in shared:
            shutil.copy(path, corpus / path.name)
        a = Settings(data_dir=root / "a" / "data", corpus_dir=corpus, store={"chroma_url": server.url})
        b = Settings(data_dir=root / "b" / "data", corpus_dir=root / "b" / "corpus", store={"chroma_url": server.url})
        embedder = make_embedder(a)
        ingest = run_ingest(a, embedder=embedder)
        on_a = Engine.from_settings(a, embedder=embedder)
        on_b, b_start_ms = _timed(lambda: Engine.from_settings(b, embedder=embedder))
        questions = _questions(queries)
        _ask_all(on_a, questions[:3]), _ask_all(on_b, questions[:3])  # warm-up
        a_records, on_a_ms = _ask_all(on_a, questions)
        b_records, on_b_ms = _ask_all(on_b, questions)
        checks = [_timed(on_b.refresh)[1] for _ in range(50)]

        if rest:
            shutil.copy(rest[0], corpus / rest[0].name)
        else:
            (corpus / "extra.md").write_text(EXTRA_REPORT, encoding="utf-8")
        added = run_ingest(a, embedder=embedder)
        _, b_refresh_ms = _timed(on_b.refresh)
        result = {
            "machine": machine_info(),
            "reports": len(shared),
            "chunks": ingest.chunks_written,
            "a_ingest_s": round(ingest.seconds, 2),
            "a_ingest_embedding_s": round(ingest.embed_seconds, 2),
            "b_first_start_s": round(b_start_ms / 1000, 2),
            "questions": len(questions),
            "identical_answers": sum(x == y for x, y in zip(a_records, b_records)),
            "a": on_a_ms, "b": on_b_ms,
            "unchanged_check": summary_ms(checks),
            "add_one_report": {"report": (rest[0].name if rest else "extra.md"), "chunks": added.chunks_written,
                               "a_ingest_s": round(added.seconds, 2), "a_embedding_s": round(added.embed_seconds, 2),
                               "b_refresh_s": round(b_refresh_ms / 1000, 2)},
            "rss_mb": rss_mb(),
        }
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    write_json(out / "bench_shared.json", result)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5, help="Reports A ingests first (smallest first).")
    parser.add_argument("--queries", type=int, default=30, help="Dev-set questions asked on each machine.")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "out" / "bench")
    args = parser.parse_args(argv)
    result = run(args.reports, args.queries, args.out)
    m, add = result["machine"], result["add_one_report"]
    print(f"machine: {m['cpus']} CPUs, load average {m['load_average_1m']} at the end")
    print(f"A ingests {result['reports']} reports ({result['chunks']} chunks) into the server: "
          f"{result['a_ingest_s']} s ({result['a_ingest_embedding_s']} s of it embedding)")
    print(f"B (never ingested) opens the engine, copying everything from the server: {result['b_first_start_s']} s")
    print(f"{result['questions']} dev questions, identical answers and citations on A and B: "
          f"{result['identical_answers']}/{result['questions']}")
    for side in ("a", "b"):
        for name, figures in result[side].items():
            print(f"  {side.upper()} {name:14s} p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
    check = result["unchanged_check"]
    print(f"  the check that nothing changed on the server, per refresh: p50 {check['p50_ms']} ms, "
          f"p95 {check['p95_ms']} ms")
    print(f"A adds {add['report']} ({add['chunks']} chunks): {add['a_ingest_s']} s ({add['a_embedding_s']} s "
          f"embedding); B's next refresh picks it up in {add['b_refresh_s']} s")
    print(f"RSS of this process (both engines): {result['rss_mb']} MB")


if __name__ == "__main__":
    main()
