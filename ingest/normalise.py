"""Character normalisation every loader's text goes through before chunking (via ``ingest.clean.clean_text``).

One character in, at most one character out, line breaks untouched: offsets are computed on the result, and a
loader's markup hint (``StructureHints.markup``) normalised the same way still lines up with the cleaned text.

- Kangxi radicals and CJK Radicals Supplement → the ideographs they stand for (table in ``ingest.radicals``).
- Full-width Latin letters and digits, and the full-width forms of ``$%&*+-<=>@^_``` → ASCII ("２０２４" → "2024").
  Full-width Chinese punctuation (，。：；！？（）「」｜～ …) is the normal form in Chinese text and stays as written;
  ``｜`` in particular is what the HTML and DOCX loaders put for a "|" inside a table cell.
- Zero-width characters, soft hyphens, byte-order marks and C0 controls other than tab and newline are removed.
"""

from __future__ import annotations

import re

from ingest.radicals import RADICAL_TABLE

_FULLWIDTH_SYMBOLS = "$%&*+-<=>@^_`"
_FULLWIDTH = {
    code: chr(code - 0xFEE0)
    for code in range(0xFF01, 0xFF5F)
    if chr(code - 0xFEE0).isalnum() or chr(code - 0xFEE0) in _FULLWIDTH_SYMBOLS
}
_TABLE = {**RADICAL_TABLE, **_FULLWIDTH}
# \r is kept: clean_text turns it into a line break.
_INVISIBLE_RE = re.compile(
    r"[\u200b-\u200f\u2028\u2029\u2060-\u2064\u180e\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
# Quick test that lets text without any mapped character skip the translation.
_MAPPED_RE = re.compile("[\u2e80-\u2fdf\uff01-\uff5e]")


def normalise_chars(text: str) -> str:
    """Radicals to ideographs, full-width letters and digits to ASCII, invisible characters removed."""
    text = _INVISIBLE_RE.sub("", text)
    if _MAPPED_RE.search(text):
        text = text.translate(_TABLE)
    return text
