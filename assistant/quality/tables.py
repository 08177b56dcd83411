"""The quality rule tables (``assistant/knowledge/quality/*.yaml``): one file per concern.

Every file has a ``meta`` header (title, source, edition), ``rows`` of rules and, for some, data
sections the rules read (term lists, per-condition policies). Each rule row carries:

``id``           stable dotted id, ``qc.<concern>.<name>``; what :class:`QualityIssue` reports
``category``     the contract's category (the same for every row of a file)
``severity``     ``error`` / ``warning`` / ``info``
``check``        which check of the file's concern the row names (``drug_contraindication``, ...)
``message_zh``   the messages, with ``{placeholders}`` filled from what the check found
``message_en``
``guideline``    the source the rule follows
``example_fires`` / ``example_quiet``: an encounter (merged onto :data:`EXAMPLE_BASE`) on which the
                 rule fires, and a similar one on which it stays quiet

Rows are generic where the drug and examination knowledge can drive them (one row for "a drug
contraindicated by a patient condition") and specific for the classic alerts a doctor knows by
name (``qc.contra.barium_obstruction``). A check reports each finding under the first specific row
that matches it, else under the file's generic row for that check, so a specific row never adds
an alert the knowledge does not support: it names and words it.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..knowledge.base import KNOWLEDGE_DIR, KnowledgeError, Meta, Row, read_yaml
from ..knowledge.drugs import Threshold
from .issue import Category, Severity

__all__ = [
    "ALLOWED_PARAMS",
    "EXAMPLE_BASE",
    "QUALITY_DIR",
    "AllergyRule",
    "AntibioticRule",
    "CompletenessRule",
    "ContraRule",
    "DataEntryRule",
    "DemographicsRule",
    "DoseRule",
    "DuplicateExamRule",
    "InteractionRule",
    "QualityRules",
    "Rule",
    "SupportRule",
    "Term",
    "load_rules",
    "load_rules_from",
]

QUALITY_DIR = KNOWLEDGE_DIR / "quality"

EXAMPLE_BASE: dict[str, Any] = {
    "date": "2026-03-02",
    "patient": {"age_years": 40, "sex": "male"},
    "complaint": "复诊",
}
"""What every rule example is merged onto (a 40-year-old man on 2 March 2026 with the complaint
"复诊", follow-up); an example overrides any part. An example's ``model_scores`` (condition id →
[probability, rank]) is passed to the check as the diagnosis model's result."""

RuleId = Annotated[str, Field(pattern=r"^qc\.[a-z_]+\.[a-z0-9_]+$")]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
Measure = Literal[
    "egfr", "hba1c", "wbc", "hemoglobin", "potassium", "alt",
    "temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "respiratory_rate", "spo2",
    "weight_kg", "height_cm", "glucose_mmol_l", "fasting_glucose_mmol_l",
]  # fmt: skip

ALLOWED_PARAMS = frozenset(
    {
        "item_zh", "item_en", "tag_zh", "tag_en", "because_zh", "because_en", "min_age", "age",
        "allergy", "allergen_zh", "allergen_en", "via_zh", "via_en", "note_zh", "note_en",
        "other_zh", "other_en", "reason_zh", "reason_en", "class_zh", "class_en", "classes_zh",
        "classes_en", "dose", "limit", "times", "daily", "weight", "per_kg", "limit_per_kg", "route",
        "routes", "hint_zh", "hint_en", "prior_date", "facility", "days_ago", "validity_days",
        "condition_zh", "condition_en", "expected_zh", "expected_en", "probability", "rank",
        "missing_zh", "missing_en", "field", "value", "unit", "low", "high", "related_field",
        "name", "sex_zh", "sex_en", "age_min", "age_max", "detail", "recorded", "derived",
        "usual", "code", "field_zh", "field_en", "name_zh", "name_en", "recorded_zh", "recorded_en", "derived_zh", "derived_en",
    }
)  # fmt: skip
"""Placeholders a message may use; each check fills the ones that apply to it."""


class Rule(Row):
    """Fields every rule row has (see the module docstring)."""

    TABLE: ClassVar[str] = ""
    CATEGORY: ClassVar[str] = ""

    id: RuleId
    category: Category
    severity: Severity
    check: str
    message_zh: Text
    message_en: Text
    guideline: Text
    example_fires: dict[str, Any]
    example_quiet: dict[str, Any]
    note: str = ""

    def placeholders(self) -> set[str]:
        out: set[str] = set()
        for text in (self.message_zh, self.message_en):
            out |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
        return out


