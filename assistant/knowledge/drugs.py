"""Drugs, drug classes and the patient-condition tags they are checked against.

Three tables, all data:

* ``drug_classes.yaml``: a class hierarchy with stable ids and parents (``aminopenicillin`` →
  ``penicillin`` → ``beta_lactam`` → ``antibiotic``), names and synonyms for allergy text, which
  classes are allergy groups (an allergy to one member concerns all), which are duplicate therapy
  when two members are prescribed together, class-level cross-reactivity (penicillin → cephalosporin)
  and class-level interactions.
* ``drugs.yaml`` ``rows``: each drug with names, brand names, classes, routes, usual and maximum
  adult doses, child per-kg doses, age limits, contraindications and cautions (tags), interactions.
* ``drugs.yaml`` ``tags``: the closed vocabulary of contraindication / caution tags (``asthma``,
  ``renal_egfr_lt_30``, ...) with how a record shows each one (ICD-10 prefixes, finding codes,
  lab or vital thresholds, pregnancy, age). Examinations use the same vocabulary.

:func:`load` returns a :class:`DrugBook` that answers lookups: :meth:`DrugBook.find` by any name,
:meth:`DrugBook.classes_of`, :meth:`DrugBook.matches_allergy`, :meth:`DrugBook.interactions_between`,
:meth:`DrugBook.duplicate_classes`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError

from .base import KnowledgeError, Meta, Row, Table, load_table, read_yaml
from .names import ALLERGY_NAME_RULES, DRUG_NAME_RULES, NameIndex, split_names

if TYPE_CHECKING:
    from . import Knowledge

__all__ = [
    "CLASSES_FILE",
    "FILE",
    "AllergyKind",
    "AllergyMatch",
    "CrossReactivity",
    "Dosing",
    "Drug",
    "DrugBook",
    "DrugClass",
    "Interaction",
    "InteractionHit",
    "RouteDosing",
    "Tag",
    "Threshold",
    "check",
    "load",
]

FILE = "drugs.yaml"
CLASSES_FILE = "drug_classes.yaml"
TAGS_SECTION = "tags"

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
Positive = Annotated[float, Field(gt=0)]
DoseRange = tuple[Positive, Positive]
Route = Literal["oral", "iv", "im", "sc", "topical", "inhaled", "sublingual", "rectal", "vaginal"]
ChildUse = Literal["per_kg", "fixed", "specialist", "avoid"]
Severity = Literal["major", "moderate"]
ClassKind = Literal["therapeutic", "chemical", "property", "agent"]
Measure = Literal[
    "egfr", "hba1c", "wbc", "hemoglobin", "potassium", "alt",
    "temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "respiratory_rate", "spo2",
    "weight_kg", "height_cm", "glucose_mmol_l", "fasting_glucose_mmol_l",
]  # fmt: skip
AllergyKind = Literal["same_class", "cross_reactive"]
ICD10_PREFIX = r"^[A-Z]([0-9]{2}(\.[0-9]{1,2})?)?$"
"""An ICD-10 prefix: a category (``K25``), a subcategory (``K92.1``) or a whole chapter letter (``O``)."""


class Interaction(Row):
    """An interaction with a drug (code) or a class (id); declared once, found from either side."""

    target: Code
    severity: Severity
    reason_zh: Text
    reason_en: Text


class CrossReactivity(Row):
    """An allergy to this class is a warning (not the same thing) for ``target`` class."""

    target: Code
    note_zh: Text
    note_en: Text


class DrugClass(Row):
    id: Code
    name_zh: Text
    name_en: Text
    kind: ClassKind
    parents: tuple[Code, ...] = ()
    synonyms: tuple[Text, ...] = ()
    allergy_group: bool = False
    duplicate_therapy: bool = False
    cross_reactive: tuple[CrossReactivity, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    note_zh: str = ""
    note_en: str = ""


class Threshold(Row):
    measure: Measure
    op: Literal["<", "<=", ">", ">="]
    value: float

    def holds(self, measurements: Mapping[str, float | None]) -> bool:
        v = measurements.get(self.measure)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return False
        return {
            "<": v < self.value,
            "<=": v <= self.value,
            ">": v > self.value,
            ">=": v >= self.value,
        }[self.op]


class Tag(Row):
    """A patient condition a drug or examination is contraindicated or cautioned in.

    A record shows the tag when any of: a history or diagnosis ICD-10 code starts with one of
    ``icd10``; one of ``findings`` is present; one of ``thresholds`` holds; ``flag`` is set on the
    patient; the patient is at least ``min_age_years`` old.
    """

    code: Code
    name_zh: Text
    name_en: Text
    icd10: tuple[Annotated[str, Field(pattern=ICD10_PREFIX)], ...] = ()
    findings: tuple[Code, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    flag: Literal["pregnant", "breastfeeding"] | None = None
    min_age_years: Annotated[float, Field(ge=0, le=120)] | None = None

    def applies(
        self,
        *,
        icd10: Iterable[str] = (),
        findings: Iterable[str] = (),
        measurements: Mapping[str, float | None] | None = None,
        pregnant: bool = False,
        breastfeeding: bool = False,
        age_years: float | None = None,
    ) -> bool:
        """Whether a patient with these codes, present findings, values and flags shows the tag."""
        codes = [c.strip().upper().replace(".", "") for c in icd10]
        prefixes = [p.replace(".", "") for p in self.icd10]
        if any(c.startswith(p) for c in codes for p in prefixes):
            return True
        if set(self.findings) & set(findings):
            return True
        if measurements and any(t.holds(measurements) for t in self.thresholds):
            return True
        if self.flag == "pregnant" and pregnant:
            return True
        if self.flag == "breastfeeding" and breastfeeding:
            return True
        return self.min_age_years is not None and age_years is not None and age_years >= self.min_age_years


class Dosing(Row):
    """Dose limits for one or more routes; doses in mg per dose unless the drug says otherwise.

    ``child_use``: ``per_kg`` (per-kg dose and per-kg daily maximum given; the adult maximum also
    caps a child's dose), ``fixed`` (fixed doses by age band, see the note), ``specialist`` (used in
    children only on a specialist's advice), ``avoid`` (not for children; see ``min_age_years``).
    """

    adult_dose_mg: DoseRange | None = None
    max_dose_mg: Positive | None = None
    max_daily_mg: Positive | None = None
    child_use: ChildUse
    child_mg_per_kg_dose: DoseRange | None = None
    child_max_mg_per_kg_day: Positive | None = None
    note_zh: str = ""
    note_en: str = ""


class RouteDosing(Dosing):
    """Dosing that replaces the drug's default dosing for the listed routes."""

    routes: tuple[Route, ...] = Field(min_length=1)


_DOSING_FIELDS = tuple(Dosing.model_fields)


class Drug(Dosing):
    """One medicine. The dose fields at top level are its default dosing (all routes without an
    entry in ``route_doses``).

    ``dose_unit`` ``mg`` (default): every dose field is in mg of the named substance (a
    combination states in its note which component is counted). ``unit`` / ``ml``: the drug is
    dosed in units or millilitres, the mg fields stay empty and the note explains the dosing.
    ``units_per_mg`` converts a mg-dosed drug that doctors also prescribe in units (penicillin G).
    ``min_age_years`` is the youngest age the drug may be given at; with ``min_age_condition``
    the limit applies only when the patient shows that tag (aspirin under 16 with a fever or a
    viral illness). ``contraindications`` are tags that forbid the drug, ``cautions`` tags that
    call for care or a dose change. ``source`` lists ids from the file's ``meta.sources``.
    """

    code: Code
    name_zh: Text
    name_en: Text
    synonyms: tuple[Text, ...] = ()
    classes: tuple[Code, ...] = Field(min_length=1)
    routes: tuple[Route, ...] = Field(min_length=1)
    antibiotic: bool
    essential_list: bool
    dose_unit: Literal["mg", "unit", "ml"] = "mg"
    units_per_mg: Positive | None = None
    route_doses: tuple[RouteDosing, ...] = ()
    min_age_years: Annotated[float, Field(ge=0, le=120)] | None = None
    min_age_condition: Code | None = None
    contraindications: tuple[Code, ...] = ()
    cautions: tuple[Code, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    source: tuple[Code, ...] = Field(min_length=1)

    def dose_for(self, route: str) -> Dosing | None:
        """Dose limits for ``route``; ``None`` when the drug is not given that way."""
        if route not in self.routes:
            return None
        for rd in self.route_doses:
            if route in rd.routes:
                return rd
        return Dosing.model_validate({f: getattr(self, f) for f in _DOSING_FIELDS})


@dataclass(frozen=True)
class AllergyMatch:
    """Why a recorded allergy concerns a drug or examination.

    ``kind`` is ``same_class`` (the drug itself, or a member of the allergy's class) or
    ``cross_reactive`` (a related class: a warning, not the same risk). ``allergen`` is the drug code
    or class id the allergy text named, ``via`` the class (or drug) that links them.
    """

    kind: AllergyKind
    allergen: str
    via: str
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class InteractionHit:
    """One interaction found between two drugs (or a drug and an examination's agents)."""

    severity: Severity
    declared_by: str
    target: str
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class DrugBook:
    """Drugs, classes and tags with name lookup and class reasoning (see module docstring)."""

    drugs: Table[Drug]
    classes: Table[DrugClass]
    tags: Table[Tag]
    names: NameIndex = field(repr=False, compare=False)
    class_names: NameIndex = field(repr=False, compare=False)
    _ancestors: dict[str, frozenset[str]] = field(repr=False, compare=False)

    # -- table-like access -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.drugs)

    def __iter__(self) -> Iterator[Drug]:
        return iter(self.drugs)

    def __contains__(self, code: object) -> bool:
        return code in self.drugs

    def __getitem__(self, code: str) -> Drug:
        return self.drugs[code]

    def get(self, code: str) -> Drug | None:
        return self.drugs.get(code)

    def keys(self) -> list[str]:
        return self.drugs.keys()

    # -- names -------------------------------------------------------------------------------
    def find(self, name: str) -> Drug | None:
        """The drug called ``name`` (generic or brand, zh or en, with or without form/strength)."""
        code = self.names.lookup(name, DRUG_NAME_RULES)
        return self.drugs.get(code) if code else None

    def find_class(self, name: str) -> DrugClass | None:
        """The class called ``name`` (``青霉素类``, ``NSAIDs``, ``碘造影剂``)."""
        code = self.class_names.lookup(name, ALLERGY_NAME_RULES)
        return self.classes.get(code) if code else None

    def tag(self, code: str) -> Tag:
        return self.tags[code]

    # -- classes -----------------------------------------------------------------------------
    def ancestors(self, class_id: str) -> set[str]:
        """``class_id`` and every class above it."""
        return set(self._ancestors.get(class_id, frozenset({class_id})))

    def classes_of(self, drug_code: str) -> set[str]:
        """Every class of the drug, including ancestors (``amoxicillin`` → … ``antibiotic``)."""
        drug = self.drugs[drug_code]
        out: set[str] = set()
        for c in drug.classes:
            out |= self.ancestors(c)
        return out

    def members(self, class_id: str) -> list[Drug]:
        """Drugs in ``class_id`` or any class below it."""
        return [d for d in self.drugs if class_id in self.classes_of(d.code)]

    def nodes(self, substance: str) -> set[str]:
        """A drug code with all its classes, or a class id with its ancestors."""
        if substance in self.drugs:
            return {substance} | self.classes_of(substance)
        return self.ancestors(substance)

    def duplicate_classes(self, drug_a: str, drug_b: str) -> set[str]:
        """Classes marked as duplicate therapy that both drugs belong to (two NSAIDs, two ACEIs)."""
        shared = self.classes_of(drug_a) & self.classes_of(drug_b)
        return {c for c in shared if c in self.classes and self.classes[c].duplicate_therapy}

    # -- allergies ---------------------------------------------------------------------------
    def resolve_allergy(self, allergy_text: str) -> list[str]:
        """Class ids and drug codes named in an allergy entry (a class name wins over a drug name)."""
        found: list[str] = []
        cls = self.class_names.lookup(allergy_text, ALLERGY_NAME_RULES)
        drug = None if cls else self.names.lookup(allergy_text, ALLERGY_NAME_RULES)
        if cls or drug:
            return [cls or drug]  # type: ignore[list-item]
        for part in split_names(allergy_text):
            hit = self.class_names.lookup(part, ALLERGY_NAME_RULES) or self.names.lookup(
                part, ALLERGY_NAME_RULES
            )
            if hit and hit not in found:
                found.append(hit)
        return found

    def _allergy_groups(self, allergen: str) -> set[str]:
        nodes = self.nodes(allergen)
        groups = {allergen}
        groups |= {n for n in nodes if n in self.classes and self.classes[n].allergy_group}
        return groups

    def allergy_match_substances(self, allergy_text: str, substances: Iterable[str]) -> AllergyMatch | None:
        """How an allergy entry concerns a set of substances (drug codes or class ids), if at all."""
        target: set[str] = set()
        for s in substances:
            target |= self.nodes(s)
        best: AllergyMatch | None = None
        for allergen in self.resolve_allergy(allergy_text):
            groups = self._allergy_groups(allergen)
            same = groups & target
            if same:
                via = allergen if allergen in same else min(same, key=lambda c: (len(self.nodes(c)), c))
                return AllergyMatch("same_class", allergen, via)
            if best is not None:
                continue
            sources: set[str] = set()
            for g in groups:
                if g in self.classes:
                    sources |= self.ancestors(g)
            for src in sorted(sources):
                for cr in self.classes[src].cross_reactive if src in self.classes else ():
                    if cr.target in target:
                        best = AllergyMatch("cross_reactive", allergen, cr.target, cr.note_zh, cr.note_en)
                        break
                if best is not None:
                    break
        return best

    def allergy_match(self, allergy_text: str, drug_code: str) -> AllergyMatch | None:
        """How an allergy entry (``青霉素``, ``penicillin allergy``, ``磺胺``) concerns a drug."""
        return self.allergy_match_substances(allergy_text, [drug_code])

    def matches_allergy(self, allergy_text: str, drug_code: str) -> AllergyKind | None:
        """``same_class``, ``cross_reactive`` or ``None`` for an allergy entry and a drug code."""
        m = self.allergy_match(allergy_text, drug_code)
        return m.kind if m else None

    # -- interactions ------------------------------------------------------------------------
    def _declared(self, node: str) -> tuple[Interaction, ...]:
        if node in self.drugs:
            return self.drugs[node].interactions
        if node in self.classes:
            return self.classes[node].interactions
        return ()

    def interactions_between_nodes(self, nodes_a: set[str], nodes_b: set[str]) -> list[InteractionHit]:
        """Interactions declared by any node on one side that target a node on the other."""
        hits: list[InteractionHit] = []
        seen: set[tuple[frozenset[str], str]] = set()
        for left, right in ((nodes_a, nodes_b), (nodes_b, nodes_a)):
            for node in sorted(left):
                for i in self._declared(node):
                    if i.target in right:
                        key = (frozenset({node, i.target}), i.reason_en)
                        if key not in seen:
                            seen.add(key)
                            hits.append(InteractionHit(i.severity, node, i.target, i.reason_zh, i.reason_en))
        hits.sort(key=lambda h: (h.severity != "major", h.declared_by, h.target))
        return hits

    def interactions_between(self, drug_a: str, drug_b: str) -> list[InteractionHit]:
        """Interactions between two drugs (by code), most severe first; empty when none."""
        return self.interactions_between_nodes(self.nodes(drug_a), self.nodes(drug_b))


# -- loading ---------------------------------------------------------------------------------


def _load_tags(path: Path, meta: Meta) -> Table[Tag]:
    data: Any = read_yaml(path)
    raw_rows = data.get(TAGS_SECTION) if isinstance(data, dict) else None
    name = path.name
    if not isinstance(raw_rows, list) or not raw_rows:
        raise KnowledgeError(f"{name}: '{TAGS_SECTION}' must be a non-empty list of tag rows")
    problems: list[str] = []
    rows: list[Tag] = []
    index: dict[str, Tag] = {}
    for i, raw in enumerate(raw_rows, start=1):
        label = f"{name} {TAGS_SECTION} row {i}"
        if isinstance(raw, dict) and "code" in raw:
            label += f" (code={raw['code']})"
        if not isinstance(raw, dict):
            problems.append(f"{label}: expected a mapping of fields, got {type(raw).__name__}")
            continue
        try:
            tag = Tag.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "(row)"
                problems.append(f"{label}: field '{loc}': {err['msg']}")
            continue
        if tag.code in index:
            problems.append(f"{label}: field 'code': duplicate value {tag.code!r}")
            continue
        index[tag.code] = tag
        rows.append(tag)
    if problems:
        raise KnowledgeError("\n".join(problems))
    return Table(path=path, meta=meta, rows=tuple(rows), key="code", index=index)


def _compute_ancestors(classes: Table[DrugClass]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for c in classes:
        seen: set[str] = set()
        stack = [c.id]
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            row = classes.get(cur)
            if row is not None:
                stack.extend(row.parents)
        out[c.id] = frozenset(seen)
    return out


def _row_label(file: str, i: int, key: str, value: str) -> str:
    return f"{file} row {i} ({key}={value})"


def load(directory: Path) -> DrugBook:
    """Load ``drugs.yaml`` (rows and tags) and ``drug_classes.yaml`` from ``directory``.

    Raises :class:`KnowledgeError` for malformed rows and for a name that would point at two
    different drugs (or classes). Cross-references are checked by :func:`check`.
    """
    directory = Path(directory)
    drugs = load_table(directory / FILE, Drug, key="code")
    classes = load_table(directory / CLASSES_FILE, DrugClass, key="id")
    tags = _load_tags(directory / FILE, drugs.meta)

    problems: list[str] = []
    names = NameIndex()
    for i, d in enumerate(drugs.rows, start=1):
        label = _row_label(FILE, i, "code", d.code)
        for fname, values in (("code", [d.code]), ("name_zh", [d.name_zh]), ("name_en", [d.name_en]),
                              ("synonyms", list(d.synonyms))):  # fmt: skip
            for v in values:
                p = names.add(v, d.code, f"{label}: field '{fname}'")
                if p:
                    problems.append(p)
    class_names = NameIndex()
    for i, c in enumerate(classes.rows, start=1):
        label = _row_label(CLASSES_FILE, i, "id", c.id)
        for fname, values in (("id", [c.id]), ("name_zh", [c.name_zh]), ("name_en", [c.name_en]),
                              ("synonyms", list(c.synonyms))):  # fmt: skip
            for v in values:
                p = class_names.add(v, c.id, f"{label}: field '{fname}'")
                if p:
                    problems.append(p)
    if problems:
        raise KnowledgeError("\n".join(problems))
    return DrugBook(
        drugs=drugs,
        classes=classes,
        tags=tags,
        names=names,
        class_names=class_names,
        _ancestors=_compute_ancestors(classes),
    )


# -- checks ----------------------------------------------------------------------------------


def _source_ids(meta: Meta) -> set[str]:
    sources = (meta.model_extra or {}).get("sources")
    return set(sources) if isinstance(sources, dict) else set()


def _check_dosing(label: str, dose: Dosing, unit: str, prefix: str = "") -> list[str]:
    p: list[str] = []

    def say(fname: str, reason: str) -> None:
        p.append(f"{label}: field '{prefix}{fname}': {reason}")

    mg_fields = ("adult_dose_mg", "max_dose_mg", "max_daily_mg")
    if unit != "mg":
        for f in mg_fields + ("child_mg_per_kg_dose", "child_max_mg_per_kg_day"):
            if getattr(dose, f) is not None:
                say(f, f"must be empty: this drug is dosed in {unit}, not mg")
        if not (dose.note_zh and dose.note_en):
            say("note_zh", f"a drug dosed in {unit} needs a dosing note in Chinese and English")
        return p
    for f in mg_fields:
        if getattr(dose, f) is None:
            say(f, "missing (every mg-dosed drug needs usual dose, maximum per dose and per day)")
    lo_hi = dose.adult_dose_mg
    if lo_hi is not None:
        lo, hi = lo_hi
        if lo > hi:
            say("adult_dose_mg", f"range [{lo:g}, {hi:g}] is reversed")
        if dose.max_dose_mg is not None and dose.max_dose_mg < hi:
            say("max_dose_mg", f"{dose.max_dose_mg:g} mg is below the usual dose upper bound {hi:g} mg")
        if dose.max_daily_mg is not None and dose.max_daily_mg < hi:
            say("max_daily_mg", f"{dose.max_daily_mg:g} mg is below the usual dose upper bound {hi:g} mg")
    if dose.max_daily_mg is not None and dose.max_dose_mg is not None and dose.max_daily_mg < dose.max_dose_mg:
        say("max_daily_mg", f"{dose.max_daily_mg:g} mg is below the maximum single dose {dose.max_dose_mg:g} mg")

    per_kg, per_day = dose.child_mg_per_kg_dose, dose.child_max_mg_per_kg_day
    if dose.child_use == "per_kg" and (per_kg is None or per_day is None):
        say("child_mg_per_kg_dose", "child_use is per_kg: child_mg_per_kg_dose and child_max_mg_per_kg_day are required")
    if dose.child_use in ("fixed", "avoid") and (per_kg is not None or per_day is not None):
        say("child_mg_per_kg_dose", f"child_use is {dose.child_use}: leave the per-kg fields empty")
    if dose.child_use == "fixed" and not (dose.note_zh and dose.note_en):
        say("note_zh", "child_use is fixed: give the child doses by age in the note (zh and en)")
    if per_kg is not None:
        klo, khi = per_kg
        if klo > khi:
            say("child_mg_per_kg_dose", f"range [{klo:g}, {khi:g}] is reversed")
        if khi > 100:
            say("child_mg_per_kg_dose", f"{khi:g} mg/kg per dose is implausible (over 100 mg/kg)")
        if dose.max_dose_mg is not None and khi * 10 > dose.max_dose_mg * 1.5:
            say("child_mg_per_kg_dose",
                f"{khi:g} mg/kg gives a 10 kg child {khi * 10:g} mg, far above the adult maximum "
                f"{dose.max_dose_mg:g} mg per dose (unit error?)")  # fmt: skip
        if per_day is not None and not (khi <= per_day <= khi * 6):
            say("child_max_mg_per_kg_day",
                f"{per_day:g} mg/kg/day does not fit the per-dose range up to {khi:g} mg/kg "
                "(should be between one and six doses a day)")  # fmt: skip
    return p


def validate(book: DrugBook, finding_codes: Iterable[str] | None = None) -> list[str]:
    """Every cross-reference and numeric range of the drug tables; one readable line per problem."""
    p: list[str] = []
    classes, drugs, tags = book.classes, book.drugs, book.tags
    known_findings = set(finding_codes) if finding_codes is not None else None

    for i, t in enumerate(tags.rows, start=1):
        label = f"{FILE} {TAGS_SECTION} row {i} (code={t.code})"
        if known_findings is not None:
            for f in t.findings:
                if f not in known_findings:
                    p.append(f"{label}: field 'findings': unknown finding code {f!r} (see findings.yaml)")
        if not (t.icd10 or t.findings or t.thresholds or t.flag or t.min_age_years is not None):
            p.append(f"{label}: field 'icd10': a tag needs at least one way to be recognised in a record")

    for i, c in enumerate(classes.rows, start=1):
        label = _row_label(CLASSES_FILE, i, "id", c.id)
        for parent in c.parents:
            if parent not in classes:
                p.append(f"{label}: field 'parents': unknown class {parent!r}")
        if c.id in {a for parent in c.parents for a in book.ancestors(parent)}:
            p.append(f"{label}: field 'parents': the class is its own ancestor (cycle)")
        for j, cr in enumerate(c.cross_reactive):
            if cr.target not in classes:
                p.append(f"{label}: field 'cross_reactive.{j}.target': unknown class {cr.target!r}")
            elif cr.target in book.ancestors(c.id):
                p.append(f"{label}: field 'cross_reactive.{j}.target': {cr.target!r} is the class itself or its ancestor")
        for j, it in enumerate(c.interactions):
            if it.target not in classes and it.target not in drugs:
                p.append(f"{label}: field 'interactions.{j}.target': unknown drug or class {it.target!r}")

    sources = _source_ids(drugs.meta)
    if not sources:
        p.append(f"{FILE}: header field 'meta.sources': list the sources (id: citation) the rows refer to")
    for i, d in enumerate(drugs.rows, start=1):
        label = _row_label(FILE, i, "code", d.code)
        for c in d.classes:
            if c not in classes:
                p.append(f"{label}: field 'classes': unknown class {c!r} (see {CLASSES_FILE})")
        in_antibiotic = "antibiotic" in book.classes_of(d.code)
        if d.antibiotic != in_antibiotic:
            p.append(f"{label}: field 'antibiotic': is {str(d.antibiotic).lower()} but the drug is "
                     f"{'' if in_antibiotic else 'not '}in class 'antibiotic'")  # fmt: skip
        for fname in ("contraindications", "cautions"):
            for t in getattr(d, fname):
                if t not in tags:
                    p.append(f"{label}: field '{fname}': unknown tag {t!r} (see '{TAGS_SECTION}' in {FILE})")
        for t in set(d.contraindications) & set(d.cautions):
            p.append(f"{label}: field 'cautions': tag {t!r} is also a contraindication")
        if d.min_age_condition is not None:
            if d.min_age_condition not in tags:
                p.append(f"{label}: field 'min_age_condition': unknown tag {d.min_age_condition!r}")
            if d.min_age_years is None:
                p.append(f"{label}: field 'min_age_condition': set without min_age_years")
        for j, it in enumerate(d.interactions):
            if it.target not in classes and it.target not in drugs:
                p.append(f"{label}: field 'interactions.{j}.target': unknown drug or class {it.target!r}")
            elif it.target in book.nodes(d.code):
                p.append(f"{label}: field 'interactions.{j}.target': {it.target!r} is the drug itself or its class")
        for s in d.source:
            if sources and s not in sources:
                p.append(f"{label}: field 'source': unknown source {s!r} (see meta.sources)")
        seen_routes: set[str] = set()
        for j, rd in enumerate(d.route_doses):
            for r in rd.routes:
                if r not in d.routes:
                    p.append(f"{label}: field 'route_doses.{j}.routes': route {r!r} is not in the drug's routes")
                if r in seen_routes:
                    p.append(f"{label}: field 'route_doses.{j}.routes': route {r!r} has two dosing entries")
                seen_routes.add(r)
            p.extend(_check_dosing(label, rd, d.dose_unit, prefix=f"route_doses.{j}."))
        if set(d.routes) - seen_routes:
            p.extend(_check_dosing(label, d, d.dose_unit))
        if d.units_per_mg is not None and d.dose_unit != "mg":
            p.append(f"{label}: field 'units_per_mg': only for drugs dosed in mg")
    return p


def check(kb: Knowledge) -> list[str]:
    """Cross-file problems of the drug tables (classes, tags, interactions, doses, findings)."""
    return validate(kb.drugs, finding_codes=kb.findings.keys())
