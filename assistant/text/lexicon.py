"""The reader's vocabulary: cue words and body-site tables from ``lexicon.yaml``, finding words from
the knowledge base, compiled once into two prefix trees (Chinese characters, English word stems).

``lexicon.yaml`` holds language, not diagnosis: negation and scope cues, body sites, sensations
(pain, swelling, itch …), the table saying which site with which sensation is which finding, and
vital-sign labels. Every finding code it names must exist in the knowledge base; every site and
sensation a combination names must be defined. Problems raise
:class:`~assistant.knowledge.KnowledgeError` naming the file and the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..knowledge import Knowledge, KnowledgeError
from ..knowledge.base import Meta, Table, read_yaml
from ..knowledge.findings import FILE as FINDINGS_FILE
from ..knowledge.findings import Finding
from .english import stem, words
from .normalize import build_table, is_cjk, normalize
from .quantities import QuantityReader
from .trie import Trie

__all__ = ["LEXICON_FILE", "Lexicon", "Payload", "build_lexicon"]

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Words(_Model):
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class _NegationGroup(_Model):
    lang: Literal["zh", "en"]
    max_gap: int = Field(ge=0, le=12)
    #: English: the scope runs through a comma-separated list (denies fever, chills, cough); for
    #: the others a list after a comma must end with or/nor/and (no fever, chills or cough)
    through_commas: bool = False
    words: tuple[str, ...]


class _PostCue(_Model):
    lang: Literal["zh", "en"]
    value: bool
    reach: Literal["last", "clause"] = "last"
    words: tuple[str, ...]


class _Site(_Model):
    parents: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class _Sensation(_Model):
    parents: tuple[str, ...] = ()
    default: tuple[str, ...] = ()
    zh_site_after: bool = False
    #: the word's own finding stays when it combines with a site (手足 + 疱疹: vesicles too)
    keep_findings: bool = False
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class _Combination(_Model):
    site: str
    sensation: str
    findings: tuple[str, ...] = Field(min_length=1)


class _QualifierRule(_Model):
    base: str
    finding: str


class _Qualifier(_Model):
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    rules: tuple[_QualifierRule, ...] = Field(min_length=1)


class _Vital(_Model):
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()


class _LexiconFile(_Model):
    meta: Meta
    char_map: tuple[str, ...] = ()
    negation: tuple[_NegationGroup, ...]
    pseudo_negation: _Words
    post_cues: tuple[_PostCue, ...]
    scope_end_contrast: _Words
    scope_end_strong: _Words
    scope_end_weak: _Words
    fillers: _Words
    family_headers: _Words
    relatives: _Words
    relative_cancel_before: _Words
    relative_cancel_after: _Words
    site_links_en: tuple[str, ...]
    sites: dict[str, _Site]
    sensations: dict[str, _Sensation]
    combinations: tuple[_Combination, ...]
    unmapped: _Words
    episode_cues: _Words
    episode_findings: tuple[str, ...] = ()
    onset_findings: tuple[str, ...] = ()
    contact_findings: tuple[str, ...] = ()
    qualifiers: dict[str, _Qualifier] = Field(default_factory=dict)
    vitals: dict[str, _Vital]
    vital_label_gap: tuple[str, ...]
    relative_times: dict[str, float]


class Payload(NamedTuple):
    """What a matched word means. ``kind``: F finding, U unmapped finding (no code), S site,
    E sensation, N negation (``gap`` = how far it reaches), P pseudo-negation, Q post cue
    (``value``: present or absent, ``name``: last or clause), B scope end (``name``: contrast,
    strong, weak), L filler, R relative (``name``: header or relative), C and V relative cancel
    (before, after), K site link (English preposition), T episode cue, M qualifier (``name``)."""

    kind: str
    codes: tuple[str, ...] = ()
    value: bool = True
    name: str = ""
    gap: int = 0
    lang: str = "zh"


@dataclass(frozen=True)
class Lexicon:
    zh: Trie[Payload]
    en: Trie[Payload]
    table: dict[int, str]
    quantities: QuantityReader
    combos: dict[tuple[str, str], tuple[str, ...]]
    site_chain: dict[str, tuple[str, ...]]
    sensation_chain: dict[str, tuple[str, ...]]
    sensation_defaults: dict[str, tuple[str, ...]]
    zh_site_after: frozenset[str]
    keep_sensations: frozenset[str]
    episode_findings: frozenset[str]
    onset_findings: frozenset[str]
    contact_findings: frozenset[str]
    qualifiers: dict[str, tuple[tuple[str, str], ...]]
    zh_site_prefix: dict[str, tuple[str, ...]]
    code_sensation: dict[str, str]
    code_sites: dict[str, frozenset[str]]
    implies: dict[str, tuple[str, ...]]
    history_codes: frozenset[str]
    when_relative: dict[str, tuple[str, ...]]
    vital_rules: tuple[tuple[str, str, float], ...]
    duration_rules: tuple[tuple[str, str | None, float | None, float | None, bool], ...]
    findings: Table[Finding]


def _problem(msg: str) -> KnowledgeError:
    return KnowledgeError(f"{LEXICON_FILE.name}: {msg}")


def _chain(name: str, parents: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """``name`` and its ancestors, breadth first, without repeats."""
    out = [name]
    i = 0
    while i < len(out):
        for p in parents.get(out[i], ()):
            if p not in out:
                out.append(p)
        i += 1
    return tuple(out)


def _zh_key(word: str, table: dict[int, str]) -> str:
    return normalize(word.strip(), table)


def _en_key(word: str, table: dict[int, str]) -> tuple[str, ...]:
    return tuple(stem(w) for _, _, w in words(normalize(word.strip(), table)))


_BRACKETS = re.compile(r"\s*[（(][^）)]*[）)]")


def _strip_brackets(name: str) -> str:
    """A finding's name as a word: ``偏头痛（单侧）`` → ``偏头痛``, ``upper abdominal (epigastric) pain``
    → ``upper abdominal pain``."""
    return re.sub(r"\s+", " ", _BRACKETS.sub("", name)).strip()


def _prefer(first: tuple[Payload, ...], following: tuple[Payload, ...]) -> int:
    """Tie-break of the scan between readings that cover the same text: a negation cue followed by
    a finding, or a finding not followed by a lone site or sensation, beats a finding followed by
    a lone sensation (无 + 尿痛, not 无尿 + 痛; ``not vaccinated`` stays one finding)."""
    kinds = {p.kind for p in first}
    nxt = {p.kind for p in following}
    if "N" in kinds and "F" in nxt:
        return 2
    if "F" in kinds:
        return 1 if nxt and nxt <= {"E", "S"} else 2
    return 0


class _Builder:
    def __init__(self, table: dict[int, str]) -> None:
        self.table = table
        self.zh: Trie[Payload] = Trie(_prefer)
        self.en: Trie[Payload] = Trie(_prefer)

    def add(self, word: str, payload: Payload, lang: str, where: str = LEXICON_FILE.name) -> None:
        word = word.strip()
        if not word:
            return
        if lang == "zh" and not word.isascii():
            key = _zh_key(word, self.table)
            if not (is_cjk(key[0]) or key[0].isdigit()):
                raise KnowledgeError(f"{where}: Chinese word {word!r} must start with a Chinese character or a digit")
            self.zh.add(key, payload._replace(lang="zh"))
        else:
            en_key = _en_key(word, self.table)
            if en_key:
                self.en.add(en_key, payload._replace(lang="en"))

    def add_all(self, ws: _Words | Iterable[str], payload: Payload, lang: str | None = None) -> None:
        if isinstance(ws, _Words):
            for w in ws.zh:
                self.add(w, payload, "zh")
            for w in ws.en:
                self.add(w, payload, "en")
        else:
            for w in ws:
                self.add(w, payload, lang or "en")


def build_lexicon(knowledge: Knowledge | Table[Finding], path: Path = LEXICON_FILE) -> Lexicon:
    """Compile the lexicon for a knowledge base or just its findings table (tens of milliseconds:
    call once and keep)."""
    findings: Table[Finding] = knowledge.findings if isinstance(knowledge, Knowledge) else knowledge
    raw = read_yaml(path)
    try:
        lex = _LexiconFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"field '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors()]
        raise KnowledgeError("\n".join(f"{path.name}: {ln}" for ln in lines)) from exc

    char_map: dict[str, str] = {}
    for entry in lex.char_map:
        if len(entry) != 2:
            raise _problem(f"char_map entry {entry!r}: expected two characters (from, to)")
        char_map[entry[0]] = entry[1]
    table = build_table(char_map)
    b = _Builder(table)
    known = set(findings.keys())

    # ---- findings from the knowledge base
    for f in findings:
        present = Payload("F", (f.code,), True)
        absent = Payload("F", (f.code,), False)
        where = f"{FINDINGS_FILE} (code={f.code})"
        for w in (_strip_brackets(f.name_zh), *f.synonyms_zh):
            b.add(w, present, "zh", where)
        for w in (_strip_brackets(f.name_en), *f.synonyms_en):
            b.add(w, present, "en", where)
        for w in f.absent_zh:
            b.add(w, absent, "zh", where)
        for w in f.absent_en:
            b.add(w, absent, "en", where)

    # ---- cues
    for g in lex.negation:
        b.add_all(g.words, Payload("N", gap=g.max_gap, name="list" if g.through_commas else ""), g.lang)
    b.add_all(lex.pseudo_negation, Payload("P"))
    for q in lex.post_cues:
        b.add_all(q.words, Payload("Q", value=q.value, name=q.reach), q.lang)
    b.add_all(lex.scope_end_contrast, Payload("B", name="contrast"))
    b.add_all(lex.scope_end_strong, Payload("B", name="strong"))
    b.add_all(lex.scope_end_weak, Payload("B", name="weak"))
    b.add_all(lex.fillers, Payload("L"))
    b.add_all(lex.family_headers, Payload("R", name="header"))
    b.add_all(lex.relatives, Payload("R", name="relative"))
    b.add_all(lex.relative_cancel_before, Payload("C"))
    b.add_all(lex.relative_cancel_after, Payload("V"))
    b.add_all(lex.site_links_en, Payload("K"), "en")
    b.add_all(lex.unmapped, Payload("U"))
    b.add_all(lex.episode_cues, Payload("T"))
    for attr in ("episode_findings", "onset_findings", "contact_findings"):
        for code in getattr(lex, attr):
            if code not in known:
                raise _problem(f"{attr}: unknown finding {code!r}")
    qualifiers: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, qual in lex.qualifiers.items():
        for rule in qual.rules:
            for code in (rule.base, rule.finding):
                if code not in known:
                    raise _problem(f"qualifiers.{name}: unknown finding {code!r}")
        qualifiers[name] = tuple((rule.base, rule.finding) for rule in qual.rules)
        b.add_all(_Words(zh=qual.zh, en=qual.en), Payload("M", name=name))

    # ---- sites, sensations and their table
    site_parents = {name: s.parents for name, s in lex.sites.items()}
    sens_parents = {name: s.parents for name, s in lex.sensations.items()}
    for name, site in lex.sites.items():
        for p in site.parents:
            if p not in lex.sites:
                raise _problem(f"site {name!r}: unknown parent site {p!r}")
        b.add_all(_Words(zh=site.zh, en=site.en), Payload("S", name=name))
    for name, sens in lex.sensations.items():
        for p in sens.parents:
            if p not in lex.sensations:
                raise _problem(f"sensation {name!r}: unknown parent sensation {p!r}")
        for code in sens.default:
            if code not in known:
                raise _problem(f"sensation {name!r}: field 'default': unknown finding {code!r}")
        b.add_all(_Words(zh=sens.zh, en=sens.en), Payload("E", name=name))
    combos: dict[tuple[str, str], tuple[str, ...]] = {}
    code_sensation: dict[str, str] = {}
    code_sites: dict[str, set[str]] = {}
    for i, c in enumerate(lex.combinations, start=1):
        if c.site not in lex.sites:
            raise _problem(f"combinations entry {i}: unknown site {c.site!r}")
        if c.sensation not in lex.sensations:
            raise _problem(f"combinations entry {i}: unknown sensation {c.sensation!r}")
        for code in c.findings:
            if code not in known:
                raise _problem(f"combinations entry {i} ({c.site} × {c.sensation}): unknown finding {code!r}")
            code_sensation.setdefault(code, c.sensation)
            code_sites.setdefault(code, set()).add(c.site)
        pair = (c.site, c.sensation)
        if pair in combos:
            raise _problem(f"combinations entry {i}: {c.site} × {c.sensation} listed twice")
        combos[pair] = c.findings

    # ---- Chinese finding words that begin with a site (左侧肢体麻木): the site still reaches a
    # sensation right after the word (左侧肢体麻木 + 无力)
    zh_sites: dict[str, tuple[str, ...]] = {}
    for name, site in lex.sites.items():
        for w in site.zh:
            site_key = _zh_key(w, table)
            zh_sites[site_key] = (*zh_sites.get(site_key, ()), name)
    zh_site_prefix: dict[str, tuple[str, ...]] = {}
    for f in findings:
        for w in (_strip_brackets(f.name_zh), *f.synonyms_zh):
            word_key = _zh_key(w, table)
            for cut in range(len(word_key) - 1, 0, -1):
                if word_key[:cut] in zh_sites:
                    zh_site_prefix[word_key] = zh_sites[word_key[:cut]]
                    break

    # ---- vitals
    vital_labels: dict[str, list[str]] = {}
    for name, v in lex.vitals.items():
        vital_labels[name] = [*v.zh, *v.en]
    quantities = QuantityReader(vital_labels, lex.vital_label_gap, lex.relative_times)

    b.zh.freeze()
    b.en.freeze()

    vital_rules = tuple(
        (f.code, f.from_vital.vital, f.from_vital.at_least) for f in findings if f.from_vital is not None
    )
    duration_rules = tuple(
        (
            f.code,
            f.from_duration.of,
            f.from_duration.at_least_days,
            f.from_duration.at_most_days,
            f.from_duration.sets_absent,
        )
        for f in findings
        if f.from_duration is not None
    )
    return Lexicon(
        zh=b.zh,
        en=b.en,
        table=table,
        quantities=quantities,
        combos=combos,
        site_chain={name: _chain(name, site_parents) for name in lex.sites},
        sensation_chain={name: _chain(name, sens_parents) for name in lex.sensations},
        sensation_defaults={name: s.default for name, s in lex.sensations.items() if s.default},
        zh_site_after=frozenset(name for name, s in lex.sensations.items() if s.zh_site_after),
        keep_sensations=frozenset(name for name, s in lex.sensations.items() if s.keep_findings),
        episode_findings=frozenset(lex.episode_findings),
        onset_findings=frozenset(lex.onset_findings),
        contact_findings=frozenset(lex.contact_findings),
        qualifiers=qualifiers,
        zh_site_prefix=zh_site_prefix,
        code_sensation=code_sensation,
        code_sites={k: frozenset(v) for k, v in code_sites.items()},
        implies={f.code: f.implies for f in findings if f.implies},
        history_codes=frozenset(f.code for f in findings if f.category == "history"),
        when_relative={f.code: f.when_relative for f in findings if f.when_relative},
        vital_rules=vital_rules,
        duration_rules=duration_rules,
        findings=findings,
    )
