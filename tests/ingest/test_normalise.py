"""Every loader's text is normalised before chunking: radicals, full-width letters, invisible characters, wraps."""

from __future__ import annotations

import unicodedata

import pypdf

import filemakers
from ingest.clean import clean_text
from ingest.loaders import load_document
from ingest.pipeline import run_ingest
from rag.engine import Engine

RADICAL_BLOCKS = {"CJK Radicals Supplement": (0x2E80, 0x2EFF), "Kangxi Radicals": (0x2F00, 0x2FDF)}


def _assigned(first: int, last: int) -> list[int]:
    return [code for code in range(first, last + 1) if unicodedata.category(chr(code)) != "Cn"]


def test_every_code_point_of_both_radical_blocks_becomes_a_cjk_unified_ideograph():
    counts = {}
    for block, (first, last) in RADICAL_BLOCKS.items():
        codes = _assigned(first, last)
        counts[block] = len(codes)
        for code in codes:
            out = clean_text(chr(code))
            assert len(out) == 1, f"U+{code:04X} -> {out!r}"
            assert unicodedata.name(out).startswith("CJK UNIFIED IDEOGRAPH"), f"U+{code:04X} -> {out!r}"
    assert counts == {"CJK Radicals Supplement": 115, "Kangxi Radicals": 214}


def test_radicals_in_running_text_read_as_the_characters_a_reader_sees():
    assert clean_text("我们⽤了你们平台，⻓期合作，⻔店⼈员") == "我们用了你们平台，长期合作，门店人员"


def test_full_width_letters_and_digits_become_ascii_but_chinese_punctuation_stays():
    assert clean_text("２０２４年Ｑ３收入增长１５％，ＡＩ（人工智能）：好！") == "2024年Q3收入增长15%，AI（人工智能）：好！"


def test_zero_width_characters_and_soft_hyphens_are_removed():
    assert clean_text("大\u200b模\u200d型\ufeff应用 infor\u00admation\u2060") == "大模型应用 information"


def test_a_pdf_whose_text_layer_holds_radicals_is_read_with_normal_characters(tmp_path):
    path = filemakers.make_radical_pdf(
        tmp_path / "printed.pdf", ["客户反馈：我们用了你们平台三年，长期合作降低了成本。"], {"用": "⽤", "长": "⻓"}
    )
    text = load_document(path).text
    assert "我们用了你们平台三年，长期合作降低了成本。" in text
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text)


def test_hard_wrapped_pdf_lines_are_joined_without_spaces_in_chinese_and_without_hyphens_in_english(tmp_path):
    chinese = "人工智能产业在二零二四年保持快速增长，企业级应用成为主要动力，算力基础设施的建设也在持续加速推进之中。"
    english = ("Enterprise adoption of large language models accelerated through the year while infrastructure "
               "spending kept pace with demand from every sector.")
    pages = [chinese + "\n" + english.replace("infrastructure", "infra-\nstructure")]
    doc = load_document(filemakers.make_cjk_pdf(tmp_path / "wrapped.pdf", pages))
    assert chinese in doc.text
    assert "infrastructure spending" in doc.text and "infra-" not in doc.text


def test_a_keyword_question_finds_and_quotes_a_radical_pdf_with_normal_characters(make_settings, tmp_path):
    """Bug: a browser-printed PDF indexed "⽤了你们平台"/"⻓期", so questions with 用/长 never matched it."""
    corpus = tmp_path / "corpus"
    filemakers.make_radical_pdf(
        corpus / "客户访谈.pdf",
        ["客户访谈纪要\n客户表示：我们用了你们平台三年，长期合作让运维成本下降了百分之二十。\n"
         "下一步计划把数据分析业务迁移到云上，预计明年完成。"],
        {"用": "⽤", "长": "⻓"},
    )
    raw = pypdf.PdfReader(corpus / "客户访谈.pdf").pages[0].extract_text()
    assert "⽤了你们平台" in raw and "⻓期" in raw  # what the text layer really holds
    settings = make_settings(corpus_dir=corpus)
    assert run_ingest(settings).ok
    answer = Engine.from_settings(settings).ask("客户用了平台多久？长期合作的效果如何？")
    assert not answer.refused and answer.citations
    quotes = " ".join(c.quote for c in answer.citations)
    assert "用了你们平台" in quotes and "长期" in quotes
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in quotes)
    stored = load_document(corpus / "客户访谈.pdf").text
    for citation in answer.citations:
        assert stored[citation.quote_start : citation.quote_end] == citation.quote


def _write_each_format(folder):
    """The same radical-laden report (title, heading, paragraph, table) as Markdown, text, HTML and DOCX."""
    title, heading, body = "⽤户调研", "⻓期趋势", "⽤户⻓期留存率为８５％。"
    md = folder / "r.md"
    md.write_text(f"# {title}\n\n## {heading}\n\n{body}\n\n| 指标⽤ | 数值 |\n| --- | --- |\n| 留存 | ８５％ |\n",
                  encoding="utf-8")
    txt = filemakers.make_text(folder / "r.txt", f"{title}\n\n{heading}\n\n{body}\n")
    html = filemakers.make_html(
        folder / "r.html", title,
        f"<h1>{title}</h1><h2>{heading}</h2><p>{body}</p>"
        "<table><tr><th>指标⽤</th><th>数值</th></tr><tr><td>留存</td><td>８５％</td></tr></table>",
    )
    docx = filemakers.make_docx(
        folder / "r.docx", [("h1", title), ("h2", heading), ("p", body), ("table", [["指标⽤", "数值"], ["留存", "８５％"]])],
        title=title,
    )
    return [md, txt, html, docx]


def test_every_loader_normalises_text_title_and_structure_alike(tmp_path):
    import json

    from ingest.structure import read_structure

    for path in _write_each_format(tmp_path):
        doc = load_document(path)
        assert doc.title == "用户调研", path.name
        assert "用户长期留存率为85%。" in doc.text, path.name
        blocks = json.dumps(read_structure(doc).to_dict(), ensure_ascii=False)
        if path.suffix != ".txt":  # plain text has no markup hint
            assert '"长期趋势"' in blocks, path.name  # the heading path
            assert "指标用" in blocks, path.name  # a table's header cells, read from the markup hint
        assert not any(0x2E80 <= ord(ch) <= 0x2FDF or 0xFF10 <= ord(ch) <= 0xFF19 for ch in doc.text + blocks), path
