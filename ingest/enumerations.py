"""Lists written as prose: "硼砂可用作清洁剂、化妆品、杀虫剂等", "the counties of Imperial, Los Angeles, Orange and San Diego".

A sentence that names three or more things in a row becomes an ``Item`` of its paragraph block: its head is the
words before the first thing named (what the list is of), its children are the things named, each a span of the
text. Chinese: parts joined by "、", the last one possibly by "和/及/与/以及/或"; English: short parts joined by
commas, the last by "and"/"or". ``rag.text.blocks`` offers each such sentence as a list a question can be answered with.
Read once at ingest (``ingest.structure``); nothing here is guessed again later.
"""

from __future__ import annotations

import re

from rag.text.blocks import Item

MIN_ITEMS = 3
MAX_ZH_ITEM_CHARS = 16  # a part longer than this is a clause, not a thing named
MAX_EN_ITEM_WORDS = 4
MAX_SENTENCE_CHARS = 1000  # longer "sentences" (tables flattened into text, run-on lines) are not read

_SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+")
_EN_SENTENCE_RE = re.compile(r"[^;\n]+?(?:\.(?=\s|$)|$)")
_ZH_CLAUSE_RE = re.compile(r"[^，,：:（）()“”\"「」『』]+")
_ZH_LAST_JOINERS = ("以及", "或者", "和", "及", "与", "與", "或", "跟")
# What a lead-in ends with just before the first thing it names ("包括", "可用作", "分为").
_ZH_CUES = ("分别是", "分别为", "分別是", "分別為", "包括", "包含", "例如", "比如", "诸如", "諸如", "用作", "用于",
            "用於", "分为", "分為", "如", "有", "为", "為", "是", "即", "到", "於", "于", "在")
_ZH_TRAILERS = ("等等", "等")
_EN_CUES = ("including", "include", "includes", "included", "such as", "namely", "like", "are", "were", "is",
            "was", "of", "as", "to", "from", "in")
_EN_LAST_RE = re.compile(r"^\s*(?:and|or)\s+", re.IGNORECASE)
_EN_INNER_JOIN_RE = re.compile(r"\s+(?:and|or)\s+", re.IGNORECASE)
_EN_STOP_RE = re.compile(r"\s+(?:which|that|who|where|when|while|because|in order|with|for)\b|\s*[(\[]", re.IGNORECASE)
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_EN_COMMA_RE = re.compile(r"(?<!\d),(?!\d)")  # "3,792,621" is one number
# Words a thing named does not start with: a clause, an aside or a preposition's phrase follows them.
_EN_NOT_ITEM = frozenset((
    "which", "who", "whom", "whose", "that", "but", "while", "where", "when", "with", "without", "especially",
    "including", "followed", "then", "so", "because", "although", "though", "as", "by", "for", "from", "to", "into",
    "through", "after", "before", "between", "since", "until", "if", "it", "they", "he", "she", "we", "this",
    "these", "those", "there", "however", "also", "not", "both", "either", "neither", "such", "each",
    "via", "across", "along", "over", "under", "within", "against", "toward", "towards", "upon", "onto",
    "around", "beyond", "behind", "below", "above", "past", "of", "in", "on", "at", "than",
))


def prose_items(text: str, start: int, end: int) -> tuple[Item, ...]:
    """The enumerations in the paragraph ``text[start:end]``, one ``Item`` per sentence that names three or more
    things, its children the things named."""
    found: list[Item] = []
    paragraph = text[start:end]
    sentences = _SENTENCE_RE if _CJK_RE.search(paragraph) else _EN_SENTENCE_RE
    for match in sentences.finditer(paragraph):
        s_start, s_end = start + match.start(), start + match.end()
        if s_end - s_start > MAX_SENTENCE_CHARS:
            continue
        sentence = text[s_start:s_end]
        spans = _chinese(sentence) if _CJK_RE.search(sentence) else _english(sentence)
        if len(spans) < MIN_ITEMS:
            continue
        children = tuple(Item(s_start + a, s_start + b, s_start + a, s_start + b, "", 1) for a, b in spans)
        head_end = s_start + spans[0][0]
        while head_end > s_start and not text[head_end - 1].isalnum():
            head_end -= 1
        found.append(Item(s_start, s_end, s_start, head_end, "", 0, children))
    return tuple(found)


