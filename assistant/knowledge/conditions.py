"""Conditions: ICD-10 code, names, triage, red flags, prior frequency and the findings model.

Each row of ``conditions.yaml`` is one condition a doctor would name. Besides its WHO ICD-10 code
and Chinese/English names and synonyms it carries:

* ``triage`` (usual level) plus ``red_flags`` (finding codes) and ``vital_red_flags`` (thresholds on
  vital signs or labs) that make it urgent;
* who can have it (``age_min``/``age_max``, ``sex``, ``pregnancy_only``) and how often it is seen
  (``prevalence`` per 10,000 consultations, ``season`` and ``age_profile`` multipliers,
  ``female_fraction``);
* ``findings`` and ``history``: P(finding recorded | condition), the generative model behind the
  synthetic data and the supporting/opposing explanation; ``vitals``: typical vital-sign
  distributions;
* ``presents_with`` / ``presents_with_measured`` (optional): the reasons a patient with this
  condition comes at all. Every consultation of the condition records at least one of these findings
  as present, or one of these measurements (a patient in hypertensive crisis always has the blood
  pressure taken). The synthetic-data generator keeps only such consultations; the assistant itself
  never assumes it.

The file's ``meta`` header also carries the background rate of unlisted findings per category and
the normal vital-sign distributions per age band (:class:`ConditionsMeta`).

Threshold syntax (``vital_red_flags``): ``'<90'``, ``'<=93'``, ``'>120'``, ``'>=180'`` or several
joined by ``' or '`` (``'>=150 or <40'``); a mapping ``{children: ..., adults: ..., elderly: ...}``
gives one threshold per age band.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .base import KnowledgeError, Row, Table, load_table
from .findings import FindingCategory, VitalName

if TYPE_CHECKING:
    from . import Knowledge

__all__ = [
    "AGE_BANDS",
    "AGE_RELATIVE_VITALS",
    "FILE",
    "MEASUREMENTS",
    "TRIAGE_ORDER",
    "VITAL_SIGNS",
    "AgeBand",
    "BandedThreshold",
    "Condition",
    "ConditionIndex",
    "ConditionsMeta",
    "FiredVitalFlag",
    "Group",
    "Season",
    "Sex",
    "Threshold",
    "Triage",
    "age_band",
    "check",
    "conditions_meta",
    "load",
    "normalise_icd10",
    "normalise_name",
    "season_of",
]

FILE = "conditions.yaml"

Triage = Literal["manage", "refer", "urgent"]
Group = Literal[
    "respiratory",
    "cardiovascular",
    "endocrine",
    "digestive",
    "urinary_reproductive",
    "musculoskeletal",
    "neuro_mental",
    "skin_eye_ear",
    "children",
    "blood_other",
]
Sex = Literal["any", "male", "female"]
AgeBand = Literal["children", "adults", "elderly"]
Season = Literal["winter", "spring", "summer", "autumn"]

TRIAGE_ORDER: dict[str, int] = {"manage": 0, "refer": 1, "urgent": 2}

#: Age bands in years, lower bound included, upper bound excluded.
AGE_BANDS: dict[str, tuple[float, float]] = {
    "children": (0.0, 15.0),
    "adults": (15.0, 65.0),
    "elderly": (65.0, math.inf),
}

#: Measurements a threshold may test: name -> (unit, lowest, highest plausible value).
#: Vital signs and labs as named in the encounter contract (CONTRACTS.md §1).
MEASUREMENTS: dict[str, tuple[str, float, float]] = {
    "temperature_c": ("°C", 25.0, 45.0),
    "systolic_bp": ("mmHg", 40.0, 300.0),
    "diastolic_bp": ("mmHg", 20.0, 200.0),
    "heart_rate": ("/min", 20.0, 250.0),
    "respiratory_rate": ("/min", 4.0, 100.0),
    "spo2": ("%", 50.0, 100.0),
    "weight_kg": ("kg", 0.5, 300.0),
    "height_cm": ("cm", 30.0, 250.0),
    "glucose_mmol_l": ("mmol/L", 0.5, 60.0),
    "fasting_glucose_mmol_l": ("mmol/L", 0.5, 60.0),
    "egfr": ("mL/min/1.73m²", 1.0, 200.0),
    "hba1c": ("%", 3.0, 20.0),
    "wbc": ("10⁹/L", 0.1, 200.0),
    "hemoglobin": ("g/L", 20.0, 250.0),
    "potassium": ("mmol/L", 1.0, 10.0),
    "alt": ("U/L", 1.0, 5000.0),
}
Measurement = Literal[VitalName, "egfr", "hba1c", "wbc", "hemoglobin", "potassium", "alt"]
#: Vital signs that may have a per-condition distribution (``vitals``) and a normal one (meta).
VitalSign = Literal[
    "temperature_c",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "respiratory_rate",
    "spo2",
    "glucose_mmol_l",
    "fasting_glucose_mmol_l",
]
VITAL_SIGNS: tuple[str, ...] = get_args(VitalSign)
#: Vital signs whose normal value depends on age: a condition's distribution moves with the band.
AGE_RELATIVE_VITALS: frozenset[str] = frozenset(
    {"heart_rate", "respiratory_rate", "systolic_bp", "diastolic_bp"}
)

Probability = Annotated[float, Field(ge=0.01, le=0.99)]
Multiplier = Annotated[float, Field(gt=0, le=20)]
Icd10Code = Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")]
FindingCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, Field(min_length=1)]
Distribution = tuple[float, Annotated[float, Field(gt=0)]]

# ------------------------------------------------------------------------------------ thresholds

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_COMPARISON = re.compile(r"^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
_SYNTAX_HINT = "write a comparison such as '<90', '>=180' or '>=150 or <40'"


def _parse_comparisons(data: str | float) -> list[tuple[str, float]]:
    """``'>=150 or <40'`` -> ``[('>=', 150.0), ('<', 40.0)]``; ValueError naming the text otherwise."""
    if not isinstance(data, str):
        raise ValueError(f"threshold {data!r} has no comparison: {_SYNTAX_HINT}")
    tests = []
    for part in re.split(r"\s+or\s+", data.strip(), flags=re.IGNORECASE):
        m = _COMPARISON.match(part)
        if not m:
            raise ValueError(f"threshold {data!r} not understood: {_SYNTAX_HINT}")
        tests.append((m.group(1), float(m.group(2))))
    return tests


class Threshold(BaseModel):
    """One or more comparisons joined by 'or'; ``Threshold.parse('>=150 or <40').fires(35)`` is True."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    tests: tuple[tuple[Literal["<", "<=", ">", ">="], float], ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return {"tests": _parse_comparisons(data)} if isinstance(data, (str, int, float)) else data

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """Parse ``'<90'``, ``'>=180'``, ``'>=150 or <40'``; raises ``ValueError`` when not understood."""
        return cls(tests=tuple(_parse_comparisons(text)))  # type: ignore[arg-type]

    def fires(self, value: float | None) -> bool:
        """True when ``value`` satisfies any comparison; a missing value (None, NaN) never fires."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return any(_OPS[op](float(value), limit) for op, limit in self.tests)

    def __str__(self) -> str:
        return " or ".join(f"{op}{limit:g}" for op, limit in self.tests)


class BandedThreshold(BaseModel):
    """A threshold for all ages (written as one string) or per age band (a mapping)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    children: Threshold | None = None
    adults: Threshold | None = None
    elderly: Threshold | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, (str, int, float)):
            tests = {"tests": _parse_comparisons(data)}
            return {"children": tests, "adults": tests, "elderly": tests}
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> BandedThreshold:
        if self.children is None and self.adults is None and self.elderly is None:
            raise ValueError("give a threshold string or at least one of children/adults/elderly")
        return self

    def for_band(self, band: AgeBand) -> Threshold | None:
        result: Threshold | None = getattr(self, band)
        return result

    def for_age(self, age_years: float | None) -> Threshold | None:
        """The threshold for a patient of this age (adults when the age is unknown)."""
        return self.for_band(age_band(age_years) if age_years is not None else "adults")

    def thresholds(self) -> list[Threshold]:
        return [t for t in (self.children, self.adults, self.elderly) if t is not None]

    def __str__(self) -> str:
        if self.children == self.adults == self.elderly:
            return str(self.adults)
        return ", ".join(
            f"{band} {t}" for band in get_args(AgeBand) if (t := self.for_band(band)) is not None
        )


