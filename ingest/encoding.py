"""Decoding report bytes whose encoding nobody wrote down: UTF-8, UTF-16/32 (with or without BOM), GB18030/GBK, Big5,
and what else charset-normalizer recognises."""

from __future__ import annotations

import codecs
from pathlib import Path

from rag.errors import CorruptDocumentError

# Characters so common in Chinese prose that a right decoding is full of them and a wrong one is not.
# Both Simplified and Traditional forms, so Big5 and GBK text score alike when decoded correctly.
_COMMON = frozenset(
    "的一是不了人在有我他这這个個们們中来來上大为為和国國地到以说說时時要就出也得里裡后後自会會家可下而过過天去能对對"
    "小多然于於心学學么麼之都好看起发發当當没沒成只如事把还還用第样樣道想作种種开開美总總从從无無情己面最但现現前些所同日"
    "手又行意动動方期它头頭经經长長儿兒回位分老因很给給名法间間知世什两兩次使身者被高已其进進此话話常与與活正感业業市场場"
    "模型服务務企技术術产產数數据據应應"
)
_CANDIDATES = ("gb18030", "big5")
# How much of a file the detectors read: enough for a verdict, without reading a big file twice.
_SAMPLE_BYTES = 65536
# What a file that is no text at all usually is, by its first bytes: named in the refusal.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or DOCX/XLSX)"), (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"), (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"), (b"\x1f\x8b", "a gzip archive"), (b"\xd0\xcf\x11\xe0", "an old Office document"),
)


def decode_bytes(data: bytes, path: Path) -> str:
    """Decode a text file's bytes, detecting its encoding.

    A byte-order mark decides first; then UTF-8; then GB18030/GBK and Big5, scored by how Chinese the result reads;
    then charset-normalizer, which also finds UTF-16/32 without a BOM (a file full of NUL bytes is not binary
    for that alone) and other encodings. Only when nothing fits is the file called binary.

    Raises:
        CorruptDocumentError: the file is empty, binary, or in no encoding we recognise.
    """
    if not data.strip():
        raise CorruptDocumentError(f"{path}: empty file")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _strict(data, encoding, path)
    has_nul = b"\x00" in data[:_SAMPLE_BYTES]
    if not has_nul:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    detected = _detect(data)
    if detected is not None and detected[0].startswith(("utf_16", "utf_32")):
        return detected[1]  # NUL bytes in a fixed pattern: the legacy candidates cannot be right
    legacy = None if has_nul else _best_legacy(data)
    if legacy is not None:
        return legacy
    if detected is not None:
        return detected[1]
    raise CorruptDocumentError(f"{path}: {_binary_reason(data)}")


def _best_legacy(data: bytes) -> str | None:
    """The GB18030 or Big5 reading that reads most like Chinese, if one reads like text at all."""
    best_text, best_score = None, -1.0
    for encoding in _CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _chinese_score(text)
        if score > best_score:
            best_text, best_score = text, score
    return best_text if best_score >= 0.05 else None


def _detect(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's encoding for ``data`` and the whole text in it, or ``None`` when no encoding fits."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_SAMPLE_BYTES]).best()
    if best is None:
        return None
    encoding = best.encoding
    if len(data) > _SAMPLE_BYTES and encoding.startswith(("utf_16", "utf_32")):
        unit = 2 if encoding.startswith("utf_16") else 4
        data = data[: len(data) // unit * unit]  # a truncated last character must not sink the whole file
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    printable = sum(1 for ch in text[:20000] if ch.isprintable() or ch in "\n\r\t")
    if printable < 0.95 * min(len(text), 20000):
        return None  # decodes, but into control characters: binary after all
    return encoding, text


def _binary_reason(data: bytes) -> str:
    """Why a file is no text: what its first bytes say it is, else how much of it is control bytes."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            return f"binary content, not a text report: its first bytes are those of {what}"
    sample = data[:_SAMPLE_BYTES]
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return (f"binary content, not a text report: {control * 100 // len(sample)}% control bytes, and no text encoding "
            "fits (tried UTF-8/16/32, GB18030/GBK, Big5 and those charset-normalizer knows)")


def _strict(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorruptDocumentError(f"{path}: declares {encoding} but does not decode: {exc.reason}") from exc


def _chinese_score(text: str) -> float:
    sample = text[:20000]
    han = [ch for ch in sample if "\u4e00" <= ch <= "\u9fff"]
    if not han:
        printable = sum(1 for ch in sample if ch.isprintable() or ch in "\n\r\t")
        return printable / max(len(sample), 1)
    return sum(1 for ch in han if ch in _COMMON) / len(han)