def _chinese(sentence: str) -> list[tuple[int, int]]:
    """Spans of the things a Chinese sentence names with "、" (the longest such run in one clause), read as written
    and with its bracketed asides blanked out ("用户营销与运营（47.1%）、协同办公（40.3%）…": an aside is no part
    of the thing named and no clause ends at it); the reading that names more things wins, the written one on a tie
    (a list may be the aside: "三大云厂商（阿里云、腾讯云、华为云）")."""
    written = _chinese_runs(sentence)
    blanked = _chinese_runs(_without_asides(sentence))
    return blanked if len(blanked) > len(written) else written


def _chinese_runs(sentence: str) -> list[tuple[int, int]]:
    best: list[tuple[int, int]] = []
    for clause in _ZH_CLAUSE_RE.finditer(sentence):
        if clause.group().count("、") < 1:
            continue
        spans = _zh_clause(sentence, clause.start(), clause.end())
        if len(spans) > len(best):
            best = spans
    return best


def _zh_clause(sentence: str, start: int, end: int) -> list[tuple[int, int]]:
    parts: list[list[int]] = []
    cursor = start
    for index in range(start, end):
        if sentence[index] == "、":
            parts.append([cursor, index])
            cursor = index + 1
    parts.append([cursor, end])
    last = parts[-1]
    words = sentence[last[0] : last[1]]
    joiner = next(((words.find(j), j) for j in _ZH_LAST_JOINERS if 0 < words.find(j) < len(words) - len(j)), None)
    if joiner is not None:
        cut = last[0] + joiner[0]
        parts[-1:] = [[last[0], cut], [cut + len(joiner[1]), last[1]]]
    last = parts[-1]
    words = sentence[last[0] : last[1]]
    for trailer in _ZH_TRAILERS:
        at = words.find(trailer)
        if at > 0:
            last[1] = last[0] + at
            break
    middle = parts[1:-1] if len(parts) > 2 else parts[1:]
    longest = max((len(sentence[a:b].strip()) for a, b in middle), default=0)
    if not middle or longest > MAX_ZH_ITEM_CHARS:
        return []
    first = parts[0]
    words = sentence[first[0] : first[1]]
    cue = max((words.rfind(c) + len(c) for c in _ZH_CUES if words.rfind(c) >= 0), default=-1)
    if cue > 0:
        first[0] += cue
    first[1] = first[0] + len(sentence[first[0]:first[1]].rstrip())  # a blanked aside is no part of it
    if first[1] - first[0] > longest + 2:  # "…分布在西南部嘉南平原的彰化": the thing named follows the last "的"
        owner = sentence.rfind("的", first[0], first[1] - 1)
        first[0] = owner + 1 if owner >= 0 else first[1] - longest
    if len(sentence[last[0]:last[1]].strip()) > 2 * longest + 2:
        return []
    spans = [(a, b) for a, b in (_trim(sentence, a, b) for a, b in parts) if b > a]
    return spans if len(spans) >= MIN_ITEMS else []


def _english(sentence: str) -> list[tuple[int, int]]:
    """Spans of the things an English sentence names as "A, B, C(,) and D" (the first such run). A colon introduces
    what it lists: a run after the sentence's last colon is taken first ("…based on demographics and economic ties:
    Imperial, Los Angeles, …, and Ventura")."""
    colon = sentence.rfind(":")
    if 0 < colon < len(sentence) - 1:
        after = _english_run(sentence[colon + 1 :])
        if after:
            return [(a + colon + 1, b + colon + 1) for a, b in after]
    return _english_run(sentence)


def _english_run(sentence: str) -> list[tuple[int, int]]:
    asides = _aside_spans(sentence)
    cuts = [m.start() for m in _EN_COMMA_RE.finditer(sentence) if not any(a < m.start() < b for a, b in asides)]
    if len(cuts) < 1:
        return []
    bounds = [0, *[c + 1 for c in cuts]]
    segments = [[bounds[i], cuts[i] if i < len(cuts) else len(sentence)] for i in range(len(bounds))]
    for first in range(len(segments) - 1):
        run = [first]
        for index in range(first + 1, len(segments)):
            a, b = segments[index]
            words = _without_asides(sentence[a:b]).strip()
            join = _EN_INNER_JOIN_RE.search(words)
            if _EN_LAST_RE.match(words) or join is not None:
                if join is not None and _word_count(words[: join.start()]) > MAX_EN_ITEM_WORDS:
                    run = []
                else:
                    run.append(index)
                break
            if _word_count(words) > MAX_EN_ITEM_WORDS:
                run = []
                break
            run.append(index)
        else:
            run = []
        spans = _en_run(sentence, [segments[i][:] for i in run]) if len(run) >= 2 else []
        if len(spans) >= MIN_ITEMS:
            return spans
    return []


