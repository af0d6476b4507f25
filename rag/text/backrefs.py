"""Whether a sentence leans on the one before it for what it talks about.

"吉米·史都華在此片真正成名" names the film only in the sentence before it; "東德方面宣傳其為「反法西斯防衛牆」"
names the wall there; "It was founded in 1809 by …" names its subject there. An answer quotes such a sentence
with the sentences back to the one that names what it refers to (``rag.answer.extractive``).

Only a reference near the sentence's start counts: that is where its subject or the thing it is about stands. A
demonstrative later in a sentence usually points inside it.
"""

from __future__ import annotations

import re

# The first characters of a Chinese sentence, and the first words of an English one, where a reference counts.
CHINESE_REACH = 10
_LEADING_MARKUP_RE = re.compile(r"^[\s\-*+>•●#]*")
# A demonstrative with a measure word or a noun after it ("此片", "该公司", "这部", "這些"), a third-person pronoun
# ("其", "他们", "它"), or "上述". Words that only contain one are not references: 因此, 如此, 从此, 彼此, 由此, 据此,
# 为此, 对此, 此外 (a connective), 此后, 此前, 此时 (a time); 其中, 其他, 其它, 其实, 其次, 其余, 尤其, 极其, 及其, 与其 (not "it").
_CHINESE_RE = re.compile(
    r"(?<![因如從从彼由據据為为對对])此(?![外后後前时時])[\u4e00-\u9fff]"
    r"|[该該](?=[\u4e00-\u9fff])"
    r"|[这這那](?=[部片本书書篇些个個种種项項位家座条條首款])"
    r"|(?<![尤極极及與与])其(?![中他它實实次餘余])"
    r"|(?<![其吉])(?:他|她|它)(?:们|們)?"
    r"|上述"
)
_ENGLISH_RE = re.compile(r"^(?:it|its|he|his|she|her|they|their|this|these|that|those|such)\b", re.IGNORECASE)


def leans_back(sentence: str) -> bool:
    """Whether ``sentence`` refers near its start to something the sentence before it names."""
    text = _LEADING_MARKUP_RE.sub("", sentence)
    if _ENGLISH_RE.match(text):
        return True
    return bool(_CHINESE_RE.search(text[:CHINESE_REACH]))
