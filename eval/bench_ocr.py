"""OCR benchmark: character accuracy and pages per second on scans of the shipped reports.

    python -m eval.bench_ocr [--corpus corpus] [--pages-per-report 2] [--dpi 150] [--rotate 0] [--blur 0]
                             [--render-dpi N] [--out eval/out/bench]
    python -m eval.bench_ocr --printed [--angles 1.5,-1,2,-1.5] [--blur 0.6] [--dpi 150]

Each report's cleaned text (Markdown marks and table rules taken out) is drawn onto A4 page images at ``--dpi`` with
a CJK font, as a scanner would see the printed report, optionally rotated and blurred; the images are wrapped in a
PDF with no text layer; then ``ingest.ocr.PageOcr`` renders and reads every page exactly as an ingest does. Character
accuracy is 1 − (edit distance / characters drawn), pooled over pages, whitespace ignored; it is given on the text as
read and after NFKC folding (PP-OCR often returns "," for "，" and the like). Pages per second count rendering and
recognition, not the one-off model load (reported on its own). Writes ``bench_ocr.json`` to the output folder.

``--printed`` measures the same on a scan of the Chromium-printed sample report (two columns, a table, running
header and footer; ``tests/printed_pdf.py``), pages turned by ``--angles`` degrees and blurred, against the printed
PDF's text layer in the loader's reading order, so a column read out of order costs edits too
(``bench_ocr_printed.json``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from eval.bench_ingest import machine_info, peak_rss_mb, write_json

FONT_CANDIDATES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)


def report_lines(path: Path) -> list[str]:
    """The lines of a report as a printed copy shows them: cleaned text without Markdown marks or table rules."""
    from ingest.loaders import load_document

    lines = []
    for line in load_document(path, ocr=False).text.split("\n"):
        if not line.strip() or set(line.strip()) <= set("|:- "):
            continue
        line = line.lstrip("#").replace("**", "").replace("|", "  ").strip()
        if line:
            lines.append(line)
    return lines


def draw_pages(lines: list[str], n_pages: int, dpi: int, font_path: Path, rotate: float, blur: float):
    """Up to ``n_pages`` A4 page images of ``lines`` (11 pt, wrapped), and the lines drawn on each."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(str(font_path), round(11 * dpi / 72))
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    margin, step = round(0.8 * dpi), round(11 * 1.6 * dpi / 72)
    per_page = (height - 2 * margin) // step
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    wrapped: list[str] = []
    for line in lines:
        current = ""
        for ch in line:
            if current and measure.textlength(current + ch, font=font) > width - 2 * margin:
                wrapped.append(current.strip())
                current = ""
            current += ch
        wrapped.append(current.strip())
    pages = []
    for start in range(0, min(len(wrapped), n_pages * per_page), per_page):
        drawn = [line for line in wrapped[start : start + per_page] if line]
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(drawn):
            draw.text((margin, margin + row * step), line, font=font, fill=0)
        if rotate:
            image = image.rotate(rotate, resample=Image.BICUBIC, fillcolor=255)
        if blur:
            image = image.filter(ImageFilter.GaussianBlur(blur))
        pages.append((image, drawn))
    return pages


def image_pdf(images, path: Path) -> Path:
    """A PDF of full-page images and no text layer."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    for image in images:
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.output(str(path))
    return path


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), two rows of memory."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _squash(text: str, fold: bool) -> str:
    text = unicodedata.normalize("NFKC", text) if fold else text
    return "".join(text.split())


def _score(pairs: Sequence[tuple[str, str]]) -> dict:
    """Characters drawn and edits needed, as read and after NFKC folding, over (read, truth) pairs."""
    totals = {"chars": 0, "edits": 0, "edits_folded": 0}
    for read, truth in pairs:
        totals["chars"] += len(_squash(truth, False))
        totals["edits"] += edit_distance(_squash(read, False), _squash(truth, False))
        totals["edits_folded"] += edit_distance(_squash(read, True), _squash(truth, True))
    return totals


def _read_text(found) -> str:
    return "".join(line.text for line in found) if isinstance(found, list) else ""


def _accuracy(totals: dict) -> dict:
    return {"accuracy": round(1 - totals["edits"] / max(totals["chars"], 1), 4),
            "accuracy_nfkc": round(1 - totals["edits_folded"] / max(totals["chars"], 1), 4)}


def _reader(render_dpi: int | None):
    """The ingest's OCR reader, its models loaded, and how long loading took."""
    from ingest.ocr import RENDER_DPI, PageOcr

    ocr = PageOcr(render_dpi or RENDER_DPI)
    started = time.perf_counter()
    ocr._load()
    return ocr, time.perf_counter() - started


