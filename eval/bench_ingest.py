"""Ingest benchmark: seconds and chunks/s for the corpus, against the raw embedder throughput on the same texts.

    python -m eval.bench_ingest [--corpus corpus] [--out eval/out/bench]

Ingests the corpus into a fresh temporary data directory (everything: loading, cleaning, chunking, embedding chunks
and the sentence units the answerer quotes, writing Chroma, the sidecars and the BM25 index), then re-ingests with
nothing changed, then times ``embedder.embed_passages`` alone on the stored chunk texts and on chunk + sentence texts
(what ingest embeds, in the same batch size). Prints the figures and writes ``bench_ingest.json`` and
``bench_ingest.png`` to the output folder. Figures depend on the machine and its load (the JSON records both).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.report import save_figure
from rag.settings import Settings


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: CPU count, load average at the time, Python."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(load[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports ``ru_maxrss`` in KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def embed_all(embedder, texts: Sequence[str], batch_size: int) -> float:
    """Seconds to embed ``texts`` in batches of ``batch_size`` (as ingest does)."""
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        embedder.embed_passages(list(texts[i : i + batch_size]))
    return time.perf_counter() - started


def stored_texts(settings: Settings) -> tuple[list[str], list[str]]:
    """The chunk texts in the store and the sentence units in the sidecars (what ingest embedded, minus headers)."""
    from rag.index.docfiles import read_sidecar
    from rag.index.manifest import Manifest

    manifest = Manifest.load(settings.manifest_path)
    chunks: list[str] = []
    sentences: list[str] = []
    for record in manifest.complete():
        sidecar = read_sidecar(settings.docs_dir, record.doc_id) or {}
        text = sidecar.get("text", "")
        chunks.extend(text[c["start"] : c["end"]] for c in sidecar.get("chunks", []))
        sentences.extend(text[s:e] for s, e in sidecar.get("sentences", []))
    return chunks, sentences


def run(corpus: Path, workdir: Path) -> dict[str, Any]:
    from ingest.pipeline import run_ingest
    from rag.embedders import make_embedder

    settings = Settings(data_dir=workdir / "data", corpus_dir=corpus)
    started = time.perf_counter()
    embedder = make_embedder(settings)
    load_s = time.perf_counter() - started

    first = run_ingest(settings, embedder=embedder)
    if first.failed:
        raise SystemExit(f"ingest failed for {[f.path for f in first.failed]}")
    again = run_ingest(settings, embedder=embedder)
    chunks, sentences = stored_texts(settings)
    batch = settings.ingest.embed_batch_size
    raw_chunks_s = embed_all(embedder, chunks, batch)
    raw_all_s = embed_all(embedder, chunks + sentences, batch)
    n = first.chunks_written
    return {
        "benchmark": "ingest",
        "corpus": str(corpus),
        "documents": len(first.added),
        "corpus_bytes": sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()),
        "chunks": n,
        "sentence_units": len(sentences),
        "texts_embedded_at_ingest": n + len(sentences),
        "embedder": embedder.name,
        "embed_batch_size": batch,
        "embedder_load_s": round(load_s, 3),
        "ingest_s": round(first.seconds, 3),
        "ingest_embed_s": round(first.embed_seconds, 3),
        "ingest_other_s": round(first.seconds - first.embed_seconds, 3),
        "ingest_chunks_per_s": round(n / first.seconds, 2),
        "reingest_unchanged_s": round(again.seconds, 3),
        "raw_embed_chunks_s": round(raw_chunks_s, 3),
        "raw_embed_chunks_per_s": round(len(chunks) / raw_chunks_s, 2),
        "raw_embed_all_s": round(raw_all_s, 3),
        "raw_embed_all_texts_per_s": round((len(chunks) + len(sentences)) / raw_all_s, 2),
        "ingest_vs_raw_chunks_ratio": round(first.seconds / raw_chunks_s, 2),
        "ingest_vs_raw_all_ratio": round(first.seconds / raw_all_s, 2),
        "rss_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
        "machine": machine_info(),
    }


def chart(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [
        ("ingest, total", result["ingest_s"]),
        ("ingest, embedding part", result["ingest_embed_s"]),
        ("raw embed: chunks + sentences", result["raw_embed_all_s"]),
        ("raw embed: chunks only", result["raw_embed_chunks_s"]),
        ("re-ingest, nothing changed", result["reingest_unchanged_s"]),
    ]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.barh([b[0] for b in bars][::-1], [b[1] for b in bars][::-1], color="#4c72b0")
    for y, (_, value) in enumerate(bars[::-1]):
        ax.text(value, y, f" {value:.1f} s", va="center", fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_title(
        f"Ingest of {result['documents']} reports: {result['chunks']} chunks, "
        f"{result['ingest_chunks_per_s']:.1f} chunks/s (raw embed {result['raw_embed_chunks_per_s']:.1f}/s)",
        fontsize=10,
    )
    ax.set_xlim(0, max(b[1] for b in bars) * 1.2)
    return save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="reports folder (default: settings.corpus_dir)")
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench"))
    args = parser.parse_args(argv)
    corpus = args.corpus or Settings().corpus_dir
    with tempfile.TemporaryDirectory(prefix="reportqa-bench-ingest-", ignore_cleanup_errors=True) as tmp:
        result = run(corpus, Path(tmp))
    args.out.mkdir(parents=True, exist_ok=True)
    result["json"] = str(write_json(args.out / "bench_ingest.json", result))
    result["chart"] = str(chart(result, args.out / "bench_ingest.png"))
    print(f"ingest of {corpus}: {result['documents']} documents, {result['chunks']} chunks "
          f"(+{result['sentence_units']} sentence units embedded for quoting)")
    print(f"  embedder load          {result['embedder_load_s']:8.2f} s")
    print(f"  ingest                 {result['ingest_s']:8.2f} s  = {result['ingest_chunks_per_s']:.1f} chunks/s "
          f"(embedding {result['ingest_embed_s']:.2f} s, everything else {result['ingest_other_s']:.2f} s)")
    print(f"  re-ingest, unchanged   {result['reingest_unchanged_s']:8.2f} s")
    print(f"  raw embed, chunks      {result['raw_embed_chunks_s']:8.2f} s  = {result['raw_embed_chunks_per_s']:.1f} "
          f"chunks/s  (ingest takes {result['ingest_vs_raw_chunks_ratio']:.2f}x)")
    print(f"  raw embed, all texts   {result['raw_embed_all_s']:8.2f} s  = {result['raw_embed_all_texts_per_s']:.1f} "
          f"texts/s  (ingest takes {result['ingest_vs_raw_all_ratio']:.2f}x)")
    print(f"  memory                 {result['rss_mb']:.0f} MB resident, {result['peak_rss_mb']:.0f} MB peak")
    print(f"  machine                {result['machine']['cpus']} CPUs, load {result['machine']['load_average_1m']}")
    print(f"wrote {result['json']} and {result['chart']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
