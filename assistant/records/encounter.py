"""The encounter record (CONTRACTS.md §1) as validated pydantic models, and its demographics.

Use :func:`parse_encounter` (or :func:`assistant.records.io.read_encounters` for JSON text): it
validates, collects every problem into one :class:`~assistant.errors.InputError`, fills the
encounter date from ``default_date`` when absent, and resolves age, sex and birth date.
``Encounter.model_validate`` alone only checks the shape of each field.

What is rejected (it cannot be used): a value of the wrong type (text or true/false where a number
belongs, a list where text belongs, ...), a non-finite number, an age below 0 or above 120 (given,
or computed from the birth date), a sex other than male/female (男/女, M/F, GB/T 2261.1 codes 1/2
are understood), a malformed or unreal date, a birth date after the encounter, a prescription
without a drug name, a prior examination without a name, an unknown route, a record with neither
``complaint`` nor ``findings``.

What is accepted and left to the quality checks: any finite number in vitals, labs and
prescriptions, even an impossible one (temperature 3.8, systolic below diastolic, SpO2 105, a
negative heart rate). A wrong number typed in the right place is a data-entry error the doctor must
see and correct, not a reason to refuse the whole consultation; :func:`assistant.records.ranges.
implausible_values` lists them. Also accepted and reported in :attr:`Encounter.demographics`
(for the demographics check): an invalid resident ID (it is then not used), and disagreements
between the resident ID, ``sex``, ``birth_date`` and ``age_years``.

Unknown fields are kept (``model_extra``, and in ``model_dump``); unknown ``labs`` may be numbers,
text (qualitative results such as ``"++"``) or true/false. Numeric text ("37.5") is read as a
number; empty text counts as missing. Routes other than the five of the contract that clinics
use daily are accepted as extensions: ``sc`` (皮下注射, insulin), ``sublingual`` (舌下含服),
``rectal`` (直肠给药).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from ..errors import InputError, Problem
from . import _values as v
from .resident_id import ResidentId, ResidentIdError, age_on, mask_resident_id, validate_resident_id

MAX_AGE = 120

Sex = Literal["male", "female"]
Route = Literal["oral", "iv", "im", "topical", "inhaled", "sc", "sublingual", "rectal"]

# What people type for sex and route, lowercased, mapped to the contract's values.
SEX_WORDS: dict[str, Sex] = {
    **dict.fromkeys(["male", "m", "man", "boy", "男", "男性", "男孩", "1"], "male"),
    **dict.fromkeys(["female", "f", "woman", "girl", "女", "女性", "女孩", "2"], "female"),
}  # "1"/"2": GB/T 2261.1 sex codes
ROUTE_WORDS: dict[str, Route] = {
    **dict.fromkeys(["oral", "po", "p.o.", "by mouth", "口服", "口服给药"], "oral"),
    **dict.fromkeys(
        ["iv", "i.v.", "ivgtt", "iv drip", "intravenous", "infusion", "静滴", "静脉滴注", "静注",
         "静脉注射", "静推", "输液", "点滴", "吊瓶"],
        "iv",
    ),
    **dict.fromkeys(["im", "i.m.", "intramuscular", "肌注", "肌肉注射", "肌内注射", "打针"], "im"),
    **dict.fromkeys(
        ["topical", "external", "外用", "外敷", "涂抹", "外涂", "滴眼", "点眼", "滴耳", "滴鼻", "喷鼻"],
        "topical",
    ),
    **dict.fromkeys(["inhaled", "inhalation", "inh", "nebulised", "nebulized", "吸入", "雾化", "雾化吸入"], "inhaled"),
    **dict.fromkeys(["sc", "s.c.", "subcutaneous", "ih", "皮下注射", "皮下"], "sc"),
    **dict.fromkeys(["sublingual", "sl", "舌下含服", "舌下"], "sublingual"),
    **dict.fromkeys(["rectal", "pr", "直肠给药", "塞肛", "纳肛", "栓剂"], "rectal"),
}  # fmt: skip

VITAL_UNITS: dict[str, str] = {
    "temperature_c": "°C",
    "systolic_bp": "mmHg",
    "diastolic_bp": "mmHg",
    "heart_rate": "/min",
    "respiratory_rate": "/min",
    "spo2": "%",
    "weight_kg": "kg",
    "height_cm": "cm",
    "glucose_mmol_l": "mmol/L",
    "fasting_glucose_mmol_l": "mmol/L",
}
LAB_UNITS: dict[str, str] = {
    "egfr": "mL/min/1.73m²",
    "hba1c": "%",
    "wbc": "10⁹/L",
    "hemoglobin": "g/L",
    "potassium": "mmol/L",
    "alt": "U/L",
}
PRESCRIPTION_UNITS: dict[str, str] = {"dose_mg": "mg per dose", "times_per_day": "per day", "days": "days"}
_UNITS = {**VITAL_UNITS, **LAB_UNITS, **PRESCRIPTION_UNITS}


# --- field types -------------------------------------------------------------------------------


def _number(value: object, info: ValidationInfo) -> float | None:
    unit = _UNITS.get(info.field_name or "")
    return v.to_number(value, f"a number ({unit})" if unit else "a number")


def _age(value: object) -> float | None:
    age = v.to_number(value)
    if age is not None and not 0 <= age <= MAX_AGE:
        raise PydanticCustomError(
            "age", "must be between 0 and {max}, got {got}", {"max": MAX_AGE, "got": v.show(value)}
        )
    return age


def _sex(value: object) -> Sex | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = v.to_text(value)
    if text is None:
        return None
    sex = SEX_WORDS.get(text.lower())
    if sex is None:
        raise PydanticCustomError("sex", "must be male or female, got {got}", {"got": v.show(value)})
    return sex


def _route(value: object) -> Route | None:
    text = v.to_text(value)
    if text is None:
        return None
    route = ROUTE_WORDS.get(text.lower())
    if route is None:
        raise PydanticCustomError(
            "route",
            "must be one of oral, iv, im, topical, inhaled (or sc, sublingual, rectal), got {got}",
            {"got": v.show(value)},
        )
    return route


def _resident_id_text(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "text", "must be text (a string), got a number; send the 18 characters in quotes", {}
        )
    return v.to_text(value)


def _required_text(value: object) -> str:
    text = v.to_text(value)
    if text is None:
        raise PydanticCustomError("required", "is required and must not be empty", {})
    return text


def _findings(value: object) -> Any:
    value = v.object_or_empty(value)
    if not isinstance(value, Mapping):
        raise PydanticCustomError(
            "findings",
            "must be an object of finding code → true/false, got {got}",
            {"got": v.json_type(value)},
        )
    out: dict[str, Any] = {}
    for key, flag in value.items():
        code = str(key).strip().lower()
        if not code:
            raise PydanticCustomError("findings", "finding codes must not be empty", {})
        out[code] = flag
    return out


def _drop_unknown(flags: dict[str, bool | None]) -> dict[str, bool]:
    return {k: b for k, b in flags.items() if b is not None}


def _lab_extra(value: object) -> float | str | bool | None:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        try:
            return v.to_number(value)
        except PydanticCustomError:
            return value.strip()
    if isinstance(value, int | float):
        return v.to_number(value)
    raise PydanticCustomError(
        "lab", "must be a number, text or true/false, got {got}", {"got": v.json_type(value)}
    )


Number = Annotated[float | None, BeforeValidator(_number)]
Text = Annotated[str | None, BeforeValidator(v.to_text)]
IsoDate = Annotated[dt.date | None, BeforeValidator(v.to_date)]
TextList = Annotated[
    list[Annotated[str, BeforeValidator(v.text_item)]],
    BeforeValidator(v.text_list),
    AfterValidator(v.drop_blank),
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, validate_default=False)


class Patient(_Record):
    """``patient``: after :func:`parse_encounter`, ``age_years``, ``sex`` and ``birth_date`` hold the
    resolved values (see :class:`Demographics` for where each came from)."""

    id: Annotated[str | None, BeforeValidator(v.to_id_text)] = None
    resident_id: Annotated[str | None, BeforeValidator(_resident_id_text)] = Field(default=None, repr=False)
    birth_date: IsoDate = None
    age_years: Annotated[float | None, BeforeValidator(_age)] = None
    sex: Annotated[Sex | None, BeforeValidator(_sex)] = None
    pregnant: Annotated[bool | None, BeforeValidator(v.to_flag)] = None
    allergies: TextList = []
    history: TextList = []
    medications: TextList = []


class Vitals(_Record):
    """``vitals`` in the units of the field names (°C, mmHg, /min, %, kg, cm, mmol/L)."""

    temperature_c: Number = None
    systolic_bp: Number = None
    diastolic_bp: Number = None
    heart_rate: Number = None
    respiratory_rate: Number = None
    spo2: Number = None
    weight_kg: Number = None
    height_cm: Number = None
    glucose_mmol_l: Number = None
    fasting_glucose_mmol_l: Number = None


class Labs(_Record):
    """``labs``: the named results are numbers; other names may be numbers, text or true/false."""

    __pydantic_extra__: dict[str, Annotated[float | str | bool | None, BeforeValidator(_lab_extra)]]  # type: ignore[assignment]

    egfr: Number = None
    hba1c: Number = None
    wbc: Number = None
    hemoglobin: Number = None
    potassium: Number = None
    alt: Number = None


class Prescription(_Record):
    drug: Annotated[str, BeforeValidator(_required_text)]
    dose_mg: Number = None
    times_per_day: Number = None
    days: Number = None
    route: Annotated[Route | None, BeforeValidator(_route)] = None


class PriorExam(_Record):
    name: Annotated[str, BeforeValidator(_required_text)]
    date: IsoDate = None
    facility: Text = None


ConflictKind = Literal[
    "resident_id_invalid",
    "sex_vs_resident_id",
    "birth_date_vs_resident_id",
    "age_vs_resident_id",
    "age_vs_birth_date",
    "pregnant_male",
]


@dataclass(frozen=True)
class Conflict:
    """Two sources of the patient's demographics disagree (or the resident ID is invalid).

    ``recorded`` is what the record says, ``derived`` what the other source says; neither ever holds
    an unmasked resident ID.
    """

    kind: ConflictKind
    fields: tuple[str, ...]
    recorded: str
    derived: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Demographics:
    """Where the resolved date, age, sex and birth date came from, and the conflicts noticed."""

    date_source: Literal["date", "default_date"]
    age_source: Literal["age_years", "birth_date", "resident_id"] | None
    sex_source: Literal["sex", "resident_id"] | None
    birth_date_source: Literal["birth_date", "resident_id"] | None
    resident_id: ResidentId | None
    conflicts: tuple[Conflict, ...]


class Encounter(_Record):
    """One consultation (CONTRACTS.md §1). Build it with :func:`parse_encounter`."""

    date: IsoDate = None
    patient: Patient
    complaint: Text = None
    findings: Annotated[
        dict[str, Annotated[bool | None, BeforeValidator(v.to_flag)]],
        BeforeValidator(_findings),
        AfterValidator(_drop_unknown),
    ] = {}
    vitals: Annotated[Vitals, BeforeValidator(v.object_or_empty)] = Vitals()
    labs: Annotated[Labs, BeforeValidator(v.object_or_empty)] = Labs()
    diagnoses: TextList = []
    prescriptions: Annotated[list[Prescription], BeforeValidator(v.list_or_empty)] = []
    orders: TextList = []
    prior_exams: Annotated[list[PriorExam], BeforeValidator(v.list_or_empty)] = []

    _demographics: Demographics | None = PrivateAttr(default=None)

    @property
    def demographics(self) -> Demographics:
        """Sources and conflicts of the patient's demographics (set by :func:`parse_encounter`)."""
        if self._demographics is None:
            raise RuntimeError("demographics are resolved by parse_encounter(); this encounter was not")
        return self._demographics


