"""Fuzz and fault benchmark of ingest (issue 14): hostile files and ~200 mutated ones in one ingest, with a table.

    python -m eval.bench_hostile [--seed 14] [--mutants 200] [--seconds S] [--no-ocr] [--keep DIR]

Writes into a temporary folder the hostile files of issue 14 (an HTML page nested 200,000 deep, a DOCX whose XML
inflates to about 200 MB, a 5 MB text file), ``--mutants`` files made by mutating good PDF, DOCX, HTML, Markdown
and text reports (truncation, flipped, deleted, duplicated and inserted bytes, splices; a fixed seed), and three good
reports; ingests them all in one ``run_ingest`` with the default budgets (``--seconds`` overrides the time budget);
prints files, crashes, files named with a reason, peak RSS of the ingest and its worker, the longest parse against
the time budget, and whether every good file was indexed.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import threading
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rag.settings import Settings

GOOD_MD = "# 算力市场\n\n2024年智能算力规模同比增长超过百分之五十。国产加速卡的出货量快速上升。\n"
PARAGRAPHS = [
    "Public cloud revenue grew 20% in 2024, led by model training workloads.",
    "2024年公有云市场规模同比增长百分之二十，混合云部署比例达到百分之四十五。",
    "Chip exports fell 12% after new controls; domestic accelerators gained share.",
    "人工智能平台市场集中度提升，前五家厂商合计份额超过百分之六十。",
]
KINDS = (".pdf", ".docx", ".html", ".md", ".txt")
# Failures that are a parser's bug or death rather than a reason about the file: counted as crashes.
CRASH_MARKS = ("the parser failed on it", "the parser process died")


def seed_files() -> dict[str, bytes]:
    """One good report of each kind, as bytes: what the mutants are made from."""
    return {
        ".pdf": _pdf_bytes(),
        ".docx": _docx_bytes("Market report", PARAGRAPHS),
        ".html": _html_bytes(),
        ".md": ("# 市场报告\n\n## 概况\n\n" + "\n\n".join(PARAGRAPHS) + "\n\n- 要点一\n- 要点二\n\n| a | b |\n|---|---|\n"
                "| 1 | 2 |\n").encode("utf-8"),
        ".txt": ("市场报告\n\n" + "\n".join(PARAGRAPHS) + "\n地区\t份额\n华东\t40%\n").encode("utf-8"),
    }


def _pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for page in range(3):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        for line in PARAGRAPHS[::2]:
            pdf.multi_cell(0, 7, f"Page {page + 1}: {line}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _docx_bytes(title: str, paragraphs: Sequence[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    for i, cell in enumerate(c for row in table.rows for c in row.cells):
        cell.text = f"cell {i}"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _html_bytes() -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<html><head><title>Report</title></head><body><h1>Report</h1>{body}<ul><li>one<li>two</ul>"
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></body></html>").encode()


def mutate(data: bytes, rng: random.Random, others: Sequence[bytes]) -> bytes:
    """One random damage (or two) to ``data``: what a broken download, a bad disk or a fuzzer makes."""
    for _ in range(rng.choice((1, 1, 2))):
        n = len(data)
        at = rng.randrange(max(n, 1))
        size = rng.randint(1, max(1, n // 10))
        kind = rng.choice(("truncate", "flip", "delete", "duplicate", "insert", "splice"))
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip":
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 64)):
                if flipped:
                    flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            data = bytes(flipped)
        elif kind == "delete":
            data = data[:at] + data[at + size:]
        elif kind == "duplicate":
            data = data[:at] + data[at:at + size] * rng.randint(2, 50) + data[at:]
        elif kind == "insert":
            data = data[:at] + rng.randbytes(size) + data[at:]
        else:
            other = rng.choice(others)
            data = data[:at] + other[rng.randrange(max(len(other), 1)):]
    return data


def write_hostile(folder: Path, rng: random.Random) -> list[Path]:
    """The named hostile files of issue 14."""
    deep = folder / "hostile-deep.html"
    deep.write_text("<html><body>" + "<div>" * 200_000 + "深处。" + "</div>" * 200_000 + "</body></html>")
    big = folder / "hostile-5mb.txt"
    lines = [f"第{i}行：{PARAGRAPHS[i % len(PARAGRAPHS)]}" for i in range(60_000)]
    big.write_bytes("\n".join(lines).encode("utf-8")[: 5 * 2**20].decode("utf-8", "ignore").encode("utf-8"))
    return [deep, _write_bomb(folder / "hostile-bomb.docx", rng), big]


def _write_bomb(path: Path, rng: random.Random, expanded_mb: int = 200) -> Path:
    """A DOCX whose document.xml is ``expanded_mb`` MB of real-looking paragraphs: it compresses about 70 to 1,
    under the old ratio check, like the 1.4 MB file that took 538 s and 4.47 GB."""
    def block() -> bytes:  # mostly repeats within deflate's 32 KB window, with a figure changing now and then
        return "".join(
            f"<w:p><w:r><w:t>{PARAGRAPHS[i % 4]} {rng.randrange(100) if i % 12 == 0 else i}</w:t></w:r></w:p>"
            for i in range(200)
        ).encode()

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        seed = zipfile.ZipFile(io.BytesIO(_docx_bytes("Bomb", PARAGRAPHS[:1])))
        for info in seed.infolist():
            if info.filename != "word/document.xml":
                archive.writestr(info, seed.read(info))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body>')
            while member._file_size < expanded_mb * 2**20:  # noqa: SLF001 - bytes written so far
                member.write(block())
            member.write(b"</w:body></w:document>")
    return path


def write_corpus(folder: Path, seed: int, mutants: int) -> tuple[list[Path], list[Path], list[Path]]:
    """(hostile files, mutants, good files) written under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    seeds = seed_files()
    hostile = write_hostile(folder, rng)
    generated = []
    for i in range(mutants):
        kind = KINDS[i % len(KINDS)]
        path = folder / f"mutant-{i:03d}{kind}"
        path.write_bytes(mutate(seeds[kind], rng, list(seeds.values())))
        generated.append(path)
    good = [folder / "good-report.md", folder / "good-report.docx", folder / "good-report.html"]
    good[0].write_text(GOOD_MD, encoding="utf-8")
    good[1].write_bytes(_docx_bytes("Cloud market", PARAGRAPHS[:2]))
    good[2].write_bytes(_html_bytes())
    return hostile, generated, good


