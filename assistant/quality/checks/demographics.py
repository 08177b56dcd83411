"""Sex- and age-specific diagnoses and examinations that do not fit the patient, and the conflicts
between the resident ID, sex, birth date and age found when the record was read
(:attr:`Encounter.demographics`). A condition's sex and age range come from ``conditions.yaml``;
codes of one sex (pregnancy chapter, prostate) and sex-specific examinations from the table."""

from __future__ import annotations

from ..context import RecordContext
from ..tables import DemographicsRule, DemographicsSections
from .base import Hit, Names, hit, pick

__all__ = ["check"]

_SEX = {"male": Names("男性", "male"), "female": Names("女性", "female")}


def _value(text: str) -> Names:
    """A conflict's value in words: sexes translated, other values (ages, dates) as they are."""
    return _SEX.get(text, Names(text, text))


def _sex_of_code(sections: DemographicsSections, code: str) -> str | None:
    compact = code.replace(".", "")
    for sex, prefixes in (("female", sections.female_only_icd10), ("male", sections.male_only_icd10)):
        if any(compact.startswith(p.replace(".", "")) for p in prefixes):
            return sex
    return None


def check(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    rules = ctx.rules
    sections: DemographicsSections = rules.sections(DemographicsRule)

    def first(check_name: str) -> DemographicsRule | None:
        return pick(rules.rules(DemographicsRule, check_name), lambda r: True)

    sex = ctx.sex
    seen: set[str] = set()
    for dx in ctx.diagnoses:
        c = dx.ref.condition
        key = c.id if c is not None else dx.text
        if key in seen:
            continue
        seen.add(key)
        names = Names(c.name_zh, c.name_en) if c is not None else Names(dx.text, dx.text)
        needed = c.sex if c is not None and c.sex != "any" else None
        needed = needed or next((s for code in dx.ref.codes if (s := _sex_of_code(sections, code))), None)
        if sex is not None and needed is not None and sex != needed and (row := first("condition_sex")):
            hits.append(hit(row, {dx.path: dx.text, "patient.sex": sex}, condition=names, sex=_SEX[sex]))
        if c is None:
            continue
        if ctx.age is not None and not c.age_min <= ctx.age <= c.age_max and (row := first("condition_age")):
            hits.append(hit(row, {dx.path: dx.text, "patient.age_years": round(ctx.age, 2)}, condition=names,
                            age=ctx.age, age_min=c.age_min, age_max=c.age_max))  # fmt: skip
        if c.pregnancy_only and ctx.pregnant is False and (row := first("condition_not_pregnant")):
            hits.append(hit(row, {dx.path: dx.text, "patient.pregnant": False}, condition=names))

    exam_sex = {e.exam: e.sex for e in sections.sex_specific_exams}
    for order in ctx.orders:
        e = order.exam
        needed = exam_sex.get(e.code) if e is not None else None
        if e is not None and sex is not None and needed is not None and sex != needed:
            row = first("exam_sex")
            if row is not None:
                hits.append(hit(row, {order.path: order.text, "patient.sex": sex},
                                item=Names(e.name_zh, e.name_en), sex=_SEX[sex]))  # fmt: skip

    try:
        conflicts = ctx.encounter.demographics.conflicts
    except RuntimeError:  # an Encounter not built by parse_encounter carries no demographics
        conflicts = ()
    for conflict in conflicts:
        row = pick(
            rules.rules(DemographicsRule, "conflict"), lambda r, k=conflict.kind: k in r.conflict_kinds
        )
        if row is not None:
            ev = {"conflict": conflict.kind, "fields": list(conflict.fields), "recorded": conflict.recorded,
                  "derived": conflict.derived}  # fmt: skip
            hits.append(hit(row, ev, detail=conflict.detail, recorded=_value(conflict.recorded),
                            derived=_value(conflict.derived)))  # fmt: skip

    if ctx.pregnant and ctx.age is not None:
        row = first("pregnancy_age")
        if row is not None and (
            (row.age_min is not None and ctx.age < row.age_min)
            or (row.age_max is not None and ctx.age > row.age_max)
        ):
            hits.append(
                hit(row, {"patient.pregnant": True, "patient.age_years": round(ctx.age, 2)}, age=ctx.age)
            )
    return hits
