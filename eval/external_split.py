"""The split of the external development set (``eval/external/``) into a tuning half and a held-out half.

The split is by document, so no document has questions in both halves, and it was fixed before anyone looked at
the engine's answers. The rule needs nothing but the file names and question ids, so anyone can re-run it:

- within each source (``squad2-*``, ``cmrc-*``, ``drcd-*``), the documents are ordered by the sha256 of their file
  name (hex digest, ascending) and alternate tune, held-out, tune, ...; a question goes with its document;
- a question with ``doc: null`` (its article is in no document) goes by the sha256 of its id: an even digest
  (as an integer) is tune, an odd one held-out.

The two files hold the lines of ``questions.jsonl`` verbatim, in its order::

    python -m eval.external_split            # write questions-tune.jsonl and questions-heldout.jsonl, print counts
    python -m eval.external_split --check    # verify that the two files are what the rule gives
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

EXTERNAL_DIR = Path(__file__).with_name("external")
SOURCES = ("squad2-", "cmrc-", "drcd-")
TUNE, HELDOUT = "tune", "heldout"
HALVES = (TUNE, HELDOUT)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_halves(names: Sequence[str]) -> dict[str, str]:
    """Each document's half: per source, ordered by the sha256 of the file name, alternating tune/held-out.

    Raises:
        ValueError: a name belongs to no known source.
    """
    halves: dict[str, str] = {}
    for source in SOURCES:
        ordered = sorted((n for n in set(names) if n.startswith(source)), key=lambda n: (_sha256(n), n))
        for i, name in enumerate(ordered):
            halves[name] = HALVES[i % 2]
    unknown = sorted(set(names) - set(halves))
    if unknown:
        raise ValueError(f"documents of no known source ({', '.join(SOURCES)}): {unknown}")
    return halves


def question_half(record: dict, doc_halves: dict[str, str]) -> str:
    """The half of one question record (a parsed line of ``questions.jsonl``).

    Raises:
        ValueError: the question names a document that is not in ``docs/``, or documents in both halves.
    """
    doc = record.get("doc")
    if doc is None:
        return TUNE if int(_sha256(record["id"]), 16) % 2 == 0 else HELDOUT
    docs = [doc] if isinstance(doc, str) else list(doc)
    missing = [d for d in docs if d not in doc_halves]
    if missing:
        raise ValueError(f"question {record['id']} names documents not in docs/: {missing}")
    halves = {doc_halves[d] for d in docs}
    if len(halves) != 1:
        raise ValueError(f"question {record['id']} spans documents in both halves: {docs}")
    return halves.pop()


def split_lines(root: Path = EXTERNAL_DIR) -> dict[str, list[str]]:
    """The lines of ``root/questions.jsonl`` (verbatim, each ending in a newline, in file order) by half."""
    doc_halves = document_halves([p.name for p in (root / "docs").iterdir() if p.is_file()])
    out: dict[str, list[str]] = {half: [] for half in HALVES}
    for line in (root / "questions.jsonl").read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.strip():
            continue
        record = json.loads(line)
        out[question_half(record, doc_halves)].append(line if line.endswith("\n") else line + "\n")
    return out


def half_path(root: Path, half: str) -> Path:
    return root / f"questions-{half}.jsonl"


def write_split(root: Path = EXTERNAL_DIR) -> dict[str, Path]:
    """Write ``questions-tune.jsonl`` and ``questions-heldout.jsonl`` into ``root``; returns their paths."""
    paths = {}
    for half, lines in split_lines(root).items():
        paths[half] = half_path(root, half)
        paths[half].write_text("".join(lines), encoding="utf-8")
    return paths


def check_split(root: Path = EXTERNAL_DIR) -> list[str]:
    """Differences between the files in ``root`` and what the rule gives (empty when they agree)."""
    problems = []
    for half, lines in split_lines(root).items():
        path = half_path(root, half)
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != "".join(lines):
            problems.append(f"{path} differs from the split rule; regenerate it with python -m eval.external_split")
    return problems


def counts(lines: Sequence[str]) -> tuple[Counter, int]:
    """(type, lang) → questions, and the number of distinct documents, of a half's lines."""
    records = [json.loads(line) for line in lines]
    docs = {r["doc"] for r in records if isinstance(r.get("doc"), str)}
    return Counter((r["type"], r["lang"]) for r in records), len(docs)


def format_counts(split: dict[str, list[str]]) -> str:
    """A plain-text table per half: questions by type (rows) and language (columns), and its document count."""
    out = []
    for half, lines in split.items():
        table, docs = counts(lines)
        langs = sorted({lang for _, lang in table})
        types = sorted({t for t, _ in table})
        out.append(f"{half}: {len(lines)} questions, {docs} documents")
        out.append("  " + f"{'type':<14}" + "".join(f"{lang:>6}" for lang in langs) + f"{'all':>6}")
        for t in types:
            row = [table[(t, lang)] for lang in langs]
            out.append("  " + f"{t:<14}" + "".join(f"{n:>6}" for n in row) + f"{sum(row):>6}")
        totals = [sum(n for (_, lang), n in table.items() if lang == want) for want in langs]
        out.append("  " + f"{'all':<14}" + "".join(f"{n:>6}" for n in totals) + f"{sum(totals):>6}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.external_split [--check] [--dir DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m eval.external_split", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the two files instead of writing them")
    parser.add_argument("--dir", type=Path, default=EXTERNAL_DIR, help=f"the set's folder (default {EXTERNAL_DIR})")
    args = parser.parse_args(argv)
    try:
        split = split_lines(args.dir)
        if args.check:
            problems = check_split(args.dir)
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            if problems:
                return 1
        else:
            for path in write_split(args.dir).values():
                print(f"wrote {path}")
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_counts(split))
    if args.check:
        print("split: OK")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
