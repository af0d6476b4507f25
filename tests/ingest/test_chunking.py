"""Chunks are exact spans of the cleaned text that follow the report's sections and Chinese sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunking import split_into_chunks
from ingest.document import LoadedDocument, PageSpan
from ingest.loaders import load_document
from rag.settings import Settings
from rag.text.primitives import sentence_spans

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
REPORTS = sorted(p for p in CORPUS.iterdir() if p.is_file())
SETTINGS = Settings().ingest
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _markdown(text: str) -> LoadedDocument:
    return LoadedDocument(path=Path("report.md"), title="report", text=text, kind="markdown")


def _heading_lines(text: str) -> list[tuple[int, str]]:
    """(offset, title) of every Markdown heading line outside code fences."""
    found, offset, fenced = [], 0, False
    for line in text.split("\n"):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (match := _MD_HEADING.match(line)):
            found.append((offset, re.sub(r"[*_`]+", "", match.group(2)).strip()))
        offset += len(line) + 1
    return found


def _only_headings(fragment: str) -> bool:
    return all(not line.strip() or _MD_HEADING.match(line) for line in fragment.split("\n"))


@pytest.fixture(scope="module", params=REPORTS, ids=lambda p: p.name)
def chunked(request):
    doc = load_document(request.param)
    return doc, split_into_chunks(doc, SETTINGS.chunk_size, SETTINGS.chunk_overlap)


def test_the_corpus_holds_markdown_and_plain_text_reports():
    assert {p.suffix for p in REPORTS} == {".md", ".txt"} and len(REPORTS) == 5


def test_every_chunk_is_a_non_empty_span_without_surrounding_whitespace(chunked):
    doc, chunks = chunked
    assert chunks
    for chunk in chunks:
        text = doc.text[chunk.start : chunk.end]
        assert text, chunk
        assert text == text.strip(), chunk


def test_chunks_cover_the_whole_document_in_order(chunked):
    doc, chunks = chunked
    assert [c.index for c in chunks] == list(range(len(chunks)))
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    covered = bytearray(len(doc.text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    missed = [i for i, ch in enumerate(doc.text) if not covered[i] and not ch.isspace()]
    assert missed == []


def test_chunk_sizes_stay_within_the_merge_allowance(chunked):
    doc, chunks = chunked
    for chunk in chunks:
        assert chunk.end - chunk.start <= SETTINGS.chunk_size * 1.3, doc.text[chunk.start : chunk.end]


def test_chunks_end_on_sentence_boundaries_unless_a_sentence_is_longer_than_a_chunk(chunked):
    doc, chunks = chunked
    sentences = sentence_spans(doc.text)
    starts, ends = {s for s, _ in sentences}, {e for _, e in sentences}
    for chunk in chunks:
        for offset, boundaries in ((chunk.end, ends), (chunk.start, starts)):
            if offset not in boundaries:
                inside = next(s for s in sentences if s[0] < offset < s[1])
                assert inside[1] - inside[0] > SETTINGS.chunk_size, doc.text[chunk.start : chunk.end]


@pytest.mark.parametrize("path", [p for p in REPORTS if p.suffix == ".md"], ids=lambda p: p.name)
def test_markdown_headings_start_chunks_and_name_their_section(path):
    doc = load_document(path)
    chunks = split_into_chunks(doc, SETTINGS.chunk_size, SETTINGS.chunk_overlap)
    headings = _heading_lines(doc.text)
    assert len(headings) >= 5
    for offset, _ in headings:
        for chunk in chunks:
            if chunk.start <= offset < chunk.end:
                # Only other headings (a heading straight above a sub-heading) may come before it in its chunk.
                assert _only_headings(doc.text[chunk.start : offset]), doc.text[chunk.start : chunk.end]
    titles = dict(headings)
    for previous, chunk in zip([None, *chunks], chunks):
        leading = [o for o, _ in headings if chunk.start <= o < chunk.end and _only_headings(doc.text[chunk.start : o])]
        if leading:
            assert chunk.start == leading[0]
            # The report's own title (its H1) names the report, not a section.
            assert chunk.section == ("" if titles[leading[-1]] == doc.title else titles[leading[-1]])
            assert (chunk.section_path[-1] if chunk.section_path else "") == chunk.section
        elif previous is not None:
            assert chunk.section == previous.section


def test_a_comment_in_a_shipped_code_block_is_not_a_section():
    doc = load_document(CORPUS / "ai-llm-startups-market-challenges.md")
    assert "# 安装CUDA" in doc.text
    sections = {c.section for c in split_into_chunks(doc, SETTINGS.chunk_size, SETTINGS.chunk_overlap)}
    assert "5.2 源代码详细实现" in sections
    assert not {"安装CUDA", "安装cuDNN", "安装依赖"} & sections


def test_a_heading_inside_a_code_fence_is_not_a_section():
    """Regression: '# comment' lines inside ``` fences were taken for Markdown headings and split sections."""
    text = (
        "# 部署\n\n安装步骤如下。\n\n```bash\n# 安装依赖\npip install reportqa\n```\n\n"
        "安装完成后运行命令。\n\n## 配置\n\n配置文件说明。"
    )
    chunks = split_into_chunks(_markdown(text), 200, 20)
    assert [(c.section, c.section_path) for c in chunks] == [("部署", ("部署",)), ("配置", ("部署", "配置"))]
    assert "# 安装依赖" in text[chunks[0].start : chunks[0].end]
    assert "安装完成后运行命令。" in text[chunks[0].start : chunks[0].end]


