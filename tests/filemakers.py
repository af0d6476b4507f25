"""Factories that write real test files for the ingestion-loader tests.

Every ``make_*`` function writes one file at the given path (parent directories
are created) and returns that path, so tests can do::

    pdf = make_cjk_pdf(tmp_path / "report.pdf", ["第一页内容", "第二页内容"])

The module deliberately imports nothing from the project itself and keeps its
imports of third-party libraries (fpdf2, pypdf, python-docx, Pillow) inside the
functions that need them, so importing it is cheap.

CJK PDFs need a CJK TrueType font from a Debian package. The font used is
WenQuanYi Micro Hei (Debian package ``fonts-wqy-microhei``), a single ``.ttc``
file that covers both CJK and Latin glyphs; ``.ci/apt-packages.sh`` installs it.
Set the environment variable ``REPORTQA_TEST_CJK_FONT`` to use another font file.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import random
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CJK_FONT_CANDIDATES",
    "CJK_FONT_ENV_VAR",
    "CJK_FONT_PACKAGE",
    "CjkFontNotFoundError",
    "cjk_font_path",
    "make_binary_as_txt",
    "make_cjk_pdf",
    "make_corrupt_pdf",
    "make_docx",
    "make_encrypted_pdf",
    "make_html",
    "make_image_only_pdf",
    "make_markdown_with_front_matter",
    "make_radical_pdf",
    "make_scanned_pdf",
    "render_scan_pages",
    "make_text",
    "make_zip_bomb_docx",
]

#: Debian package that ships the CJK font used by :func:`make_cjk_pdf`.
CJK_FONT_PACKAGE = "fonts-wqy-microhei"

#: Environment variable that can point at another CJK font (.ttf or .ttc).
CJK_FONT_ENV_VAR = "REPORTQA_TEST_CJK_FONT"

#: Places where ``fonts-wqy-microhei`` puts its font, first match wins.
CJK_FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
    Path("/usr/local/share/fonts/wqy-microhei.ttc"),
)

_FONT_FAMILY = "reportqa-cjk"


class CjkFontNotFoundError(FileNotFoundError):
    """Raised when no CJK font is installed for :func:`make_cjk_pdf`."""


def _prepare(path: Path | str) -> Path:
    """Return ``path`` as a Path after creating its parent directory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def cjk_font_path() -> Path:
    """Find a CJK TrueType font usable by fpdf2.

    Looks first at the file named by the ``REPORTQA_TEST_CJK_FONT`` environment
    variable, then at the locations where the Debian package
    ``fonts-wqy-microhei`` installs ``wqy-microhei.ttc``.

    Returns:
        Path of the font file.

    Raises:
        CjkFontNotFoundError: If no font is found; the message names the Debian
            package to install.
    """
    override = os.environ.get(CJK_FONT_ENV_VAR)
    if override:
        candidate = Path(override)
        if candidate.is_file():
            return candidate
        raise CjkFontNotFoundError(
            f"{CJK_FONT_ENV_VAR}={override!r} does not name an existing font file"
        )
    for candidate in CJK_FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(c) for c in CJK_FONT_CANDIDATES)
    raise CjkFontNotFoundError(
        f"No CJK font found (looked at {searched}). Install the Debian package "
        f"{CJK_FONT_PACKAGE!r}: apt-get install -y --no-install-recommends "
        f"{CJK_FONT_PACKAGE} (or run .ci/apt-packages.sh), or set "
        f"{CJK_FONT_ENV_VAR} to a .ttf/.ttc font that covers CJK and Latin."
    )


