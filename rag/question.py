"""One analysis per question, done once and passed down: language, answer kind, units, years, names, terms, the
figures it states, and whether it leans on an earlier question.

Every cue word (question words, kind cues, unit words, magnitudes, currencies, follow-up cues) lives in
``rag/question_vocab.yaml``, read once by ``rag.text.cues``, which builds the patterns; figures are read by
``rag.text.figures``. Text is matched folded (lower case, half-width, Simplified) with a fold that keeps each character
in place, so offsets point into the text as written.

Answer kind. Cues of several kinds may match one question; the first kind in this order wins:

    comparison > summary > list > figure > date > person > organisation > place > yesno > open cue
    > a unit word alone (figure, or date for "date") > open

A summary or comparison request may mention figures or names, and a list of figures is still a list, so the
broader request goes first. "多少/how many/what share" (figure) and "哪一年/when" (date) name the answer more
precisely than "谁/哪家/哪里" do ("哪家公司的营收是多少" asks for an amount). Yes/no cues sit low because they are
also how other questions start ("Is there a list of..."); a polite opening ("Can you…", "请问") is set aside before
the cues are read. An open cue ("为什么", "如何", "why", "how does") outranks
a unit word alone, so "价格策略有什么特点" is open while "ChatGPT Enterprise的价格？" and "What was OpenAI's revenue?"
ask for a figure.

Follow-ups. A question is a follow-up when it cannot stand alone, by the same tests in both languages:

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

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from rag.text.cues import Vocab, fold_in_place, vocab
from rag.text.figures import DATE_UNITS, YEAR_RE, Figure, find_figures, zh_value
from rag.text.primitives import _STOPWORDS, _jieba, cjk_ratio, fold, tokenize

Kind = Literal["figure", "date", "person", "organisation", "place", "list", "summary", "comparison", "yesno", "open"]
Problem = Literal["empty", "no_words", "unsupported_language", "url_or_code"]
_INVISIBLE_RE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")

KIND_PRECEDENCE: tuple[str, ...] = (
    "comparison", "summary", "list", "figure", "date", "person", "organisation", "place", "yesno", "open",
)
# Kana or hangul this share of the letters (quoted titles aside) makes a question Japanese or Korean: Chinese text
# never uses either, so even a kanji-heavy Japanese question ("日本の人工知能市場規模は？") passes it.
FOREIGN_KANA_HANGUL_SHARE = 0.1
# Letters of other scripts (Cyrillic, Arabic, Thai...) this share of the letters: a language the shelf cannot answer.
FOREIGN_OTHER_SHARE = 0.5
# A question that is code has this share of code punctuation among its non-space characters.
CODE_SYMBOL_SHARE = 0.12





@dataclass(frozen=True)
class Question:
    """What a question asks, analysed once (see the module docstring for how each field is decided)."""

    text: str
    lang: Literal["zh", "en"]
    han_share: float
    kind: Kind
    units: frozenset[str]
    years: frozenset[int]
    entities: tuple[str, ...]
    terms: tuple[str, ...]
    figures: tuple[Figure, ...]
    follow_up: bool
    asks_author: bool
    truncated: bool = False
    problem: str | None = None
    count: int | None = None  # how many things the question says there are: "the ten trends", "四个状态", "三大挑战"
    # Terms that are part of the words asking for the answer's kind ("哪几种" of "分成了哪几种", "列出"): they say how
    # to answer, not what about, so no passage or list is chosen for holding them.
    asking: frozenset[str] = frozenset()


# -- analysis -----------------------------------------------------------------------------------------------------


def analyse(text: str, max_chars: int = 2000) -> Question:
    """Analyse a question once: language, answer kind, units, years, names, terms, figures, follow-up.

    Args:
        text: the question as typed.
        max_chars: longer questions are cut to this many characters and flagged ``truncated``.

    Returns:
        The ``Question``. Input the engine cannot answer is classified in ``problem`` ("empty", "no_words",
        "unsupported_language", "url_or_code") rather than raised.
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    stripped = (text or "").strip()
    truncated = len(stripped) > max_chars
    if truncated:
        stripped = stripped[:max_chars].rstrip()
    if not stripped or not _INVISIBLE_RE.sub("", stripped).strip():  # spaces and zero-width characters only
        return _blank("", truncated, "empty")
    if not any(ch.isalnum() for ch in stripped):
        return _blank(stripped, truncated, "no_words")

    v = vocab()
    folded = fold_in_place(stripped)
    han_share = cjk_ratio(stripped)
    lang = _language(folded, han_share, v)
    matches = _unit_matches(folded, v)
    kind = _kind(folded, matches, v)
    units = _units_for(kind, matches)
    figures = tuple(find_figures(stripped))
    # A lone Latin letter is the "s" of "OpenAI's" or "What's", not a term.
    terms = tuple(t for t in tokenize(stripped) if t not in v.question_words and not re.fullmatch("[a-z]", t))
    return Question(
        text=stripped,
        lang=lang,
        han_share=han_share,
        kind=kind,  # type: ignore[arg-type]
        units=units,
        years=_years(figures),
        entities=_entities(stripped, lang, v),
        terms=terms,
        figures=figures,
        follow_up=_is_follow_up(stripped, folded, terms, v),
        asks_author=bool(v.author_re.search(folded)),
        truncated=truncated,
        problem=_problem(stripped),
        count=_count(folded, v),
        asking=_asking_terms(terms, v),
    )