def _aside_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the bracketed asides in ``text`` ("(6/9 of total discharge)"), outermost, brackets included."""
    spans, depth, opened = [], 0, 0
    for index, ch in enumerate(text):
        if ch in "([（【":
            if depth == 0:
                opened = index
            depth += 1
        elif ch in ")]）】" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((opened, index + 1))
    return spans


def _without_asides(text: str) -> str:
    """``text`` with its bracketed asides, full-width or not, turned into spaces (offsets kept): an aside says
    something of a thing named, it is no part of its name, so "the River Waal (6/9 of total discharge)" is a thing of
    three words."""
    for a, b in _aside_spans(text):
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _word_count(text: str) -> int:
    """The words of a part, its asides and lone dashes left out ("the River Nederrijn – Lek" has four)."""
    return sum(1 for word in _without_asides(text).split() if any(ch.isalnum() for ch in word))


def _before_aside(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The part without a closing aside ("the River Waal (6/9 of total discharge)" → "the River Waal")."""
    asides = [a for a, b in _aside_spans(sentence[start:end]) if a > 0 and not sentence[start + b:end].strip()]
    return (start, start + asides[-1]) if asides else (start, end)


def _en_run(sentence: str, parts: list[list[int]]) -> list[tuple[int, int]]:
    last = parts[-1]
    words = sentence[last[0] : last[1]]
    lead = _EN_LAST_RE.match(words)
    if lead is not None:
        last[0] += lead.end()
    else:
        join = _EN_INNER_JOIN_RE.search(words)
        cut = last[0] + join.start()
        parts[-1:] = [[last[0], cut], [last[0] + join.end(), last[1]]]
        last = parts[-1]
    words = sentence[last[0] : last[1]]
    stop = _EN_STOP_RE.search(words)
    if stop is not None and stop.group().strip()[:1] not in "([":
        return []  # "…, and the firms that had invested…": the last part is a clause, so are the others
    if stop is not None and stop.start() > 0:
        last[1] = last[0] + stop.start()
    middle = parts[1:-1] or parts[1:]
    longest = max(_word_count(sentence[a:b]) for a, b in middle)
    if longest > MAX_EN_ITEM_WORDS or _word_count(sentence[last[0] : last[1]]) > longest + 1:
        return []
    first = parts[0]
    first[:] = _before_aside(sentence, first[0], first[1])
    words = sentence[first[0] : first[1]]
    plain = _without_asides(words)  # a cue inside an aside ("(6/9 of total discharge)") leads in nothing
    lowered = plain.lower()
    cue = max((m.end() for c in _EN_CUES for m in re.finditer(rf"\b{re.escape(c)}\b", lowered)), default=-1)
    cue = max(cue, plain.rfind(":") + 1 if ":" in plain else -1)
    if cue >= 0 and _word_count(words[cue:]) <= MAX_EN_ITEM_WORDS:
        first[0] += cue
    else:
        kept = words.split()[-max(longest, 1) :]
        first[0] = first[1] - len(words) + words.rfind(kept[0]) if kept else first[1]
    spans = [(a, b) for a, b in (_trim(sentence, *_before_aside(sentence, a, b)) for a, b in parts) if b > a]
    if any(sentence[a:b].split()[0].lower() in _EN_NOT_ITEM for a, b in spans):
        return []
    return spans if len(spans) >= MIN_ITEMS else []


def _trim(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span without blanks, quotes, brackets and punctuation at either end."""
    while start < end and not (sentence[start].isalnum()):
        start += 1
    while end > start and not (sentence[end - 1].isalnum() or sentence[end - 1] in ")）"):
        end -= 1
    return start, end
