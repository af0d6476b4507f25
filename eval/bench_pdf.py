"""PDF benchmark: a report printed to PDF by headless Chromium against the same report as Markdown.

    python -m eval.bench_pdf [--pages 100] [--big-pages 2000] [--speed-only | --no-speed] [--out eval/out/bench]

The report (``tests/printed_pdf.py``: two columns, running header and footer, a ruled table with a caption, a chart
with a caption) is printed by Debian's Chromium with the WenQuanYi Micro Hei font; its Markdown twin holds the same
words. Prints and writes to ``bench_pdf.json``:

- radical code points (U+2E80–U+2FDF) in the text layers and in the indexed text of the printed report, a PDF
  whose ToUnicode maps three ideographs to radicals, and the report printed in a font whose cmap maps radicals to
  the ideographs' glyphs (``printed_pdf.with_radical_font``: Chromium then writes the radicals); 0 indexed expected;
- running header or footer lines in any chunk (0 expected), in the short report, its scan and the long one;
- table questions (``TABLE_QUESTIONS``) answered over the PDF, over the same PDF with its table printed without
  rules, over the scan and over the Markdown: a citation quotes the asked row (its label and figure) together with
  the header row;
- the scan (``printed_pdf.scan_pdf``: 150 dpi, pages turned 1–2°, blurred, no text layer) ingested with OCR: its
  ingest time and the cited pages as below;
- the page of a cited quote right: for every citation of those questions and of questions on the running text, the
  page its boxes are on (what "Show in source" shows) and the page its passage starts on, against the pages whose
  text (read independently by pypdf) holds the quote;
- ingest time of a ``--pages``-page printed report against its Markdown (the whole ingest: read, chunk, embed,
  write), and the ratio (target ≤ 1.5);
- the PDF reader alone (``ingest.loaders.pdf.load_pdf``, in a fresh process) on the long report and on as many
  copies of it in one file as make ``--big-pages`` pages (2,000 by default): seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_ingest import machine_info, write_json

REPO = Path(__file__).resolve().parents[1]
RADICALS = (0x2E80, 0x2FDF)


def _makers():
    sys.path.insert(0, str(REPO / "tests"))
    import filemakers
    import printed_pdf

    return printed_pdf, filemakers


def _ingest(corpus: Path, data: Path):
    from ingest.pipeline import run_ingest
    from rag.engine import Engine
    from rag.settings import Settings

    settings = Settings(data_dir=data, corpus_dir=corpus)
    started = time.perf_counter()
    report = run_ingest(settings)
    seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"ingest of {corpus} failed: {report.to_dict()['failed']}")
    return Engine.from_settings(settings), seconds


def _indexed_texts(engine) -> list[str]:
    """Every chunk's text as indexed, from the document files."""
    from rag.index.docfiles import read_sidecar

    texts = []
    for record in engine.documents():
        sidecar = read_sidecar(engine.settings.docs_dir, record.doc_id) or {}
        texts += [sidecar["text"][c["start"] : c["end"]] for c in sidecar.get("chunks", [])]
    return texts


def _radicals(texts: Sequence[str]) -> int:
    """Radical code points (U+2E80–U+2FDF) in ``texts``."""
    return sum(1 for text in texts for ch in text if RADICALS[0] <= ord(ch) <= RADICALS[1])


def _furniture(texts: Sequence[str], report) -> int:
    marks = (report.header, report.footer, "海风智库")
    return sum(1 for text in texts if any(mark in text for mark in marks))


def _table_answered(answer, cells: Sequence[str], header: Sequence[str]) -> bool:
    squash = lambda s: "".join(s.replace("|", " ").split())  # noqa: E731
    return any(all(squash(c) in squash(citation.quote) for c in (*cells, *header)) for citation in answer.citations)


def _pages_holding(quote: str, page_texts: list[str]) -> set[int]:
    key = "".join(quote.split(" / ")[0].split())[:16]
    return {n for n, text in enumerate(page_texts, start=1) if key and key in text}


def text_questions(printed_pdf) -> list[str]:
    """Questions on the running text of the sample report, one per section kind."""
    out = ["海上风电运维机器人能把单台风机每年的停机检修时间缩短到多少天？"]
    for n in range(6):
        region, topic = printed_pdf._REGIONS[n % 6], printed_pdf._TOPICS[n % 6]
        out.append(f"{topic}作业在{region}的单次平均时长约为多少小时？")
    return out