def make_cjk_pdf(
    path: Path | str,
    pages: Sequence[str],
    title: str | None = None,
    *,
    header: str | None = None,
    footer: bool = False,
    footer_format: str = "第 {page} 页",
    font_size: float = 12,
) -> Path:
    """Write a multi-page PDF whose text layer holds Chinese and English text.

    Each string of ``pages`` goes on its own page (an empty string gives a page
    with no body text). Long paragraphs are wrapped to the page width and
    ``"\\n"`` starts a new line. Text is left-aligned, not justified, so pypdf
    does not see doubled spaces between English words.

    fpdf2 wraps CJK text at any character, so a wrapped line may split a word
    or a number (``"2024"`` may come back from pypdf as ``"20\\n24"``); compare
    extracted text after removing all whitespace.

    With ``header`` and/or ``footer`` set, every page carries a running header
    line at the top and a page-number line at the bottom. They are drawn
    first and last in each page's content stream, so
    ``pypdf.PdfReader(p).pages[i].extract_text()`` returns the header as the
    first line and the footer as the last line of the page.

    Args:
        path: Where to write the PDF.
        pages: Body text of each page, one string per page.
        title: Document title stored in the PDF metadata (``/Title``); it is
            not drawn on the page.
        header: Running header drawn centred at the top of every page, e.g.
            ``"易观分析 2025"``.
        footer: Whether to draw a page-number footer at the bottom of every
            page.
        footer_format: Footer text; ``{page}`` becomes the 1-based page
            number, e.g. ``"第 {page} 页"`` or ``"- {page} -"``.
        font_size: Body font size in points.

    Returns:
        The path written.

    Raises:
        CjkFontNotFoundError: If no CJK font is installed.
        ValueError: If ``pages`` is empty.
    """
    from fpdf import FPDF

    if not pages:
        raise ValueError("pages must hold at least one page")
    path = _prepare(path)
    font = cjk_font_path()

    class _ReportPDF(FPDF):
        def header(self) -> None:
            if header:
                self.set_font(_FONT_FAMILY, size=9)
                self.cell(0, 8, header, align="C")
                self.ln(12)

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font(_FONT_FAMILY, size=9)
                self.cell(0, 8, footer_format.format(page=self.page_no()), align="C")

    pdf = _ReportPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(_FONT_FAMILY, fname=str(font))
    if title is not None:
        pdf.set_title(title)
    pdf.set_creator("ReportQA tests/filemakers.py")
    for text in pages:
        pdf.add_page()
        pdf.set_font(_FONT_FAMILY, size=font_size)
        if text:
            pdf.multi_cell(0, font_size * 0.6, text, align="L")
    pdf.output(str(path))
    return path


