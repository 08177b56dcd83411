"""Complaint understanding: free text in Chinese or English → findings present or absent.

>>> from assistant.text import parse_complaint
>>> r = parse_complaint("咳嗽3天，发热，体温38.6℃，无胸痛")
>>> r.findings["cough"], r.findings["chest_pain"], r.vitals["temperature_c"], r.duration_days
(True, False, 38.6, 3.0)

The reader is built once per knowledge base from the findings' synonyms (``findings.yaml``) and
the language file ``lexicon.yaml`` (negation cues, body sites × sensations, vital-sign labels);
no segmenter, no model, no network. :func:`parse_complaint` never raises on any input.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from ..knowledge import KNOWLEDGE_DIR, Knowledge, KnowledgeError
from ..knowledge import findings as _findings
from .lexicon import LEXICON_FILE, Lexicon, build_lexicon
from .parser import MAX_CHARS, ComplaintParser
from .quantities import DurationReading, VitalReading
from .result import CueMention, FindingMention, ParsedComplaint

__all__ = [
    "LEXICON_FILE",
    "MAX_CHARS",
    "ComplaintParser",
    "CueMention",
    "DurationReading",
    "FindingMention",
    "Lexicon",
    "ParsedComplaint",
    "VitalReading",
    "build_lexicon",
    "get_parser",
    "parse_complaint",
]

_LOCK = threading.Lock()
_CACHE: dict[int, tuple[Knowledge, ComplaintParser]] = {}
_CACHE_SIZE = 4


@lru_cache(maxsize=1)
def _default_parser() -> ComplaintParser:
    # Only the findings file is needed: the reader keeps working while other knowledge files change.
    table = _findings.load(KNOWLEDGE_DIR)
    problems = _findings.check_table(table)
    if problems:
        raise KnowledgeError("\n".join(problems))
    return ComplaintParser(build_lexicon(table))


def get_parser(knowledge: Knowledge | None = None) -> ComplaintParser:
    """The parser for ``knowledge`` (default: the shipped findings), built on first use and kept
    (a few per process)."""
    if knowledge is None:
        return _default_parser()
    kb = knowledge
    key = id(kb)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is kb:
        return hit[1]
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is kb:
            return hit[1]
        parser = ComplaintParser(build_lexicon(kb))
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (kb, parser)  # holding kb keeps its id from being reused
        return parser


def parse_complaint(text: str | None, *, knowledge: Knowledge | None = None) -> ParsedComplaint:
    """Read one complaint (Chinese, English or both) into findings, vital signs and a duration.

    Never raises on any text (None, empty, huge, emoji, control characters); a broken knowledge
    base raises :class:`~assistant.knowledge.KnowledgeError` when the parser is first built.
    """
    return get_parser(knowledge).parse(text)