# -- one model per table ---------------------------------------------------------------------


class ContraRule(Rule):
    """A drug or examination against the patient's conditions, age or pregnancy.

    A specific row names the items (``drugs`` codes, ``drug_classes`` ids, ``exams`` codes,
    ``exam_tags``) and/or the patient ``tags`` it applies to; a row without them is the generic
    row of its check.
    """

    TABLE: ClassVar[str] = "contraindications.yaml"
    CATEGORY: ClassVar[str] = "contraindication"
    check: Literal[
        "drug_contraindication", "drug_caution", "medication_contraindication", "drug_min_age",
        "drug_child_avoid", "exam_contraindication", "exam_caution",
    ]  # fmt: skip
    drugs: tuple[Code, ...] = ()
    drug_classes: tuple[Code, ...] = ()
    exams: tuple[Code, ...] = ()
    exam_tags: tuple[Code, ...] = ()
    tags: tuple[Code, ...] = ()

    @property
    def specific(self) -> bool:
        return bool(self.drugs or self.drug_classes or self.exams or self.exam_tags or self.tags)


class AllergyRule(Rule):
    """A prescribed drug (or an examination's agent) the patient is allergic to, or an allergy entry
    the assistant cannot read. ``allergens``: the row applies when the allergy names one of these
    classes or drugs (or a member of them); ``targets``: classes of the prescribed drug."""

    TABLE: ClassVar[str] = "allergies.yaml"
    CATEGORY: ClassVar[str] = "allergy"
    check: Literal["drug_same_class", "drug_cross_reactive", "exam_agent", "unrecognised"]
    allergens: tuple[Code, ...] = ()
    targets: tuple[Code, ...] = ()

    @property
    def specific(self) -> bool:
        return bool(self.allergens or self.targets)


class InteractionRule(Rule):
    """Drug-drug (prescriptions with each other and with long-term medications), two drugs of one
    class, one drug twice, a named combination (``all_classes``), examination-drug."""

    TABLE: ClassVar[str] = "interactions.yaml"
    CATEGORY: ClassVar[str] = "interaction"
    check: Literal["interaction", "duplicate_class", "same_drug", "combination", "exam_drug"]
    interaction_severity: Literal["major", "moderate"] | None = None
    all_classes: tuple[Code, ...] = ()


class DoseRule(Rule):
    TABLE: ClassVar[str] = "dosage.yaml"
    CATEGORY: ClassVar[str] = "dosage"
    check: Literal[
        "over_max_dose", "over_max_daily", "child_over_per_kg_dose", "child_over_per_kg_day",
        "child_specialist", "route_unusual", "below_usual",
    ]  # fmt: skip


class DuplicateExamRule(Rule):
    TABLE: ClassVar[str] = "duplicate_exams.yaml"
    CATEGORY: ClassVar[str] = "duplicate_exam"
    check: Literal["within_validity", "ordered_twice", "prior_undated"]
    exams: tuple[Code, ...] = ()


class AntibioticRule(Rule):
    """``conditions``: a specific row for these condition ids (the first diagnosis that matches)."""

    TABLE: ClassVar[str] = "antibiotic_use.yaml"
    CATEGORY: ClassVar[str] = "antibiotic_use"
    check: Literal["antibiotic_not_indicated", "iv_not_needed"]
    conditions: tuple[Code, ...] = ()


class CompletenessRule(Rule):
    """``measurements``: a diagnosis among ``conditions`` (or a present finding among ``findings``)
    needs every measure in ``requires_all`` and at least one of ``requires_any``."""

    TABLE: ClassVar[str] = "completeness.yaml"
    CATEGORY: ClassVar[str] = "completeness"
    check: Literal[
        "measurements", "child_weight", "dose_missing", "no_diagnosis", "age_unknown", "pregnancy_status"
    ]
    conditions: tuple[Code, ...] = ()
    findings: tuple[Code, ...] = ()
    requires_all: tuple[Measure, ...] = ()
    requires_any: tuple[Measure, ...] = ()
    age_min: float | None = None
    age_max: float | None = None


class SupportRule(Rule):
    TABLE: ClassVar[str] = "diagnosis_support.yaml"
    CATEGORY: ClassVar[str] = "diagnosis_support"
    check: Literal["required_findings", "model_unlikely", "model_doubtful"]
    max_probability: float | None = Field(None, gt=0, lt=1)
    min_rank: int | None = Field(None, ge=1)


