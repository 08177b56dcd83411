"""Findings: symptoms, signs, course and history items, with Chinese and English synonyms.

Besides its names, a finding row carries what the complaint reader (:mod:`assistant.text`) needs:

- ``synonyms_zh`` / ``synonyms_en``: words that mean the finding is present (colloquial words,
  abbreviations, frequent typing errors). A word listed under several findings means all of them
  (``N/V`` is nausea and vomiting).
- ``absent_zh`` / ``absent_en``: words that by themselves say the finding is absent
  (``神志清`` → no confusion, ``afebrile`` → no fever).
- ``implies``: findings that are present whenever this one is (a dry cough is a cough).
- ``when_relative``: findings asserted about the patient when a relative or household member has
  this one (a relative with tuberculosis is a tuberculosis contact).
- ``from_vital``: present when a measured vital sign reaches ``at_least``, absent below it.
- ``from_duration``: present or absent according to how long the illness (or one finding) has lasted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import Field, model_validator

from .base import Row, Table, load_table

if TYPE_CHECKING:
    from . import Knowledge

FindingCategory = Literal["symptom", "sign", "history", "course", "vital"]

#: Vital-sign names of the encounter contract (CONTRACTS.md §1, ``vitals``).
VitalName = Literal[
    "temperature_c",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "respiratory_rate",
    "spo2",
    "weight_kg",
    "height_cm",
    "glucose_mmol_l",
    "fasting_glucose_mmol_l",
]
VITAL_NAMES: tuple[str, ...] = get_args(VitalName)

_CODE = r"^[a-z][a-z0-9_]*$"


class VitalThreshold(Row):
    """The finding is present when ``vital`` is at least ``at_least`` and absent when it is lower."""

    vital: VitalName
    at_least: float


class DurationRule(Row):
    """Present when the duration lies inside the bounds, absent when it lies outside (unless
    ``sets_absent`` is false).

    ``of`` names the finding whose duration counts (its own or that of a finding implying it);
    without ``of`` the duration of the present illness counts.
    """

    of: str | None = Field(default=None, pattern=_CODE)
    at_least_days: float | None = Field(default=None, ge=0)
    at_most_days: float | None = Field(default=None, ge=0)
    #: False: a duration outside the bounds says nothing (the rule only ever sets "present").
    sets_absent: bool = True

    @model_validator(mode="after")
    def _one_bound(self) -> DurationRule:
        if self.at_least_days is None and self.at_most_days is None:
            raise ValueError("give at_least_days, at_most_days or both")
        return self

    def holds(self, days: float) -> bool:
        if self.at_least_days is not None and days < self.at_least_days:
            return False
        return not (self.at_most_days is not None and days > self.at_most_days)


class Finding(Row):
    code: str = Field(pattern=_CODE)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    category: FindingCategory
    synonyms_zh: tuple[str, ...] = ()
    synonyms_en: tuple[str, ...] = ()
    absent_zh: tuple[str, ...] = ()
    absent_en: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    when_relative: tuple[str, ...] = ()
    from_vital: VitalThreshold | None = None
    from_duration: DurationRule | None = None


FILE = "findings.yaml"


def load(directory: Path) -> Table[Finding]:
    return load_table(directory / FILE, Finding, key="code")


def _blank_or_padded(words: tuple[str, ...]) -> list[str]:
    return [w for w in words if not w.strip() or w != w.strip()]


def check(kb: Knowledge) -> list[str]:
    """Problems inside the findings file (see :func:`check_table`)."""
    return check_table(kb.findings)


def check_table(table: Table[Finding]) -> list[str]:
    """Problems inside the findings file: references to unknown codes, empty or duplicated words,
    a word listed both as present and as absent for one finding."""
    problems: list[str] = []
    for i, f in enumerate(table.rows, start=1):
        where = f"{FILE} row {i} (code={f.code})"
        for attr in ("implies", "when_relative"):
            for code in getattr(f, attr):
                if code not in table:
                    problems.append(f"{where}: field '{attr}': unknown finding {code!r}")
                elif code == f.code:
                    problems.append(f"{where}: field '{attr}': a finding cannot name itself")
        if f.from_duration is not None and f.from_duration.of is not None and f.from_duration.of not in table:
            problems.append(f"{where}: field 'from_duration.of': unknown finding {f.from_duration.of!r}")
        for attr in ("synonyms_zh", "synonyms_en", "absent_zh", "absent_en"):
            words: tuple[str, ...] = getattr(f, attr)
            if _blank_or_padded(words):
                problems.append(f"{where}: field '{attr}': empty word")
            seen: set[str] = set()
            for w in words:
                key = w.lower()
                if key in seen:
                    problems.append(f"{where}: field '{attr}': {w!r} listed twice")
                seen.add(key)
        for lang in ("zh", "en"):
            present = {w.lower() for w in getattr(f, f"synonyms_{lang}")} | {
                getattr(f, f"name_{lang}").lower()
            }
            absent = {w.lower() for w in getattr(f, f"absent_{lang}")}
            both = sorted(present & absent)
            if both:
                problems.append(f"{where}: field 'absent_{lang}': also listed as present: {both}")
    return problems


__all__ = [
    "FILE",
    "VITAL_NAMES",
    "DurationRule",
    "Finding",
    "FindingCategory",
    "VitalThreshold",
    "check",
    "check_table",
    "load",
]