def make_encrypted_pdf(
    path: Path | str,
    text: str,
    password: str = "secret",
    *,
    algorithm: str | None = None,
) -> Path:
    """Write a one-page PDF encrypted with a user password.

    The page is made by :func:`make_cjk_pdf`, so ``text`` may hold Chinese; it
    is then encrypted with pypdf. The default algorithm (RC4-128) needs no
    crypto library; ``"AES-256"`` needs ``cryptography`` or ``pycryptodome``.

    Args:
        path: Where to write the PDF.
        text: Text of the single page.
        password: User password needed to open the file.
        algorithm: pypdf encryption algorithm name (``"RC4-128"``,
            ``"AES-128"``, ``"AES-256"``, ...) or None for pypdf's default.

    Returns:
        The path written.
    """
    from pypdf import PdfReader, PdfWriter

    path = make_cjk_pdf(path, [text])  # plain file first, overwritten below
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(path.read_bytes())))
    writer.encrypt(user_password=password, owner_password=None, algorithm=algorithm)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_radical_pdf(path: Path | str, pages: Sequence[str], radicals: Mapping[str, str]) -> Path:
    """Write a PDF that looks right but whose text layer holds radical code points, as browser-printed PDFs do.

    The pages are drawn by :func:`make_cjk_pdf` with ordinary ideographs; then each font's ``/ToUnicode`` map is
    rewritten so that the glyph of every key of ``radicals`` (e.g. ``"用"``) extracts as its value (``"⽤"``,
    U+2F64). A viewer shows 用; ``extract_text()`` returns ⽤.

    Args:
        path: Where to write the PDF.
        pages: Body text of each page, written with the ordinary ideographs.
        radicals: Ideograph → the radical code point its glyph should extract as.

    Returns:
        The path written.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    path = make_cjk_pdf(path, pages)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(path.read_bytes())))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if NameObject("/ToUnicode") not in font:
                continue
            cmap = font["/ToUnicode"].get_object()
            data = cmap.get_data().decode("latin-1")
            for ideograph, radical in radicals.items():
                data = data.replace(f"> <{ord(ideograph):04X}>", f"> <{ord(radical):04X}>")
            cmap.set_data(data.encode("latin-1"))
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _latin_pdf_bytes(lines: Sequence[str], pages: int = 3) -> bytes:
    """Return bytes of a plain PDF using a core font (no CJK font needed)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.compress = True
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        for line in lines:
            pdf.multi_cell(0, 7, f"Page {page + 1}: {line}", align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_corrupt_pdf(path: Path | str, keep_fraction: float = 0.4) -> Path:
    """Write a file that looks like a PDF but is truncated and damaged.

    The file starts with a ``%PDF-1.7`` header, continues with the first
    ``keep_fraction`` of a real PDF's bytes (no cross-reference table, no
    ``%%EOF``), and ends with a few random bytes. pypdf raises when opening it
    (``PdfStreamError`` in pypdf 6) or when reading its first page.

    Args:
        path: Where to write the file.
        keep_fraction: Share of the real PDF kept, between 0 and 1 (exclusive).

    Returns:
        The path written.

    Raises:
        ValueError: If ``keep_fraction`` is not strictly between 0 and 1.
    """
    if not 0 < keep_fraction < 1:
        raise ValueError("keep_fraction must be strictly between 0 and 1")
    path = _prepare(path)
    real = _latin_pdf_bytes(["Quarterly revenue grew 12% year on year."] * 20)
    body = real.split(b"\n", 1)[1]  # drop fpdf2's own "%PDF-1.x" line
    truncated = body[: int(len(body) * keep_fraction)]
    garbage = random.Random(1234).randbytes(256).replace(b"%%EOF", b"%%EOX")
    path.write_bytes(b"%PDF-1.7\n" + truncated + garbage)
    return path


def make_image_only_pdf(path: Path | str, pages: int = 2) -> Path:
    """Write a PDF with graphics but no text layer, as a scanned report would be.

    Each page holds vector shapes (rectangles, lines standing in for text
    rows) and an embedded raster image made with Pillow. No text operators are
    written, so pypdf's ``extract_text()`` returns an empty string for every
    page and a loader should flag the file as needing OCR.

    Args:
        path: Where to write the PDF.
        pages: Number of pages, at least 1.

    Returns:
        The path written.

    Raises:
        ValueError: If ``pages`` is less than 1.
    """
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    if pages < 1:
        raise ValueError("pages must be at least 1")
    path = _prepare(path)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    for page in range(pages):
        pdf.add_page()
        pdf.set_draw_color(40, 40, 40)
        pdf.set_fill_color(200, 210, 230)
        pdf.rect(20, 20, 170, 25, style="DF")
        for row in range(12):  # grey bars that look like lines of text
            y = 60 + row * 8
            pdf.set_fill_color(120, 120, 120)
            pdf.rect(20, y, 150 - (row % 4) * 20, 3, style="F")
        pdf.line(20, 160, 190, 160)
        image = Image.new("RGB", (240, 120), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        for i in range(6):  # a little bar chart
            height = 20 + ((i * 37 + page * 11) % 90)
            draw.rectangle((15 + i * 37, 115 - height, 40 + i * 37, 115), fill=(30, 90, 160))
        pdf.image(image, x=20, y=170, w=120)
    pdf.output(str(path))
    return path


def render_scan_pages(
    pages: Sequence[str],
    *,
    dpi: int = 150,
    font_size: float = 11,
    rotate: float = 0.0,
    blur: float = 0.0,
) -> list[tuple[Any, list[str]]]:
    """Draw text onto A4 page images as a scanner would see a printed report.

    Each string of ``pages`` is drawn on one page with the CJK font, wrapped to the text width (``"\\n"`` starts a
    new line); lines that do not fit on the page are dropped. Optionally each page is rotated by ``rotate`` degrees
    and blurred (Gaussian radius ``blur`` pixels).

    Returns:
        For each page, the greyscale PIL image and the lines drawn on it, in order (the OCR ground truth).
    """
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(str(cjk_font_path()), round(font_size * dpi / 72))
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    margin, step = round(0.8 * dpi), round(font_size * 1.6 * dpi / 72)
    result = []
    for text in pages:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for ch in paragraph:
                if line and draw.textlength(line + ch, font=font) > width - 2 * margin:
                    lines.append(line)
                    line = ""
                line += ch
            lines.append(line)
        lines = [line.strip() for line in lines if line.strip()][: (height - 2 * margin) // step]
        for row, line in enumerate(lines):
            draw.text((margin, margin + row * step), line, font=font, fill=0)
        if rotate:
            image = image.rotate(rotate, resample=Image.BICUBIC, fillcolor=255, expand=False)
        if blur:
            image = image.filter(ImageFilter.GaussianBlur(blur))
        result.append((image, lines))
    return result


def make_scanned_pdf(
    path: Path | str,
    pages: Sequence[str],
    *,
    dpi: int = 150,
    font_size: float = 11,
    rotate: float = 0.0,
    blur: float = 0.0,
    page_number_stamp: bool = False,
) -> Path:
    """Write a PDF of page images and no text layer, like a scanned report (see :func:`render_scan_pages`).

    With ``page_number_stamp`` each page also carries a text-layer page number ("第 N 页") at the bottom, as
    scanning software often adds; the body is still only an image.

    Returns:
        The path written.
    """
    from fpdf import FPDF

    path = _prepare(path)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    if page_number_stamp:
        pdf.add_font(_FONT_FAMILY, fname=str(cjk_font_path()))
    for number, (image, _) in enumerate(
        render_scan_pages(pages, dpi=dpi, font_size=font_size, rotate=rotate, blur=blur), start=1
    ):
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
        if page_number_stamp:
            pdf.set_font(_FONT_FAMILY, size=9)
            pdf.set_xy(0, pdf.h - 12)
            pdf.cell(pdf.w, 6, f"第 {number} 页", align="C")
    pdf.output(str(path))
    return path


def make_docx(
    path: Path | str,
    blocks: Sequence[tuple[str, Any]],
    *,
    title: str | None = None,
) -> Path:
    """Write a Word document from a list of typed blocks.

    Block kinds:

    * ``("h1", text)`` / ``("h2", text)`` / ``("h3", text)``: a paragraph with
      the built-in ``Heading 1`` / ``Heading 2`` / ``Heading 3`` style.
    * ``("p", text)``: a ``Normal`` paragraph.
    * ``("table", rows)``: a table (style ``Table Grid``) where ``rows`` is a
      list of rows, each a list of cell strings; the first row is the header.

    Args:
        path: Where to write the ``.docx``.
        blocks: The document content, in order.
        title: Optional core-property title (``docProps/core.xml``).

    Returns:
        The path written.

    Raises:
        ValueError: On an unknown block kind or an empty/ragged table.
    """
    import docx

    path = _prepare(path)
    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    heading_levels = {"h1": 1, "h2": 2, "h3": 3}
    for kind, content in blocks:
        if kind in heading_levels:
            document.add_heading(str(content), level=heading_levels[kind])
        elif kind == "p":
            document.add_paragraph(str(content))
        elif kind == "table":
            rows = [list(map(str, row)) for row in content]
            if not rows or not rows[0]:
                raise ValueError("a table block needs at least one non-empty row")
            ncols = len(rows[0])
            if any(len(row) != ncols for row in rows):
                raise ValueError("all table rows must have the same number of cells")
            table = document.add_table(rows=len(rows), cols=ncols)
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
        else:
            raise ValueError(f"unknown block kind {kind!r}; use h1, h2, h3, p or table")
    document.save(str(path))
    return path


def make_html(path: Path | str, title: str, body_html: str) -> Path:
    """Write a complete UTF-8 HTML page with noise a loader must drop.

    The page has a ``<title>``, a ``<style>`` element in ``<head>``, a
    ``<script>`` in ``<head>`` and another at the end of ``<body>``, and a
    ``<noscript>``; ``body_html`` goes inside ``<main>`` unchanged. The script
    and style bodies contain the marker strings ``SCRIPT_SHOULD_NOT_APPEAR``
    and ``STYLE_SHOULD_NOT_APPEAR`` so tests can assert they were removed.

    Args:
        path: Where to write the page.
        title: Text of ``<title>``; it is HTML-escaped.
        body_html: Raw HTML placed inside ``<main>``.

    Returns:
        The path written.
    """
    import html

    path = _prepare(path)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
/* STYLE_SHOULD_NOT_APPEAR */
body {{ font-family: sans-serif; }} .hidden {{ display: none; }}
</style>
<script>
var tracker = "SCRIPT_SHOULD_NOT_APPEAR";
window.dataLayer = window.dataLayer || [];
</script>
</head>
<body>
<noscript>请启用 JavaScript</noscript>
<main>
{body_html}
</main>
<script type="text/javascript">
document.title = "SCRIPT_SHOULD_NOT_APPEAR " + document.title;
</script>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8", newline="\n")
    return path


_BOMS: dict[str, bytes] = {
    "utf-8": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
}


def make_text(
    path: Path | str,
    text: str,
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    """Write ``text`` encoded exactly as asked, with no newline translation.

    Typical encodings: ``"utf-8"``, ``"gb18030"``, ``"gbk"``, ``"big5"``,
    ``"utf-16-le"``. Characters the encoding cannot hold raise
    ``UnicodeEncodeError`` (for example simplified characters in ``big5``:
    pass traditional text there).

    Args:
        path: Where to write the file.
        text: The text.
        encoding: Python codec name.
        bom: Prefix a byte-order mark; only for UTF-8 and UTF-16 LE/BE.

    Returns:
        The path written.

    Raises:
        ValueError: If ``bom`` is asked for an encoding without a BOM.
    """
    path = _prepare(path)
    normalized = codecs.lookup(encoding).name  # "utf8" -> "utf-8", "GBK" -> "gbk"
    data = text.encode(encoding)
    if bom:
        if normalized not in _BOMS:
            raise ValueError(f"no byte-order mark for encoding {encoding!r}")
        data = _BOMS[normalized] + data
    path.write_bytes(data)
    return path


def make_binary_as_txt(path: Path | str, size: int = 4096, seed: int = 0) -> Path:
    """Write random binary bytes, including NULs, under whatever name is given.

    Meant for a ``.txt`` name, to test that a loader rejects binary content.
    The bytes start with a NUL and contain many NUL and ``0xFF`` bytes, so
    they are not valid UTF-8.

    Args:
        path: Where to write the file (e.g. ``tmp_path / "notes.txt"``).
        size: Number of bytes, at least 16.
        seed: Seed for the random bytes, for reproducible files.

    Returns:
        The path written.
    """
    path = _prepare(path)
    size = max(size, 16)
    rng = random.Random(seed)
    data = bytearray(rng.randbytes(size))
    data[0:4] = b"\x00\xff\x00\xfe"
    for i in range(0, size, 7):  # plenty of NULs throughout
        data[i] = 0
    path.write_bytes(bytes(data))
    return path


_MIN_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_MIN_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)


def make_zip_bomb_docx(path: Path | str, uncompressed_mb: int = 200) -> Path:
    """Write a ``.docx``-shaped zip whose main part inflates to a huge size.

    The archive has a valid ``[Content_Types].xml`` and ``_rels/.rels``, and a
    ``word/document.xml`` member made of ``uncompressed_mb`` MiB of zero bytes,
    streamed through ZIP_DEFLATED in 1 MiB chunks. With the default 200 MiB
    the file on disk is about 200 KB and is written in well under a second.
    The member's declared ``file_size`` in the zip directory is the real
    uncompressed size, so a loader can detect the bomb from ``infolist()``
    without inflating it.

    Args:
        path: Where to write the file.
        uncompressed_mb: Uncompressed size of ``word/document.xml`` in MiB.

    Returns:
        The path written.
    """
    path = _prepare(path)
    chunk = bytes(1 << 20)
    force_zip64 = uncompressed_mb * len(chunk) >= zipfile.ZIP64_LIMIT
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _MIN_CONTENT_TYPES)
        zf.writestr("_rels/.rels", _MIN_RELS)
        with zf.open("word/document.xml", "w", force_zip64=force_zip64) as member:
            for _ in range(uncompressed_mb):
                member.write(chunk)
    return path


def make_markdown_with_front_matter(
    path: Path | str,
    title: str,
    body: str,
    meta: Mapping[str, str | int | float | bool] | None = None,
) -> Path:
    """Write a UTF-8 Markdown file with a YAML front-matter block.

    The file looks like::

        ---
        title: "标题"
        date: "2025-01-01"
        ---

        body...

    Values are written as JSON scalars (valid YAML), with non-ASCII text kept
    as is.

    Args:
        path: Where to write the file.
        title: Value of the ``title`` key.
        body: Markdown body placed after the front matter.
        meta: Further front-matter keys, written after ``title``.

    Returns:
        The path written.
    """
    path = _prepare(path)
    fields: dict[str, Any] = {"title": title, **(meta or {})}
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    lines += ["---", "", body.rstrip("\n"), ""]
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")
    return path
