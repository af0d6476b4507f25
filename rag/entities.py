"""The names a question gives, as written: quoted titles and Latin-script names (see ``find_entities``)."""

from __future__ import annotations

import re

from rag.text.cues import Vocab
from rag.text.primitives import _STOPWORDS

QUOTED_RE = re.compile(
    r"《([^《》]{1,80})》|「([^「」]{1,80})」|『([^『』]{1,80})』|“([^“”]{1,80})”|\"([^\"]{1,80})\"|‘([^‘’]{1,80})’"
)
LATIN_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.+'’][A-Za-z0-9]+)*\+*")
_PERIOD_TOKEN_RE = re.compile(r"(?i)fy\d{2,4}|q[1-4]|h[12]")


def find_entities(text: str, lang: str, v: Vocab) -> tuple[str, ...]:
    """Names the question gives, as written, in order: quoted titles, then Latin-script names.

    In a Chinese question every Latin-script word names something ("SaaS", "ChatGPT Enterprise"); in an English
    one, capitalised words do, except a question or function word capitalised because it starts a sentence.
    Consecutive name words, or words joined by "&", make one name ("Weights & Biases", "Percy Shelley").
    """
    names: list[tuple[int, str]] = []
    for m in QUOTED_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None).strip()
        if inner:
            names.append((m.start(), inner))

    run: list[re.Match[str]] = []

    def close() -> None:
        if run:
            names.append((run[0].start(), text[run[0].start() : run[-1].end()]))
            run.clear()

    quoted = [(m.start(), m.end()) for m in QUOTED_RE.finditer(text)]
    for m in LATIN_TOKEN_RE.finditer(text):
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