class DataEntryRule(Rule):
    TABLE: ClassVar[str] = "data_entry.yaml"
    CATEGORY: ClassVar[str] = "data_entry"
    check: Literal[
        "out_of_range", "swapped", "after_encounter", "unknown_drug", "unknown_medication",
        "unknown_exam", "unknown_prior_exam", "unknown_diagnosis", "unknown_history", "unknown_finding",
    ]  # fmt: skip


class DemographicsRule(Rule):
    TABLE: ClassVar[str] = "demographics.yaml"
    CATEGORY: ClassVar[str] = "demographics"
    check: Literal[
        "condition_sex", "condition_age", "condition_not_pregnant", "exam_sex", "conflict", "pregnancy_age"
    ]
    conflict_kinds: tuple[
        Literal[
            "resident_id_invalid", "sex_vs_resident_id", "birth_date_vs_resident_id",
            "age_vs_resident_id", "age_vs_birth_date", "pregnant_male",
        ],
        ...,
    ] = ()  # fmt: skip
    age_min: float | None = None
    age_max: float | None = None


# -- data sections ---------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Signs(_Section):
    """Findings present or thresholds met (any one suffices)."""

    findings: tuple[Code, ...] = ()
    thresholds: tuple[Threshold, ...] = ()


class AntibioticPolicy(_Section):
    """How a condition stands with antibiotics and infusions. ``indicated``: an antibiotic may be
    right; ``conditional``: only with signs of a bacterial infection (``signs``, else the file's
    ``bacterial_signs``). Conditions not listed do not call for antibiotics. ``iv_ok``: an infusion
    can be right for this condition at a village clinic or on the way to referral."""

    condition: Code
    antibiotics: Literal["indicated", "conditional"] | None = None
    signs: Signs | None = None
    iv_ok: bool = False


class Requirement(_Section):
    """What supports a diagnosis: one of ``findings`` present, one of ``measures`` met, the
    condition already in ``patient.history`` (``history``), or a long-term medication of one of
    ``medication_classes``."""

    condition: Code
    findings: tuple[Code, ...] = ()
    measures: tuple[Threshold, ...] = ()
    history: bool = False
    medication_classes: tuple[Code, ...] = ()


class SexSpecificExam(_Section):
    exam: Code
    sex: Literal["male", "female"]


class DoseAllowance(_Section):
    """Milligrams a doctor may add per dose when writing a combination product's total strength
    (a 1 g amoxicillin-clavulanate tablet holds 875 mg amoxicillin)."""

    drug: Code
    extra_mg: float = Field(gt=0)


class Term(Row):
    """Names (zh/en) of a past or current condition that conditions.yaml does not name, read as
    the ICD-10 ``code`` (history and diagnoses)."""

    code: Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")]
    names: tuple[Text, ...] = Field(min_length=1)


class ContraSections(_Section):
    current_only_tags: tuple[Code, ...] = ()


class AllergySections(_Section):
    no_allergy_words: tuple[Text, ...] = ()
    non_drug_allergens: tuple[Text, ...] = ()


class DoseSections(_Section):
    child_age_below: float = Field(12, gt=0, le=18)
    child_tolerance: float = Field(1.1, ge=1, le=2)
    below_usual_factor: float = Field(0.5, gt=0, lt=1)
    topical_forms: tuple[Text, ...] = ()
    allowances: tuple[DoseAllowance, ...] = ()


class AntibioticSections(_Section):
    bacterial_signs: Signs
    iv_signs: Signs
    policies: tuple[AntibioticPolicy, ...]


class SupportSections(_Section):
    requirements: tuple[Requirement, ...]


Icd10Prefix = Annotated[str, Field(pattern=r"^[A-Z]([0-9]{2}(\.[0-9]{1,2})?)?$")]


class DemographicsSections(_Section):
    sex_specific_exams: tuple[SexSpecificExam, ...] = ()
    female_only_icd10: tuple[Icd10Prefix, ...] = ()
    male_only_icd10: tuple[Icd10Prefix, ...] = ()


class TermSections(_Section):
    no_history_words: tuple[Text, ...] = ()


class _NoSections(_Section):
    pass


# -- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTable:
    path: Path
    meta: Meta
    rows: tuple[Rule, ...]
    sections: Any

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rows)

    def by_check(self, check: str) -> list[Rule]:
        return [r for r in self.rows if r.check == check]


