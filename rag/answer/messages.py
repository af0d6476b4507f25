"""What the engine says instead of an answer, in the question's language."""

from __future__ import annotations

REFUSAL_ZH = "报告中没有找到能回答这个问题的内容。以下是最接近的段落，供参考。"
REFUSAL_EN = "The reports do not contain an answer to this question. The closest passages are listed below."
EMPTY_QUESTION_ZH = "请输入一个问题。"
EMPTY_QUESTION_EN = "Please type a question."

# Questions the engine cannot read as a question (see ``rag.question.Question.problem``), by problem.
PROBLEMS = {
    "empty": (EMPTY_QUESTION_ZH, EMPTY_QUESTION_EN),
    "no_words": ("问题里没有文字。请用中文或英文提问。", "The question has no words. Please ask in Chinese or English."),
    "unsupported_language": (
        "ReportQA 只能回答中文或英文的问题。请用中文或英文重新提问。",
        "ReportQA answers questions in Chinese or English. Please ask again in one of them.",
    ),
    "url_or_code": (
        "问题只是一个网址或一段代码。请用文字说明想从报告中了解什么。",
        "The question is only a web address or code. Please say in words what you want to know from the reports.",
    ),
}


def refusal_text(chinese: bool) -> str:
    return REFUSAL_ZH if chinese else REFUSAL_EN


def problem_text(problem: str, chinese: bool) -> str:
    zh, en = PROBLEMS.get(problem, PROBLEMS["no_words"])
    return zh if chinese else en
