"""What an extractive answer quotes around a chosen sentence: a lead-in with what it introduces, a short topic
sentence with the sentence that makes it an answer, and never more than the passage it cites."""

from __future__ import annotations

from rag.answer_extractive import complete_sentence, compose_extractive, display_sentence
from rag.evidence import Sentence
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
    "企业的组织架构调整是一项长期工作，需要管理层在较长时间内持续投入资源。很多企业已经开始行动。\n\n"
    "表 会员体系\n\n"
    "超级会员 大会员\n"
    "价格 ¥148/年 ¥348/年\n"
    "AI权益 不支持 √\n"
    "云空间 365G 1T\n"
    "设备数 5台 9台\n"
    "客服 普通 专属\n"
)


def _sentence(fragment: str, chunk_end: int | None = None, score: float = 1.0) -> Sentence:
    start = DOCUMENT.index(fragment)
    end = start + len(fragment)
    chunk_end = len(DOCUMENT) if chunk_end is None else chunk_end
    chunk = Chunk(id="c0", doc_id="d0", index=0, source="guide.md", title="开发指南", start=0, end=chunk_end,
                  text=DOCUMENT[:chunk_end])
    passage = Passage(rank=1, score=1.0, chunk=chunk)
    return Sentence(passage=passage, start=start, end=end, text=fragment, dense=0.9, lexical=0.5, score=score)


def test_a_lead_in_is_quoted_with_the_code_block_it_introduces():
    lead_in = _sentence("3. **安装依赖库**：安装常用的依赖库，如TensorFlow、PyTorch等：")
    completed = complete_sentence(lead_in, DOCUMENT)
    assert completed.text == DOCUMENT[completed.start : completed.end]
    assert "tensorflow==2.4.1" in completed.text and "pip install torch" in completed.text
    assert "配置GPU" not in completed.text
    shown = display_sentence(completed.text)
    assert "```" not in shown and "bash" not in shown and "**" not in shown
    assert shown.startswith("3. 安装依赖库：安装常用的依赖库")


def test_a_short_topic_sentence_is_quoted_with_the_sentence_after_it():
    topic = _sentence("人机协同需要灵活的架构。")
    completed = complete_sentence(topic, DOCUMENT)
    assert completed.text == "人机协同需要灵活的架构。新的架构应更偏向于扁平化，减少中间层级。"


def test_a_long_sentence_that_answers_by_itself_is_quoted_alone():
    sentence = _sentence("企业的组织架构调整是一项长期工作，需要管理层在较长时间内持续投入资源。")
    assert complete_sentence(sentence, DOCUMENT) == sentence


def test_a_sentence_in_the_middle_of_a_paragraph_is_quoted_alone():
    sentence = _sentence("信息因此传递更快。")
    assert complete_sentence(sentence, DOCUMENT) == sentence


def test_a_completed_quote_never_runs_past_the_passage_it_cites():
    cut = DOCUMENT.index("pip install torch")
    lead_in = _sentence("3. **安装依赖库**：安装常用的依赖库，如TensorFlow、PyTorch等：", chunk_end=cut)
    completed = complete_sentence(lead_in, DOCUMENT)
    assert completed.end <= cut
    assert completed.text in completed.passage.chunk.text


def test_the_answer_cites_the_completed_span():
    draft = compose_extractive([_sentence("人机协同需要灵活的架构。")], max_sentences=3, english=False,
                               document_text=lambda doc_id: DOCUMENT)
    citation = draft.citations[0]
    assert "扁平化" in draft.text
    assert DOCUMENT[citation.quote_start : citation.quote_end] == citation.quote
    assert citation.quote.endswith("减少中间层级。")


def test_a_table_row_is_quoted_with_the_header_that_says_what_its_cells_are():
    completed = complete_sentence(_sentence("价格 ¥148/年 ¥348/年"), DOCUMENT)
    assert completed.text == "超级会员 大会员\n价格 ¥148/年 ¥348/年"
    assert display_sentence(completed.text) == "超级会员 大会员 / 价格 ¥148/年 ¥348/年"


def test_a_row_far_below_its_header_is_quoted_alone():
    row = _sentence("客服 普通 专属")
    assert complete_sentence(row, DOCUMENT) == row


def test_two_rows_under_one_header_make_one_quote():
    rows = [_sentence("价格 ¥148/年 ¥348/年", score=1.0), _sentence("AI权益 不支持 √", score=0.99)]
    draft = compose_extractive(rows, max_sentences=3, english=False, document_text=lambda doc_id: DOCUMENT)
    assert len(draft.citations) == 1
    assert draft.citations[0].quote == "超级会员 大会员\n价格 ¥148/年 ¥348/年\nAI权益 不支持 √"
    assert draft.text.count("超级会员") == 1


def test_a_markdown_tables_pipes_and_rule_are_not_shown():
    assert display_sentence("| 项目 | 价格 |\n|---|---|\n| 会员 | ¥3 |") == "项目 | 价格 / 会员 | ¥3"
