"""Allergies reaching across the drug class: an allergy to a class or to one of its members concerns
every member (``same_class``: error); a related class is a warning (``cross_reactive``: penicillin
→ cephalosporin). Examinations are checked through the substances they give (iodinated contrast).
An allergy entry the assistant cannot read is reported (info) so the doctor knows it was not
checked; "no known allergy" words and food or pollen allergies are not drug allergies."""

from __future__ import annotations

from ..context import RecordContext
from ..tables import AllergyRule
from .base import Hit, Names, drug_names, hit, pick

__all__ = ["check"]


def check(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    book = ctx.kb.drugs
    rules = ctx.rules
    for a in ctx.allergies:
        if a.allergens is None:
            row = pick(rules.rules(AllergyRule, "unrecognised"), lambda r: True)
            if row is not None:
                hits.append(hit(row, {a.path: a.text}, allergy=a.text))
            continue
        if not a.allergens:
            continue
        for rx in ctx.prescriptions:
            d = rx.drug
            if d is None:
                continue
            m = ctx.resolver.allergy_match(a.text, (d.code,))
            if m is None:
                continue
            allergen_nodes = book.nodes(m.allergen)
            classes = book.classes_of(d.code)
            check_name = "drug_same_class" if m.kind == "same_class" else "drug_cross_reactive"

            def matches(
                r: AllergyRule, allergen_nodes: set[str] = allergen_nodes, classes: set[str] = classes
            ) -> bool:
                if r.allergens and not allergen_nodes & set(r.allergens):
                    return False
                return not r.targets or bool(classes & set(r.targets))

            row = pick(rules.rules(AllergyRule, check_name), matches)
            if row is not None:
                hits.append(hit(row, {a.path: a.text, f"{rx.path}.drug": rx.text}, allergy=a.text,
                                item=Names(d.name_zh, d.name_en), allergen=drug_names(ctx, m.allergen),
                                via=drug_names(ctx, m.via), note=Names(m.note_zh, m.note_en)))  # fmt: skip
        for order in ctx.orders:
            e = order.exam
            if e is None or not e.agents:
                continue
            m = ctx.resolver.allergy_match(a.text, tuple(e.agents))
            if m is None:
                continue
            allergen_nodes = book.nodes(m.allergen)
            row = pick(
                rules.rules(AllergyRule, "exam_agent"),
                lambda r, n=allergen_nodes: not r.allergens or bool(n & set(r.allergens)),
            )
            if row is not None:
                hits.append(hit(row, {a.path: a.text, order.path: order.text}, allergy=a.text,
                                item=Names(e.name_zh, e.name_en), allergen=drug_names(ctx, m.allergen),
                                via=drug_names(ctx, m.via), note=Names(m.note_zh, m.note_en)))  # fmt: skip
    return hits
