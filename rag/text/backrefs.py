"""Whether a sentence leans on the one before it for what it talks about.

"吉米·史都華在此片真正成名" names the film only in the sentence before it; "東德方面宣傳其為「反法西斯防衛牆」"
names the wall there; "It was founded in 1809 by …" names its subject there. An answer quotes such a sentence
with the sentences back to the one that names what it refers to (``rag.answer.extractive``).

Only a reference near the sentence's start counts: that is where its subject or the thing it is about stands. A
demonstrative later in a sentence usually points inside it.
"""

from __future__ import annotations

import re

from rag.text.block_words import VOCABULARY, alternation

# The first characters of a Chinese sentence where a reference counts.
CHINESE_REACH = 10
_LEADING_MARKUP_RE = re.compile(r"^[\s\-*+>•●#]*")
_NOT_REFERENCES_RE = re.compile(alternation(VOCABULARY["not_references"]))
_CHINESE_RE = re.compile(
    f"(?:{alternation(VOCABULARY['reference_heads'])})(?=[\u4e00-\u9fff])"
    f"|(?:{alternation(VOCABULARY['reference_demonstratives'])})(?=[{''.join(VOCABULARY['reference_measures'])}])"
    f"|{alternation(VOCABULARY['reference_pronouns'])}"
)
_ENGLISH_RE = re.compile(rf"^(?:{alternation(VOCABULARY['reference_words_en'])})\b", re.IGNORECASE)


def leans_back(sentence: str) -> bool:
    """Whether ``sentence`` refers near its start to something the sentence before it names."""
    text = _LEADING_MARKUP_RE.sub("", sentence)
    if _ENGLISH_RE.match(text):
        return True
    # A word that only holds a reference character ("因此", "其中") is blanked first, so it cannot match.
    head = _NOT_REFERENCES_RE.sub(lambda m: " " * len(m.group(0)), text[:CHINESE_REACH + 2])[:CHINESE_REACH]
    return bool(_CHINESE_RE.search(head))