class FiredVitalFlag(NamedTuple):
    """A vital red flag that fired: which measurement, its value and the threshold it met."""

    measurement: str
    value: float
    threshold: Threshold


# ----------------------------------------------------------------------------------- the row model


class Condition(Row):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    icd10: Icd10Code
    icd10_also: tuple[Icd10Code, ...] = ()
    name_zh: Name
    name_en: Name
    synonyms_zh: tuple[Name, ...] = ()
    synonyms_en: tuple[Name, ...] = ()
    group: Group
    triage: Triage
    red_flags: tuple[FindingCode, ...] = ()
    vital_red_flags: dict[Measurement, BandedThreshold] = Field(default_factory=dict)
    presents_with: tuple[FindingCode, ...] = ()
    presents_with_measured: tuple[VitalSign, ...] = ()
    age_min: float = Field(0.0, ge=0, le=120)
    age_max: float = Field(120.0, ge=0, le=120)
    sex: Sex = "any"
    female_fraction: float | None = Field(None, ge=0, le=1)
    pregnancy_only: bool = False
    prevalence: float = Field(gt=0, le=10_000)
    season: dict[Season, Multiplier] = Field(default_factory=dict)
    age_profile: dict[AgeBand, Multiplier] = Field(default_factory=dict)
    findings: dict[FindingCode, Probability] = Field(min_length=6, max_length=20)
    history: dict[FindingCode, Probability] = Field(default_factory=dict, max_length=10)
    vitals: dict[VitalSign, Distribution] = Field(default_factory=dict)
    vitals_band: AgeBand = "adults"
    source: Name
    note: str = ""

    @field_validator("icd10_also")
    @classmethod
    def _also_distinct(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("a code is listed twice")
        if info.data.get("icd10") in v:
            raise ValueError(f"repeats the row's own icd10 {info.data['icd10']!r}")
        return v

    @field_validator("red_flags", "presents_with", "presents_with_measured")
    @classmethod
    def _flags_distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("a finding code is listed twice")
        return v

    @field_validator("vital_red_flags")
    @classmethod
    def _thresholds_in_range(cls, v: dict[str, BandedThreshold]) -> dict[str, BandedThreshold]:
        for name, banded in v.items():
            unit, lo, hi = MEASUREMENTS[name]
            for threshold in banded.thresholds():
                for _, limit in threshold.tests:
                    if not lo <= limit <= hi:
                        raise ValueError(f"{name} threshold {limit:g} {unit} is outside {lo:g}-{hi:g} {unit}")
        return v

    @field_validator("age_max")
    @classmethod
    def _age_order(cls, v: float, info: ValidationInfo) -> float:
        age_min = info.data.get("age_min")
        if age_min is not None and v < age_min:
            raise ValueError(f"age_max {v:g} is below age_min {age_min:g}")
        return v

    @field_validator("female_fraction")
    @classmethod
    def _fraction_matches_sex(cls, v: float | None, info: ValidationInfo) -> float | None:
        sex = info.data.get("sex")
        if v is not None and sex in ("male", "female"):
            raise ValueError(f"leave female_fraction out for a condition of one sex (sex is {sex!r})")
        return v

    @field_validator("pregnancy_only")
    @classmethod
    def _pregnancy_female(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("sex") != "female":
            raise ValueError("pregnancy_only needs sex: female")
        return v

    @field_validator("age_profile")
    @classmethod
    def _bands_possible(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        lo, hi = info.data.get("age_min"), info.data.get("age_max")
        if lo is None or hi is None:
            return v
        for band in v:
            b_lo, b_hi = AGE_BANDS[band]
            if hi < b_lo or lo >= b_hi:
                raise ValueError(f"band {band!r} is outside the age range {lo:g}-{hi:g}")
        return v

    @field_validator("history")
    @classmethod
    def _history_not_in_findings(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        both = sorted(set(v) & set(info.data.get("findings") or {}))
        if both:
            raise ValueError(f"{', '.join(both)} also listed under findings")
        return v

    @field_validator("vitals")
    @classmethod
    def _vitals_in_range(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (mean, sd) in v.items():
            unit, lo, hi = MEASUREMENTS[name]
            if not lo <= mean <= hi:
                raise ValueError(f"{name} mean {mean:g} {unit} is outside {lo:g}-{hi:g} {unit}")
            if sd > (hi - lo) / 4:
                raise ValueError(f"{name} sd {sd:g} {unit} is implausibly wide")
        return v

    # ---- helpers for the runtime and the data generator

    def __hash__(self) -> int:  # rows hold dicts; the id identifies a row (equal rows share it)
        return hash(self.id)

    @property
    def names(self) -> tuple[str, ...]:
        """Name and synonyms, Chinese then English."""
        return (self.name_zh, *self.synonyms_zh, self.name_en, *self.synonyms_en)

    @property
    def codes(self) -> tuple[str, ...]:
        """The reported ICD-10 code followed by the other codes that mean this condition."""
        return (self.icd10, *self.icd10_also)

    def applies_to(
        self, age_years: float | None = None, sex: str | None = None, pregnant: bool | None = None
    ) -> bool:
        """Whether a patient can have this condition (unknown facts never exclude)."""
        if age_years is not None and not self.age_min <= age_years <= self.age_max:
            return False
        if sex in ("male", "female") and self.sex != "any" and sex != self.sex:
            return False
        return not (self.pregnancy_only and pregnant is False)

    def prior_weight(
        self,
        age_years: float | None = None,
        sex: str | None = None,
        pregnant: bool | None = None,
        season: Season | None = None,
    ) -> float:
        """Relative frequency for this patient: prevalence x age, season and sex multipliers; 0 if excluded."""
        if not self.applies_to(age_years, sex, pregnant):
            return 0.0
        weight = self.prevalence
        if age_years is not None:
            weight *= self.age_profile.get(age_band(age_years), 1.0)
        if season is not None:
            weight *= self.season.get(season, 1.0)
        if sex in ("male", "female"):
            share = {"female": 1.0, "male": 0.0}.get(self.sex, self.female_fraction)
            if share is not None:
                weight *= 2 * (share if sex == "female" else 1 - share)
        return weight

    def probability(self, code: str, background: float) -> float:
        """P(finding ``code`` recorded | this condition); ``background`` when the row does not list it."""
        if code in self.findings:
            return self.findings[code]
        return self.history.get(code, background)

    def red_flags_present(self, findings: Mapping[str, bool]) -> list[str]:
        """The row's red-flag findings that are present (True) in ``findings``, in row order."""
        return [code for code in self.red_flags if findings.get(code) is True]

    def fired_vital_flags(
        self, measurements: Mapping[str, float | None], age_years: float | None = None
    ) -> list[FiredVitalFlag]:
        """Vital/lab thresholds of this row met by ``measurements`` (vitals and labs merged)."""
        fired = []
        for name, banded in self.vital_red_flags.items():
            threshold = banded.for_age(age_years)
            value = measurements.get(name)
            if threshold is not None and value is not None and threshold.fires(value):
                fired.append(FiredVitalFlag(name, float(value), threshold))
        return fired


# ----------------------------------------------------------------------------------------- meta


class ConditionsMeta(BaseModel):
    """The model-related part of the file header: background rates and normal vital signs."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    background_rate: dict[FindingCategory, Probability]
    normal_vitals: dict[AgeBand, dict[VitalSign, Distribution]]

    @field_validator("background_rate")
    @classmethod
    def _all_categories(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [c for c in get_args(FindingCategory) if c not in v]
        if missing:
            raise ValueError(f"missing categories: {', '.join(missing)}")
        return v

    @field_validator("normal_vitals")
    @classmethod
    def _all_bands_and_vitals(cls, v: dict[str, dict[str, tuple[float, float]]]) -> dict:
        for band in get_args(AgeBand):
            missing = [s for s in VITAL_SIGNS if s not in v.get(band, {})]
            if missing:
                raise ValueError(f"band {band!r} lacks {', '.join(missing)}")
        return v

    def background(self, category: str) -> float:
        """Probability of an unlisted finding of this category (symptom, sign, course, history, vital)."""
        return self.background_rate[category]  # type: ignore[index]

    def vital_distribution(
        self, condition: Condition | None, vital: str, band: AgeBand
    ) -> tuple[float, float]:
        """(mean, sd) of ``vital`` for a patient of ``band`` with ``condition`` (None: healthy).

        A condition's own distribution is given for its ``vitals_band``; heart rate, respiratory
        rate and blood pressure move by the difference of the bands' normal means.
        """
        normal = self.normal_vitals[band][vital]  # type: ignore[index]
        if condition is None or vital not in condition.vitals:
            return normal
        mean, sd = condition.vitals[vital]  # type: ignore[index]
        if vital in AGE_RELATIVE_VITALS and band != condition.vitals_band:
            mean += normal[0] - self.normal_vitals[condition.vitals_band][vital][0]  # type: ignore[index]
        return (mean, sd)


def conditions_meta(table: Table[Condition]) -> ConditionsMeta:
    """The validated model header of a loaded conditions table."""
    return ConditionsMeta.model_validate(table.meta.model_dump())


# ---------------------------------------------------------------------------- names and lookup

_QUALIFIER_PREFIXES = ("疑似", "可疑", "考虑", "拟诊", "suspected", "possible", "probable", "query")
_QUALIFIER_SUFFIXES = ("可能性大", "待查", "待排", "可能", "疑似")
_ICD_SHAPE = re.compile(r"^([A-Z][0-9]{2})(?:\.?([0-9A-Z]{1,8}))?$")


def normalise_name(text: str) -> str:
    """Comparable form of a name: full-width folded (NFKC), case-folded, only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def normalise_icd10(text: str) -> str | None:
    """``'j18.9'``, ``'J189'``, ``'Ｊ１８．９'`` -> ``'J18.9'``; None when the text is not code-shaped.

    Chinese national extensions (``'J18.900'``, ``'I10.x00x002'``) keep their extra characters;
    :meth:`ConditionIndex.by_icd10` falls back to the WHO subcategory and category.
    """
    compact = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    m = _ICD_SHAPE.match(compact)
    if not m:
        return None
    category, sub = m.group(1), m.group(2)
    return f"{category}.{sub}" if sub else category


def _code_candidates(code: str) -> list[str]:
    category, _, sub = code.partition(".")
    candidates = [code]
    digits = re.match(r"[0-9]*", sub).group(0) if sub else ""  # type: ignore[union-attr]
    for n in (2, 1):
        if len(digits) >= n and f"{category}.{digits[:n]}" not in candidates:
            candidates.append(f"{category}.{digits[:n]}")
    if category not in candidates:
        candidates.append(category)
    return candidates


def _strip_qualifiers(key: str) -> str:
    for prefix in _QUALIFIER_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
            break
    for suffix in _QUALIFIER_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    return key


@dataclass(frozen=True, eq=False)
class ConditionIndex:
    """Lookup of conditions by ICD-10 code or by any name or synonym (zh/en), built once per table.

    ``find('上感')``, ``find('URTI')``, ``find('J06.9')``, ``find('疑似肺结核')`` all return a row.
    """

    by_key: dict[str, Condition]
    by_code: dict[str, tuple[Condition, ...]]

    @classmethod
    def build(cls, conditions: Iterable[Condition]) -> ConditionIndex:
        by_key: dict[str, Condition] = {}
        primary: dict[str, list[Condition]] = {}
        also: dict[str, list[Condition]] = {}
        for row in conditions:
            for name in row.names:
                by_key.setdefault(normalise_name(name), row)
            primary.setdefault(row.icd10, []).append(row)
            for code in row.icd10_also:
                also.setdefault(code, []).append(row)
        by_code = {code: tuple(primary.get(code, []) + also.get(code, [])) for code in {*primary, *also}}
        return cls(by_key=by_key, by_code=by_code)

    def by_icd10(self, code: str) -> tuple[Condition, ...]:
        """Rows for a code: exact code first, else its WHO subcategory, else its 3-character category.

        Rows whose reported code it is come first (file order), then rows listing it in icd10_also.
        """
        normal = normalise_icd10(code)
        if normal is None:
            return ()
        for candidate in _code_candidates(normal):
            if candidate in self.by_code:
                return self.by_code[candidate]
        return ()

    def by_name(self, text: str) -> Condition | None:
        """Row whose name or synonym matches (case, spaces, punctuation, full-width ignored).

        Qualifiers such as 疑似 / 待查 / suspected are dropped when the plain text does not match.
        """
        key = normalise_name(text)
        if not key:
            return None
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key.get(_strip_qualifiers(key))
        return found

    def find(self, text: str) -> Condition | None:
        """A doctor's diagnosis text (ICD-10 code or name, zh/en) -> the condition, or None."""
        if normalise_icd10(text) is not None:
            rows = self.by_icd10(text)
            if rows:
                return rows[0]
        return self.by_name(text)


# --------------------------------------------------------------------------------- seasons / ages


def age_band(age_years: float) -> AgeBand:
    """children (under 15), adults (15-64) or elderly (65 and over)."""
    if age_years < AGE_BANDS["children"][1]:
        return "children"
    if age_years < AGE_BANDS["adults"][1]:
        return "adults"
    return "elderly"


def season_of(day: date) -> Season:
    """Meteorological season in China (northern hemisphere): Mar-May spring, Jun-Aug summer, ..."""
    return ("winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer",
            "autumn", "autumn", "autumn", "winter")[day.month - 1]  # fmt: skip


# --------------------------------------------------------------------------------- load and check


def _label(table: Table[Condition], i: int, row: Condition) -> str:
    return f"{table.path.name} row {i} (id={row.id})"


def _file_problems(table: Table[Condition]) -> list[str]:
    """Problems within the file that a single row cannot see: header, duplicate names and codes."""
    problems: list[str] = []
    try:
        conditions_meta(table)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            problems.append(f"{table.path.name}: header field 'meta.{loc}': {err['msg']}")

    names: dict[str, tuple[int, str]] = {}
    codes: dict[str, tuple[int, str]] = {}
    primary = {row.icd10: (i, row.id) for i, row in enumerate(table.rows, start=1)}
    for i, row in enumerate(table.rows, start=1):
        label = _label(table, i, row)
        seen_here: set[str] = set()
        for field in ("name_zh", "synonyms_zh", "name_en", "synonyms_en"):
            value = getattr(row, field)
            for name in value if isinstance(value, tuple) else (value,):
                key = normalise_name(name)
                if not key:
                    problems.append(f"{label}: field '{field}': {name!r} has no letters or digits")
                elif normalise_icd10(name) is not None:
                    problems.append(f"{label}: field '{field}': {name!r} looks like an ICD-10 code")
                elif key in seen_here:
                    problems.append(f"{label}: field '{field}': {name!r} repeats another name of this row")
                elif key in names:
                    j, other = names[key]
                    problems.append(
                        f"{label}: field '{field}': {name!r} is already a name of row {j} (id={other})"
                    )
                else:
                    names[key] = (i, row.id)
                    seen_here.add(key)
        for code in row.icd10_also:
            if code in primary:
                j, other = primary[code]
                problems.append(f"{label}: field 'icd10_also': {code} is the icd10 of row {j} (id={other})")
            elif code in codes:
                j, other = codes[code]
                problems.append(f"{label}: field 'icd10_also': {code} is also listed by row {j} (id={other})")
            else:
                codes[code] = (i, row.id)
    return problems


def load(directory: Path) -> Table[Condition]:
    """Load and validate ``conditions.yaml``; raises :class:`KnowledgeError` naming file, row and field."""
    table = load_table(directory / FILE, Condition, key="id")
    problems = _file_problems(table)
    if problems:
        raise KnowledgeError("\n".join(problems))
    return table


def check(kb: Knowledge) -> list[str]:
    """Cross-file problems: finding codes unknown to findings.yaml or listed under the wrong field."""
    problems: list[str] = []
    findings = kb.findings
    for i, row in enumerate(kb.conditions.rows, start=1):
        label = _label(kb.conditions, i, row)
        for code in row.findings:
            finding = findings.get(code)
            if finding is None:
                problems.append(f"{label}: field 'findings.{code}': unknown finding code")
            elif finding.category == "history":
                problems.append(
                    f"{label}: field 'findings.{code}': {code!r} is a history item, list it under history"
                )
        for code in row.history:
            finding = findings.get(code)
            if finding is None:
                problems.append(f"{label}: field 'history.{code}': unknown finding code")
            elif finding.category != "history":
                problems.append(
                    f"{label}: field 'history.{code}': {code!r} is a {finding.category}, list it under findings"
                )
        for code in row.red_flags:
            if code not in findings:
                problems.append(f"{label}: field 'red_flags': unknown finding code {code!r}")
        for code in row.presents_with:
            if code not in findings:
                problems.append(f"{label}: field 'presents_with': unknown finding code {code!r}")
            elif code not in row.findings and code not in row.history:
                problems.append(f"{label}: field 'presents_with': {code!r} is not among the row's findings")
    return problems
