"""Report PDFs made the way real ones are: HTML printed to PDF by headless Chromium.

Debian's ``chromium`` (the browser the page tests use; never ``playwright install``) prints an HTML page with
``page.pdf()``: body text set in two CSS columns, a running header and footer drawn by Chromium's own header and
footer templates on every page, a table with a header row and a caption, a chart image with a caption. The CJK
font is WenQuanYi Micro Hei (``fonts-wqy-microhei``), named in the CSS so Chromium embeds it.

Like ``filemakers``, this module imports nothing from the project; Playwright is imported where it is used.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--font-render-hinting=none"]


@dataclass(frozen=True)
class Table:
    """A table printed with a caption above it, a header row and body rows."""

    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Report:
    """What goes on the printed pages.

    ``sections`` are (heading, paragraphs) set in two columns; ``table`` and ``figure_caption`` follow the section
    numbered ``table_after`` (0-based). ``header`` and ``footer`` are printed on every page by Chromium, the footer
    followed by the page number.
    """

    title: str
    sections: Sequence[tuple[str, Sequence[str]]]
    header: str
    footer: str
    table: Table | None = None
    table_after: int = 0
    figure_caption: str = ""
    columns: int = 2
    extra_css: str = ""
    lang: str = "zh-CN"
    pages_hint: int = field(default=0, compare=False)


def report_html(report: Report) -> str:
    """The HTML page Chromium prints (also a readable report on its own)."""
    parts = [f"<h1>{html.escape(report.title)}</h1>", '<div class="cols">']
    for index, (heading, paragraphs) in enumerate(report.sections):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        if report.table is not None and index == report.table_after:
            parts.append(_table_html(report.table))
        if report.figure_caption and index == report.table_after:
            parts.append(f'<figure><img alt="" src="data:image/png;base64,{_chart_png()}">'
                         f"<figcaption>{html.escape(report.figure_caption)}</figcaption></figure>")
    parts.append("</div>")
    css = f"""