def _cited_pages(engine, questions: Sequence[str], page_texts: list[str]) -> dict[str, Any]:
    """For every citation of ``questions`` (from the printed report, not the radicals file): is the page its boxes
    are on, and the page its passage starts on, one whose text holds the quote?"""
    cited = boxes_right = chunk_right = 0
    for question in questions:
        for citation in engine.ask(question).citations:
            if citation.chunk.source.endswith("radicals.pdf"):
                continue
            truth = _pages_holding(citation.quote, page_texts)
            cited += 1
            boxes_right += bool(citation.boxes) and citation.boxes[0].page in truth
            chunk_right += citation.chunk.page in truth
    return {"citations_checked": cited, "quote_page_right_by_boxes": round(boxes_right / max(cited, 1), 3),
            "passage_page_right": round(chunk_right / max(cited, 1), 3)}


def _page_texts(pdf: Path) -> list[str]:
    """Each page's text as pypdf reads it (independently of the loader), whitespace removed."""
    import pypdf

    return ["".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(pdf).pages]


def _table_share(engine, printed_pdf) -> float:
    header = printed_pdf.SAMPLE_TABLE.header
    answered = sum(_table_answered(engine.ask(q), cells, header) for q, cells in printed_pdf.TABLE_QUESTIONS)
    return round(answered / len(printed_pdf.TABLE_QUESTIONS), 3)


def quality(workdir: Path) -> dict[str, Any]:
    """Radicals, furniture, table questions and cited pages over the short printed report, the same report with
    its table printed without rules, and its Markdown."""
    from dataclasses import replace

    printed_pdf, filemakers = _makers()
    report = printed_pdf.sample_report(16)
    pdf_corpus, md_corpus, unruled_corpus = workdir / "pdf-corpus", workdir / "md-corpus", workdir / "unruled"
    pdf = printed_pdf.print_pdf(pdf_corpus / "海上风电运维机器人.pdf", report)
    radical_text = "为了长期合作，他们用了平台的人工智能服务。"
    filemakers.make_radical_pdf(pdf_corpus / "radicals.pdf", [radical_text * 3],
                                {"长": "\u2ed3", "用": "\u2f64", "人": "\u2f08"})
    radicals = printed_pdf.kangxi_radicals(printed_pdf.report_markdown(report))
    radical_pdf = printed_pdf.print_pdf(workdir / "radical-corpus" / "radical-font.pdf",
                                        printed_pdf.with_radical_font(report, radicals))
    printed_pdf.print_pdf(unruled_corpus / "无框表格.pdf", replace(report, extra_css="table, th, td { border: none; }"))
    md_corpus.mkdir(parents=True)
    (md_corpus / "海上风电运维机器人.md").write_text(printed_pdf.report_markdown(report), encoding="utf-8")
    pdf_engine, _ = _ingest(pdf_corpus, workdir / "pdf-data")
    md_engine, _ = _ingest(md_corpus, workdir / "md-data")
    unruled_engine, _ = _ingest(unruled_corpus, workdir / "unruled-data")
    radical_engine, _ = _ingest(radical_pdf.parent, workdir / "radical-data")
    texts = _indexed_texts(pdf_engine)
    page_texts = _page_texts(pdf)
    questions = [q for q, _ in printed_pdf.TABLE_QUESTIONS] + text_questions(printed_pdf)
    return {
        "printed_pages": len(page_texts),
        "radical_code_points_in_text_layers": _radicals(_page_texts(pdf_corpus / "radicals.pdf"))
        + _radicals(_page_texts(radical_pdf)),
        "radical_code_points_indexed": _radicals(texts + _indexed_texts(radical_engine)),
        "chunks_with_header_or_footer": _furniture(texts, report),
        "chunks": len(texts),
        "table_questions": len(printed_pdf.TABLE_QUESTIONS),
        "table_answered_pdf": _table_share(pdf_engine, printed_pdf),
        "table_answered_unruled_pdf": _table_share(unruled_engine, printed_pdf),
        "table_answered_markdown": _table_share(md_engine, printed_pdf),
        **_cited_pages(pdf_engine, questions, page_texts),
    }


def scanned(workdir: Path) -> dict[str, Any]:
    """The same printed report scanned (150 dpi, pages turned 1.5°, −1°, 2°, −1.5°, blurred, no text layer) and read
    by OCR in an ingest: ingest time, furniture in chunks, table questions, and the cited pages (against the
    printed PDF's text layer)."""
    printed_pdf, _ = _makers()
    report = printed_pdf.sample_report(16)
    pdf = printed_pdf.print_pdf(workdir / "printed" / "海上风电运维机器人.pdf", report)
    printed_pdf.scan_pdf(pdf, workdir / "scan-corpus" / "海上风电运维机器人-扫描.pdf")
    engine, seconds = _ingest(workdir / "scan-corpus", workdir / "scan-data")
    texts = _indexed_texts(engine)
    questions = [q for q, _ in printed_pdf.TABLE_QUESTIONS] + text_questions(printed_pdf)
    return {
        "scanned_pages": len(_page_texts(pdf)),
        "scan_ingest_s": round(seconds, 1),
        "chunks": len(texts),
        "chunks_with_header_or_footer": _furniture(texts, report),
        "table_answered_scan": _table_share(engine, printed_pdf),
        **_cited_pages(engine, questions, _page_texts(pdf)),
    }