class PeakRss:
    """Samples the resident memory of this process and all its children (the parser worker) until stopped."""

    def __init__(self, interval_s: float = 0.05) -> None:
        import psutil

        self._me, self._interval = psutil.Process(), interval_s
        self.peak_bytes = self.peak_self_bytes = self.peak_children_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            mine, children = self._me.memory_info().rss, 0
            for process in self._me.children(recursive=True):
                try:
                    children += process.memory_info().rss
                except psutil.Error:  # a worker killed between listing and reading
                    pass
            self.peak_bytes = max(self.peak_bytes, mine + children)
            self.peak_self_bytes = max(self.peak_self_bytes, mine)
            self.peak_children_bytes = max(self.peak_children_bytes, children)
            self._stop.wait(self._interval)


def run(folder: Path, seed: int, mutants: int, seconds: float | None, ocr: bool) -> dict:
    """Write the files, ingest them in one run, and return the figures the table prints."""
    from ingest.pipeline import run_ingest

    hostile, generated, good = write_corpus(folder / "reports", seed, mutants)
    overrides = {"ocr": ocr} | ({"max_seconds_per_document": seconds} if seconds else {})
    settings = Settings(data_dir=folder / "data", ingest=overrides)
    started = time.perf_counter()
    report, crash = None, ""
    with PeakRss() as rss:
        try:
            report = run_ingest(settings, [folder / "reports"])
        except Exception:  # the benchmark counts what a user would see as a crash of the whole run
            crash = traceback.format_exc()
    figures = {"settings": settings.ingest, "files": len(hostile) + len(generated) + len(good), "crash": crash,
               "seconds": time.perf_counter() - started, "peak_rss_mb": rss.peak_bytes / 2**20,
               "peak_ingest_mb": rss.peak_self_bytes / 2**20, "peak_worker_mb": rss.peak_children_bytes / 2**20,
               "hostile": hostile, "good": good, "report": report}
    return figures


def print_table(figures: dict) -> None:
    """The benchmark's table (and the reason given for each named hostile file)."""
    report, budget = figures["report"], figures["settings"].max_seconds_per_document
    if report is None:
        print(f"CRASH: the ingest raised\n{figures['crash']}")
        return
    failed = {f.path: f.reason for f in report.failed}
    indexed = {Path(p).name for p in report.added + report.updated + report.unchanged}
    crashes = [p for p, reason in failed.items() if reason.startswith(CRASH_MARKS)]
    unaccounted = figures["files"] - len(failed) - len(indexed)
    slowest = max(report.parse_seconds.items(), key=lambda kv: kv[1], default=("-", 0.0))
    good_indexed = sum(p.name in indexed for p in figures["good"])
    rows = [
        ("files", f"{figures['files']}"),
        ("crashes (run aborted, parser bug or death)", f"{len(crashes)}"),
        ("named with a reason", f"{len(failed)} (and {len(indexed)} indexed, {unaccounted} unaccounted for)"),
        ("peak RSS, ingest + worker", f"{figures['peak_rss_mb']:.0f} MB (target <= 1024 MB); peaks apart: ingest "
                                      f"{figures['peak_ingest_mb']:.0f} MB, worker {figures['peak_worker_mb']:.0f} MB"),
        ("OCR", "on" if figures["settings"].ocr else "off"),
        ("max parse time per file", f"{slowest[1]:.1f} s ({Path(slowest[0]).name}) vs budget {budget:g} s"
                                    f" (target <= budget + 5 s)"),
        ("good files indexed", f"{good_indexed}/{len(figures['good'])}"),
        ("whole ingest", f"{figures['seconds']:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print("\nnamed hostile files:")
    for path in figures["hostile"]:
        reason = failed.get(str(path), "indexed" if path.name in indexed else "?")
        print(f"  {path.name:<20} {report.parse_seconds.get(str(path), 0.0):6.1f} s  {reason}")
    print("\nreasons given for the other files (first words, counts):")
    for words, count in Counter(" ".join(r.split()[:4]) for p, r in failed.items()
                                if Path(p) not in figures["hostile"]).most_common(12):
        print(f"  {count:4d}  {words}")
    for path in crashes:
        print(f"  crash: {Path(path).name}: {failed[path]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_hostile", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--mutants", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=None, help="Time budget per document (default: settings).")
    parser.add_argument("--no-ocr", action="store_true", help="Do not OCR PDF pages without a text layer.")
    parser.add_argument("--keep", type=Path, default=None, help="Write the files and index here and keep them.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as scratch:
        folder = args.keep or Path(scratch)
        figures = run(folder, args.seed, args.mutants, args.seconds, ocr=not args.no_ocr)
    print_table(figures)
    report = figures["report"]
    ok = report is not None and not any(f.reason.startswith(CRASH_MARKS) for f in report.failed)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
