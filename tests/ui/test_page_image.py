"""The cited PDF page for the source viewer: rendered from the report's own file only, with the quote's boxes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import filemakers
from rag.errors import ReportQAError
from rag.models import Chunk, Citation, PageBox
from ui.page_image import page_figure_html, render_page_png, shown_file


def test_a_page_is_rendered_as_a_png_of_the_page_shape(tmp_path):
    path = filemakers.make_cjk_pdf(tmp_path / "r.pdf", ["第一页", "第二页"])
    image = Image.open(io.BytesIO(render_page_png(path, 2)))
    assert image.format == "PNG" and 1.3 < image.height / image.width < 1.5  # A4
    with pytest.raises(ReportQAError, match="has no page 3"):
        render_page_png(path, 3)


def test_only_a_file_inside_the_corpus_or_uploads_folder_is_opened(tmp_path):
    corpus, elsewhere = tmp_path / "corpus", tmp_path / "elsewhere"
    inside = filemakers.make_cjk_pdf(corpus / "a.pdf", ["正文"])
    outside = filemakers.make_cjk_pdf(elsewhere / "b.pdf", ["正文"])
    assert shown_file(str(inside), [corpus]) == inside.resolve()
    with pytest.raises(ReportQAError, match="outside the corpus and uploads folders"):
        shown_file(str(outside), [corpus])
    (corpus / "link.pdf").symlink_to(outside)  # a link out of the corpus is followed, then refused
    with pytest.raises(ReportQAError, match="outside"):
        shown_file(str(corpus / "link.pdf"), [corpus])
    with pytest.raises(ReportQAError, match="gone"):
        shown_file(str(corpus / "deleted.pdf"), [corpus])


def test_the_figure_places_each_box_as_a_share_of_the_page():
    chunk = Chunk(id="d-00000", doc_id="0123456789abcdef", index=0, source="r.pdf", title="r", page=3, start=0,
                  end=10, text="0123456789")
    box = PageBox(page=3, x0=100, top=200, x1=300, bottom=220, page_width=400, page_height=800)
    html = page_figure_html(Citation(n=2, chunk=chunk, quote="0123", quote_start=0, quote_end=4, boxes=(box,)), 5)
    assert 'id="rq-page-5-2-0123456789abcdef-3"' in html
    assert "left:25.00%;top:25.00%;width:50.00%;height:2.50%" in html
    assert page_figure_html(Citation(n=1, chunk=chunk, quote="0", quote_start=0, quote_end=1)) == ""