MAX_COUNT = 50


def _count(folded: str, v: Vocab) -> int | None:
    """How many things the question says there are (2 to ``MAX_COUNT``): a number before a counter in Chinese
    ("十大趋势", "四个状态", "3项"), a number before a plural noun in English ("the ten trends", "3 barriers"). An
    ordinal ("第三个") or a year is no count."""
    zh = v.count_zh_re.search(folded)
    if zh:
        value = int(zh.group(1)) if zh.group(1).isdigit() else zh_value(zh.group(1), v)
    else:
        en = v.count_en_re.search(folded)
        value = (int(en.group(1)) if en.group(1).isdigit() else v.en_numbers[en.group(1)]) if en else None
    return int(value) if value is not None and 2 <= value <= MAX_COUNT else None


def _blank(text: str, truncated: bool, problem: Problem) -> Question:
    return Question(
        text=text, lang="en", han_share=0.0, kind="open", units=frozenset(), years=frozenset(), entities=(),
        terms=(), figures=(), follow_up=False, asks_author=False, truncated=truncated, problem=problem,
    )


def _language(folded: str, han_share: float, v: Vocab) -> Literal["zh", "en"]:
    """Chinese when the Chinese words carry the question's grammar.

    A share of letters misjudges mixed questions: "ChatGPT Enterprise的价格？" has more Latin letters than Han
    characters but is Chinese, "What does 人工智能 mean?" the other way round. So the function words decide (the
    stopwords of rag.text.primitives and the question words): when only one language has them, it is that one; when both
    or neither do, a Han character weighs as much as a Latin word.
    """
    if han_share == 0.0:
        return "en"
    if not re.search("[a-z]", folded):
        return "zh"
    tokens = [t for t in _jieba().lcut(folded) if t.strip()]
    han = sum(1 for t in tokens for ch in t if _is_han(ch))
    latin_words = [t for t in tokens if re.fullmatch(r"[a-z][a-z0-9.+'-]*", t)]
    zh_grammar = any(t in v.zh_grammar for t in tokens if _is_han(t[0]))
    en_grammar = any(t in v.en_grammar for t in latin_words)
    if zh_grammar != en_grammar:
        return "zh" if zh_grammar else "en"
    return "zh" if han >= len(latin_words) else "en"


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def _unit_matches(folded: str, v: Vocab) -> list[tuple[int, int, str]]:
    """(start, end, unit class) of the unit cues in the question.

    A unit said with "多少/几/how many" ("多少台", "几成", "how many employees") is the one asked for; otherwise every
    unit word counts, less those inside a longer cue of another class ("number of employees" is not also a count).
    """
    matches = [(m.start(), m.end(), cls) for cls, pattern in v.units.items() for m in pattern.finditer(folded)]
    explicit = []
    for m in v.how_many_zh.finditer(folded):
        if m.group("cls"):
            explicit.append((m.start(), m.end(), v.unit_of_word[m.group("cls")]))
        elif m.group("mag"):
            explicit.append((m.start(), m.end(), "money"))  # "融资多少亿"
    for m in v.how_many_en.finditer(folded):
        explicit.append((m.start(), m.end(), v.unit_of_word.get(m.group("word"), "count")))
    if explicit:
        return explicit  # "下降了几成" asks for a share even though it is a cost that fell
    return [
        (s, e, c)
        for s, e, c in matches
        if not any(s2 <= s and e <= e2 and e2 - s2 > e - s and c2 != c for s2, e2, c2 in matches)
    ]


def _kind(folded: str, unit_matches: list[tuple[int, int, str]], v: Vocab) -> str:
    request = v.request_re.match(folded)
    if request:
        folded = folded[request.end() :]
    for kind in KIND_PRECEDENCE:
        if v.kinds[kind].search(folded):
            return kind
    classes = {c for _, _, c in unit_matches}
    if classes - DATE_UNITS:
        return "figure"
    if classes:
        return "date"
    return "open"


