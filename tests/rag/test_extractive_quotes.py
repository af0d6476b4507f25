"""What an extractive answer quotes around a chosen sentence: a lead-in with what it introduces, a short topic
sentence with the sentence that makes it an answer, and never more than the passage it cites."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load_document
from ingest.structure import read_structure
from rag.answer.evidence import DocumentEntry, Sentence
from rag.answer.extractive import complete_sentence, compose_extractive, display_sentence
from rag.models import Chunk, Passage

DOCUMENT = (
    "# 开发指南\n\n"
    "## 环境搭建\n\n"
    "3. **安装依赖库**：安装常用的依赖库，如TensorFlow、PyTorch等：\n"
    "```bash\n"
    "pip install tensorflow==2.4.1\n"
    "pip install torch\n"
    "```\n\n"
    "4. **配置GPU**：安装CUDA。\n\n"
    "## 组织\n\n"
    "人机协同需要灵活的架构。新的架构应更偏向于扁平化，减少中间层级。信息因此传递更快。\n\n"
    "企业的组织架构调整是一项长期工作，需要管理层在较长时间内持续投入资源。很多企业已经开始行动。\n"
)
# A plain-text report with a table whose cells are split by tabs (as text exported from a spreadsheet is).
TABLE_DOCUMENT = (
    "会员对比\n\n"
    "表 会员体系\n"
    "\t超级会员\t大会员\n"
    "价格\t¥148/年\t¥348/年\n"
    "AI权益\t不支持\t√\n"
    "云空间\t365G\t1T\n"
    "设备数\t5台\t9台\n"
    "客服\t普通\t专属\n"
)


@pytest.fixture(scope="module")
def guide(tmp_path_factory) -> DocumentEntry:
    return _read(tmp_path_factory.mktemp("guide") / "guide.md", DOCUMENT)


@pytest.fixture(scope="module")
def members(tmp_path_factory) -> DocumentEntry:
    return _read(tmp_path_factory.mktemp("members") / "members.txt", TABLE_DOCUMENT)


def _read(path: Path, text: str) -> DocumentEntry:
    """The report as ingest reads it: cleaned text and the structure read from it."""
    path.write_text(text, encoding="utf-8")
    loaded = load_document(path)
    structure = read_structure(loaded).to_dict()
    return DocumentEntry(text=loaded.text, starts=[], ends=[], vectors=None, tokens=None, structure_data=structure)


def _sentence(fragment: str, chunk_end: int | None = None, score: float = 1.0, text: str = DOCUMENT) -> Sentence:
    text = text.strip()
    start = text.index(fragment)
    end = start + len(fragment)
    chunk_end = len(text) if chunk_end is None else chunk_end
    chunk = Chunk(id="c0", doc_id="d0", index=0, source="guide.md", title="开发指南", start=0, end=chunk_end,
                  text=text[:chunk_end])
    passage = Passage(rank=1, score=1.0, chunk=chunk)
    return Sentence(passage=passage, start=start, end=end, text=fragment, dense=0.9, lexical=0.5, score=score)


def test_a_lead_in_is_quoted_with_the_code_block_it_introduces(guide):
    lead_in = _sentence("3. **安装依赖库**：安装常用的依赖库，如TensorFlow、PyTorch等：")
    completed = complete_sentence(lead_in, guide)
    assert completed.text == DOCUMENT[completed.start : completed.end]
    assert "tensorflow==2.4.1" in completed.text and "pip install torch" in completed.text
    assert "配置GPU" not in completed.text
    shown = display_sentence(completed.text)
    assert "```" not in shown and "bash" not in shown and "**" not in shown
    assert shown.startswith("3. 安装依赖库：安装常用的依赖库")


def test_a_short_topic_sentence_is_quoted_with_the_sentence_after_it(guide):
    topic = _sentence("人机协同需要灵活的架构。")
    completed = complete_sentence(topic, guide)
    assert completed.text == "人机协同需要灵活的架构。新的架构应更偏向于扁平化，减少中间层级。"


def test_a_long_sentence_that_answers_by_itself_is_quoted_alone(guide):
    sentence = _sentence("企业的组织架构调整是一项长期工作，需要管理层在较长时间内持续投入资源。")
    assert complete_sentence(sentence, guide) == sentence


def test_a_sentence_in_the_middle_of_a_paragraph_is_quoted_alone(guide):
    sentence = _sentence("信息因此传递更快。")
    assert complete_sentence(sentence, guide) == sentence


def test_a_completed_quote_never_runs_past_the_passage_it_cites(guide):
    cut = DOCUMENT.index("pip install torch")
    lead_in = _sentence("3. **安装依赖库**：安装常用的依赖库，如TensorFlow、PyTorch等：", chunk_end=cut)
    completed = complete_sentence(lead_in, guide)
    assert completed.end <= cut
    assert completed.text in completed.passage.chunk.text


def test_the_answer_cites_the_completed_span(guide):
    draft = compose_extractive([_sentence("人机协同需要灵活的架构。")], max_sentences=3, english=False,
                               documents=lambda doc_id: guide)
    citation = draft.citations[0]
    assert "扁平化" in draft.text
    assert DOCUMENT[citation.quote_start : citation.quote_end] == citation.quote
    assert citation.quote.endswith("减少中间层级。")


def _row(members: DocumentEntry, fragment: str, score: float = 1.0) -> Sentence:
    return _sentence(fragment, score=score, text=members.text)


def test_a_table_row_is_quoted_with_the_header_that_says_what_its_cells_are(members):
    completed = complete_sentence(_row(members, "价格 ¥148/年 ¥348/年"), members)
    assert completed.text == "超级会员 大会员\n价格 ¥148/年 ¥348/年"
    assert display_sentence(completed.text) == "超级会员 大会员 / 价格 ¥148/年 ¥348/年"


def test_a_row_far_below_its_header_is_quoted_alone(members):
    row = _row(members, "客服 普通 专属")
    assert complete_sentence(row, members) == row


def test_two_rows_under_one_header_make_one_quote(members):
    rows = [_row(members, "价格 ¥148/年 ¥348/年", score=1.0), _row(members, "AI权益 不支持 √", score=0.99)]
    draft = compose_extractive(rows, max_sentences=3, english=False, documents=lambda doc_id: members)
    assert len(draft.citations) == 1
    assert draft.citations[0].quote == "超级会员 大会员\n价格 ¥148/年 ¥348/年\nAI权益 不支持 √"
    assert draft.text.count("超级会员") == 1


def test_a_markdown_tables_pipes_and_rule_are_not_shown():
    assert display_sentence("| 项目 | 价格 |\n|---|---|\n| 会员 | ¥3 |") == "项目 | 价格 / 会员 | ¥3"
