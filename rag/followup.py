"""Whether a question leans on an earlier one.

A question is a follow-up when it cannot stand alone, by the same tests in both languages:

- it opens with a connective that continues a conversation ("那", "还有", "what about", "and");
- it ends elliptically with no question word ("Google呢？", "Google too?");
- a pronoun ("它", "其", "it", "they") has no content word before it in the question; English "it" before
  "to …"/"that …" is the dummy subject ("How long does it take to train X?") and refers to nothing;
- a demonstrative ("这", "该", "那家", "this", "that") stands before a referent noun that nothing earlier in the
  question names ("该公司", "that company"; but "OpenAI发布了GPT-5，这家公司…"), or before nothing that says what
  it is ("这是什么", "What is this?"). Before a shelf noun ("这份报告", "this report") or a time noun ("this year")
  it is fine, and so it is before a description ("这家SaaS企业", "那位做图像识别的创业者", "that SaaS company");
- it has no content word but referent nouns ("价格是多少？", "What is the price?"): Chinese drops the pronoun that
  English keeps ("How much does it cost?").

Length plays no part: "趋势2是什么？" and "What is RAG?" stand alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from rag.entities import find_entities
from rag.text.cues import Vocab
from rag.text.primitives import _jieba, fold, tokenize


def is_follow_up(text: str, folded: str, terms: Sequence[str], v: Vocab) -> bool:
    """Whether the question (as written and folded in place, with its terms) cannot stand alone."""
    opener = v.opener_re.match(folded)
    if opener and not _counts_after_demonstrative(folded, opener.group(1), opener.end(), v):
        return True
    ellipsis = v.ellipsis_re.search(folded)
    if ellipsis and not v.question_word_re.search(folded[: ellipsis.start()]):
        return True
    if _has_unresolved_reference(text, folded, v):
        return True
    return _lacks_subject(folded, terms, v)


def _counts_after_demonstrative(text: str, word: str, end: int, v: Vocab) -> bool:
    """Whether a Chinese demonstrative is followed by a numeral or classifier ("那位", "这三家", "这一年").

    Then "那" is the demonstrative, not the connective "那" of "那2024年呢".
    """
    if word.isascii() or not v.demonstrative_re.fullmatch(word) or re.match(r"\s*\d", text[end:]):
        return False
    counted = v.zh_classifier_re.match(text, end)
    return counted is not None and counted.end() > end


def _has_content(prefix: str, v: Vocab) -> bool:
    """Whether a stretch of question names something a pronoun after it could refer to."""
    return any(t not in v.question_words and re.search(r"[^\W\d_]", t) for t in tokenize(prefix))


def _has_unresolved_reference(text: str, folded: str, v: Vocab) -> bool:
    """Whether a pronoun or demonstrative points outside the question (see the module docstring)."""
    masked = v.not_pronoun_re.sub(lambda m: " " * len(m.group(0)), folded)
    for m in v.pronoun_re.finditer(masked):
        if m.group(0) in v.dummy_pronouns and v.dummy_followers_re.match(masked, m.end()):
            continue  # "How long does it take to train X?": the dummy subject
        if not _has_content(text[: m.start()], v):
            return True
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    for m in v.demonstrative_re.finditer(masked):
        word = m.group(0)
        latin = word.isascii()
        rest_start = m.end()
        counted = not latin and _counts_after_demonstrative(masked, word, rest_start, v)
        if counted:
            rest_start = v.zh_classifier_re.match(masked, rest_start).end()  # type: ignore[union-attr]
        rest = masked[rest_start:].lstrip()
        if _starts_with_any(rest, v.shelf_nouns + v.time_nouns, latin):
            continue  # "这份报告", "this year"
        if latin:
            phrase = re.findall(r"[a-z][a-z-]*", rest)[:3]
            head = phrase[0] if phrase and phrase[0] in v.referent_nouns else None
            described = any(w in v.referent_nouns for w in phrase[1:])
        else:
            phrase_text = v.phrase_break_re.split(rest, maxsplit=1)[0][:8]
            head = next((n for n in v.zh_referent_nouns if phrase_text.startswith(n)), None)
            if head and phrase_text != head and not _zh_noun_phrase_is_generic(phrase_text, v):
                head = None  # "那位模型创业者": "模型" only qualifies the noun that says who
            described = counted or any(n in phrase_text for n in v.zh_referent_nouns)
        if head:
            # "该公司", "that company": an earlier turn's subject, unless the question named one before it.
            if not _has_antecedent(text[: m.start()], head, v):
                return True
            continue
        if described:
            continue  # "那位电商算法工程师", "这家SaaS企业", "that SaaS company": the description says which
        if not _has_content(text[: m.start()], v):
            return True  # "这是什么", "What is this?"
    return False


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech tag of each dictionary word (read once, only for the rare phrase that needs it)."""
    _jieba()
    try:
        import jieba.posseg

        return jieba.posseg.dt.word_tag_tab  # jieba's own table, not a copy: it holds ~350k words
    except (ImportError, AttributeError):  # a jieba without its tag table: every word counts as a noun
        return {}


def _zh_noun_phrase_is_generic(phrase: str, v: Vocab) -> bool:
    """Whether the noun phrase a Chinese phrase opens holds only referent nouns ("公司" in "公司推出了什么").

    The phrase's nouns run until the first word jieba tags as something else (a verb, a particle); a word jieba
    does not know, or a Latin one, counts as a noun.
    """
    tags = _word_tags()
    nouns = []
    for token in _jieba().lcut(phrase):
        tag = tags.get(token, "n")
        if not tag.startswith("n") and tag != "eng":
            break
        nouns.append(token)
    return bool(nouns) and all(t in v.referent_nouns for t in nouns)


def _has_antecedent(prefix: str, noun: str, v: Vocab) -> bool:
    """Whether the words before a demonstrative name what it points at: a name, or the same noun."""
    folded = fold(prefix)
    if noun.isascii():
        if re.search(rf"(?<![a-z]){re.escape(noun)}(?![a-z])", folded):
            return True
        return bool(find_entities(prefix, "en", v))
    return noun in folded or bool(find_entities(prefix, "zh", v))


def _starts_with_any(text: str, nouns: Iterable[str], latin: bool) -> bool:
    for noun in nouns:
        if noun.isascii() != latin:
            continue
        if text.startswith(noun) and (not latin or not re.match(r"[a-z]", text[len(noun) : len(noun) + 1])):
            return True
    return False


def _lacks_subject(body: str, terms: Sequence[str], v: Vocab) -> bool:
    """A question with nothing to say what it is about but referent nouns ("价格是多少？", "What is the price?")."""
    if v.shelf_re.search(body):
        return False  # "总结一下报告": about the shelf
    return not any(t not in v.referent_nouns for t in terms)