def run(
    reports: Sequence[Path], pages_per_report: int, dpi: int, rotate: float, blur: float, render_dpi: int | None = None
) -> dict:
    font = next((p for p in FONT_CANDIDATES if p.is_file()), None)
    if font is None:
        raise SystemExit(f"no CJK font at {FONT_CANDIDATES[0]} (Debian package fonts-wqy-microhei)")
    ocr, load_seconds = _reader(render_dpi)
    totals = {"chars": 0, "edits": 0, "edits_folded": 0, "pages": 0, "seconds": 0.0}
    per_report = []
    with tempfile.TemporaryDirectory() as tmp:
        for report in reports:
            pages = draw_pages(report_lines(report), pages_per_report, dpi, font, rotate, blur)
            pdf = image_pdf([image for image, _ in pages], Path(tmp) / f"{report.stem}.pdf")
            started = time.perf_counter()
            results = ocr.read_pages(pdf.read_bytes(), list(range(1, len(pages) + 1)), pdf.name)
            seconds = time.perf_counter() - started
            score = _score([(_read_text(results[n]), "".join(drawn)) for n, (_, drawn) in enumerate(pages, start=1)])
            per_report.append({"report": report.name, "pages": len(pages), "chars": score["chars"],
                               **_accuracy(score), "seconds": round(seconds, 2)})
            for key, value in (*score.items(), ("pages", len(pages)), ("seconds", seconds)):
                totals[key] += value
    return {
        "scan_dpi": dpi, "render_dpi": ocr.dpi, "rotate_degrees": rotate, "blur_radius": blur,
        "pages": totals["pages"], "chars": totals["chars"], **_accuracy(totals),
        "pages_per_second": round(totals["pages"] / totals["seconds"], 3) if totals["seconds"] else None,
        "seconds_per_page": round(totals["seconds"] / max(totals["pages"], 1), 2),
        "model_load_seconds": round(load_seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "per_report": per_report,
        "machine": machine_info(),
    }


def run_printed(dpi: int, angles: Sequence[float], blur: float, render_dpi: int | None = None,
                sections: int = 16) -> dict:
    """The Chromium-printed sample report (``tests/printed_pdf.py``: two columns, running header and footer, a
    table, a chart) scanned by ``printed_pdf.scan_pdf`` and read by OCR, against the text layer of the printed PDF
    as the PDF loader lays it out (lines in reading order, header and footer included, as OCR reads them)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import printed_pdf

    from ingest.loaders.pdf_layout import read_layout

    ocr, load_seconds = _reader(render_dpi)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = printed_pdf.print_pdf(Path(tmp) / "printed.pdf", printed_pdf.sample_report(sections))
        scan = printed_pdf.scan_pdf(pdf, Path(tmp) / "scan.pdf", dpi=dpi, angles=angles, blur=blur)
        truths = [page.text for page in read_layout(pdf.read_bytes())[0]]
        started = time.perf_counter()
        results = ocr.read_pages(scan.read_bytes(), list(range(1, len(truths) + 1)), scan.name)
        seconds = time.perf_counter() - started
    score = _score([(_read_text(results[n]), truth) for n, truth in enumerate(truths, start=1)])
    return {
        "scan_dpi": dpi, "render_dpi": ocr.dpi, "rotate_degrees": list(angles), "blur_radius": blur,
        "pages": len(truths), "chars": score["chars"], **_accuracy(score),
        "pages_per_second": round(len(truths) / seconds, 3), "seconds_per_page": round(seconds / len(truths), 2),
        "model_load_seconds": round(load_seconds, 2), "peak_rss_mb": peak_rss_mb(), "machine": machine_info(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="reports folder (default: corpus)")
    parser.add_argument("--pages-per-report", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=150, help="resolution of the scans (default 150)")
    parser.add_argument("--rotate", type=float, default=0.0, help="degrees each scanned page is turned")
    parser.add_argument("--blur", type=float, default=0.0, help="Gaussian blur radius in pixels")
    parser.add_argument("--render-dpi", type=int, default=None, help="resolution pages are read at (default: ingest's)")
    parser.add_argument("--printed", action="store_true",
                        help="scan the Chromium-printed sample report instead of drawing the corpus's text")
    parser.add_argument("--angles", default="1.5,-1,2,-1.5",
                        help="with --printed: degrees page i is turned, cycling (default 1.5,-1,2,-1.5)")
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench"))
    args = parser.parse_args(argv)
    if args.printed:
        angles = [float(a) for a in args.angles.split(",")]
        figures = run_printed(args.dpi, angles, args.blur if args.blur else 0.6, args.render_dpi)
        name = "bench_ocr_printed.json"
    else:
        reports = sorted(p for p in args.corpus.iterdir() if p.suffix.lower() in (".md", ".txt"))
        figures = run(reports, args.pages_per_report, args.dpi, args.rotate, args.blur, args.render_dpi)
        name = "bench_ocr.json"
    for row in figures.get("per_report", []):
        print(f"{row['report']}: {row['pages']} pages, {row['chars']} chars, accuracy {row['accuracy']:.4f} "
              f"(NFKC {row['accuracy_nfkc']:.4f}), {row['seconds']:.1f} s")
    print(f"scans at {figures['scan_dpi']} dpi (rotate {figures['rotate_degrees']}°, blur {figures['blur_radius']}), "
          f"read at {figures['render_dpi']} dpi: {figures['pages']} pages, {figures['chars']} chars")
    print(f"character accuracy {figures['accuracy']:.4f} (after NFKC folding {figures['accuracy_nfkc']:.4f})")
    print(f"{figures['pages_per_second']} pages/s ({figures['seconds_per_page']} s/page), model load "
          f"{figures['model_load_seconds']} s, peak RSS {figures['peak_rss_mb']} MB, "
          f"load average {figures['machine']['load_average_1m']} on {figures['machine']['cpus']} CPUs")
    print(f"wrote {write_json(args.out / name, figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
