"""Self-test of tests/filemakers.py: each factory's file is checked with a real reader."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pypdf
import pytest

import filemakers
from filemakers import (
    cjk_font_path,
    make_binary_as_txt,
    make_cjk_pdf,
    make_corrupt_pdf,
    make_docx,
    make_encrypted_pdf,
    make_html,
    make_image_only_pdf,
    make_markdown_with_front_matter,
    make_text,
    make_zip_bomb_docx,
)

PAGES = [
    # long enough to wrap over several lines, mixes digits, punctuation and English
    "2024年中国人工智能市场规模达到了新的高度，同比增长23.5%，其中大模型相关收入占比显著提升。"
    "易观分析认为，企业级应用将在未来三年成为主要增长点，Revenue from AI services reached "
    "USD 1,234 million in Q4. 消费电子、金融、医疗与制造业是落地最快的四个行业。",
    "第二页：消费电子行业分析。\n用户规模：8.6亿；渗透率：61%。“引号”《书名号》——破折号…省略号",
    "第三頁：繁體中文測試，臺灣與香港市場。",
]


def squash(text: str) -> str:
    """Remove all whitespace, since the PDF wraps lines wherever it likes."""
    return "".join(text.split())


def test_a_cjk_font_is_installed_and_found() -> None:
    assert cjk_font_path().is_file()


def test_the_font_lookup_names_the_debian_package_when_no_font_exists(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(filemakers.CJK_FONT_ENV_VAR, raising=False)
    monkeypatch.setattr(filemakers, "CJK_FONT_CANDIDATES", (tmp_path / "missing.ttc",))
    with pytest.raises(filemakers.CjkFontNotFoundError, match="fonts-wqy-microhei"):
        cjk_font_path()


def test_the_cjk_pdf_has_one_page_per_string_and_pypdf_extracts_the_exact_text(tmp_path: Path) -> None:
    path = make_cjk_pdf(tmp_path / "report.pdf", PAGES, title="人工智能行业报告")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == len(PAGES)
    for page, expected in zip(reader.pages, PAGES, strict=True):
        assert squash(page.extract_text()) == squash(expected)
    assert reader.metadata.title == "人工智能行业报告"


def test_a_long_cjk_paragraph_is_wrapped_onto_several_lines(tmp_path: Path) -> None:
    path = make_cjk_pdf(tmp_path / "long.pdf", ["数据要素市场持续扩大。" * 40])
    text = pypdf.PdfReader(path).pages[0].extract_text()
    assert text.count("\n") >= 5
    assert squash(text) == "数据要素市场持续扩大。" * 40


def test_a_cjk_pdf_longer_than_a_page_flows_onto_more_pages(tmp_path: Path) -> None:
    body = "\n".join(f"第{i}行：行业数据持续增长。" for i in range(120))
    reader = pypdf.PdfReader(make_cjk_pdf(tmp_path / "flow.pdf", [body]))
    assert len(reader.pages) > 1
    assert squash("".join(p.extract_text() for p in reader.pages)) == squash(body)


def test_header_and_footer_are_the_first_and_last_lines_of_every_page(tmp_path: Path) -> None:
    path = make_cjk_pdf(tmp_path / "hf.pdf", PAGES, header="易观分析 2025", footer=True)
    for number, page in enumerate(pypdf.PdfReader(path).pages, start=1):
        lines = page.extract_text().splitlines()
        assert lines[0].strip() == "易观分析 2025"
        assert lines[-1].strip() == f"第 {number} 页"
        assert squash("".join(lines[1:-1])) == squash(PAGES[number - 1])


def test_the_footer_format_can_be_a_dashed_page_number(tmp_path: Path) -> None:
    path = make_cjk_pdf(tmp_path / "dash.pdf", ["甲", "乙"], footer=True, footer_format="- {page} -")
    last_lines = [p.extract_text().splitlines()[-1].strip() for p in pypdf.PdfReader(path).pages]
    assert last_lines == ["- 1 -", "- 2 -"]


def test_the_encrypted_pdf_is_encrypted_and_opens_with_its_password(tmp_path: Path) -> None:
    path = make_encrypted_pdf(tmp_path / "locked.pdf", "机密报告内容", password="pw123")
    reader = pypdf.PdfReader(path)
    assert reader.is_encrypted
    with pytest.raises(pypdf.errors.FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert reader.decrypt("pw123") != pypdf.PasswordType.NOT_DECRYPTED
    assert squash(reader.pages[0].extract_text()) == "机密报告内容"


def test_the_corrupt_pdf_has_a_pdf_header_but_pypdf_cannot_read_it(tmp_path: Path) -> None:
    path = make_corrupt_pdf(tmp_path / "broken.pdf")
    assert path.read_bytes().startswith(b"%PDF-1.7")
    with pytest.raises(Exception):  # noqa: B017 - any reader error will do
        pypdf.PdfReader(path).pages[0].extract_text()


def test_the_image_only_pdf_has_pages_but_no_text(tmp_path: Path) -> None:
    reader = pypdf.PdfReader(make_image_only_pdf(tmp_path / "scan.pdf", pages=3))
    assert len(reader.pages) == 3
    assert all(page.extract_text().strip() == "" for page in reader.pages)
    assert all(page.images for page in reader.pages)


def test_the_docx_has_real_heading_styles_paragraphs_and_a_table(tmp_path: Path) -> None:
    import docx

    blocks = [
        ("h1", "行业概览"),
        ("p", "2024年市场规模达到1000亿元。"),
        ("h2", "细分市场"),
        ("p", "Consumer electronics led the growth."),
        ("table", [["指标", "数值"], ["用户数", "8.6亿"]]),
    ]
    document = docx.Document(str(make_docx(tmp_path / "r.docx", blocks, title="年度报告")))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "行业概览") in styled
    assert ("Heading 2", "细分市场") in styled
    assert ("Normal", "2024年市场规模达到1000亿元。") in styled
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [["指标", "数值"], ["用户数", "8.6亿"]]
    assert document.core_properties.title == "年度报告"


def test_the_html_page_is_complete_and_contains_script_and_style(tmp_path: Path) -> None:
    from bs4 import BeautifulSoup

    path = make_html(tmp_path / "p.html", "报告 <标题>", "<h1>概览</h1><p>正文内容</p>")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert soup.title.string == "报告 <标题>"
    assert soup.find_all("script") and soup.find_all("style")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    visible = soup.get_text()
    assert "正文内容" in visible and "SHOULD_NOT_APPEAR" not in visible


@pytest.mark.parametrize(
    ("encoding", "bom", "prefix"),
    [("utf-8", False, b"\xe4"), ("utf-8", True, b"\xef\xbb\xbf"), ("utf-16-le", True, b"\xff\xfe")],
)
def test_unicode_text_files_round_trip_with_and_without_a_bom(tmp_path, encoding, bom, prefix) -> None:
    path = make_text(tmp_path / "u.txt", "中文内容\nline 2\n", encoding=encoding, bom=bom)
    data = path.read_bytes()
    assert data.startswith(prefix)
    decoder = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16"}[encoding]
    assert data.decode(decoder) == "中文内容\nline 2\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_text_decodes_with_gb18030_and_not_with_utf8(tmp_path, encoding) -> None:
    text = "易观分析：2024年中国数字经济报告\n"
    data = make_text(tmp_path / "g.txt", text, encoding=encoding).read_bytes()
    assert data.decode("gb18030") == text
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_big5_text_decodes_with_big5_and_not_with_utf8(tmp_path: Path) -> None:
    text = "臺灣市場報告，繁體中文。\n"
    data = make_text(tmp_path / "b.txt", text, encoding="big5").read_bytes()
    assert data.decode("big5") == text
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_asking_for_a_bom_on_gbk_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="byte-order mark"):
        make_text(tmp_path / "x.txt", "中文", encoding="gbk", bom=True)


def test_the_binary_txt_file_holds_nuls_and_is_not_utf8(tmp_path: Path) -> None:
    data = make_binary_as_txt(tmp_path / "notes.txt").read_bytes()
    assert b"\x00" in data and len(data) == 4096
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_the_zip_bomb_docx_is_small_on_disk_but_declares_a_huge_member(tmp_path: Path) -> None:
    path = make_zip_bomb_docx(tmp_path / "bomb.docx")
    assert path.stat().st_size < 2 * 1024 * 1024
    with zipfile.ZipFile(path) as zf:
        assert "[Content_Types].xml" in zf.namelist()
        assert zf.getinfo("word/document.xml").file_size == 200 * 1024 * 1024


def test_the_markdown_file_starts_with_yaml_front_matter(tmp_path: Path) -> None:
    import yaml

    path = make_markdown_with_front_matter(
        tmp_path / "n.md", "季度报告: Q1", "# 概览\n\n正文。", meta={"date": "2025-01-01", "pages": 3}
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    _, front, body = text.split("---\n", 2)
    assert yaml.safe_load(front) == {"title": "季度报告: Q1", "date": "2025-01-01", "pages": 3}
    assert body.strip() == "# 概览\n\n正文。"
