"""Follow-up protocols as data: one YAML file per program in ``assistant/knowledge/protocols/``.

Each file has the knowledge-file shape (``meta`` with title/source/edition, ``rows``) plus a
``program`` block. Rows have a stable dotted ``id`` and one of three kinds:

``target``
    Who a control target applies to (``applies``; everyone when absent) and when a visit is *off*
    target (``when``);
    ``measures`` lists the values the judgement needs (a visit without them is "not measured").
    The first target whose ``applies`` holds is used.
``status``
    Classifies a patient's latest visit: ``when`` is the condition, ``status`` the outcome and
    ``due`` how the next date is set: ``interval`` (``interval_days`` after the last visit, or after
    enrolment with ``interval_from: enrolled_on``), ``schedule`` (the next scheduled contact) or
    ``none`` (nothing more is due). The first status row (in file order) whose condition holds wins.
``contact``
    A scheduled contact of an age- or pregnancy-based program (children 0-6, pregnancy): the
    window opens ``from_days`` after the ``anchor`` date (birth, last menstrual period, delivery)
    and the contact is due by ``due_days``. A visit between this window's opening and the next
    contact's opening completes it.

Conditions are YAML data, not code: a list of clauses means *all*, ``{any: [...]}``, ``{all: [...]}``
and ``{not: ...}`` nest; a clause is ``[field, op]`` or ``[field, op, value]`` with ``op`` one of
``< <= > >= == !=`` (false when the value is missing), ``missing``, ``present``, ``true``, ``false``.
Fields are the names in :data:`FIELDS`; they are checked when the file is loaded.

Reason templates (``reason_zh``/``reason_en``) name context fields in braces (``{systolic_bp}``),
plus ``{danger_signs_text}``, ``{contact_zh}``, ``{contact_en}``, ``{last_visit}``, ``{due_date}``.
Every row carries an example that fires and one that does not (``examples``); one generic test
runs every row through them with the real engine.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..knowledge.base import KNOWLEDGE_DIR, KnowledgeError, Meta, Row, Table, load_table, read_yaml

__all__ = [
    "FIELDS",
    "PROTOCOL_DIR",
    "STATUSES",
    "TEMPLATE_EXTRAS",
    "Clause",
    "Condition",
    "Example",
    "Program",
    "ProgramSpec",
    "ProtocolRow",
    "Protocols",
    "evaluate",
    "load_protocols",
    "parse_condition",
]

PROTOCOL_DIR = KNOWLEDGE_DIR / "protocols"

Status = Literal["controlled", "uncontrolled", "refer", "urgent_referral", "no_visit"]
STATUSES: tuple[str, ...] = ("urgent_referral", "refer", "uncontrolled", "no_visit", "controlled")
"""Statuses, most urgent first (the order of the follow-up list)."""

FieldKind = Literal["number", "flag", "text"]
FIELDS: dict[str, FieldKind] = {
    # the latest visit (visits.csv)
    "systolic_bp": "number",
    "diastolic_bp": "number",
    "fasting_glucose_mmol_l": "number",
    "heart_rate": "number",
    "temperature_c": "number",
    "danger_grade": "number",
    "danger_signs": "flag",
    "adverse_reaction": "flag",
    "new_complication": "flag",
    "referred": "flag",
    # the visit before it
    "prev_adverse_reaction": "flag",
    "prev_off_target": "flag",
    # derived
    "has_visit": "flag",
    "off_target": "flag",
    "age": "number",  # completed years at the latest visit (at the as-of date without a visit)
    "sex": "text",
    "in_pregnancy_program": "flag",
    "days_on_program": "number",  # latest visit - enrolment date
    "days_since_last_visit": "number",
    "schedule_complete": "flag",  # every scheduled contact of the program lies in the past
}
"""Context fields a condition or template may use, with their kind."""

TEMPLATE_EXTRAS: frozenset[str] = frozenset(
    {"danger_signs_text", "contact_zh", "contact_en", "last_visit", "due_date"}
)

VISIT_VALUE_FIELDS: tuple[str, ...] = (
    "systolic_bp",
    "diastolic_bp",
    "fasting_glucose_mmol_l",
    "heart_rate",
    "temperature_c",
    "danger_grade",
)
VISIT_FLAG_FIELDS: tuple[str, ...] = ("adverse_reaction", "new_complication", "referred")

Op = Literal["<", "<=", ">", ">=", "==", "!=", "missing", "present", "true", "false"]
_UNARY = frozenset({"missing", "present", "true", "false"})
Anchor = Literal["birth_date", "lmp", "delivery_date"]


# --------------------------------------------------------------------------- conditions
@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: float | str | None = None


@dataclass(frozen=True)
class Condition:
    """``kind`` is ``all``, ``any`` or ``not`` (``not`` has exactly one item)."""

    kind: str
    items: tuple[Clause | Condition, ...]

    def fields(self) -> Iterator[str]:
        for it in self.items:
            if isinstance(it, Clause):
                yield it.field
            else:
                yield from it.fields()


def parse_condition(raw: Any) -> Condition:
    """Parse the YAML form of a condition; raises ``ValueError`` naming what is wrong."""
    if isinstance(raw, list):
        if raw and isinstance(raw[0], str):  # a single clause written without the outer list
            return Condition("all", (_parse_clause(raw),))
        return Condition("all", tuple(_parse_item(x) for x in raw))
    if isinstance(raw, dict):
        if len(raw) != 1:
            raise ValueError(f"a condition mapping has one key (any/all/not), got {sorted(raw)}")
        ((kind, body),) = raw.items()
        if kind == "not":
            return Condition("not", (_parse_item(body),))
        if kind in ("any", "all"):
            if not isinstance(body, list) or not body:
                raise ValueError(f"'{kind}' needs a non-empty list")
            return Condition(kind, tuple(_parse_item(x) for x in body))
        raise ValueError(f"unknown condition key {kind!r} (use any, all or not)")
    raise ValueError(f"a condition is a list of clauses or a mapping, got {type(raw).__name__}")


def _parse_item(raw: Any) -> Clause | Condition:
    if isinstance(raw, list) and raw and isinstance(raw[0], str):
        return _parse_clause(raw)
    return parse_condition(raw)


def _parse_clause(raw: list[Any]) -> Clause:
    if len(raw) not in (2, 3):
        raise ValueError(f"a clause is [field, op] or [field, op, value], got {raw!r}")
    name, op = raw[0], raw[1]
    if name not in FIELDS:
        raise ValueError(f"unknown field {name!r}")
    if op not in Op.__args__:  # type: ignore[attr-defined]
        raise ValueError(f"unknown operator {op!r} in {raw!r}")
    kind = FIELDS[name]
    if op in _UNARY:
        if len(raw) != 2:
            raise ValueError(f"operator {op!r} takes no value: {raw!r}")
        if op in ("true", "false") and kind != "flag":
            raise ValueError(f"operator {op!r} needs a flag field, {name!r} is a {kind}")
        return Clause(name, op)
    if len(raw) != 3:
        raise ValueError(f"operator {op!r} needs a value: {raw!r}")
    value = raw[2]
    if kind == "text":
        if op not in ("==", "!=") or not isinstance(value, str):
            raise ValueError(f"text field {name!r} compares with == or != to a string: {raw!r}")
        return Clause(name, op, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"field {name!r} compares with a number: {raw!r}")
    return Clause(name, op, float(value))


def evaluate(cond: Condition, ctx: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate a condition over context columns (numpy arrays of equal length) → bool array.

    Numbers and flags are float arrays with NaN for missing; a comparison with a missing value is
    false, ``missing``/``present`` test for NaN, ``true``/``false`` for 1/0.
    """
    parts = [(_eval_clause(it, ctx) if isinstance(it, Clause) else evaluate(it, ctx)) for it in cond.items]
    if cond.kind == "not":
        return ~parts[0]
    out = parts[0].copy()
    for p in parts[1:]:
        out = (out & p) if cond.kind == "all" else (out | p)
    return out


