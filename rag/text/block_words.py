"""The words a report's structure is read with, in both languages and both Chinese scripts (``VOCABULARY``, shared
with ``ingest``), and what they tell: a summary heading, the number an ordinal counts with, a paragraph that
introduces what follows.
"""

from __future__ import annotations

import re

# The words structure is read with, in both languages and both Chinese scripts. One place, read by this module
# and by ingest (``ingest.line_kinds``, ``ingest.ordinals``), which imports it from here.
VOCABULARY: dict[str, tuple[str, ...]] = {
    # A heading starting with one of these opens a summary of the report (matched case-insensitively, after the
    # heading's ordinal: "一、核心洞察", "5. Conclusion").
    "summary_headings": (
        "摘要", "概要", "提要", "概述", "综述", "綜述", "总结", "總結", "小结", "小結", "结论", "結論", "结语", "結語",
        "核心洞察", "核心观点", "核心觀點", "核心发现", "核心發現", "主要发现", "主要發現", "关键发现", "關鍵發現",
        "要点", "要點", "重点", "重點", "执行摘要", "執行摘要", "研究结论", "研究結論",
        "summary", "executive summary", "abstract", "conclusion", "conclusions", "key findings", "key takeaways",
        "highlights", "overview", "tl;dr",
    ),
    # "作者：…", "By …": a line naming who wrote or analysed the report.
    "byline_labels": (
        "作者", "撰文", "撰稿", "执笔", "執筆", "分析师", "分析師", "分析", "研究员", "研究員", "编辑", "編輯", "文",
        "主编", "主編", "记者", "記者", "author", "authors", "written by", "prepared by", "analyst", "analysts",
    ),
    "byline_prefixes": ("by", "written by", "prepared by"),
    # "标题：…" on a line of its own names the report.
    "title_labels": ("标题", "標題", "题目", "題目", "报告名称", "報告名稱", "title", "report title"),
    # "日期：2024年4月5日", "Published: March 2024".
    "date_labels": (
        "日期", "发布日期", "發布日期", "发布时间", "發布時間", "发表日期", "發表日期", "时间", "時間", "更新", "更新时间",
        "date", "published", "updated", "last updated", "released",
    ),
    # A line starting with one of these names a figure or table ("表1：…", "Table 2."): a caption, never a list item.
    "caption_words": ("图", "圖", "表", "图表", "圖表", "figure", "fig", "table", "chart", "exhibit"),
    # Words that number a run of headings or items with a following number and a space: "Part 2", "Step 3".
    # (Any short word works with a colon: "趋势1：", "主线2:".)
    "ordinal_words": (
        "part", "chapter", "section", "step", "stage", "phase", "trend", "lesson", "module", "unit", "appendix",
        "趋势", "趨勢", "阶段", "階段", "步骤", "步驟", "附录", "附錄", "案例", "建议", "建議",
    ),
    # A page header or footer on a line of its own: "©易观分析", "Copyright 2024 …", "版权所有", "Confidential".
    "furniture_prefixes": ("©", "(c)", "copyright", "版权所有", "版權所有", "all rights reserved", "confidential"),
    # PDF / DOCX metadata titles that name the tool or the file, not the report: a whole title that is one of
    # these (a number may follow: "Document1"), or one that starts with a prefix ("Microsoft Word - x.docx").
    "junk_titles": (
        "untitled", "无标题", "無標題", "未命名", "title", "标题", "標題", "document", "文档", "文檔", "新建文档",
        "slide", "presentation", "powerpoint presentation", "new document", "draft", "template",
    ),
    "junk_title_prefixes": (
        "microsoft word -", "microsoft powerpoint -", "microsoft excel -", "untitled", "无标题", "未命名",
    ),
    # Near a sentence's start, these refer to what the sentence before it names (``rag.text.backrefs``): a word
    # that refers before another Chinese character ("此片", "该公司"), a demonstrative before a measure word
    # ("这部", "這些"), a third-person pronoun, or an English sentence's first word.
    "reference_heads": ("此", "该", "該", "上述"),
    "reference_demonstratives": ("这", "這", "那"),
    "reference_measures": (
        "部", "片", "本", "书", "書", "篇", "些", "个", "個", "种", "種", "项", "項", "位", "家", "座", "条", "條", "首", "款",
    ),
    "reference_pronouns": ("其", "他", "她", "它", "他们", "他們", "她们", "她們", "它们", "它們"),
    "reference_words_en": ("it", "its", "he", "his", "she", "her", "they", "their", "this", "these", "that", "those",
                           "such"),
    # Words that hold one of those without referring back: connectives, times, "among them", "other".
    "not_references": (
        "因此", "如此", "从此", "從此", "彼此", "由此", "据此", "據此", "为此", "為此", "对此", "對此", "此外", "此后",
        "此後", "此前", "此时", "此時", "其中", "其他", "其它", "其实", "其實", "其次", "其余", "其餘", "尤其", "极其",
        "極其", "及其", "与其", "與其", "吉他",
    ),
}


def alternation(words) -> str:
    """A regular-expression alternation of literal ``words``, longest first (a word wins over a shorter one it starts
    with: "written by" over "written")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SUMMARY_RE = re.compile(r"^(?:" + alternation(VOCABULARY["summary_headings"]) + r")", re.IGNORECASE)
# Ordinals a heading may start with before its summary word: "一、", "（三）", "5.", "Part 4:", "第五章".
_LEADING_ORDINAL_RE = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇两\d]+[章节節部分篇条條讲講]|[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十\d]+[)）]"
    r"|\d{1,3}(?:\.\d{1,3})*[.、．)）]?|[ivxIVX]+[.)]|[A-Za-z][.)])\s*"
)
_MARKUP_RE = re.compile(r"[*_`#]+")


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMBER_RE = re.compile(r"\d+|[一二三四五六七八九十]+")


def ordinal_value(ordinal: str) -> int | None:
    """The number an ordinal counts with: "03" → 3, "趋势12:" → 12, "（四）" → 4, "十一、" → 11; None for none."""
    found = NUMBER_RE.findall(ordinal)
    if not found:
        return None
    numeral = found[-1]
    if numeral.isdigit():
        return int(numeral)
    if "十" not in numeral:
        return _CN_DIGITS.get(numeral) if len(numeral) == 1 else None
    tens, _, units = numeral.partition("十")
    if len(tens) > 1 or len(units) > 1:
        return None
    return _CN_DIGITS.get(tens, 1 if not tens else 0) * 10 + _CN_DIGITS.get(units, 0)


def ends_in_colon(paragraph: str) -> bool:
    """Whether a paragraph ends in a colon, emphasis marks aside ("特点如下：", "**主要包括：**"): it introduces what
    follows it."""
    return paragraph.rstrip("*_ ").endswith(("：", ":"))


def is_summary_heading(words: str) -> bool:
    """Whether a heading's words open a summary: 摘要, 核心洞察, 总结：…, 5. Conclusion, Key findings."""
    stripped = _MARKUP_RE.sub("", words).strip()
    stripped = _LEADING_ORDINAL_RE.sub("", stripped, count=1).strip()
    return bool(_SUMMARY_RE.match(stripped))