def _asking_terms(terms: Sequence[str], v: Vocab) -> frozenset[str]:
    """The terms that are themselves a kind cue or hold one ("哪几" and "哪几种" of "分成了哪几种", "总结", "多少").
    Cues that span a gap ("各…怎么看") mark only their own words, never the content between them."""
    return frozenset(t for t in terms if any(v.kinds[kind].search(t) for kind in KIND_PRECEDENCE))


def _units_for(kind: str, unit_matches: list[tuple[int, int, str]]) -> frozenset[str]:
    classes = frozenset(c for _, _, c in unit_matches)
    if kind == "figure":
        return classes - DATE_UNITS
    if kind == "date":
        return classes & DATE_UNITS
    return frozenset()


def _years(figures: Sequence[Figure]) -> frozenset[int]:
    years: set[int] = set()
    for figure in figures:
        if figure.unit == "year" and figure.value is not None:
            years.add(int(figure.value))
        elif figure.unit == "date":
            years.update(int(y) for y in YEAR_RE.findall(figure.text))
    return frozenset(years)


# -- names --------------------------------------------------------------------------------------------------------

_QUOTED_RE = re.compile(
    r"《([^《》]{1,80})》|「([^「」]{1,80})」|『([^『』]{1,80})』|“([^“”]{1,80})”|\"([^\"]{1,80})\"|‘([^‘’]{1,80})’"
)
_LATIN_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.+'’][A-Za-z0-9]+)*\+*")
_PERIOD_TOKEN_RE = re.compile(r"(?i)fy\d{2,4}|q[1-4]|h[12]")


def _entities(text: str, lang: str, v: Vocab) -> tuple[str, ...]:
    """Names the question gives, as written, in order: quoted titles, then Latin-script names.

    In a Chinese question every Latin-script word names something ("SaaS", "ChatGPT Enterprise"); in an English
    one, capitalised words do, except a question or function word capitalised because it starts a sentence.
    Consecutive name words, or words joined by "&", make one name ("Weights & Biases", "Percy Shelley").
    """
    names: list[tuple[int, str]] = []
    for m in _QUOTED_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None).strip()
        if inner:
            names.append((m.start(), inner))

    run: list[re.Match[str]] = []

    def close() -> None:
        if run:
            names.append((run[0].start(), text[run[0].start() : run[-1].end()]))
            run.clear()

    quoted = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(text)]
    for m in _LATIN_TOKEN_RE.finditer(text):
        if any(s <= m.start() < e for s, e in quoted):
            close()
            continue  # part of a quoted title, kept whole above
        word = re.sub(r"['’]s?$", "", m.group(0))
        lower = word.lower()
        sentence_start = not text[: m.start()].strip() or re.search(r"[.?!。？！]\s*$", text[: m.start()]) is not None
        if lang == "zh":
            is_name = lower not in _STOPWORDS and lower not in v.question_words
        else:
            is_name = (word[:1].isupper() or any(ch.isupper() for ch in word[1:]) or re.search(r"\d", word)) and not (
                sentence_start and (lower in _STOPWORDS or lower in v.question_words)
            )
            is_name = bool(is_name) and word != "I"
        is_name = is_name and not _PERIOD_TOKEN_RE.fullmatch(word)
        if not is_name:
            close()
            continue
        if run and not re.fullmatch(r"\s+|\s*&\s*", text[run[-1].end() : m.start()]):
            close()
        if run and re.search(r"['’]s?$", text[run[-1].start() : run[-1].end()]):
            close()
        run.append(m)
    close()

    seen: set[str] = set()
    result = []
    for _, name in sorted(names, key=lambda n: n[0]):
        name = re.sub(r"['’]s?$", "", name)
        if name and name not in seen:
            seen.add(name)
            result.append(name)
    return tuple(result)


# -- follow-ups ---------------------------------------------------------------------------------------------------


def _is_follow_up(text: str, folded: str, terms: Sequence[str], v: Vocab) -> bool:
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
        return bool(_entities(prefix, "en", v))
    return noun in folded or bool(_entities(prefix, "zh", v))


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


# -- bad input ----------------------------------------------------------------------------------------------------

_URL_RE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)\S+|[\w-]+(?:\.[\w-]+)+/\S*")
_CODE_SYMBOLS = frozenset("{}[]();=<>:`$#/\\|&*+\"'")


def _problem(text: str) -> Problem | None:
    parts = text.split()
    if parts and all(_URL_RE.fullmatch(p.rstrip(".,;!?。，")) for p in parts):
        return "url_or_code"
    if _is_code(text):
        return "url_or_code"
    if _is_foreign(text):
        return "unsupported_language"
    return None


