"""One record as the quality checks see it: every name resolved, findings and measurements merged,
and the patient's conditions (the drug tags of ``drugs.yaml``) with the fact that shows each.

Findings: the caller's ``findings`` (what the assistant understood, ``findings_used``) when given,
else the complaint as read by :func:`assistant.text.parse_complaint` overlaid with the record's
structured ``findings``. Measurements: the structured vitals, else a vital sign read from the
complaint (``体温38.6℃``), plus the numeric labs; a value that cannot be right (see
:func:`assistant.records.implausible_values`) is reported as a data-entry error and is not used
by any clinical rule (both blood pressures when they are swapped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..knowledge.drugs import Drug, Tag
from ..knowledge.exams import Exam
from ..records import Encounter, ImplausibleValue, implausible_values
from ..records.encounter import LAB_UNITS, VITAL_UNITS
from ..text import parse_complaint
from .resolve import ConditionRef, Resolver
from .tables import ContraRule, DoseRule

if TYPE_CHECKING:
    from ..knowledge import Knowledge
    from .tables import QualityRules

__all__ = [
    "MEASURE_LABELS",
    "AllergyItem",
    "ConditionItem",
    "Fact",
    "MedicationItem",
    "OrderItem",
    "PrescriptionItem",
    "PriorExamItem",
    "RecordContext",
    "fmt",
]

MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "temperature_c": ("体温", "temperature"),
    "systolic_bp": ("收缩压", "systolic BP"),
    "diastolic_bp": ("舒张压", "diastolic BP"),
    "heart_rate": ("心率", "heart rate"),
    "respiratory_rate": ("呼吸频率", "respiratory rate"),
    "spo2": ("血氧饱和度", "SpO2"),
    "weight_kg": ("体重", "weight"),
    "height_cm": ("身高", "height"),
    "glucose_mmol_l": ("随机血糖", "random glucose"),
    "fasting_glucose_mmol_l": ("空腹血糖", "fasting glucose"),
    "egfr": ("eGFR", "eGFR"),
    "hba1c": ("糖化血红蛋白", "HbA1c"),
    "wbc": ("白细胞", "WBC"),
    "hemoglobin": ("血红蛋白", "haemoglobin"),
    "potassium": ("血钾", "potassium"),
    "alt": ("ALT", "ALT"),
}
_UNITS = {**VITAL_UNITS, **LAB_UNITS}


def fmt(value: float) -> str:
    """A number as a doctor writes it: ``38.6``, ``500``, ``0.25``."""
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"


@dataclass(frozen=True)
class Fact:
    """Why something holds: the record field (``path``), its value, and words for a message."""

    path: str
    value: Any
    zh: str
    en: str


@dataclass(frozen=True)
class PrescriptionItem:
    index: int
    path: str
    text: str
    drug: Drug | None
    dose_mg: float | None
    times_per_day: float | None
    route: str | None
    """The route written, else ``topical`` when the name is a topical form (``滴眼液``), else None."""
    systemic: bool
    """False for a topical medicine: its systemic contraindications and doses do not apply."""


@dataclass(frozen=True)
class MedicationItem:
    index: int
    path: str
    text: str
    drug: Drug | None
    systemic: bool


@dataclass(frozen=True)
class OrderItem:
    index: int
    path: str
    text: str
    exam: Exam | None


@dataclass(frozen=True)
class PriorExamItem:
    index: int
    path: str
    text: str
    exam: Exam | None
    date: dt.date | None
    facility: str | None


@dataclass(frozen=True)
class ConditionItem:
    """A diagnosis of this visit or a past condition (one entry may name several)."""

    index: int
    path: str
    text: str
    ref: ConditionRef

    def fact(self) -> Fact:
        """The entry as typed (Chinese message) and the condition's English name when known."""
        c = self.ref.condition
        same = c is not None and bool(self.ref.codes) and self.ref.codes[0] in c.codes
        return Fact(self.path, self.text, self.text, c.name_en if same and c is not None else self.text)


@dataclass(frozen=True)
class AllergyItem:
    index: int
    path: str
    text: str
    allergens: tuple[str, ...] | None


def _compact(code: str) -> str:
    return code.replace(".", "").upper()


