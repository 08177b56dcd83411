"""Cross-checks between the quality tables and the knowledge base: every drug, class, examination,
tag, condition and finding a table names must exist, and every check of every table must have a
generic row (so that no finding of a check is dropped for want of a row)."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from ..knowledge.exams import ExamTag
from .tables import (
    AllergyRule,
    AntibioticRule,
    CompletenessRule,
    ContraRule,
    DemographicsRule,
    DoseRule,
    DuplicateExamRule,
    InteractionRule,
    QualityRules,
    SupportRule,
)

if TYPE_CHECKING:
    from ..knowledge import Knowledge

__all__ = ["check_rules"]


def _generic(rule: object) -> bool:
    for name in ("drugs", "drug_classes", "exams", "exam_tags", "tags", "allergens", "targets", "conditions"):
        if getattr(rule, name, ()):
            return False
    return not getattr(rule, "all_classes", ()) and getattr(rule, "interaction_severity", None) is None


def check_rules(rules: QualityRules, kb: Knowledge) -> list[str]:
    """One readable line per problem (file, rule id, field); empty when all is well."""
    p: list[str] = []
    drugs, classes, tags = kb.drugs.drugs, kb.drugs.classes, kb.drugs.tags
    exams, conditions, findings = kb.exams, kb.conditions, kb.findings
    exam_tags = set(get_args(ExamTag))
    exam_severities = {i.severity for e in exams for i in e.interactions} | {"moderate"}

    def need(label: str, field: str, values: tuple[str, ...] | list[str], known: object, what: str) -> None:
        for v in values:
            if v not in known:  # type: ignore[operator]
                p.append(f"{label}: field '{field}': unknown {what} {v!r}")

    for rule in rules:
        label = f"{rule.TABLE} ({rule.id})"
        if isinstance(rule, ContraRule):
            need(label, "drugs", rule.drugs, drugs, "drug")
            need(label, "drug_classes", rule.drug_classes, classes, "drug class")
            need(label, "exams", rule.exams, exams, "examination")
            need(label, "exam_tags", rule.exam_tags, exam_tags, "examination tag")
            need(label, "tags", rule.tags, tags, "tag (drugs.yaml 'tags')")
        elif isinstance(rule, AllergyRule):
            for a in rule.allergens:
                if a not in classes and a not in drugs:
                    p.append(f"{label}: field 'allergens': unknown drug or class {a!r}")
            need(label, "targets", rule.targets, classes, "drug class")
        elif isinstance(rule, InteractionRule):
            need(label, "all_classes", rule.all_classes, classes, "drug class")
        elif isinstance(rule, DuplicateExamRule):
            need(label, "exams", rule.exams, exams, "examination")
        elif isinstance(rule, AntibioticRule | CompletenessRule):
            need(label, "conditions", rule.conditions, conditions, "condition id")
            if isinstance(rule, CompletenessRule):
                need(label, "findings", rule.findings, findings, "finding code")
                if rule.check == "measurements" and not (rule.requires_all or rule.requires_any):
                    p.append(
                        f"{label}: field 'requires_all': a measurements rule needs requires_all or requires_any"
                    )
                if rule.check == "measurements" and not (rule.conditions or rule.findings):
                    p.append(f"{label}: field 'conditions': a measurements rule needs conditions or findings")

    for model in (ContraRule, AllergyRule, InteractionRule, DoseRule, DuplicateExamRule, AntibioticRule,
                  SupportRule, DemographicsRule):  # fmt: skip
        table = rules.table(model)
        checks = get_args(model.model_fields["check"].annotation)
        for check in checks:
            rows = table.by_check(check)
            if check == "combination":
                continue
            if check in ("interaction", "exam_drug"):
                declared = {"major", "moderate"} if check == "interaction" else exam_severities
                for sev in sorted(declared):
                    if not any(r.interaction_severity in (None, sev) for r in rows):  # type: ignore[attr-defined]
                        p.append(f"{model.TABLE}: check {check!r} has no row for {sev} interactions")
                continue
            if check == "conflict":
                kinds = {k for r in rows for k in r.conflict_kinds}  # type: ignore[attr-defined]
                wanted = set(
                    get_args(get_args(DemographicsRule.model_fields["conflict_kinds"].annotation)[0])
                )
                for k in sorted(wanted - kinds):
                    p.append(f"{model.TABLE}: check 'conflict' has no row for conflict kind {k!r}")
                continue
            if not any(_generic(r) for r in rows):
                p.append(f"{model.TABLE}: check {check!r} needs a generic row (no item or condition filters)")

    sections = rules.sections(ContraRule)
    need(ContraRule.TABLE, "current_only_tags", sections.current_only_tags, tags, "tag")
    for a in rules.sections(DoseRule).allowances:
        need(DoseRule.TABLE, "allowances", [a.drug], drugs, "drug")
    abx = rules.sections(AntibioticRule)
    for signs_name in ("bacterial_signs", "iv_signs"):
        need(AntibioticRule.TABLE, signs_name, getattr(abx, signs_name).findings, findings, "finding code")
    seen: set[str] = set()
    for pol in abx.policies:
        need(AntibioticRule.TABLE, "policies", [pol.condition], conditions, "condition id")
        if pol.condition in seen:
            p.append(f"{AntibioticRule.TABLE}: field 'policies': {pol.condition!r} listed twice")
        seen.add(pol.condition)
        if pol.signs is not None:
            need(
                AntibioticRule.TABLE,
                f"policies ({pol.condition}).signs",
                pol.signs.findings,
                findings,
                "finding code",
            )
    seen = set()
    for req in rules.sections(SupportRule).requirements:
        label = f"{SupportRule.TABLE} requirements ({req.condition})"
        need(label, "condition", [req.condition], conditions, "condition id")
        need(label, "findings", req.findings, findings, "finding code")
        need(label, "medication_classes", req.medication_classes, classes, "drug class")
        if req.condition in seen:
            p.append(f"{label}: listed twice")
        seen.add(req.condition)
        if not (req.findings or req.measures or req.history or req.medication_classes):
            p.append(f"{label}: needs findings, measures, history or medication_classes")
    for e in rules.sections(DemographicsRule).sex_specific_exams:
        need(DemographicsRule.TABLE, "sex_specific_exams", [e.exam], exams, "examination")
    return p