@page {{ size: A4; margin: 22mm 16mm 20mm 16mm; }}
body {{ font-family: "WenQuanYi Micro Hei", sans-serif; font-size: 10.5pt; line-height: 1.55; margin: 0; }}
h1 {{ font-size: 18pt; margin: 0 0 8pt 0; }}
h2 {{ font-size: 12.5pt; margin: 10pt 0 4pt 0; break-after: avoid; }}
p {{ margin: 0 0 6pt 0; text-align: left; }}
.cols {{ column-count: {report.columns}; column-gap: 12mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0 8pt 0; break-inside: avoid; font-size: 9.5pt; }}
th, td {{ border: 0.6pt solid #333; padding: 2pt 4pt; text-align: left; }}
.caption {{ font-weight: bold; margin: 6pt 0 2pt 0; break-after: avoid; }}
figure {{ margin: 6pt 0; break-inside: avoid; }} figure img {{ width: 100%; }}
figcaption {{ font-size: 9pt; }}
{report.extra_css}
"""
    return (f'<!doctype html><html lang="{report.lang}"><head><meta charset="utf-8"><title>'
            f"{html.escape(report.title)}</title><style>{css}</style></head><body>{''.join(parts)}</body></html>")


def report_markdown(report: Report) -> str:
    """The same content as Markdown (what the PDF was "printed from", for comparisons)."""
    lines = [f"# {report.title}", ""]
    for index, (heading, paragraphs) in enumerate(report.sections):
        lines += [f"## {heading}", ""]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
        if report.table is not None and index == report.table_after:
            table = report.table
            lines += [table.caption, "", "| " + " | ".join(table.header) + " |",
                      "|" + "---|" * len(table.header)]
            lines += ["| " + " | ".join(row) + " |" for row in table.rows]
            lines.append("")
        if report.figure_caption and index == report.table_after:
            lines += [report.figure_caption, ""]
    return "\n".join(lines)


def print_pdf(path: Path | str, report: Report) -> Path:
    """Print ``report`` to ``path`` with headless Chromium (A4, running header and footer on every page)."""
    return print_html_pages(path, [report_html(report)], report.header, report.footer)[0]


def print_html_pages(path: Path | str, pages_html: Sequence[str], header: str, footer: str) -> list[Path]:
    """Print each HTML document; the first goes to ``path``, the others beside it as ``<stem>-<i>.pdf``.

    Printing runs in a thread of its own: Playwright's sync API refuses to start where another Playwright (a
    browser test's) already runs an event loop.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_print, path, pages_html, header, footer).result()


def _print(path: Path | str, pages_html: Sequence[str], header: str, footer: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise FileNotFoundError("headless Chromium is missing: `apt-get install chromium` (.ci/apt-packages.sh)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    style = 'style="font-family: \'WenQuanYi Micro Hei\', sans-serif; font-size: 8pt; width: 100%; margin: 0 16mm;"'
    header_html = f"<div {style}>{html.escape(header)}</div>"
    footer_html = (f'<div {style}>{html.escape(footer)} · <span class="pageNumber"></span>'
                   '/<span class="totalPages"></span></div>')
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS, headless=True)
        try:
            page = browser.new_page()
            # Nothing but the page itself: every request that would leave it is aborted.
            page.route("**/*", lambda route: route.abort() if route.request.url.startswith("http") else
                       route.continue_())
            for index, document in enumerate(pages_html):
                target = path if index == 0 else path.with_name(f"{path.stem}-{index}.pdf")
                page.set_content(document, wait_until="load")
                page.pdf(path=str(target), format="A4", print_background=True, display_header_footer=True,
                         header_template=header_html, footer_template=footer_html,
                         margin={"top": "22mm", "bottom": "20mm", "left": "16mm", "right": "16mm"})
                written.append(target)
        finally:
            browser.close()
    return written


def scan_pdf(printed: Path | str, path: Path | str, *, dpi: int = 150, angles: Sequence[float] = (1.5, -1.0, 2.0, -1.5),
             blur: float = 0.6) -> Path:
    """A scanned copy of a printed PDF: each page rasterised by pypdfium2 at ``dpi``, turned a little (page ``i`` by
    ``angles[i % len(angles)]`` degrees, counter-clockwise when positive) and blurred (Gaussian radius ``blur``
    pixels), the images wrapped by Pillow in a PDF of the same page size with no text layer (JPEG-compressed, as
    scanners write them)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(printed))
    images = []
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                image = page.render(scale=dpi / 72).to_pil().convert("L")
            finally:
                page.close()
            angle = angles[index % len(angles)] if angles else 0.0
            if angle:
                image = image.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
            if blur:
                image = image.filter(ImageFilter.GaussianBlur(blur))
            images.append(image)
    finally:
        document.close()
    # Pillow would title the PDF after its file name; a scanner's PDF has no title.
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi), title="")
    return path


def with_radical_font(report: Report, radicals: Mapping[str, str], font_path: Path = CJK_FONT) -> Report:
    """``report`` set in a font whose cmap also maps radical code points to the glyphs of their ideographs, as
    Source Han Sans / Noto Sans CJK do (⽤ U+2F64 and 用 U+7528 share one glyph).

    Chromium's PDF writer (Skia) gives each glyph of an embedded font the first code point, in code point order,
    that maps to it in the font's cmap (``SkTypeface_FreeType::getGlyphToUnicodeMap``); radicals (U+2E80–U+2FDF)
    come before the unified ideographs (U+4E00–), so the printed page shows 用 and its text layer says ⽤. Here the
    font is WenQuanYi Micro Hei subset to the report's characters, with ``radicals`` (ideograph → radical) added to
    its cmap, embedded in the page as a data: URL.
    """
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset": a table we do not need
    text = report_markdown(report) + report.header + report.footer
    font = TTCollection(str(font_path)).fonts[0] if font_path.suffix == ".ttc" else TTFont(str(font_path))
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(unicodes={ord(ch) for ch in text})
    subsetter.subset(font)
    for table in font["cmap"].tables:
        if table.isUnicode():
            for ideograph, radical in radicals.items():
                if ord(ideograph) in table.cmap:
                    table.cmap[ord(radical)] = table.cmap[ord(ideograph)]
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    css = (f'@font-face {{ font-family: "Radical Sans"; src: url(data:font/ttf;base64,{data}) format("truetype"); }}'
           ' body, h1, h2, table { font-family: "Radical Sans", sans-serif; }')
    return replace(report, extra_css=report.extra_css + css)


def kangxi_radicals(text: str) -> dict[str, str]:
    """Ideograph → Kangxi radical for every ideograph of ``text`` that has one (by NFKC, which folds each Kangxi
    radical to its ideograph), plus the CJK Radicals Supplement's simplified forms in ``SUPPLEMENT_FORMS``."""
    import unicodedata

    table = {unicodedata.normalize("NFKC", chr(code)): chr(code) for code in range(0x2F00, 0x2FD6)}
    table.update({ideograph: radical for radical, ideograph in SUPPLEMENT_FORMS.items()})
    return {ch: table[ch] for ch in dict.fromkeys(text) if ch in table}


# Simplified-form radicals of the CJK Radicals Supplement a CJK font commonly maps to the ideograph's glyph.
SUPPLEMENT_FORMS = {"\u2ed3": "长", "\u2ed4": "门", "\u2ee2": "马", "\u2edb": "风", "\u2ecb": "车", "\u2ec9": "贝",
                    "\u2ec5": "见", "\u2ec6": "角", "\u2ee3": "骨", "\u2ee8": "麦"}


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return (f'<div class="caption">{html.escape(table.caption)}</div>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _chart_png() -> str:
    """A small bar chart (no text in it), as base64 PNG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 220), "white")
    draw = ImageDraw.Draw(image)
    for i, height in enumerate((60, 95, 130, 170)):
        draw.rectangle((40 + i * 110, 200 - height, 110 + i * 110, 200), fill=(40, 90, 160))
    draw.line((20, 200, 470, 200), fill="black", width=2)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# ----- the sample report the tests and eval/bench_pdf.py print -----

_REGIONS = ("欧洲", "中国", "北美", "日韩", "东南亚", "拉美")
_TOPICS = ("叶片检测", "塔筒清洗", "海缆巡检", "螺栓紧固", "防腐涂装", "水下基础监测")


def sample_report(sections: int = 8) -> Report:
    """A Chinese market brief long enough to run over several two-column pages, with a table and a chart.

    The first paragraph of section 1 holds ``CROSSING``, a sentence long enough to wrap over several lines of
    column 1; the table is ``SAMPLE_TABLE``.
    """
    body: list[tuple[str, list[str]]] = [("一、市场概况", [CROSSING, *_filler(0)])]
    for n in range(1, sections):
        region = _REGIONS[n % len(_REGIONS)]
        topic = _TOPICS[n % len(_TOPICS)]
        body.append((f"{_cn(n + 1)}、{region}{topic}", _filler(n)))
    return Report(title="2030年海上风电运维机器人市场简报", sections=body, header="海风智库 · 行业简报 2030",
                  footer="海风智库版权所有", table=SAMPLE_TABLE, table_after=1,
                  figure_caption="图1 2026—2030年全球运维机器人出货量（示意）")


CROSSING = ("本简报所称海上风电运维机器人，是指在海上风电场内代替人工完成叶片检测、塔筒清洗、海缆巡检和螺栓紧固等"
            "作业的自主或遥控设备，其核心价值在于把单台风机每年的停机检修时间从约九天缩短到不足三天。")
SAMPLE_TABLE = Table(
    caption="表1 各地区运维机器人年出货量（台）",
    header=("地区", "2026年", "2028年", "2030年"),
    rows=(("欧洲", "1,250", "2,180", "3,420"), ("中国", "980", "2,050", "3,960"), ("北美", "310", "720", "1,380"),
          ("日韩", "140", "390", "860")),
)
# Questions the table answers, each with the cells its answer must quote (the row's label and the figure).
TABLE_QUESTIONS = (
    ("2030年中国的运维机器人出货量是多少台？", ("中国", "3,960")),
    ("2026年欧洲运维机器人出货量有多少台？", ("欧洲", "1,250")),
    ("北美2028年运维机器人出货量是多少？", ("北美", "720")),
    ("日韩地区2030年的运维机器人出货量是多少台？", ("日韩", "860")),
    ("2028年中国运维机器人年出货量为多少台？", ("中国", "2,050")),
)


def _cn(n: int) -> str:
    digits = "一二三四五六七八九"
    if n >= 100:
        rest = n % 100
        return _cn(n // 100) + "百" + ("零" if 0 < rest < 10 else "") + (_cn(rest) if rest else "")
    if n < 10:
        return digits[n - 1]
    return ("" if n < 20 else digits[n // 10 - 1]) + "十" + (digits[n % 10 - 1] if n % 10 else "")


_OPENINGS = ("据本次调研", "从招标数据看", "多位业主表示", "行业协会统计显示", "运维服务商反馈", "按装机容量计算",
             "从事故记录看", "结合港口调度数据")
_CLOSINGS = ("安全收益明显高于成本收益", "船舶租赁费用下降最多", "夜间作业窗口得到充分利用", "备件库存周转明显加快",
             "人员出海频次减少近一半", "检修记录全部实现了数字化")


def _filler(n: int) -> list[str]:
    """Four paragraphs for section ``n``, worded differently from section to section (running-header detection
    compares lines with their digits masked, and real reports do not repeat a sentence pattern page after page)."""
    region = _REGIONS[n % len(_REGIONS)]
    topic = _TOPICS[n % len(_TOPICS)]
    opening = _OPENINGS[n % len(_OPENINGS)]
    closing = _CLOSINGS[(n * 5) % len(_CLOSINGS)]
    base = 12 + 7 * n
    return [
        f"{opening}，{region}的{topic}需求在过去三年保持增长，样本覆盖{base}家风电场业主和{base + 5}家运维服务商，"
        f"受访者普遍认为{closing}。",
        f"{topic}作业在{region}的单次平均时长约为{n + 3}小时，较人工方式缩短约{20 + n}%；" * (1 + n % 2)
        + f"设备采购成本在{2026 + n % 4}年前后有望下降到每台{60 + 5 * n}万元左右，{_CLOSINGS[n % 6]}。",
        f"{region}的海况条件、港口资源和人员资质要求决定了{topic}机器人推广的节奏，"
        f"业内人士指出，{'可作业天数' if n % 2 else '全年有效作业窗口'}不足{150 + 10 * n}天的海域推广最慢。",
        f"A field note in English{' from ' + str(2020 + n) if n % 3 else ''}: operators in {region} report that "
        f"{topic} robots cut crane hire by {10 + n} percent, although spare parts still take about {n + 2} weeks "
        f"to arrive{', and insurers ask for a human pilot on standby' if n % 2 else ''}.",
    ]
