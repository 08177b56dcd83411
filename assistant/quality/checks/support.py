"""Whether the record supports the doctor's diagnosis.

Rule part (``requirements`` in ``diagnosis_support.yaml``): a diagnosis with a requirement needs
one of its findings present, one of its measurements met, the condition already in the history
(a chronic disease being followed up) or a long-term medication of one of its classes. Model part
(optional): the caller's ``model_scores`` (condition id → (probability, rank), rank 1 = most
likely). When the rule part fails the warning carries the model's figures too; when it holds or
there is no requirement, a very low probability ranked far down is a warning for a diagnosis
without a requirement and only a note for one the findings support."""

from __future__ import annotations

from ...knowledge.conditions import Condition
from ..context import Fact, RecordContext
from ..tables import Requirement, SupportRule, SupportSections
from .base import OPS, Hit, Names, finding_names, hit, pick

__all__ = ["check", "support_fact"]


def support_fact(ctx: RecordContext, req: Requirement, condition: Condition) -> Fact | None:
    """The first fact in the record that supports ``condition`` under ``req``, or None."""
    fact = ctx.first_fact(req.findings, req.measures)
    if fact is not None:
        return fact
    if req.history:
        categories = {c.split(".")[0] for c in condition.codes}
        for h in ctx.history:
            same = h.ref.condition is not None and h.ref.condition.id == condition.id
            if same or any(code.split(".")[0] in categories for code in h.ref.codes):
                return h.fact()
    if req.medication_classes:
        wanted = set(req.medication_classes)
        for med in ctx.medications:
            if med.drug is not None and ctx.kb.drugs.classes_of(med.drug.code) & wanted:
                return Fact(med.path, med.text, med.text, med.text)
    return None


def _expected(ctx: RecordContext, req: Requirement) -> Names:
    from ..context import MEASURE_LABELS

    words = finding_names(ctx, req.findings)
    zh = [words.zh] if words.zh else []
    en = [words.en] if words.en else []
    for t in req.measures:
        label_zh, label_en = MEASURE_LABELS[t.measure]
        zh.append(f"{label_zh}{OPS[t.op]}{t.value:g}")
        en.append(f"{label_en} {OPS[t.op]} {t.value:g}")
    if req.history:
        zh.append("既往史中的该病")
        en.append("the condition in the history")
    if req.medication_classes:
        zh.append("相应的长期用药")
        en.append("a long-term medicine for it")
    return Names("、".join(zh), ", ".join(en))


def check(ctx: RecordContext) -> list[Hit]:
    sections: SupportSections = ctx.rules.sections(SupportRule)
    reqs = {r.condition: r for r in sections.requirements}
    rules = ctx.rules
    hits: list[Hit] = []
    done: set[str] = set()
    for dx in ctx.diagnoses:
        c = dx.ref.condition
        if c is None or c.id in done:
            continue
        done.add(c.id)
        req = reqs.get(c.id)
        score = ctx.model_scores.get(c.id)
        ev = {dx.path: dx.text}
        model_ev = (
            {"model_probability": round(float(score[0]), 4), "model_rank": int(score[1])} if score else {}
        )
        names = Names(c.name_zh, c.name_en)
        if req is not None and support_fact(ctx, req, c) is None:
            row = pick(rules.rules(SupportRule, "required_findings"), lambda r: True)
            if row is not None:
                hits.append(hit(row, ev | model_ev | {"expected": list(req.findings)}, condition=names,
                                expected=_expected(ctx, req)))  # fmt: skip
            continue
        if score is None:
            continue
        probability, rank = float(score[0]), int(score[1])
        check_name = "model_doubtful" if req is not None else "model_unlikely"
        row = pick(
            rules.rules(SupportRule, check_name),
            lambda r, p=probability, k=rank: (
                (r.max_probability is None or p < r.max_probability)
                and (r.min_rank is None or k >= r.min_rank)
            ),
        )
        if row is not None:
            hits.append(hit(row, ev | model_ev, condition=names, probability=f"{probability:.1%}", rank=rank))
    return hits