def _eval_clause(c: Clause, ctx: Mapping[str, np.ndarray]) -> np.ndarray:
    col = ctx[c.field]
    if FIELDS[c.field] == "text":
        eq = col == c.value
        return np.asarray(eq if c.op == "==" else ~eq, dtype=bool)
    x = np.asarray(col, dtype=float)
    with np.errstate(invalid="ignore"):
        match c.op:
            case "missing":
                return np.isnan(x)
            case "present":
                return ~np.isnan(x)
            case "true":
                return x == 1.0
            case "false":
                return x == 0.0
            case "<":
                return x < c.value
            case "<=":
                return x <= c.value
            case ">":
                return x > c.value
            case ">=":
                return x >= c.value
            case "==":
                return x == c.value
            case _:  # "!="
                return (x != c.value) & ~np.isnan(x)


# --------------------------------------------------------------------------- rows
class ExamplePatient(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    age_years: float | None = Field(default=None, ge=0, le=120)
    age_days: int | None = Field(default=None, ge=0)
    sex: Literal["male", "female"] = "female"
    other_programs: tuple[str, ...] = ()
    enrolled_days_ago: int = Field(default=400, ge=0)
    lmp_days_ago: int | None = Field(default=None, ge=0)
    delivered_days_ago: int | None = Field(default=None, ge=0)


class ExampleVisit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    days_ago: int = Field(ge=0)
    systolic_bp: float | None = None
    diastolic_bp: float | None = None
    fasting_glucose_mmol_l: float | None = None
    heart_rate: float | None = None
    temperature_c: float | None = None
    danger_grade: int | None = Field(default=None, ge=0, le=5)
    danger_signs: str = ""
    adverse_reaction: Literal[0, 1] = 0
    new_complication: Literal[0, 1] = 0
    referred: Literal[0, 1] = 0


class Example(BaseModel):
    """A patient and their visits (days before the as-of date, oldest first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    patient: ExamplePatient = ExamplePatient()
    visits: tuple[ExampleVisit, ...] = ()


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fires: Example
    does_not_fire: Example


RuleId = Annotated[str, Field(pattern=r"^fu\.[a-z]+\.[a-z0-9_]+(\.[a-z0-9_]+)*$")]


class ProtocolRow(Row):
    id: RuleId
    kind: Literal["target", "status", "contact"]
    # target and status
    when: Condition | None = None
    applies: Condition | None = None
    measures: tuple[str, ...] = ()
    status: Status | None = None
    due: Literal["interval", "schedule", "none"] | None = None
    interval_days: int | None = Field(default=None, ge=0, le=3650)
    interval_from: Literal["last_visit", "enrolled_on"] = "last_visit"
    # contact
    anchor: Anchor | None = None
    from_days: int | None = Field(default=None, ge=0)
    due_days: int | None = Field(default=None, ge=0)
    name_zh: str = ""
    name_en: str = ""
    # all
    reason_zh: str = Field(min_length=1)
    reason_en: str = Field(min_length=1)
    examples: Examples
    note: str = ""

    @field_validator("when", "applies", mode="before")
    @classmethod
    def _condition(cls, v: Any) -> Condition | None:
        if v is None or isinstance(v, Condition):
            return v
        return parse_condition(v)

    @field_validator("measures")
    @classmethod
    def _measures(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [m for m in v if FIELDS.get(m) != "number"]
        if bad:
            raise ValueError(f"measures must be number fields, not {bad}")
        return v

    @field_validator("reason_zh", "reason_en")
    @classmethod
    def _template(cls, v: str) -> str:
        for _, name, spec, conv in string.Formatter().parse(v):
            if name is None:
                continue
            if name not in FIELDS and name not in TEMPLATE_EXTRAS:
                raise ValueError(f"unknown placeholder {{{name}}}")
            if spec or conv:
                raise ValueError(f"placeholder {{{name}}} takes no format spec")
        return v

    @model_validator(mode="after")
    def _by_kind(self) -> ProtocolRow:
        need: dict[str, tuple[str, ...]] = {
            "target": ("when", "measures"),
            "status": ("when", "status", "due"),
            "contact": ("anchor", "from_days", "due_days", "name_zh", "name_en"),
        }
        missing = [f for f in need[self.kind] if getattr(self, f) in (None, "", ())]
        if missing:
            raise ValueError(f"a {self.kind} row needs {', '.join(missing)}")
        if self.kind == "status" and self.due == "interval" and self.interval_days is None:
            raise ValueError("due: interval needs interval_days")
        if self.kind == "contact" and (self.due_days or 0) < (self.from_days or 0):
            raise ValueError("due_days must not be before from_days")
        if self.kind != "contact" and self.anchor is not None:
            raise ValueError("only contact rows have an anchor")
        return self


class ProgramSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Annotated[str, Field(pattern=r"^[a-z][a-z_]*$")]
    prefix: Annotated[str, Field(pattern=r"^[a-z]+$")]
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()
    standard_visits_per_year: int | None = Field(default=None, ge=1)
    phases: tuple[Anchor, ...] = ()
    anchor_fallback: dict[Anchor, tuple[Anchor, int]] = Field(default_factory=dict)
    missing_anchor_zh: str = ""
    missing_anchor_en: str = ""
    missed_after_days: int | None = Field(default=None, ge=1)
    lost_after_days: int | None = Field(default=None, ge=1)


@dataclass(frozen=True)
class Program:
    """One program's protocol: spec, rows by kind, provenance."""

    spec: ProgramSpec
    table: Table[ProtocolRow]

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def meta(self) -> Meta:
        return self.table.meta

    @property
    def targets(self) -> tuple[ProtocolRow, ...]:
        return tuple(r for r in self.table if r.kind == "target")

    @property
    def statuses(self) -> tuple[ProtocolRow, ...]:
        return tuple(r for r in self.table if r.kind == "status")

    @property
    def contacts(self) -> tuple[ProtocolRow, ...]:
        """Contacts ordered by phase (the program's ``phases``), then by opening day."""
        order = {a: i for i, a in enumerate(self.spec.phases)}
        rows = [r for r in self.table if r.kind == "contact"]
        return tuple(sorted(rows, key=lambda r: (order[r.anchor or ""], r.from_days or 0)))

    @property
    def has_targets(self) -> bool:
        return bool(self.targets)


@dataclass(frozen=True)
class Protocols:
    """All programs, by code, with the alias index used to read ``patients.csv``."""

    directory: Path
    programs: dict[str, Program]
    aliases: dict[str, str]

    def __iter__(self) -> Iterator[Program]:
        return iter(self.programs.values())

    def __getitem__(self, code: str) -> Program:
        return self.programs[code]

    def __contains__(self, code: object) -> bool:
        return code in self.programs

    def codes(self) -> list[str]:
        return list(self.programs)

    def resolve(self, name: str) -> str | None:
        """Program code for a name as typed in the CSV (code, Chinese name or alias), else None."""
        return self.aliases.get(name.strip().casefold())


def _load_program(path: Path) -> Program:
    table = load_table(path, ProtocolRow, key="id")
    raw = read_yaml(path)
    try:
        spec = ProgramSpec.model_validate(raw.get("program"))
    except Exception as exc:  # pydantic ValidationError
        raise KnowledgeError(f"{path.name}: 'program' block: {exc}") from exc
    problems: list[str] = []
    if path.stem != spec.code:
        problems.append(f"{path.name}: program.code {spec.code!r} must match the file name")
    for r in table:
        if not r.id.startswith(f"fu.{spec.prefix}."):
            problems.append(f"{path.name} row {r.id}: field 'id': must start with fu.{spec.prefix}.")
        if r.kind == "contact" and r.anchor not in spec.phases:
            problems.append(f"{path.name} row {r.id}: field 'anchor': {r.anchor!r} is not in program.phases")
        if r.kind == "status" and r.due == "schedule" and not spec.phases:
            problems.append(f"{path.name} row {r.id}: field 'due': 'schedule' needs contact rows")
    statuses = [r for r in table if r.kind == "status"]
    if not statuses:
        problems.append(f"{path.name}: needs at least one status row")
    elif not any(r.status == "no_visit" for r in statuses):
        problems.append(f"{path.name}: needs a no_visit status row")
    if spec.phases and not any(r.kind == "contact" for r in table):
        problems.append(f"{path.name}: program.phases given but no contact rows")
    if problems:
        raise KnowledgeError("\n".join(problems))
    return Program(spec=spec, table=table)


def load_protocols_from(directory: Path) -> Protocols:
    """Load every ``*.yaml`` protocol in ``directory`` (not cached)."""
    directory = Path(directory)
    programs: dict[str, Program] = {}
    aliases: dict[str, str] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        prog = _load_program(path)
        programs[prog.code] = prog
        for name in (prog.code, prog.spec.name_zh, prog.spec.name_en, *prog.spec.aliases):
            key = name.strip().casefold()
            if aliases.get(key, prog.code) != prog.code:
                problems.append(f"{path.name}: alias {name!r} is also used by {aliases[key]}")
            aliases[key] = prog.code
    if not programs:
        raise KnowledgeError(f"no protocol files in {directory}")
    for prog in programs.values():
        for r in prog.table:
            for ex in (r.examples.fires, r.examples.does_not_fire):
                for other in ex.patient.other_programs:
                    if other not in programs:
                        problems.append(
                            f"{prog.table.path.name} row {r.id}: field 'examples': unknown program {other!r}"
                        )
    if problems:
        raise KnowledgeError("\n".join(problems))
    return Protocols(directory=directory, programs=programs, aliases=aliases)


@lru_cache(maxsize=4)
def load_protocols(directory: str | None = None) -> Protocols:
    """The protocols shipped with the package (or in ``directory``), loaded once per process."""
    return load_protocols_from(Path(directory) if directory else PROTOCOL_DIR)
