"""Text primitives: folding for matching, jieba tokens, sentence spans that slice back exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.primitives import detect_language, fold, is_chinese, sentence_spans, simplify, tokenize


def _sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, start, end)]


# -- fold ---------------------------------------------------------------------------------------------------


def test_folding_turns_traditional_chinese_into_simplified():
    assert fold("雲計算與騰訊雲的試用項目") == "云计算与腾讯云的试用项目"


def test_folding_turns_full_width_letters_digits_and_punctuation_half_width():
    assert fold("ＧＰＴ－４，１２３％") == "gpt-4,123%"


def test_folding_ignores_case_and_removes_zero_width_characters():
    assert fold("AliYun PAI") == fold("aliyun pai") == "aliyun pai"
    assert fold("Ali\u200bYun\ufeff") == "aliyun"


def test_simplify_changes_the_script_but_not_width_or_case():
    assert simplify("雲計算 ＧＰＴ PAI") == "云计算 ＧＰＴ PAI"


# -- tokenize ------------------------------------------------------------------------------------------------


def test_tokenizing_drops_stopwords_and_punctuation():
    assert tokenize("，。！？、……的了是什么 the of what") == []
    tokens = tokenize("报告认为阿里云PAI的定价怎么样？")
    assert not {"的", "报告", "认为", "？", "怎么样"} & set(tokens)


def test_tokenizing_finds_the_cloud_and_product_names_in_a_question():
    tokens = tokenize("阿里云PAI的定价是什么？")
    # jieba's dictionary has no entry for 阿里云, so it comes out as 阿里 + 云; the reports split the same way.
    assert set(tokenize("阿里云")) <= set(tokens)
    assert "pai" in tokens
    assert "定价" in tokens


def test_a_traditional_question_tokenizes_like_its_simplified_twin():
    assert tokenize("阿裏雲PAI的定價是什麼？") == tokenize("阿里云PAI的定价是什么？")


def test_english_tokens_are_lower_cased_words_without_stopwords():
    assert tokenize("What is the price of Alibaba Cloud PAI?") == ["price", "alibaba", "cloud", "pai"]


# -- language ------------------------------------------------------------------------------------------------


def test_language_detection_tells_traditional_simplified_and_english_apart():
    assert detect_language("雲計算行業從比較技術性的超前概念到上雲是一種趨勢，花了足足10年時間。") == "zh-Hant"
    assert detect_language("云计算行业从比较技术性的超前概念到上云是一种趋势，花了足足10年时间。") == "zh"
    assert detect_language("Cloud computing took ten years to become a trend.") == "en"


def test_a_question_with_a_few_latin_product_names_is_still_chinese():
    assert is_chinese("报告对GPT-4参数量的估计是多少？")
    assert not is_chinese("What does ChatGPT Plus cost?")


# -- sentence_spans ------------------------------------------------------------------------------------------


def test_sentences_split_on_every_chinese_terminator():
    text = "第一句。第二句！第三句？第四句；第五句……第六句"
    assert _sentences(text) == ["第一句。", "第二句！", "第三句？", "第四句；", "第五句……", "第六句"]


def test_sentences_split_on_english_terminators_and_a_full_stop_before_a_space():
    text = "Revenue grew! Did it? Yes; mostly. It grew 5% in 2024. Margins fell"
    assert _sentences(text) == ["Revenue grew!", "Did it?", "Yes;", "mostly.", "It grew 5% in 2024.", "Margins fell"]


def test_an_abbreviation_before_a_word_in_lower_case_does_not_end_a_sentence():
    text = "The first geological map of the U.S. was produced in 1809, e.g. by hand. It sold well."
    assert _sentences(text) == ["The first geological map of the U.S. was produced in 1809, e.g. by hand.",
                                "It sold well."]


def test_a_decimal_point_and_a_version_number_do_not_end_a_sentence():
    assert _sentences("GPT-4 估计有1.76万亿参数，版本 2.4.1 已发布。") == ["GPT-4 估计有1.76万亿参数，版本 2.4.1 已发布。"]


def test_a_run_of_terminators_and_a_closing_quote_stay_with_their_sentence():
    text = "他说：“好。”真的吗？！是的"
    assert _sentences(text) == ["他说：“好。”", "真的吗？！", "是的"]


def test_a_numbered_list_item_is_not_cut_after_its_number():
    text = "1. 市场概况\n2.3. Scope of work\n- 增长 5%。"
    assert _sentences(text) == ["1. 市场概况", "2.3. Scope of work", "- 增长 5%。"]


def test_line_breaks_end_sentences_and_whitespace_is_trimmed():
    text = "  标题  \n\n\t正文第一句。  \n"
    assert _sentences(text) == ["标题", "正文第一句。"]


def test_spans_of_a_slice_are_offsets_into_the_whole_text():
    text = "前言。阿里云PAI是平台。定价有竞争力。结尾。"
    start, end = text.index("阿里云"), text.index("结尾")
    spans = sentence_spans(text, start, end)
    assert [text[s:e] for s, e in spans] == ["阿里云PAI是平台。", "定价有竞争力。"]
    assert all(start <= s < e <= end for s, e in spans)


_PIECES = st.sampled_from(
    ["云计算", "GPT-4", "1.76", "万亿", "。", "！", "？", "；", "…", "!", "?", ";", ".", " ", "\n", "“", "”", "）",
     "1. ", "Revenue", "雲計算", "\t", "，"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_every_sentence_span_slices_back_to_trimmed_text_in_order(text):
    spans = sentence_spans(text)
    previous_end = 0
    for s, e in spans:
        assert previous_end <= s < e <= len(text)
        piece = text[s:e]
        assert piece == piece.strip() and piece
        previous_end = e
    # Nothing but whitespace is lost between the spans.
    kept = "".join(text[s:e] for s, e in spans)
    assert "".join(kept.split()) == "".join(text.split())
