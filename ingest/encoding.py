"""Decoding report bytes whose encoding nobody wrote down: UTF-8 (with or without BOM), UTF-16, GB18030/GBK, Big5."""

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


def decode_bytes(data: bytes, path: Path) -> str:
    """Decode a text file's bytes, detecting its encoding.

    Raises:
        CorruptDocumentError: the file is empty, binary, or in no encoding we recognise.
    """
    if not data.strip():
        raise CorruptDocumentError(f"{path}: empty file")
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path)
    if b"\x00" in data[:65536]:
        raise CorruptDocumentError(f"{path}: binary content (NUL bytes), not a text report")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best_text, best_score = None, -1.0
    for encoding in _CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _chinese_score(text)
        if score > best_score:
            best_text, best_score = text, score
    if best_text is None or best_score < 0.05:
        raise CorruptDocumentError(f"{path}: not text in UTF-8, GB18030/GBK or Big5 (binary file?)")
    return best_text


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
