"""Word reports written out as Markdown: heading styles become headings, numbered and bulleted paragraphs become
list items (nested by their numbering level, with the number Word would show), tables become pipe tables."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ingest.budget import DEFAULT_BUDGET, Budget, BudgetExceededError, check_zip_expansion
from ingest.clean import clean_text
from ingest.document import LoadedDocument, StructureHints
from ingest.normalise import normalise_chars
from ingest.titles import markup_document_title
from rag.errors import CorruptDocumentError

# A real report's XML is a few MB; a huge compression ratio is a zip bomb.
_MAX_RATIO = 200


def load_docx(path: Path, data: bytes, budget: Budget = DEFAULT_BUDGET) -> LoadedDocument:
    """Read paragraphs and tables in document order.

    Raises:
        BudgetExceededError: the archive inflates past ``budget.max_expanded_bytes`` (by its directory, or counted
            while decompressing it).
        CorruptDocumentError: not a zip, not a Word document, or suspiciously compressed.
    """
    _check_zip(path, data, budget.max_expanded_bytes)
    check_zip_expansion(path, data, budget.max_expanded_bytes)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors... for a broken package
        raise CorruptDocumentError(f"{path}: not a readable Word document ({type(exc).__name__}: {exc})") from exc
    numbering = _Numbering(document)
    parts: list[tuple[str, str]] = []  # (kind, Markdown) in document order
    base = previous = 0  # the numbering level a list run starts at, and the last item's nesting in it
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = paragraph.style
            level = _heading_level(style.name if style is not None else "")
            marker, depth = numbering.marker(paragraph)
            if level:
                parts.append(("heading", f"{'#' * level} {marker + ' ' if marker else ''}{text}"))
            elif marker is not None:
                # Four spaces nest an item under any marker. A list never starts indented (that would be a code
                # block), and an item is at most one level deeper than the one before it.
                in_run = bool(parts) and parts[-1][0] == "item"
                if not in_run or depth < base:
                    base = depth
                previous = min(depth - base, previous + 1) if in_run else 0
                parts.append(("item", "    " * previous + _item_line(marker, text)))
            else:
                parts.append(("paragraph", text))
        elif tag == "tbl":
            # A "|" inside a cell would split it: it is shown full-width instead.
            rows = [[cell.text.strip().replace("\n", " ").replace("|", "｜") for cell in row.cells]
                    for row in Table(block, document).rows]
            rows = [row for row in rows if any(row)]
            if rows:
                lines = ["| " + " | ".join(row) + " |" for row in rows]
                # A pipe table needs its rule under the first row (Word tables have no other header marking).
                lines.insert(1, "| " + " | ".join("---" for _ in rows[0]) + " |")
                parts.append(("table", "\n".join(lines)))
    markup = ""
    for index, (kind, line) in enumerate(parts):
        if index:
            # A list's items follow each other line by line; everything else is a block of its own.
            markup += "\n" if kind == "item" and parts[index - 1][0] == "item" else "\n\n"
        markup += line
    text = clean_text(markup)
    if not text:
        raise CorruptDocumentError(f"{path}: Word document has no text")
    core_title = (document.core_properties.title or "").strip()
    return LoadedDocument(
        path=path,
        title=markup_document_title(core_title, text, path.stem),
        text=text,
        kind="docx",
        hints=StructureHints(markup=normalise_chars(markup), metadata_title=core_title or None),
    )


def _item_line(marker: str, text: str) -> str:
    """A list item in Markdown: "- text" for a bullet, "3. text" for a plain number, else "- （三）text"."""
    if marker in ("", "-"):
        return f"- {text}"
    if marker[:-1].isdigit() and marker[-1] in ".)":
        return f"{marker} {text}"
    return f"- {marker}{'' if marker.endswith(('、', '）', ')')) else ' '}{text}"


class _Numbering:
    """The numbers Word shows before numbered paragraphs, from numbering.xml and each paragraph's (or its style's)
    numbering properties. Formats Word writes as digits, Chinese numerals, letters, Roman numerals, circled
    numbers; a bullet shows as "-". Overrides and restarts beyond ``w:start`` are not followed."""

    def __init__(self, document):
        from docx.oxml.ns import qn

        self._qn = qn
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self._counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):  # no numbering part: nothing is numbered
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for definition in root.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in definition.findall(qn("w:lvl")):
                fmt, text, start = lvl.find(qn("w:numFmt")), lvl.find(qn("w:lvlText")), lvl.find(qn("w:start"))
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                    int(start.get(qn("w:val"))) if start is not None and start.get(qn("w:val"), "").isdigit() else 1,
                )
            abstract[definition.get(qn("w:abstractNumId"))] = levels
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self._levels[num.get(qn("w:numId"))] = abstract.get(ref.get(qn("w:val")), {})

    def marker(self, paragraph) -> tuple[str | None, int]:
        """(the number as Word shows it, or "-" for a bullet; None when not numbered) and the nesting depth."""
        num_id, level, depth = self._properties(paragraph)
        if num_id is None or num_id == "0" or num_id not in self._levels:
            return None, 0
        levels = self._levels[num_id]
        counters = self._counters.setdefault(num_id, [0] * 9)
        level = min(max(level, 0), 8)
        counters[level] += 1
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        fmt, text, _ = levels.get(level, ("decimal", f"%{level + 1}.", 1))
        if fmt == "bullet":
            return "-", depth
        if fmt == "none":
            return None, depth

        def number(match) -> str:
            k = int(match.group(1)) - 1
            k_fmt, _, k_start = levels.get(k, ("decimal", "", 1))
            return _format_number(max(counters[k], 1) + k_start - 1, k_fmt)

        shown = re.sub(r"%([1-9])", number, text or f"%{level + 1}.")
        return shown.strip() or None, depth

    def _properties(self, paragraph) -> tuple[str | None, int, int]:
        """(numbering id, numbering level, nesting depth) of a paragraph."""
        qn = self._qn
        num_pr = None
        ppr = paragraph._p.pPr
        if ppr is not None:
            num_pr = ppr.find(qn("w:numPr"))
        style = paragraph.style
        while num_pr is None and style is not None:
            style_ppr = style.element.find(qn("w:pPr"))
            num_pr = style_ppr.find(qn("w:numPr")) if style_ppr is not None else None
            style = style.base_style
        if num_pr is None:
            return None, 0, 0
        num_id, ilvl = num_pr.find(qn("w:numId")), num_pr.find(qn("w:ilvl"))
        level = ilvl.get(qn("w:val")) if ilvl is not None else "0"
        level_number = int(level) if level.isdigit() else 0
        # "List Bullet 2", "List Number 3": Word's built-in list styles nest by style, each with its own numbering.
        name = paragraph.style.name if paragraph.style is not None else ""
        depth = level_number
        if ilvl is None and name[-1:].isdigit() and name.lower().startswith("list"):
            depth = max(level_number, int(name[-1]) - 1)
        return (num_id.get(qn("w:val")) if num_id is not None else None), level_number, depth


_CN_NUMERALS = "零一二三四五六七八九"


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "japaneseCounting",
               "taiwaneseCounting", "chineseLegalSimplified"):
        if n < 10:
            return _CN_NUMERALS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_NUMERALS[tens % 10]) + "十" + (_CN_NUMERALS[ones] if ones else "")
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(n)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += numeral
            n -= value
    return out


def _heading_level(style_name: str) -> int:
    name = style_name.lower()
    if name == "title":
        return 1
    if name.startswith("heading "):
        digits = name.removeprefix("heading ").strip()
        return min(int(digits), 6) if digits.isdigit() else 0
    return 0


def _check_zip(path: Path, data: bytes, max_expanded: int) -> None:
    """Refuse from the zip's directory alone what it admits to (cheap); ``check_zip_expansion`` counts the rest."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise CorruptDocumentError(f"{path}: not a valid .docx (it is not a zip archive)") from exc
    total = sum(info.file_size for info in infos)
    if total > max_expanded:
        raise BudgetExceededError(
            path, f"expands past {max_expanded / 2**20:,.0f} MB by its zip directory (a zip bomb?)",
            "ingest.max_expanded_bytes",
        )
    if total > _MAX_RATIO * max(len(data), 1):
        raise CorruptDocumentError(
            f"{path}: refused: it would expand to {total / 2**20:.0f} MB from {len(data) / 2**20:.1f} MB (zip bomb?)"
        )
    if not any(info.filename == "word/document.xml" for info in infos):
        raise CorruptDocumentError(f"{path}: a zip archive but not a Word document (no word/document.xml)")