def test_a_heading_with_nothing_under_it_joins_the_next_section():
    text = "# 总论\n\n## 市场规模\n\n规模持续增长。\n\n## 竞争格局\n\n竞争加剧。"
    chunks = split_into_chunks(_markdown(text), 200, 20)
    assert [text[c.start : c.end] for c in chunks] == [
        "# 总论\n\n## 市场规模\n\n规模持续增长。",
        "## 竞争格局\n\n竞争加剧。",
    ]
    assert [c.section_path for c in chunks] == [("总论", "市场规模"), ("总论", "竞争格局")]


SENTENCES = [
    "人工智能市场规模在2024年继续扩大。",
    "企业客户更加关注投入产出比！",
    "大模型能否真正降低成本？",
    "算力价格下降；推理需求上升。",
    "行业分析师认为，未来三年将是落地的关键期。",
    "他说：“我们已经看到了明显的变化。”",
    "云厂商纷纷推出了行业大模型……",
    "开源模型的能力也在快速追赶。",
]


def _long_chinese_section(repeat: int = 6) -> tuple[str, list[str]]:
    body = [s for _ in range(repeat) for s in SENTENCES]
    return "# 市场\n\n" + "".join(body), body


def test_a_chinese_chunk_never_ends_inside_a_sentence():
    text, _ = _long_chinese_section()
    ends = {e for _, e in sentence_spans(text)}
    starts = {s for s, _ in sentence_spans(text)}
    chunks = split_into_chunks(_markdown(text), 120, 30)
    assert len(chunks) > 5
    for chunk in chunks:
        piece = text[chunk.start : chunk.end]
        assert chunk.end in ends and chunk.start in starts, piece
        assert piece[-1] in "。！？；…”", piece
        assert chunk.end - chunk.start <= 120 * 1.3


def test_a_sentence_longer_than_a_chunk_is_cut_at_a_comma():
    clause = "由于训练数据的质量参差不齐，"
    text = "# 长句\n\n" + clause * 20 + "模型效果难以保证。"
    chunks = split_into_chunks(_markdown(text), 100, 20)
    assert len(chunks) > 2
    for chunk in chunks[:-1]:
        piece = text[chunk.start : chunk.end]
        # The first chunk also carries the heading line above the cut piece.
        budget = 100 + (len("# 长句\n\n") if chunk.index == 0 else 0)
        assert piece.endswith("，") and len(piece) <= budget, piece
    assert text[chunks[-1].start : chunks[-1].end].endswith("模型效果难以保证。")


def test_a_long_english_sentence_cut_at_a_space_leaves_no_trailing_space():
    """Regression: cutting a long sentence at a space kept the space, so chunks ended in whitespace."""
    sentence = " ".join(["The market for enterprise software keeps growing as companies move workloads"] * 15) + "."
    text = "# Market\n\n" + sentence
    chunks = split_into_chunks(_markdown(text), 200, 40)
    assert len(chunks) > 3
    for chunk in chunks:
        piece = text[chunk.start : chunk.end]
        assert piece == piece.strip(), repr(piece)
    assert " ".join(text[c.start : c.end] for c in chunks).split() == text.split()


