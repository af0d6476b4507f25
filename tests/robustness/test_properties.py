"""Text handling never crashes and keeps its offset promises on any Unicode a report can hold.

Property-based (hypothesis) over cleaning, chunking, folding, tokenizing, sentence spans and quote matching: random
Unicode with CJK, emoji, combining marks, control and zero-width characters, mixed scripts and Markdown-ish
structure, plus one explicit 1 MB single-line document.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.chunking import split_into_chunks
from ingest.clean import clean_text, rejoin_wrapped_lines, split_front_matter
from ingest.document import LoadedDocument
from rag.answer.citations import best_quote
from rag.models import Chunk
from rag.text.primitives import fold, sentence_spans, tokenize

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# Pieces that exercise the code paths a uniform random string rarely reaches: structure (headings, fences, front
# matter, list numbers), every sentence terminator and closer, the invisible and odd-whitespace characters cleaning
# removes or keeps, and scripts/graphemes that break naive "one character = one letter" code.
FRAGMENTS = [
    "# ", "## 标题", "### Heading ##", "\n", "\n\n", "\n\n\n", "\r\n", "\r", " ", "  ", "\t", "\u3000", "\u00a0",
    "---\n", "---\ntitle: 报告\n---\n", "...\n", "```\n", "~~~", "1. ", "2.3 ", "第一章 ", "一、", "（二）", "趋势3：",
    "Part 2 ", "- ", "* ", "•", "。", "！", "？", "；", "…", "……", "!", "?", ";", ".", ". ", "．", "｡", "，", ",", "、",
    "：", ":", "”", "」", "）", ")", "】", "》", "\"", "'", "“", "「", "（", "5.2%", "2024年", "infor-", "mation",
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029", "\x00", "\x01",
    "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\x85", "\u202f", "\u205f", "\u2003",
    "e\u0301", "\u0301", "a\u0308\u0323", "各\u20dd", "👍🏽", "👨\u200d👩\u200d👧", "🇨🇳", "🙂", "\U0001f9ea",
    "人工智能产业保持较快增长", "報告指出雲端市場", "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３", "ﬁ", "İ", "ß", "ΣΑΣ", "Ωmega",
    "العربية نص", "עברית", "हिन्दी", "ไทย", "한국어", "日本語のテキスト", "\U00020000\U0002a6d6", "\ud7ff", "\ue000",
    "Revenue grew 20% in 2024. Costs fell.", "Dr. Smith said", "A" * 90, "长" * 120,
]

_unicode = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
_cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=40)
_controls = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"]), max_size=8)
_piece = st.one_of(st.sampled_from(FRAGMENTS), _unicode, _cjk, _controls)
# Half short strings, half long ones (several chunks at the small chunk sizes drawn below).
TEXT = st.one_of(st.lists(_piece, max_size=20), st.lists(_piece, min_size=30, max_size=150)).map("".join)

# One line of about 1 MB: mixed Chinese and English with commas but no sentence end and no line break.
ONE_MB_LINE = ("人工智能产业在2024年保持较快增长，算力、数据与算法共同推动应用落地，" + "revenue grew 20%, " * 3) * 8000


def _doc(text: str, kind: str) -> LoadedDocument:
    return LoadedDocument(path=Path(f"report.{'md' if kind == 'markdown' else 'txt'}"), title="t", text=text, kind=kind)


def _non_space_positions(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if not ch.isspace()]


def _check_spans(text: str, spans, lo: int = 0, hi: int | None = None, disjoint: bool = True) -> None:
    hi = len(text) if hi is None else hi
    previous_start, previous_end = lo, lo
    for start, end in spans:
        assert lo <= start < end <= hi, (start, end)
        piece = text[start:end]
        assert piece and piece == piece.strip(), repr(piece)
        assert start >= previous_start, "spans out of order"
        if disjoint:
            assert start >= previous_end, "spans overlap"
        previous_start, previous_end = start, end


def _check_chunks(text: str, chunk_size: int, overlap: int, kind: str) -> None:
    chunks = split_into_chunks(_doc(text, kind), chunk_size, overlap)
    _check_spans(text, [(c.start, c.end) for c in chunks], disjoint=False)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(c.end >= p.end for p, c in zip(chunks, chunks[1:])), "chunk ends go backwards"
    # Every visible character of the document lies in some chunk: nothing is silently dropped.
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    missing = [i for i in _non_space_positions(text) if not covered[i]]
    assert not missing, f"characters in no chunk: {[text[i] for i in missing[:10]]}"
    if any(not ch.isspace() for ch in text):
        assert chunks


# -- cleaning --------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(TEXT)
@example("")
@example("\u200b\ufeff\x00 \u3000\n\n\n\r\n")
@example("a\x85b")
def test_clean_text_never_crashes_and_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert "\r" not in once and "\n\n\n" not in once
    assert once == once.strip()


@PROPERTY_SETTINGS
@given(TEXT)
@example("")
def test_rejoining_wrapped_lines_keeps_every_visible_character_but_a_joining_hyphen(text):
    text = clean_text(text)
    joined = rejoin_wrapped_lines(text)

    def visible(s: str) -> str:
        return "".join(ch for ch in s if not ch.isspace() and ch != "-")

    assert visible(joined) == visible(text)
    assert joined.count("\n") <= text.count("\n")


@PROPERTY_SETTINGS
@given(st.one_of(TEXT, st.tuples(st.sampled_from(["---\n", "---\r\n", " ---\n", "---"]), TEXT,
                                  st.sampled_from(["\n---\n", "\n...\n", "\n---", ""]), TEXT).map("".join)))
@example("")
@example("---\n: : :\n---\nbody")
@example("---\n- a\n- b\n---\nbody")
@example("---\n!!python/object:os.system ls\n---\nbody")
def test_front_matter_splitting_never_crashes_and_returns_a_suffix_of_the_text(text):
    body, fields = split_front_matter(text)
    assert isinstance(fields, dict)
    assert text.endswith(body)
    if fields:
        assert len(body) < len(text)


# -- chunking --------------------------------------------------------------------------------------------------

_SIZES = st.integers(min_value=51, max_value=400).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(min_value=0, max_value=min(size - 1, 1000)))
)


@PROPERTY_SETTINGS
@given(TEXT, _SIZES, st.sampled_from(["markdown", "text"]))
@example("", (400, 80), "markdown")
@example("# 只有标题", (400, 80), "markdown")
@example("```\n# not a heading\n", (60, 59), "text")
def test_chunks_of_cleaned_text_slice_back_and_cover_every_visible_character(text, sizes, kind):
    _check_chunks(clean_text(text), *sizes, kind)


@PROPERTY_SETTINGS
@given(TEXT, _SIZES, st.sampled_from(["markdown", "text"]))
@example("\r\n", (51, 0), "text")
@example("报告\n \u3000\n" + "正文很长" * 20, (51, 0), "text")
def test_chunks_of_raw_uncleaned_text_keep_the_same_promises(text, sizes, kind):
    """Regression: a whitespace-only line ("\\r" of a CRLF) in plain text raised IndexError in the heading finder."""
    _check_chunks(text, *sizes, kind)


# -- folding, tokens, sentences, quotes -----------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(TEXT)
@example("")
def test_fold_and_tokenize_never_crash_and_tokens_are_clean_words(text):
    folded = fold(text)
    assert isinstance(folded, str)
    assert not any(ch in folded for ch in "\u200b\ufeff\u00ad")
    for token in tokenize(text):
        assert token and token == token.strip()
        assert any(ch.isalnum() or ch == "_" for ch in token), repr(token)


@PROPERTY_SETTINGS
@given(TEXT, st.data())
@example("", None)
def test_sentence_spans_slice_back_and_stay_inside_the_requested_range(text, data):
    _check_spans(text, sentence_spans(text))
    if data is not None and text:
        lo = data.draw(st.integers(0, len(text)))
        hi = data.draw(st.integers(lo, len(text)))
        _check_spans(text, sentence_spans(text, lo, hi), lo, hi)


@PROPERTY_SETTINGS
@given(TEXT, TEXT, st.integers(min_value=0, max_value=10_000))
@example("", "", 0)
def test_best_quote_is_an_exact_slice_of_its_chunk(chunk_text, claim, offset):
    chunk = Chunk(id="c", doc_id="d", index=0, source="s", title="t", start=offset, end=offset + len(chunk_text),
                  text=chunk_text)
    quote, start, end = best_quote(chunk, claim)
    assert chunk.start <= start <= end <= chunk.end
    assert quote == chunk_text[start - offset : end - offset]
    if chunk_text.strip():
        assert quote.strip()


# -- one explicit 1 MB line ------------------------------------------------------------------------------------


def test_a_single_one_megabyte_line_goes_through_every_text_function_in_bounded_time():
    assert 2**20 <= len(ONE_MB_LINE.encode("utf-8")) < 1.5 * 2**20 and "\n" not in ONE_MB_LINE
    started = time.perf_counter()
    cleaned = clean_text(ONE_MB_LINE)
    assert cleaned == ONE_MB_LINE.strip() and clean_text(cleaned) == cleaned
    assert rejoin_wrapped_lines(cleaned) == cleaned
    assert split_front_matter(cleaned) == (cleaned, {})
    for kind in ("markdown", "text"):
        _check_chunks(cleaned, 400, 80, kind)
    spans = sentence_spans(cleaned)
    assert spans == [(0, len(cleaned))]
    assert fold(cleaned)
    assert tokenize(cleaned)
    chunk = Chunk(id="c", doc_id="d", index=0, source="s", title="t", start=0, end=len(cleaned), text=cleaned)
    quote, start, end = best_quote(chunk, "算力与数据推动应用落地")
    assert quote == cleaned[start:end]
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"{elapsed:.1f} s for a 1 MB line"


@pytest.mark.parametrize("kind", ["markdown", "text"])
def test_a_document_of_only_invisible_characters_has_no_chunks(kind):
    text = clean_text("\u200b\ufeff\u2060\u00ad\x00\x7f \n\t\u3000")
    assert text == ""
    assert split_into_chunks(_doc(text, kind), 400, 80) == []
