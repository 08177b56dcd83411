"""Name lookup for the quality checks, cached per knowledge base: drugs, examinations, diagnoses,
past conditions and allergy entries as doctors type them (Chinese or English, generic or brand,
with strengths, forms, durations and qualifiers)."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..knowledge.conditions import Condition, ConditionIndex, normalise_icd10, normalise_name
from ..knowledge.drugs import Drug
from ..knowledge.exams import Exam
from ..knowledge.names import split_names
from .tables import AllergyRule, DoseRule, QualityRules

if TYPE_CHECKING:
    from ..knowledge import Knowledge

__all__ = ["ConditionRef", "Resolver", "resolver_for"]

# Language, not clinical knowledge: how durations, grades and "history of" wrap a condition name.
_DURATION = re.compile(
    r"(?:约|近)?\d+(?:\.\d+)?\s*(?:余|多)?\s*(?:年|个月|月|周|天|日|years?|yrs?|months?|weeks?|days?)\s*(?:余|多)?(?:前|ago)?",
    re.IGNORECASE,
)
_GRADE = re.compile(
    r"[1-3一二三]级|(?:极高危|很高危|高危|中危|低危)|grade\s*[1-3]|stage\s*[1-3]", re.IGNORECASE
)
_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_SITE = re.compile(
    r"^(?:左|右|双)侧?(?:下肢|上肢|小腿|大腿|足部?|手部?|前臂|上臂|面部|颜面|眼|耳|膝|踝|肩|腰|胸|背)?"
    r"|^(?:left|right|bilateral)\s+(?:lower\s+|upper\s+)?(?:leg|arm|foot|hand|face|eye|ear|knee|ankle|shoulder)?\s*",
    re.IGNORECASE,
)
_PREFIXES = ("既往", "曾患", "患有", "确诊", "诊断", "有", "historyof", "hxof", "ho", "known", "past", "pmh")
_SUFFIXES = (
    "病史",
    "史",
    "多年",
    "病人",
    "患者",
    "history",
    "急性发作",
    "发作期",
    "急性期",
    "稳定期",
    "缓解期",
    "复诊",
    "随访",
    "followup",
    "review",
    "flare",
)


def _variants(text: str) -> list[str]:
    """Normalised keys for a condition name: as typed, without brackets, durations and grades,
    then without "history of" words."""
    base = unicodedata.normalize("NFKC", text).strip()
    out: list[str] = []

    def add(candidate: str) -> None:
        key = normalise_name(candidate)
        if key and key not in out:
            out.append(key)
            for prefix in _PREFIXES:
                if key.startswith(prefix) and len(key) > len(prefix) + 1:
                    add(key[len(prefix) :])
            for suffix in _SUFFIXES:
                if key.endswith(suffix) and len(key) > len(suffix) + 1:
                    add(key[: -len(suffix)])

    add(base)
    stripped = _BRACKETS.sub(" ", base)
    add(stripped)
    plain = _GRADE.sub(" ", _DURATION.sub(" ", stripped))
    add(plain)
    add(_SITE.sub("", plain.strip()))
    return out


@dataclass(frozen=True)
class ConditionRef:
    """What a diagnosis or history entry means: ICD-10 ``codes`` (as typed when it was a code) and
    the knowledge base's ``condition`` when there is one. ``known`` is False for a name the
    assistant cannot read."""

    text: str
    codes: tuple[str, ...]
    condition: Condition | None
    known: bool


_CACHE_LIMIT = 20_000


def _remember(cache: dict, key: object, value: object) -> None:
    """Store in a per-resolver cache, starting afresh when free text has filled it."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


