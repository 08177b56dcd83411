"""English words: tokens with their character spans, and a light, consistent stemmer.

Lexicon entries and the doctor's text go through the same :func:`words` and :func:`stem`, so
``coughing``, ``coughs`` and ``coughed`` all meet the entry ``cough``; hyphens and apostrophes
do not split or matter (``short-of-breath``, ``can't``), a slash is a word of its own (``N/V``,
``w/o``) and ``(-)`` / ``(+)`` are single tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["stem", "words"]

_WORD = re.compile(r"\(\s*[-+]{1,3}\s*\)|[a-z0-9]+(?:['\-][a-z0-9]+)*|/|\+")

_IRREGULAR = {
    "felt": "feel",
    "lying": "lie",
    "lay": "lie",
    "lain": "lie",
    "swollen": "swell",
    "bled": "bleed",
    "vomitted": "vomit",
    "vomitting": "vomit",
    "ate": "eat",
    "eaten": "eat",
    "fell": "fall",
    "fallen": "fall",
    "woke": "wake",
    "awoke": "wake",
    "bitten": "bite",
    "bit": "bite",
    "stung": "sting",
    "began": "begin",
    "begun": "begin",
    "got": "get",
    "gotten": "get",
    "lost": "lose",
    "losing": "lose",
    "feet": "foot",
    "teeth": "tooth",
    "children": "child",
    "women": "woman",
    "men": "man",
    "worse": "worse",
    "has": "has",
    "was": "was",
    "is": "is",
    "does": "does",
    "this": "this",
    "his": "his",
    "yes": "yes",
    "less": "less",
    "unless": "unless",
    "always": "always",
    "diabetes": "diabetes",
    "rabies": "rabies",
    "mumps": "mumps",
    "measles": "measles",
    "herpes": "herpes",
    "scabies": "scabies",
    "feces": "feces",
    "faeces": "feces",
    "news": "news",
}

_KEEP_S = ("ss", "us", "is", "as", "os")
_DOUBLE_OK = set("lsz")


def words(text: str) -> list[tuple[int, int, str]]:
    """Word tokens of (normalised, lower-case) ``text`` as ``(start, end, word)``; apostrophes
    and inner hyphens are removed from the word (not from the span)."""
    out: list[tuple[int, int, str]] = []
    for m in _WORD.finditer(text):
        w = m.group()
        if w[0] == "(":
            w = "(" + w.strip("() ") + ")"
        elif "'" in w or "-" in w:
            if w.endswith("'s"):
                w = w[:-2]
            w = w.replace("'", "").replace("-", " ")
            if " " in w:  # a hyphenated compound is several words
                pos = m.start()
                for part in w.split(" "):
                    if part:
                        idx = text.find(part, pos, m.end())
                        if idx < 0:  # pragma: no cover - parts come from the match itself
                            idx = pos
                        out.append((idx, idx + len(part), part))
                        pos = idx + len(part)
                continue
        out.append((m.start(), m.end(), w))
    return out


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light suffix stripper: plural ``s``/``es``/``ies``, ``ing``, ``ed`` and a final ``e``.

    Not a linguistic stemmer: it only has to map the inflections of one word to one key and do
    the same to the lexicon entries.
    """
    w = _IRREGULAR.get(word)
    if w is not None:
        return w
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(_KEEP_S):
        w = w[:-1]
    elif w.endswith("ing") and len(w) > 5:
        w = w[:-3]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in _DOUBLE_OK and w[-1].isalpha():
            w = w[:-1]
    elif w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ed") and not w.endswith("eed") and len(w) > 4:
        w = w[:-2]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in _DOUBLE_OK and w[-1].isalpha():
            w = w[:-1]
    if len(w) > 3 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]
    return w
