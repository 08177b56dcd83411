"""Drugs and examinations against the patient's conditions, age, sex-linked states and labs.

Driven by ``drugs.yaml`` / ``exams.yaml``: a drug's ``contraindications`` (error), ``cautions``
(info), ``min_age_years`` (with ``min_age_condition``: aspirin under 16 only with a fever or viral
illness), ``child_use: avoid``; an examination's ``contraindications`` and ``cautions``; a long-term
medication's contraindications (warning: the doctor should review it, it was not prescribed now).
Topical medicines are not checked against systemic contraindications.
"""

from __future__ import annotations

from ...knowledge.drugs import Drug
from ...knowledge.exams import Exam
from ..context import Fact, RecordContext
from ..tables import ContraRule
from .base import Hit, Names, hit, pick

__all__ = ["check"]


def _drug_row(rows: list[ContraRule], drug: Drug, classes: set[str], tag: str | None) -> ContraRule | None:
    def matches(r: ContraRule) -> bool:
        if (r.drugs or r.drug_classes) and not (drug.code in r.drugs or classes & set(r.drug_classes)):
            return False
        if r.exams or r.exam_tags:
            return False
        return not r.tags or tag in r.tags

    return pick(rows, matches)


def _exam_row(rows: list[ContraRule], exam: Exam, tag: str) -> ContraRule | None:
    def matches(r: ContraRule) -> bool:
        if (r.exams or r.exam_tags) and not (exam.code in r.exams or set(exam.tags) & set(r.exam_tags)):
            return False
        if r.drugs or r.drug_classes:
            return False
        return not r.tags or tag in r.tags

    return pick(rows, matches)


def _tag_names(ctx: RecordContext, code: str) -> Names:
    t = ctx.kb.drugs.tags[code]
    return Names(t.name_zh, t.name_en)


def _drug_hits(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    rules = ctx.rules
    for rx in ctx.prescriptions:
        d = rx.drug
        if d is None or not rx.systemic:
            continue
        classes = ctx.kb.drugs.classes_of(d.code)
        item = Names(d.name_zh, d.name_en)
        ev = {f"{rx.path}.drug": rx.text}
        age_limited = False
        if d.min_age_years is not None and ctx.age is not None and ctx.age < d.min_age_years:
            cond = d.min_age_condition
            fact: Fact | None = ctx.tag(cond) if cond else None
            if cond is None or fact is not None:
                age_limited = True
                row = _drug_row(rules.rules(ContraRule, "drug_min_age"), d, classes, cond)
                if row is not None:
                    extra = {"because": fact} if fact is not None else {"because": Names("", "")}
                    hits.append(hit(row, {**ev, "patient.age_years": round(ctx.age, 2)}, item=item,
                                    min_age=d.min_age_years, age=ctx.age, **extra))  # fmt: skip
        dosing = d.dose_for(rx.route) if rx.route in d.routes else d
        if not age_limited and ctx.is_child and dosing is not None and dosing.child_use == "avoid":
            row = _drug_row(rules.rules(ContraRule, "drug_child_avoid"), d, classes, None)
            if row is not None:
                hits.append(hit(row, {**ev, "patient.age_years": round(ctx.age or 0, 2)}, item=item,
                                age=ctx.age or 0))  # fmt: skip
        for check, tags in (("drug_contraindication", d.contraindications), ("drug_caution", d.cautions)):
            for tag in tags:
                fact = ctx.tag(tag)
                if fact is None:
                    continue
                row = _drug_row(rules.rules(ContraRule, check), d, classes, tag)
                if row is not None:
                    hits.append(
                        hit(row, {**ev, "tag": tag}, item=item, tag=_tag_names(ctx, tag), because=fact)
                    )
    prescribed = {rx.drug.code for rx in ctx.prescriptions if rx.drug is not None}
    med_rows = rules.rules(ContraRule, "medication_contraindication")
    for med in ctx.medications:
        d = med.drug
        if d is None or not med.systemic or d.code in prescribed:
            continue
        classes = ctx.kb.drugs.classes_of(d.code)
        for tag in d.contraindications:
            fact = ctx.tag(tag)
            if fact is None:
                continue
            row = _drug_row(med_rows, d, classes, tag)
            if row is not None:
                hits.append(hit(row, {f"{med.path}": med.text, "tag": tag}, item=Names(d.name_zh, d.name_en),
                                tag=_tag_names(ctx, tag), because=fact))  # fmt: skip
    return hits


def _exam_hits(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    for order in ctx.orders:
        e = order.exam
        if e is None:
            continue
        for check, tags in (("exam_contraindication", e.contraindications), ("exam_caution", e.cautions)):
            for tag in tags:
                fact = ctx.tag(tag)
                if fact is None:
                    continue
                row = _exam_row(ctx.rules.rules(ContraRule, check), e, tag)
                if row is not None:
                    hits.append(hit(row, {order.path: order.text, "tag": tag}, item=Names(e.name_zh, e.name_en),
                                    tag=_tag_names(ctx, tag), because=fact))  # fmt: skip
    return hits


def check(ctx: RecordContext) -> list[Hit]:
    return _drug_hits(ctx) + _exam_hits(ctx)
