"""Query benchmark: warm retrieval and answer latency, and the first answer after a cold start.

    python -m eval.bench_query [--data-dir .reportqa] [--repeat 3] [--cold 3] [--out eval/out/bench]

Warm: the dev-set questions, ``--repeat`` times each, through ``Engine.retrieve`` (ranked passages only) and
``Engine.ask`` (the extractive answer), after a few warm-up questions. Cold: ``reportqa ask`` in a new process with a
fixed question, timed until it prints the answer and until it exits, ``--cold`` times. The index is brought up to
date with the corpus first (cheap when nothing changed). Writes ``bench_query.json`` and ``bench_query.png``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_ingest import machine_info, peak_rss_mb, rss_mb, write_json
from eval.metrics import percentile
from eval.report import save_figure
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
COLD_QUESTION = "这份AI平台市场洞察报告是哪个部门的哪位分析师写的？"
WARM_UP = 5


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    values = list(values)
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "mean_ms": round(sum(values) / len(values), 1) if values else float("nan"),
        "max_ms": round(max(values), 1) if values else float("nan"),
    }


def reportqa_command() -> list[str]:
    """``reportqa`` from the virtualenv (or PATH) when installed, else the same CLI through ``python -m ui.cli``."""
    beside = Path(sys.executable).with_name("reportqa")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("reportqa")
    return [found] if found else [sys.executable, "-m", "ui.cli"]


def cold_start(data_dir: Path, question: str) -> dict[str, float]:
    """One ``reportqa ask`` in a fresh process: seconds until its first line of output, and until it exits."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*reportqa_command(), "ask", question, "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env, text=True,
    )
    assert process.stdout is not None
    first_line = process.stdout.readline()
    printed = time.perf_counter() - started
    rest, errors = process.communicate(timeout=600)
    exited = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"reportqa ask failed ({process.returncode}): {errors.strip()[-500:]}")
    return {"first_output_s": round(printed, 3), "exit_s": round(exited, 3), "answer": (first_line + rest).strip()[:80]}


def run(settings: Settings, questions_path: Path, repeat: int, cold: int) -> dict[str, Any]:
    from eval.corpus_index import prepare_index
    from eval.runner import read_question_set
    from rag.embedders import make_embedder
    from rag.engine import Engine

    questions = [q.question for q in read_question_set(questions_path)]
    started = time.perf_counter()
    embedder = make_embedder(settings)
    load_s = time.perf_counter() - started
    prepare_index(settings, embedder)

    started = time.perf_counter()
    engine = Engine.from_settings(settings, embedder=embedder)
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    engine.ask(COLD_QUESTION)
    first_answer_s = time.perf_counter() - started
    for question in questions[:WARM_UP]:
        engine.ask(question)

    retrieval, answers = [], []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            engine.retrieve(question, k=settings.retrieval.passages)
            retrieval.append((time.perf_counter() - started) * 1000)
        for question in questions:
            started = time.perf_counter()
            engine.ask(question)
            answers.append((time.perf_counter() - started) * 1000)
    warm_rss = rss_mb()

    colds = [cold_start(settings.data_dir, COLD_QUESTION) for _ in range(cold)]
    return {
        "benchmark": "query",
        "data_dir": str(settings.data_dir),
        "questions": len(questions),
        "repeat": repeat,
        "embedder": embedder.name,
        "chunks": engine.store.count(),
        "in_process": {
            "embedder_load_s": round(load_s, 3),
            "engine_open_s": round(open_s, 3),
            "first_answer_s": round(first_answer_s, 3),
        },
        "retrieval": summary_ms(retrieval),
        "answer": summary_ms(answers),
        "cold_start": {
            "command": " ".join([*reportqa_command(), "ask", "<question>", "--data-dir", "<dir>"]),
            "runs": colds,
            "first_output_p50_s": round(percentile([c["first_output_s"] for c in colds], 50), 3) if colds else None,
            "exit_p50_s": round(percentile([c["exit_s"] for c in colds], 50), 3) if colds else None,
        },
        "rss_mb": warm_rss,
        "peak_rss_mb": peak_rss_mb(),
        "machine": machine_info(),
        "_latencies": {"retrieval_ms": retrieval, "answer_ms": answers},
    }


def chart(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latencies = result["_latencies"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
    upper = max(percentile(latencies["answer_ms"], 99), percentile(latencies["retrieval_ms"], 99))
    bins = [upper * i / 40 for i in range(41)]
    retrieve_label = f"retrieve (p50 {result['retrieval']['p50_ms']:.0f} ms)"
    left.hist(latencies["retrieval_ms"], bins=bins, alpha=0.6, label=retrieve_label)
    left.hist(latencies["answer_ms"], bins=bins, alpha=0.6, label=f"ask (p50 {result['answer']['p50_ms']:.0f} ms)")
    left.set_xlabel("warm latency (ms), p99 and below")
    left.set_ylabel("queries")
    left.set_title(f"Warm latency, {result['questions']} questions x {result['repeat']}")
    left.legend()
    runs = result["cold_start"]["runs"]
    xs = range(1, len(runs) + 1)
    right.bar([x - 0.2 for x in xs], [r["first_output_s"] for r in runs], 0.4, label="first output")
    right.bar([x + 0.2 for x in xs], [r["exit_s"] for r in runs], 0.4, label="process exit")
    right.set_xticks(list(xs))
    right.set_xlabel("cold run")
    right.set_ylabel("seconds")
    right.set_title("reportqa ask, cold start")
    right.legend(fontsize=8)
    return save_figure(fig, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_query", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="index to query (default: settings.data_dir)")
    parser.add_argument("--questions", type=Path, default=DEV_SET)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions (warm)")
    parser.add_argument("--cold", type=int, default=3, help="cold-start runs")
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench"))
    args = parser.parse_args(argv)
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    result = run(settings, args.questions, args.repeat, args.cold)
    args.out.mkdir(parents=True, exist_ok=True)
    result["chart"] = str(chart(result, args.out / "bench_query.png"))
    result["json"] = str(args.out / "bench_query.json")
    write_json(Path(result["json"]), {k: v for k, v in result.items() if not k.startswith("_")})
    r, a, c, i = result["retrieval"], result["answer"], result["cold_start"], result["in_process"]
    print(f"query latency over {result['questions']} questions x {result['repeat']} ({result['chunks']} chunks)")
    print(f"  warm retrieve        p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms")
    print(f"  warm ask (answer)    p50 {a['p50_ms']:7.1f} ms   p95 {a['p95_ms']:7.1f} ms")
    print(f"  in process: embedder load {i['embedder_load_s']:.2f} s, engine open {i['engine_open_s']:.2f} s, "
          f"first answer {i['first_answer_s']:.2f} s")
    runs = ", ".join(f"{x['first_output_s']:.2f}" for x in c["runs"])
    print(f"  cold `reportqa ask`  first output p50 {c['first_output_p50_s']:.2f} s, exit p50 {c['exit_p50_s']:.2f} s "
          f"(runs: {runs} s)")
    print(f"  memory               {result['rss_mb']:.0f} MB resident, {result['peak_rss_mb']:.0f} MB peak")
    print(f"  machine              {result['machine']['cpus']} CPUs, load {result['machine']['load_average_1m']}")
    print(f"wrote {result['json']} and {result['chart']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