class Resolver:
    """Cached lookups for one knowledge base and rule set (build with :func:`resolver_for`)."""

    def __init__(self, kb: Knowledge, rules: QualityRules) -> None:
        self.kb = kb
        self.rules = rules
        self.index = ConditionIndex.build(kb.conditions)
        self.term_codes: dict[str, str] = {}
        for term in rules.terms:
            for name in term.names:
                self.term_codes.setdefault(normalise_name(name), term.code)
        allergy = rules.sections(AllergyRule)
        self.no_allergy = {normalise_name(w) for w in allergy.no_allergy_words}
        self.non_drug_allergens = {normalise_name(w) for w in allergy.non_drug_allergens}
        self.no_history = {normalise_name(w) for w in rules.term_sections.no_history_words}
        self.topical_forms = tuple(normalise_name(w) for w in rules.sections(DoseRule).topical_forms)
        self._drugs: dict[str, Drug | None] = {}
        self._exams: dict[str, Exam | None] = {}
        self._diagnoses: dict[str, tuple[ConditionRef, ...]] = {}
        self._history: dict[str, tuple[ConditionRef, ...]] = {}
        self._allergies: dict[str, tuple[str, ...] | None] = {}
        self._allergy_matches: dict[tuple[str, tuple[str, ...]], object] = {}

    # -- drugs and examinations -------------------------------------------------------------
    def drug(self, name: str) -> Drug | None:
        if name not in self._drugs:
            _remember(self._drugs, name, self.kb.drugs.find(name))
        return self._drugs[name]

    def exam(self, name: str) -> Exam | None:
        if name not in self._exams:
            _remember(self._exams, name, self.kb.exams.find(name))
        return self._exams[name]

    def is_topical_name(self, name: str) -> bool:
        """A drug name with a topical dosage form (``滴眼液``, ``软膏``, ``eye drops``)."""
        key = normalise_name(name)
        return any(form in key for form in self.topical_forms)

    # -- conditions -------------------------------------------------------------------------
    def _by_code(self, code: str) -> ConditionRef:
        rows = self.index.by_icd10(code)
        compact = code.replace(".", "")
        known = bool(rows) or any(compact.startswith(c.replace(".", "")) for c in self.term_codes.values())
        return ConditionRef(code, (code,), rows[0] if rows else None, known)

    def _by_name(self, text: str, terms_first: bool) -> ConditionRef | None:
        for key in _variants(text):
            term = self.term_codes.get(key)
            if terms_first and term:
                return ConditionRef(text, (term,), self._condition_for_code(term), True)
            row = self.index.by_key.get(key) or self.index.by_name(key)
            if row is not None:
                return ConditionRef(text, (row.icd10,), row, True)
            if term:
                return ConditionRef(text, (term,), self._condition_for_code(term), True)
        return None

    def _condition_for_code(self, code: str) -> Condition | None:
        rows = self.index.by_icd10(code)
        return rows[0] if rows else None

    def _resolve(self, text: str, terms_first: bool) -> tuple[ConditionRef, ...]:
        code = normalise_icd10(text)
        if code is not None:
            return (self._by_code(code),)
        ref = self._by_name(text, terms_first)
        if ref is not None:
            return (ref,)
        parts = split_names(text)
        if len(parts) > 1:
            found = [self._resolve(p, terms_first) for p in parts]
            return tuple(r for refs in found for r in refs)
        return (ConditionRef(text, (), None, False),)

    def diagnosis(self, text: str) -> tuple[ConditionRef, ...]:
        """A doctor's diagnosis (ICD-10 code or name) → what it means; one entry may name several."""
        if text not in self._diagnoses:
            _remember(self._diagnoses, text, self._resolve(text, terms_first=False))
        return self._diagnoses[text]

    def history(self, text: str) -> tuple[ConditionRef, ...]:
        """A past or chronic condition. Words that say "none" (``无``, ``否认``) give nothing; the term
        list is tried before the conditions so that ``心梗`` in a history is an old infarction."""
        if text not in self._history:
            refs = () if normalise_name(text) in self.no_history else self._resolve(text, terms_first=True)
            _remember(self._history, text, refs)
        return self._history[text]

    # -- allergies --------------------------------------------------------------------------
    def allergy(self, text: str) -> tuple[str, ...] | None:
        """Drug codes / class ids an allergy entry names; ``()`` for "no allergy" or a non-drug
        allergen (food, pollen); ``None`` when the entry cannot be read."""
        if text not in self._allergies:
            key = normalise_name(text)
            if key in self.no_allergy or key in self.non_drug_allergens:
                found: tuple[str, ...] | None = ()
            else:
                hits = self.kb.drugs.resolve_allergy(text)
                found = tuple(hits) if hits else None
                if found is None and any(len(w) >= 2 and w in key for w in self.non_drug_allergens):
                    found = ()
            _remember(self._allergies, text, found)
        return self._allergies[text]

    def allergy_match(self, allergy_text: str, substances: tuple[str, ...]):  # noqa: ANN201
        """:meth:`DrugBook.allergy_match_substances`, cached."""
        key = (allergy_text, substances)
        if key not in self._allergy_matches:
            _remember(
                self._allergy_matches, key, self.kb.drugs.allergy_match_substances(allergy_text, substances)
            )
        return self._allergy_matches[key]


_LOCK = threading.Lock()
_CACHE: dict[tuple[int, int], tuple[Knowledge, QualityRules, Resolver]] = {}


def resolver_for(kb: Knowledge, rules: QualityRules) -> Resolver:
    """The resolver for this knowledge base and rule set (built once, a few kept per process)."""
    key = (id(kb), id(rules))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is kb and hit[1] is rules:
        return hit[2]
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is kb and hit[1] is rules:
            return hit[2]
        resolver = Resolver(kb, rules)
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (kb, rules, resolver)  # holding both keeps their ids from being reused
        return resolver