def test_a_heading_is_never_a_chunk_on_its_own():
    """Regression: a heading over a first sentence that filled a whole chunk became a chunk holding only the heading."""
    text = "# 长\n\n" + "这是一个没有任何标点而且非常非常长的中文句子" * 20 + "。"
    chunks = split_into_chunks(_markdown(text), 100, 20)
    for chunk in chunks:
        assert not _only_headings(text[chunk.start : chunk.end]), text[chunk.start : chunk.end]
    assert text[chunks[0].start : chunks[0].end].startswith("# 长\n\n这是")


def test_consecutive_chunks_of_a_long_section_share_whole_sentences_when_overlap_is_set():
    text, _ = _long_chinese_section()
    chunks = split_into_chunks(_markdown(text), 120, 40)
    assert len(chunks) > 5
    for previous, chunk in zip(chunks, chunks[1:]):
        assert chunk.start < previous.end, "no shared text"
        shared = text[chunk.start : previous.end]
        assert 0 < len(shared) <= 40
        assert chunk.start in {s for s, _ in sentence_spans(text)}


def test_no_overlap_means_chunks_are_disjoint():
    text, _ = _long_chinese_section()
    chunks = split_into_chunks(_markdown(text), 120, 0)
    for previous, chunk in zip(chunks, chunks[1:]):
        assert chunk.start >= previous.end


def test_only_the_last_chunk_of_a_section_may_exceed_the_chunk_size():
    text = "# 一\n\n" + "".join(SENTENCES * 4) + "\n\n# 二\n\n" + "".join(SENTENCES * 3)
    chunks = split_into_chunks(_markdown(text), 120, 30)
    for chunk, following in zip(chunks, [*chunks[1:], None]):
        if chunk.end - chunk.start > 120:
            assert following is None or following.section != chunk.section


def test_pdf_chunks_record_the_page_they_start_on():
    page_one = "第一页讨论了算力市场的规模与增长速度，以及主要厂商的竞争格局和价格走势。"
    page_two = "第二页讨论了模型应用的落地情况，以及企业客户在采购时最关心的几个问题。"
    text = f"{page_one}\n\n{page_two}"
    second = len(page_one) + 2
    doc = LoadedDocument(
        path=Path("r.pdf"),
        title="r",
        text=text,
        kind="pdf",
        pages=(PageSpan(0, len(page_one), 1), PageSpan(second, len(text), 2)),
    )
    chunks = split_into_chunks(doc, 60, 0)
    assert [(c.start, c.page) for c in chunks] == [(0, 1), (second, 2)]


# --- sentence_spans -------------------------------------------------------------------------------------------------


def _sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, start, end)]


def test_sentence_spans_split_mixed_chinese_and_english_at_every_terminator():
    text = (
        "他说：“市场会增长。”随后离开了！真的吗？！是的；还有……\n列表项一\n"
        "  Revenue grew fast. Is it true? Yes! Done; next （括号。）结束"
    )
    assert _sentences(text) == [
        "他说：“市场会增长。”",
        "随后离开了！",
        "真的吗？！",
        "是的；",
        "还有……",
        "列表项一",
        "Revenue grew fast.",
        "Is it true?",
        "Yes!",
        "Done;",
        "next （括号。）",
        "结束",
    ]


def test_sentence_spans_keep_decimals_and_list_numbers_whole():
    text = "1. 市场概况\n2.3. Scope of work. Margins were 5.2% this year."
    assert _sentences(text) == ["1. 市场概况", "2.3. Scope of work.", "Margins were 5.2% this year."]


def test_an_english_sentence_ending_in_a_number_is_a_sentence():
    """Regression: a full stop after a digit never ended a sentence, so 'grew 5% in 2024. Costs fell.' was one."""
    assert _sentences("Revenue grew 5% in 2024. Costs fell. See table 3. Next.") == [
        "Revenue grew 5% in 2024.",
        "Costs fell.",
        "See table 3.",
        "Next.",
    ]


def test_sentence_spans_of_a_slice_are_offsets_into_the_whole_text():
    text = "前言。市场会增长。”随后离开了！真的吗"
    start = text.index("市场")
    spans = sentence_spans(text, start, len(text) - 1)
    assert [text[a:b] for a, b in spans] == ["市场会增长。”", "随后离开了！", "真的"]
    assert spans[0][0] == start


def test_sentence_spans_trim_whitespace_and_skip_blank_lines():
    text = "  第一句。  \n\n\n   第二句！\t\n"
    assert _sentences(text) == ["第一句。", "第二句！"]
    assert sentence_spans("   \n\n ") == []