class RecordContext:
    """Everything the checks need about one encounter, computed once (see the module docstring)."""

    def __init__(
        self,
        encounter: Encounter,
        kb: Knowledge,
        rules: QualityRules,
        resolver: Resolver,
        findings: Mapping[str, bool] | None = None,
        model_scores: Mapping[str, tuple[float, int]] | None = None,
    ) -> None:
        self.encounter = encounter
        self.kb = kb
        self.rules = rules
        self.resolver = resolver
        self.model_scores = dict(model_scores or {})
        p = encounter.patient
        self.date: dt.date | None = encounter.date
        self.age: float | None = p.age_years
        self.sex: str | None = p.sex
        self.pregnant: bool | None = p.pregnant
        extra = p.model_extra or {}
        self.breastfeeding = extra.get("breastfeeding") is True or extra.get("lactating") is True
        dose = rules.sections(DoseRule)
        self.child_age_below: float = dose.child_age_below
        self.is_child = self.age is not None and self.age < self.child_age_below

        parsed = parse_complaint(encounter.complaint, knowledge=kb) if encounter.complaint else None
        self.implausible: list[ImplausibleValue] = implausible_values(encounter)
        self._measurements(parsed)
        self._findings(parsed, findings)

        self.prescriptions = [self._prescription(i, rx) for i, rx in enumerate(encounter.prescriptions)]
        self.medications = [
            MedicationItem(
                i, f"patient.medications.{i}", t, resolver.drug(t), not resolver.is_topical_name(t)
            )
            for i, t in enumerate(p.medications)
        ]
        self.orders = [
            OrderItem(i, f"orders.{i}", t, resolver.exam(t)) for i, t in enumerate(encounter.orders)
        ]
        self.prior_exams = [
            PriorExamItem(i, f"prior_exams.{i}", e.name, resolver.exam(e.name), e.date, e.facility)
            for i, e in enumerate(encounter.prior_exams)
        ]
        self.diagnoses = [
            ConditionItem(i, f"diagnoses.{i}", t, ref)
            for i, t in enumerate(encounter.diagnoses)
            for ref in resolver.diagnosis(t)
        ]
        self.history = [
            ConditionItem(i, f"patient.history.{i}", t, ref)
            for i, t in enumerate(p.history)
            for ref in resolver.history(t)
        ]
        self.allergies = [
            AllergyItem(i, f"patient.allergies.{i}", t, resolver.allergy(t))
            for i, t in enumerate(p.allergies)
        ]
        self.current_only = frozenset(rules.sections(ContraRule).current_only_tags)
        self._tags: dict[str, Fact | None] = {}

    # -- construction helpers ---------------------------------------------------------------
    def _measurements(self, parsed: Any) -> None:
        bad = {iv.field for iv in self.implausible if iv.kind == "out_of_range"}
        if any(iv.kind == "swapped" for iv in self.implausible):
            bad |= {"vitals.systolic_bp", "vitals.diastolic_bp"}
        self.measurements: dict[str, Fact] = {}
        text_vitals = parsed.vitals if parsed is not None else {}
        vitals = self.encounter.vitals
        for name in VITAL_UNITS:
            value = getattr(vitals, name, None)
            path = f"vitals.{name}"
            if value is None and name in text_vitals:
                value, path = text_vitals[name], "complaint"
            if value is not None and path not in bad:
                self.measurements[name] = self._measure_fact(name, float(value), path)
        labs = self.encounter.labs
        for name in LAB_UNITS:
            value = getattr(labs, name, None)
            if value is not None and f"labs.{name}" not in bad:
                self.measurements[name] = self._measure_fact(name, float(value), f"labs.{name}")

    @staticmethod
    def _measure_fact(name: str, value: float, path: str) -> Fact:
        zh, en = MEASURE_LABELS[name]
        unit = _UNITS.get(name, "")
        return Fact(path, value, f"{zh}{fmt(value)} {unit}".strip(), f"{en} {fmt(value)} {unit}".strip())

    def _findings(self, parsed: Any, given: Mapping[str, bool] | None) -> None:
        found: dict[str, bool] = {}
        paths: dict[str, str] = {}
        if given is not None:
            for code, flag in given.items():
                found[code] = bool(flag)
                paths[code] = f"findings_used.{code}"
        else:
            if parsed is not None:
                for code, flag in parsed.findings.items():
                    found[code] = flag
                    paths[code] = "complaint"
            for code, flag in self.encounter.findings.items():
                found[code] = flag
                paths[code] = f"findings.{code}"
            # a structured specific finding implies its general one (high_fever -> fever)
            table = self.kb.findings
            stack = [c for c, v in found.items() if v]
            while stack:
                row = table.get(stack.pop())
                for implied in row.implies if row is not None else ():
                    if implied not in found:
                        found[implied] = True
                        paths[implied] = paths.get(row.code, "findings")
                        stack.append(implied)
        self.findings = found
        self.finding_paths = paths
        self.present = frozenset(c for c, v in found.items() if v)

    def _prescription(self, i: int, rx: Any) -> PrescriptionItem:
        topical = rx.route == "topical" or (rx.route is None and self.resolver.is_topical_name(rx.drug))
        return PrescriptionItem(
            index=i,
            path=f"prescriptions.{i}",
            text=rx.drug,
            drug=self.resolver.drug(rx.drug),
            dose_mg=rx.dose_mg,
            times_per_day=rx.times_per_day,
            route="topical" if topical else rx.route,
            systemic=not topical,
        )

    # -- facts ------------------------------------------------------------------------------
    def finding_fact(self, code: str) -> Fact:
        row = self.kb.findings.get(code)
        zh, en = (row.name_zh, row.name_en) if row is not None else (code, code)
        return Fact(self.finding_paths.get(code, "findings"), True, zh, en)

    def present_fact(self, codes: tuple[str, ...] | list[str]) -> Fact | None:
        """The first of ``codes`` that is present, as a fact."""
        for code in codes:
            if code in self.present:
                return self.finding_fact(code)
        return None

    def first_fact(self, codes: tuple[str, ...] | list[str], thresholds: Iterable[Any]) -> Fact | None:
        """The first of ``codes`` that is present, else the first measurement meeting one of
        ``thresholds`` (objects with ``measure`` and ``holds(values)``), else None."""
        fact = self.present_fact(codes)
        if fact is not None:
            return fact
        for t in thresholds:
            m = self.measurements.get(t.measure)
            if m is not None and t.holds({t.measure: m.value}):
                return m
        return None

    @cached_property
    def condition_ids(self) -> set[str]:
        """Knowledge-base condition ids among this visit's diagnoses."""
        return {d.ref.condition.id for d in self.diagnoses if d.ref.condition is not None}

    def tag(self, code: str) -> Fact | None:
        """The fact that shows the patient has tag ``code`` (``asthma``, ``renal_egfr_lt_30``), or None."""
        if code not in self._tags:
            tag = self.kb.drugs.tags.get(code)
            self._tags[code] = self._tag_fact(tag) if tag is not None else None
        return self._tags[code]

    def _tag_fact(self, tag: Tag) -> Fact | None:
        prefixes = [_compact(p) for p in tag.icd10]
        sources = self.diagnoses if tag.code in self.current_only else self.diagnoses + self.history
        for item in sources:
            for code in item.ref.codes:
                if any(_compact(code).startswith(p) for p in prefixes):
                    return item.fact()
        fact = self.first_fact(tag.findings, tag.thresholds)
        if fact is not None:
            return fact
        if tag.flag == "pregnant" and self.pregnant:
            return Fact("patient.pregnant", True, "妊娠", "pregnant")
        if tag.flag == "breastfeeding" and self.breastfeeding:
            return Fact("patient.breastfeeding", True, "哺乳期", "breastfeeding")
        if tag.min_age_years is not None and self.age is not None and self.age >= tag.min_age_years:
            return Fact("patient.age_years", self.age, f"{fmt(self.age)}岁", f"age {fmt(self.age)}")
        return None

    def measure(self, name: str) -> float | None:
        m = self.measurements.get(name)
        return None if m is None else float(m.value)

    @cached_property
    def weight(self) -> float | None:
        return self.measure("weight_kg")

