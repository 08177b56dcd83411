"""Antibiotics and infusions without a bacterial indication.

An antibiotic (``drugs.yaml`` ``antibiotic: true``, given systemically) is justified when one of
the visit's diagnoses has policy ``indicated``, or ``conditional`` with a sign of bacterial
infection present (purulent sputum, high fever, crackles, raised white cells, ...). Otherwise, when
every diagnosis is known to the assistant, the rule fires under the first diagnosis with a specific
row (``qc.abx.common_cold``, ...) or the generic row. An intravenous prescription is justified by a
diagnosis whose policy allows infusions or whose usual triage is refer/urgent, or by a sign that
oral treatment is not enough (vomiting, dehydration, low SpO2, ...). A diagnosis the assistant does
not know stops both rules (it is reported as unknown instead); one it reads only as an ICD-10 code
of the term list (hyperlipidaemia, chronic kidney disease) is no indication for either."""

from __future__ import annotations

from ..context import Fact, RecordContext
from ..tables import AntibioticRule, AntibioticSections, Signs
from .base import OPS, Hit, Names, finding_names, hit, join_names, pick

__all__ = ["check", "signs_fact"]


def signs_fact(ctx: RecordContext, signs: Signs) -> Fact | None:
    """The first sign present (finding or threshold met), or None."""
    return ctx.first_fact(signs.findings, signs.thresholds)


def _signs_names(ctx: RecordContext, signs: Signs) -> Names:
    from ..context import MEASURE_LABELS

    words = finding_names(ctx, signs.findings)
    zh = [words.zh] if words.zh else []
    en = [words.en] if words.en else []
    read_from = {ctx.kb.findings[c].from_vital.vital for c in signs.findings
                 if c in ctx.kb.findings and ctx.kb.findings[c].from_vital is not None}  # fmt: skip
    for t in signs.thresholds:
        if t.measure in read_from:  # "high fever" already says "temperature 39 or more"
            continue
        label_zh, label_en = MEASURE_LABELS[t.measure]
        zh.append(f"{label_zh}{OPS[t.op]}{t.value:g}")
        en.append(f"{label_en} {OPS[t.op]} {t.value:g}")
    return Names("、".join(zh), ", ".join(en))


def check(ctx: RecordContext) -> list[Hit]:
    if not ctx.diagnoses or any(not d.ref.known for d in ctx.diagnoses):
        return []
    sections: AntibioticSections = ctx.rules.sections(AntibioticRule)
    policies = {p.condition: p for p in sections.policies}
    conditions = [d.ref.condition for d in ctx.diagnoses if d.ref.condition is not None]
    dx_ev = {d.path: d.text for d in ctx.diagnoses}
    all_dx = join_names(
        Names(d.ref.condition.name_zh, d.ref.condition.name_en) if d.ref.condition else Names(d.text, d.text)
        for d in ctx.diagnoses
    )
    hits: list[Hit] = []

    abx = [rx for rx in ctx.prescriptions if rx.drug is not None and rx.drug.antibiotic and rx.systemic]
    if abx:
        justified = False
        for c in conditions:
            pol = policies.get(c.id)
            if pol is None or pol.antibiotics is None:
                continue
            if pol.antibiotics == "indicated" or signs_fact(ctx, pol.signs or sections.bacterial_signs):
                justified = True
                break
        if not justified:
            rows = ctx.rules.rules(AntibioticRule, "antibiotic_not_indicated")
            row, cond = None, None
            for c in conditions:
                row = pick(rows, lambda r, c=c: bool(r.conditions) and c.id in r.conditions)
                if row is not None:
                    cond = c
                    break
            row = row or pick(rows, lambda r: not r.conditions)
            if row is not None:
                pol = policies.get(cond.id) if cond is not None else None
                expected = _signs_names(ctx, (pol.signs if pol and pol.signs else sections.bacterial_signs))
                names = Names(cond.name_zh, cond.name_en) if cond is not None else all_dx
                ev = {f"{rx.path}.drug": rx.text for rx in abx} | dx_ev
                hits.append(hit(row, ev, item=join_names(Names(rx.drug.name_zh, rx.drug.name_en) for rx in abx
                                                         if rx.drug is not None),
                                condition=names, expected=expected))  # fmt: skip

    iv = [rx for rx in ctx.prescriptions if rx.route == "iv"]
    if iv:
        ok = any(
            (policies.get(c.id) is not None and policies[c.id].iv_ok) or c.triage != "manage"
            for c in conditions
        )
        if not ok and signs_fact(ctx, sections.iv_signs) is None:
            row = pick(ctx.rules.rules(AntibioticRule, "iv_not_needed"), lambda r: True)
            if row is not None:
                names = join_names(
                    Names(rx.drug.name_zh, rx.drug.name_en) if rx.drug else Names(rx.text, rx.text)
                    for rx in iv
                )
                ev = (
                    {f"{rx.path}.route": "iv" for rx in iv}
                    | {f"{rx.path}.drug": rx.text for rx in iv}
                    | dx_ev
                )
                hits.append(hit(row, ev, item=names, condition=all_dx,
                                expected=_signs_names(ctx, sections.iv_signs)))  # fmt: skip
    return hits