def _is_code(text: str) -> bool:
    if any(_is_han(ch) for ch in text) or text.rstrip().endswith(("?", "？")):
        return False
    v = vocab()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    non_space = [ch for ch in text if not ch.isspace()]
    symbol_share = sum(ch in _CODE_SYMBOLS for ch in non_space) / len(non_space)
    code_lines = sum(
        1 for line in lines
        if v.code_start_re.match(fold(line)) or any(mark in line for mark in v.code_marks)
        or re.match(r"[\w.\[\]]+\s*[-+*/]?=\s*\S", line)
    )
    if symbol_share >= CODE_SYMBOL_SHARE and code_lines:
        return True
    # "SELECT * FROM t", "import numpy as np": a code keyword starts every line and a symbol or second line shows it.
    return code_lines == len(lines) and all(v.code_start_re.match(fold(line)) for line in lines) and (
        symbol_share > 0 or len(lines) > 1
    )


def _is_foreign(text: str) -> bool:
    text = _QUOTED_RE.sub(" ", text)
    letters = [ch for ch in text if ch.isalpha() and ch not in "ー"]
    if not letters:
        return False
    kana_hangul = sum(1 for ch in letters if _is_kana_or_hangul(ch))
    other = sum(1 for ch in letters if not (_is_han(ch) or _is_latin(ch) or _is_kana_or_hangul(ch)))
    return kana_hangul / len(letters) >= FOREIGN_KANA_HANGUL_SHARE or other / len(letters) >= FOREIGN_OTHER_SHARE


def _is_kana_or_hangul(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F  # kana
        or 0xAC00 <= o <= 0xD7FF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xA960 <= o <= 0xA97F  # hangul
    )


def _is_latin(ch: str) -> bool:
    o = ord(ch)
    return o < 0x250 or 0x1E00 <= o <= 0x1EFF or 0xFF21 <= o <= 0xFF5A


# -- using the analysis -------------------------------------------------------------------------------------------


def answer_fits(question: Question, text: str) -> bool:
    """Whether ``text`` (a sentence) can carry the kind of answer the question asks for.

    - figure: a figure the question does not already state, in one of ``question.units`` when it names any (a
      money question also takes a bare amount with a magnitude, "300亿"; a count or people question a bare number);
    - date: a year or date the question does not already state, or a month or period ("4月", "Q1", "上半年");
    - person, organisation, place: a name-like word the question does not use (a capitalised Latin word, or a
      Chinese word of two or more characters) — deliberately permissive;
    - list, summary, comparison, yesno, open: always.
    """
    kind = question.kind
    if kind == "figure":
        return any(_figure_fits(f, question.units) for f in _new_figures(question, text))
    if kind == "date":
        new = [f for f in _new_figures(question, text) if f.unit in DATE_UNITS]
        if question.units == {"year"}:
            return bool(new)
        return bool(new) or bool(vocab().date_words_re.search(fold_in_place(text)))
    if kind in ("person", "organisation", "place"):
        return _has_new_name(question, text)
    return True


def _new_figures(question: Question, text: str) -> list[Figure]:
    return [f for f in find_figures(text) if not any(_same_figure(f, q) for q in question.figures)]


def _same_figure(a: Figure, b: Figure) -> bool:
    if _compact(a.text) == _compact(b.text):
        return True
    if a.unit != b.unit or a.value is None or b.value is None:
        return False
    return math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def _figure_fits(figure: Figure, units: frozenset[str]) -> bool:
    if not units:
        return True
    if figure.unit in units:
        return True
    if figure.unit == "":
        if units & {"money", "size"} and vocab().magnitude_re.search(fold_in_place(figure.text)):
            return True  # "营收达到300亿", "参数规模仅8B": an amount or a size without its unit
        return bool(units & {"count", "people"})
    return False


def _has_new_name(question: Question, text: str) -> bool:
    v = vocab()
    known = set(question.terms) | {t for e in question.entities for t in tokenize(e)}
    for m in _LATIN_TOKEN_RE.finditer(text):
        word = re.sub(r"['’]s?$", "", m.group(0))
        lower = word.lower()
        if word[:1].isupper() and lower not in _STOPWORDS and lower not in v.question_words and lower not in known:
            return True
    return any(
        len(t) >= 2 and all(_is_han(ch) for ch in t) and t not in known and t not in v.question_words
        for t in tokenize(text)
    )


def previous_questions(history: Sequence[Any]) -> list[str]:
    """User turns of a history given as messages ({"role", "content"}) or (question, answer) pairs."""
    questions = []
    for turn in history:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return questions


def search_text(question: Question, previous: Sequence[str]) -> str:
    """The text to retrieve with: for a follow-up, the most recent earlier question, then this one."""
    if question.follow_up:
        for earlier in reversed(previous):
            if earlier and earlier.strip():
                return f"{earlier.strip()} {question.text}"
    return question.text


__all__ = [
    "KIND_PRECEDENCE", "Kind", "Question", "analyse", "answer_fits", "previous_questions", "search_text",
]
