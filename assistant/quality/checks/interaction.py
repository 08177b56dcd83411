"""Drug-drug interactions (this visit's prescriptions with each other and with the long-term
medications), two drugs of one duplicate-therapy class, one drug written twice, named combinations
of classes (NSAID + ACEI/ARB + diuretic), and examination-drug interactions (contrast and
metformin). Interactions and classes come from ``drugs.yaml`` / ``drug_classes.yaml``; the table
says how severe each kind of finding is. A long-term medicine prescribed again is a refill, not a
duplicate."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from ...knowledge.drugs import Drug, InteractionHit
from ..context import RecordContext
from ..tables import InteractionRule
from .base import Hit, Names, drug_names, hit, join_names, pick

__all__ = ["check"]

_RANK = {"major": 0, "moderate": 1}


def _side(ctx: RecordContext) -> tuple[list[tuple[str, str, Drug]], list[tuple[str, str, Drug]]]:
    """(path, text, drug) of the systemic prescriptions and of the other long-term medications."""
    rx = [(f"{p.path}.drug", p.text, p.drug) for p in ctx.prescriptions if p.drug is not None and p.systemic]
    codes = {d.code for _, _, d in rx}
    meds = [
        (m.path, m.text, m.drug)
        for m in ctx.medications
        if m.drug is not None and m.systemic and m.drug.code not in codes
    ]
    return rx, meds


def _interaction_hits(
    ctx: RecordContext, found: list[InteractionHit], ev: dict[str, Any], a: Drug, b: Drug, check: str
) -> list[Hit]:
    if not found:
        return []
    worst = min(_RANK[h.severity] for h in found)
    out: list[Hit] = []
    seen: set[str] = set()
    rows = ctx.rules.rules(InteractionRule, check)
    for h in found:
        if _RANK[h.severity] != worst or h.reason_en in seen:
            continue
        seen.add(h.reason_en)
        row = pick(rows, lambda r, s=h.severity: r.interaction_severity in (None, s))
        if row is not None:
            out.append(hit(row, {**ev, "interaction_severity": h.severity}, item=Names(a.name_zh, a.name_en),
                           other=Names(b.name_zh, b.name_en), reason=Names(h.reason_zh, h.reason_en)))  # fmt: skip
    return out


def _deepest(ctx: RecordContext, classes: set[str]) -> str:
    return max(sorted(classes), key=lambda c: len(ctx.kb.drugs.ancestors(c)))


def check(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    book = ctx.kb.drugs
    rules = ctx.rules
    rx, meds = _side(ctx)
    pairs = list(combinations(rx, 2)) + [(p, m) for p in rx for m in meds]
    for (pa, ta, a), (pb, tb, b) in pairs:
        ev = {pa: ta, pb: tb}
        if a.code == b.code:
            row = pick(rules.rules(InteractionRule, "same_drug"), lambda r: True)
            if row is not None:
                hits.append(hit(row, ev, item=Names(a.name_zh, a.name_en)))
            continue
        dup = book.duplicate_classes(a.code, b.code)
        if dup:
            cls = _deepest(ctx, dup)
            row = pick(rules.rules(InteractionRule, "duplicate_class"), lambda r: True)
            if row is not None:
                hits.append(hit(row, {**ev, "class": cls}, item=Names(a.name_zh, a.name_en),
                                other=Names(b.name_zh, b.name_en), **{"class": drug_names(ctx, cls)}))  # fmt: skip
        hits.extend(
            _interaction_hits(ctx, book.interactions_between(a.code, b.code), ev, a, b, "interaction")
        )

    everything = rx + meds
    for row in rules.rules(InteractionRule, "combination"):
        needed = list(row.all_classes)
        members: list[tuple[str, str, Drug]] = []
        for cls in needed:
            member = next((item for item in everything if cls in book.classes_of(item[2].code)), None)
            if member is None:
                break
            members.append(member)
        else:
            if any(m in rx for m in members) and len({m[0] for m in members}) == len(needed):
                hits.append(hit(row, {p: t for p, t, _ in members} | {"classes": needed},
                                classes=join_names(drug_names(ctx, c) for c in needed),
                                item=join_names(Names(d.name_zh, d.name_en) for _, _, d in members)))  # fmt: skip

    all_drugs = rx + [(m.path, m.text, m.drug) for m in ctx.medications if m.drug is not None and m.systemic]
    all_drugs = list({d.code: (p, t, d) for p, t, d in reversed(all_drugs)}.values())
    for order in ctx.orders:
        e = order.exam
        if e is None or not (e.interactions or e.agents):
            continue
        for p, t, d in all_drugs:
            found = ctx.kb.exams.interactions_with(book, e.code, d.code)
            ev = {order.path: order.text, p: t}
            for h in _interaction_hits(ctx, found, ev, d, d, "exam_drug"):
                hits.append(
                    Hit(h.rule, {**h.params, "other_zh": e.name_zh, "other_en": e.name_en}, h.evidence)
                )
    return hits
