"""Possible and normal ranges of the record's numbers (``ranges.yaml``), and the values outside them.

The validated record accepts any finite number where a number belongs; :func:`implausible_values`
lists the ones that cannot be right (outside the possible range, systolic not above diastolic, a
prior examination dated after the consultation) for the quality check's ``data_entry`` category.
Normal ranges are adult reference intervals for display and for other modules; being outside a
normal range is a clinical finding, not a data-entry error, and is not listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..knowledge.base import Row, Table, load_table
from . import _values as v
from .encounter import Encounter

FILE = Path(__file__).resolve().parent / "ranges.yaml"


class SuspectUnit(Row):
    unit: str = Field(min_length=1)
    low: float
    high: float


class ValueRange(Row):
    """One numeric field: its unit, the possible range (outside = data-entry error), the adult normal
    range (either end may be open) and units that explain an out-of-range value."""

    field: str = Field(pattern=r"^(vitals|labs|prescriptions)\.[a-z][a-z0-9_]*$")
    unit: str = Field(min_length=1)
    possible_low: float
    possible_high: float
    normal_low: float | None = None
    normal_high: float | None = None
    suspect_units: tuple[SuspectUnit, ...] = ()

    def is_possible(self, value: float) -> bool:
        return self.possible_low <= value <= self.possible_high

    def suspect_unit(self, value: float) -> str | None:
        return next((s.unit for s in self.suspect_units if s.low <= value <= s.high), None)


@lru_cache(maxsize=1)
def value_ranges() -> Table[ValueRange]:
    """The ranges table, keyed by dotted field (``vitals.temperature_c``), loaded once."""
    return load_table(FILE, ValueRange, key="field")


Kind = Literal["out_of_range", "swapped", "after_encounter"]


@dataclass(frozen=True)
class ImplausibleValue:
    """A value that cannot be right. ``low``/``high`` is the expected range (for ``swapped``, the
    related field's value is the bound); ``suspected_unit`` names a unit the number would fit."""

    field: str
    value: float | str
    unit: str
    low: float | str | None
    high: float | str | None
    kind: Kind
    related_field: str | None = None
    suspected_unit: str | None = None

    def __str__(self) -> str:
        val, low, high = (
            v.fmt(x) if isinstance(x, float) else str(x) for x in (self.value, self.low, self.high)
        )
        if self.kind == "swapped":
            return f"{self.field} {val} {self.unit} is not above {self.related_field} {low} {self.unit}"
        if self.kind == "after_encounter":
            return f"{self.field} {val} is after the encounter date {high}"
        text = f"{self.field} {val} {self.unit} is outside the possible range {low}–{high}"
        return text + (f" (looks like {self.suspected_unit})" if self.suspected_unit else "")


def _items(encounter: Encounter, field: str) -> list[tuple[str, float | None]]:
    section, name = field.split(".", 1)
    if section == "prescriptions":
        return [
            (f"prescriptions.{i}.{name}", getattr(p, name, None))
            for i, p in enumerate(encounter.prescriptions)
        ]
    return [(field, getattr(getattr(encounter, section), name, None))]


@lru_cache(maxsize=1)
def _vital_ranges() -> dict[str, ValueRange]:
    return {row.field.split(".", 1)[1]: row for row in value_ranges() if row.field.startswith("vitals.")}


def possible_vitals(vitals: Mapping[str, float]) -> dict[str, float]:
    """``vitals`` without the values outside their possible range (a typing slip such as a
    temperature of 395 or an SpO2 of 9.5): such a value says nothing about the patient, so neither
    the findings it would set nor the model nor triage may use it; the quality check reports it."""
    ranges = _vital_ranges()
    return {k: v for k, v in vitals.items() if k not in ranges or ranges[k].is_possible(v)}


def implausible_values(encounter: Encounter) -> list[ImplausibleValue]:
    """Every number outside its possible range, swapped blood pressures and prior examinations
    dated after the encounter, in table order. Values within range give an empty list."""
    found: list[ImplausibleValue] = []
    for row in value_ranges():
        for path, value in _items(encounter, row.field):
            if isinstance(value, int | float) and not row.is_possible(value):
                found.append(
                    ImplausibleValue(
                        field=path,
                        value=float(value),
                        unit=row.unit,
                        low=row.possible_low,
                        high=row.possible_high,
                        kind="out_of_range",
                        suspected_unit=row.suspect_unit(value),
                    )
                )
    sbp, dbp = encounter.vitals.systolic_bp, encounter.vitals.diastolic_bp
    if sbp is not None and dbp is not None and sbp <= dbp:
        found.append(
            ImplausibleValue(
                field="vitals.systolic_bp",
                value=sbp,
                unit="mmHg",
                low=dbp,
                high=None,
                kind="swapped",
                related_field="vitals.diastolic_bp",
            )
        )
    if encounter.date is not None:
        for i, exam in enumerate(encounter.prior_exams):
            if exam.date is not None and exam.date > encounter.date:
                found.append(
                    ImplausibleValue(
                        field=f"prior_exams.{i}.date",
                        value=exam.date.isoformat(),
                        unit="",
                        low=None,
                        high=encounter.date.isoformat(),
                        kind="after_encounter",
                    )
                )
    return found


__all__ = [
    "FILE",
    "ImplausibleValue",
    "SuspectUnit",
    "ValueRange",
    "implausible_values",
    "possible_vitals",
    "value_ranges",
]