def speed(workdir: Path, pages: int, big_pages: int) -> dict[str, Any]:
    """Ingest time of a long printed report against its Markdown; the PDF reader's time and peak RSS."""
    import pypdf

    printed_pdf, _ = _makers()
    sections = max(4, round(pages * 4.5))  # about four and a half sections to a printed page
    report = printed_pdf.sample_report(sections)
    pdf = printed_pdf.print_pdf(workdir / "long-pdf" / "long.pdf", report)
    (workdir / "long-md").mkdir()
    (workdir / "long-md" / "long.md").write_text(printed_pdf.report_markdown(report), encoding="utf-8")
    n_pages = len(pypdf.PdfReader(pdf).pages)
    pdf_engine, pdf_s = _ingest(pdf.parent, workdir / "long-pdf-data")
    _, md_s = _ingest(workdir / "long-md", workdir / "long-md-data")
    furniture = _furniture(_indexed_texts(pdf_engine), report)
    big = workdir / "big.pdf"
    writer = pypdf.PdfWriter()
    for _ in range(-(-big_pages // n_pages)):
        writer.append(str(pdf))
    with big.open("wb") as fh:
        writer.write(fh)
    return {
        "long_pdf_pages": n_pages,
        "long_pdf_ingest_s": round(pdf_s, 1),
        "long_markdown_ingest_s": round(md_s, 1),
        "ingest_ratio_pdf_to_markdown": round(pdf_s / md_s, 2),
        "long_pdf_chunks_with_header_or_footer": furniture,
        "reader_long": _read_in_child(pdf),
        "reader_big": _read_in_child(big),
    }


# Peak RSS from /proc (VmHWM): ru_maxrss survives exec, so a child started by a big parent would report the
# parent's peak.
_READ_ONLY = """
import json, sys, time
from pathlib import Path

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)

from ingest.loaders.pdf import load_pdf
path = Path(sys.argv[1])
imported = peak_mb()
started = time.perf_counter()
document = load_pdf(path, path.read_bytes())
seconds = time.perf_counter() - started
print(json.dumps({"pages": len(document.page_sizes), "chars": len(document.text),
                  "line_boxes": len(document.line_boxes), "seconds": round(seconds, 1),
                  "pages_per_s": round(len(document.page_sizes) / seconds, 1),
                  "file_mb": round(path.stat().st_size / 2**20, 1), "rss_mb_after_imports": imported,
                  "peak_rss_mb": peak_mb()}))
"""


def _read_in_child(path: Path) -> dict[str, Any]:
    """The PDF reader alone (``load_pdf``, no OCR) on ``path`` in a fresh process: pages, characters, seconds,
    peak RSS (and RSS once its modules are imported)."""
    result = subprocess.run([sys.executable, "-c", _READ_ONLY, str(path)], cwd=REPO, capture_output=True,
                            text=True, timeout=7200)
    if result.returncode != 0:
        raise SystemExit(f"reading {path.name} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_pdf", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100, help="pages of the long printed report (default 100)")
    parser.add_argument("--speed-only", action="store_true", help="skip the question parts")
    parser.add_argument("--no-speed", action="store_true", help="skip the long-report ingest and the big file")
    parser.add_argument("--big-pages", type=int, default=2000, help="pages of the big file (default 2000)")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "out" / "bench")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"machine_before": machine_info()}
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        parts = {"quality": lambda: quality(Path(tmp) / "q"), "scanned": lambda: scanned(Path(tmp) / "s"),
                 "speed": lambda: speed(Path(tmp), args.pages, args.big_pages)}
        for name, run in parts.items():
            if (args.speed_only and name != "speed") or (args.no_speed and name == "speed"):
                continue
            results[name] = run()
            print(json.dumps({name: results[name]}, ensure_ascii=False, indent=2), flush=True)
    results["machine_after"] = machine_info()
    print(json.dumps({k: results[k] for k in ("machine_before", "machine_after")}, indent=2))
    write_json(args.out / "bench_pdf.json", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
