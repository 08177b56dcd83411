"""What a record needs for its diagnoses and prescriptions: measurements a diagnosis or finding
calls for (blood pressure at a hypertension visit, glucose at a diabetes visit, temperature with a
fever), a child's weight for a per-kg dose, dose and frequency of each prescription, a diagnosis
for prescriptions, the age, and the pregnancy status before a drug that pregnancy forbids.
A measurement counts as recorded when it is in ``vitals``/``labs`` or read from the complaint."""

from __future__ import annotations

from ..context import MEASURE_LABELS, RecordContext
from ..tables import CompletenessRule
from .base import Hit, Names, finding_names, hit
from .dosage import limits_for

__all__ = ["check"]

_FIELD_WORDS = {"dose_mg": ("单次剂量", "dose (mg)"), "times_per_day": ("每日次数", "times a day")}


def _recorded(ctx: RecordContext) -> set[str]:
    names = set(ctx.measurements)
    for iv in ctx.implausible:
        section, _, name = iv.field.partition(".")
        if section in ("vitals", "labs"):
            names.add(name)
    return names


def _labels(names: list[str]) -> Names:
    return Names(
        "、".join(MEASURE_LABELS[n][0] for n in names), ", ".join(MEASURE_LABELS[n][1] for n in names)
    )


def _measurement_hits(ctx: RecordContext, row: CompletenessRule, recorded: set[str]) -> list[Hit]:
    trigger = next(
        (d for d in ctx.diagnoses if d.ref.condition and d.ref.condition.id in row.conditions), None
    )
    if trigger is not None:
        c = trigger.ref.condition
        assert c is not None
        why = Names(c.name_zh, c.name_en)
        ev = {trigger.path: trigger.text}
    else:
        code = next((f for f in row.findings if f in ctx.present), None)
        if code is None:
            return []
        why = finding_names(ctx, [code])
        ev = {ctx.finding_paths.get(code, "findings"): True}
    missing = [m for m in row.requires_all if m not in recorded]
    if row.requires_any and not any(m in recorded for m in row.requires_any):
        missing.extend(m for m in row.requires_any if m not in missing)
    if not missing:
        return []
    return [hit(row, {**ev, "missing": missing}, condition=why, missing=_labels(missing))]


def check(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    recorded = _recorded(ctx)
    for row in ctx.rules.table(CompletenessRule).rows:
        assert isinstance(row, CompletenessRule)
        if row.check == "measurements":
            hits.extend(_measurement_hits(ctx, row, recorded))
        elif row.check == "child_weight" and ctx.is_child and "weight_kg" not in recorded:
            per_kg = [
                rx for rx in ctx.prescriptions
                if rx.drug is not None and rx.systemic and rx.drug.dose_unit == "mg"
                and (lim := limits_for(rx.drug, rx.route if rx.route in rx.drug.routes else None)) is not None
                and lim.child_use == "per_kg"
            ]  # fmt: skip
            if per_kg:
                rx = per_kg[0]
                assert rx.drug is not None
                hits.append(hit(row, {f"{rx.path}.drug": rx.text, "patient.age_years": round(ctx.age or 0, 2)},
                                item=Names(rx.drug.name_zh, rx.drug.name_en), age=ctx.age or 0))  # fmt: skip
        elif row.check == "dose_missing":
            for rx in ctx.prescriptions:
                d = rx.drug
                if d is None or not rx.systemic or d.dose_unit != "mg" or rx.route == "inhaled":
                    continue
                missing = [f for f in ("dose_mg", "times_per_day") if getattr(rx, f) is None]
                if missing:
                    words = [_FIELD_WORDS[f] for f in missing]
                    hits.append(hit(row, {f"{rx.path}.drug": rx.text, "missing": missing},
                                    item=Names(d.name_zh, d.name_en),
                                    field=Names("和".join(w[0] for w in words), " and ".join(w[1] for w in words))))  # fmt: skip
        elif row.check == "no_diagnosis" and ctx.prescriptions and not ctx.encounter.diagnoses:
            hits.append(hit(row, {f"{rx.path}.drug": rx.text for rx in ctx.prescriptions}))
        elif row.check == "age_unknown" and ctx.age is None and ctx.prescriptions:
            hits.append(hit(row, {"patient.age_years": None}))
        elif row.check == "pregnancy_status":
            hits.extend(_pregnancy_status(ctx, row))
    return hits


def _pregnancy_status(ctx: RecordContext, row: CompletenessRule) -> list[Hit]:
    if ctx.sex != "female" or ctx.pregnant is not None or ctx.age is None:
        return []
    if (row.age_min is not None and ctx.age < row.age_min) or (
        row.age_max is not None and ctx.age > row.age_max
    ):
        return []
    if ctx.tag("pregnancy") is not None:
        return []
    for rx in ctx.prescriptions:
        d = rx.drug
        if d is not None and rx.systemic and "pregnancy" in d.contraindications:
            return [hit(row, {f"{rx.path}.drug": rx.text, "patient.pregnant": None},
                        item=Names(d.name_zh, d.name_en), age=ctx.age)]  # fmt: skip
    return []