# --- validation errors → problems ----------------------------------------------------------------

_REASONS = {
    "missing": "is required",
    "model_type": "must be an object, got {got}",
    "model_attributes_type": "must be an object, got {got}",
    "dict_type": "must be an object, got {got}",
    "list_type": "must be a list, got {got}",
    "string_type": "must be text (a string), got {got}",
    "bool_type": "must be true or false, got {got}",
}


def _path(loc: tuple[int | str, ...]) -> str:
    # drop pydantic's type tags (e.g. 'function-before[...]') so the path is the user's field path
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in {"str", "float", "bool"}))]
    return ".".join(parts) or "(record)"


def problems_from_validation_error(exc: ValidationError, prefix: str = "") -> list[Problem]:
    """One :class:`Problem` per pydantic error, with the dotted field path and a plain reason."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        path = _path(tuple(err["loc"]))
        template = _REASONS.get(err["type"])
        reason = template.format(got=v.json_type(err.get("input"))) if template else err["msg"]
        problems.append(Problem(f"{prefix}{path}", reason))
    return problems


# --- parse + resolve ---------------------------------------------------------------------------


def _quiet(parse: Any, value: object) -> Any:
    try:
        return parse(value)
    except (PydanticCustomError, ValueError, TypeError):
        return None


def _cross_field_problems(data: Mapping[str, Any], default_date: dt.date) -> list[Problem]:
    """Problems between fields, found on the raw input so they are reported with the field errors."""
    problems: list[Problem] = []
    complaint, findings = data.get("complaint"), data.get("findings")
    no_complaint = complaint is None or (isinstance(complaint, str) and not complaint.strip())
    no_findings = findings is None or (isinstance(findings, Mapping) and not findings)
    if no_complaint and no_findings:
        problems.append(Problem("complaint", "either complaint or findings is required"))
    patient = data.get("patient")
    on = default_date if data.get("date") is None else _quiet(v.to_date, data.get("date"))
    if not isinstance(patient, Mapping) or on is None:
        return problems
    birth = _quiet(v.to_date, patient.get("birth_date"))
    if birth is not None:
        if birth > on:
            problems.append(
                Problem(
                    "patient.birth_date", f"{birth.isoformat()} is after the encounter date {on.isoformat()}"
                )
            )
        elif (years := int(age_on(birth, on))) > MAX_AGE:
            problems.append(
                Problem(
                    "patient.birth_date", f"gives an age of {years} on {on.isoformat()}, more than {MAX_AGE}"
                )
            )
    return problems


def _age_tolerance(exact: float) -> float:
    return 1 / 6 if exact < 2 else 1.0  # two months for infants, otherwise one year (周岁 vs 虚岁)


def _resolve(enc: Encounter, default_date: dt.date) -> Encounter:
    on = enc.date or default_date
    p = enc.patient
    conflicts: list[Conflict] = []

    rid: ResidentId | None = None
    if p.resident_id is not None:
        try:
            rid = validate_resident_id(p.resident_id, on=on)
        except ResidentIdError as exc:
            conflicts.append(
                Conflict("resident_id_invalid", ("patient.resident_id",), mask_resident_id(p.resident_id), "",
                         f"patient.resident_id is not valid: {exc}")
            )  # fmt: skip
        else:
            if int(age_on(rid.birth_date, on)) > MAX_AGE:
                conflicts.append(
                    Conflict("resident_id_invalid", ("patient.resident_id",), rid.masked, rid.birth_date.isoformat(),
                             f"patient.resident_id gives a birth date {rid.birth_date.isoformat()}, "
                             f"an age above {MAX_AGE}")
                )  # fmt: skip
                rid = None

    birth, birth_source = p.birth_date, "birth_date" if p.birth_date else None
    if birth is None and rid is not None:
        birth, birth_source = rid.birth_date, "resident_id"

    age, age_source = p.age_years, "age_years" if p.age_years is not None else None
    if age is None and p.birth_date is not None:
        age, age_source = age_on(p.birth_date, on), "birth_date"
    elif age is None and rid is not None:
        age, age_source = age_on(rid.birth_date, on), "resident_id"

    sex, sex_source = p.sex, "sex" if p.sex else None
    if sex is None and rid is not None:
        sex, sex_source = rid.sex, "resident_id"

    if rid is not None:
        if p.sex is not None and p.sex != rid.sex:
            conflicts.append(
                Conflict("sex_vs_resident_id", ("patient.sex", "patient.resident_id"), p.sex, rid.sex,
                         f"patient.sex is {p.sex} but the resident ID says {rid.sex}")
            )  # fmt: skip
        if p.birth_date is not None and p.birth_date != rid.birth_date:
            conflicts.append(
                Conflict("birth_date_vs_resident_id", ("patient.birth_date", "patient.resident_id"),
                         p.birth_date.isoformat(), rid.birth_date.isoformat(),
                         f"patient.birth_date is {p.birth_date.isoformat()} but the resident ID says "
                         f"{rid.birth_date.isoformat()}")
            )  # fmt: skip
        if p.age_years is not None:
            exact = age_on(rid.birth_date, on)
            if abs(p.age_years - exact) > _age_tolerance(exact):
                conflicts.append(
                    Conflict("age_vs_resident_id", ("patient.age_years", "patient.resident_id"),
                             v.fmt(p.age_years), f"{exact:.1f}",
                             f"patient.age_years is {v.fmt(p.age_years)} but the resident ID gives {exact:.1f} "
                             f"on {on.isoformat()}")
                )  # fmt: skip
    if p.age_years is not None and p.birth_date is not None:
        exact = age_on(p.birth_date, on)
        if abs(p.age_years - exact) > _age_tolerance(exact):
            conflicts.append(
                Conflict("age_vs_birth_date", ("patient.age_years", "patient.birth_date"),
                         v.fmt(p.age_years), f"{exact:.1f}",
                         f"patient.age_years is {v.fmt(p.age_years)} but the birth date gives {exact:.1f} "
                         f"on {on.isoformat()}")
            )  # fmt: skip
    if p.pregnant and sex == "male":
        conflicts.append(
            Conflict("pregnant_male", ("patient.pregnant", f"patient.{sex_source}"), "pregnant", "male",
                     f"patient.pregnant is true but the patient is male (from {sex_source})")
        )  # fmt: skip

    patient = p.model_copy(update={"age_years": age, "sex": sex, "birth_date": birth})
    out = enc.model_copy(update={"date": on, "patient": patient})
    out._demographics = Demographics(
        date_source="date" if enc.date is not None else "default_date",
        age_source=age_source,  # type: ignore[arg-type]
        sex_source=sex_source,  # type: ignore[arg-type]
        birth_date_source=birth_source,  # type: ignore[arg-type]
        resident_id=rid,
        conflicts=tuple(conflicts),
    )
    return out


def parse_encounter(data: object, *, default_date: dt.date) -> Encounter:
    """Validate one encounter (a mapping as decoded from JSON) and resolve its demographics.

    ``default_date`` is the encounter date when the record has none (the CLI passes today's date;
    the library never reads the clock). Raises :class:`InputError` listing every problem found,
    each with its dotted field path; never a pydantic error.
    """
    if not isinstance(data, Mapping):
        raise InputError([Problem("(record)", f"must be a JSON object, got {v.json_type(data)}")])
    problems: list[Problem] = []
    enc: Encounter | None = None
    try:
        enc = Encounter.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc))
    except (ValueError, TypeError, RecursionError) as exc:  # pragma: no cover - defensive
        problems.append(Problem("(record)", f"cannot be read: {type(exc).__name__}"))
    problems.extend(_cross_field_problems(data, default_date))
    if enc is not None and enc.complaint is None and not enc.findings:
        problems.append(Problem("complaint", "either complaint or findings is required"))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    assert enc is not None
    return _resolve(enc, default_date)


def unknown_finding_codes(encounter: Encounter, known: Container[str]) -> list[str]:
    """The codes in ``encounter.findings`` that are not in ``known`` (any container of codes, e.g.
    ``load_knowledge().findings``): the caller decides whether to warn or refuse."""
    return [code for code in encounter.findings if code not in known]


__all__ = [
    "LAB_UNITS",
    "MAX_AGE",
    "PRESCRIPTION_UNITS",
    "ROUTE_WORDS",
    "SEX_WORDS",
    "VITAL_UNITS",
    "Conflict",
    "ConflictKind",
    "Demographics",
    "Encounter",
    "Labs",
    "Patient",
    "Prescription",
    "PriorExam",
    "Route",
    "Sex",
    "Vitals",
    "parse_encounter",
    "problems_from_validation_error",
    "unknown_finding_codes",
]