_TABLES: tuple[tuple[type[Rule], type[_Section]], ...] = (
    (ContraRule, ContraSections),
    (AllergyRule, AllergySections),
    (InteractionRule, _NoSections),
    (DoseRule, DoseSections),
    (DuplicateExamRule, _NoSections),
    (AntibioticRule, AntibioticSections),
    (CompletenessRule, _NoSections),
    (SupportRule, SupportSections),
    (DataEntryRule, _NoSections),
    (DemographicsRule, DemographicsSections),
)
TERMS_FILE = "terms.yaml"


def _errors(label: str, exc: ValidationError) -> list[str]:
    return [
        f"{label}: field '{'.'.join(str(p) for p in e['loc']) or '(row)'}': {e['msg']}" for e in exc.errors()
    ]


def _load_file(path: Path, model: type[Row], sections: type[_Section], key: str) -> tuple[Meta, tuple, Any]:
    data = read_yaml(path)
    name = path.name
    if not isinstance(data, dict):
        raise KnowledgeError(f"{name}: expected a mapping with 'meta' and 'rows' at the top level")
    problems: list[str] = []
    try:
        meta = Meta.model_validate(data.get("meta"))
    except ValidationError as exc:
        raise KnowledgeError("\n".join(_errors(f"{name}: header meta", exc))) from exc
    raw_rows = data.get("rows")
    if not isinstance(raw_rows, list) or not raw_rows:
        raise KnowledgeError(f"{name}: 'rows' must be a non-empty list")
    rows: list[Any] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rows, start=1):
        label = f"{name} row {i}" + (f" ({key}={raw[key]})" if isinstance(raw, dict) and key in raw else "")
        try:
            row = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_errors(label, exc))
            continue
        k = str(getattr(row, key))
        if k in seen:
            problems.append(f"{label}: field '{key}': duplicate value {k!r}")
        seen.add(k)
        if isinstance(row, Rule):
            if row.category != row.CATEGORY:
                problems.append(f"{label}: field 'category': every rule of {name} is {row.CATEGORY!r}")
            unknown = sorted(row.placeholders() - ALLOWED_PARAMS)
            if unknown:
                problems.append(f"{label}: field 'message_zh': unknown placeholders {unknown}")
        rows.append(row)
    extra = {k: v for k, v in data.items() if k not in ("meta", "rows")}
    try:
        parsed_sections = sections.model_validate(extra)
    except ValidationError as exc:
        problems.extend(_errors(f"{name} section", exc))
        parsed_sections = None
    if problems:
        raise KnowledgeError("\n".join(problems))
    return meta, tuple(rows), parsed_sections


@dataclass(frozen=True)
class QualityRules:
    """Every rule table plus the term list, loaded and validated."""

    directory: Path
    tables: dict[str, RuleTable]
    terms: tuple[Term, ...]
    term_sections: TermSections
    by_id: dict[str, Rule] = field(repr=False)

    def __iter__(self) -> Iterator[Rule]:
        for table in self.tables.values():
            yield from table.rows

    def __len__(self) -> int:
        return len(self.by_id)

    def table(self, model: type[Rule]) -> RuleTable:
        return self.tables[model.TABLE]

    def sections(self, model: type[Rule]) -> Any:
        return self.tables[model.TABLE].sections

    def rules(self, model: type[Rule], check: str) -> list[Any]:
        """Rows of ``model``'s table for ``check``, specific rows first (file order), generic last."""
        rows = self.tables[model.TABLE].by_check(check)
        return sorted(rows, key=lambda r: not getattr(r, "specific", False))


def load_rules_from(directory: Path) -> QualityRules:
    """Load and validate every quality table in ``directory`` (not cached)."""
    directory = Path(directory)
    tables: dict[str, RuleTable] = {}
    by_id: dict[str, Rule] = {}
    problems: list[str] = []
    for model, sections in _TABLES:
        path = directory / model.TABLE
        meta, rows, parsed = _load_file(path, model, sections, key="id")
        tables[model.TABLE] = RuleTable(path=path, meta=meta, rows=rows, sections=parsed)
        for row in rows:
            if row.id in by_id:
                problems.append(f"{model.TABLE}: rule id {row.id!r} is also used in another table")
            by_id[row.id] = row
    if problems:
        raise KnowledgeError("\n".join(problems))
    _, terms, term_sections = _load_file(directory / TERMS_FILE, Term, TermSections, key="code")
    return QualityRules(
        directory=directory, tables=tables, terms=terms, term_sections=term_sections, by_id=by_id
    )


@lru_cache(maxsize=4)
def load_rules(directory: str | None = None) -> QualityRules:
    """The rule tables shipped with the package (or in ``directory``), loaded once per process."""
    return load_rules_from(Path(directory) if directory else QUALITY_DIR)
