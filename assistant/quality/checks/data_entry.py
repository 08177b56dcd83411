"""Impossible or swapped values (:func:`assistant.records.implausible_values`), and every name the
assistant could not read (drug, long-term medicine, examination, diagnosis, past condition,
finding code): reported as info so the doctor knows it was not checked, never skipped silently."""

from __future__ import annotations

from ..context import MEASURE_LABELS, RecordContext, fmt
from ..tables import DataEntryRule
from .base import Hit, Names, hit, pick

__all__ = ["check"]


def _field_names(field: str) -> Names:
    section, _, rest = field.partition(".")
    name = rest.split(".")[-1]
    if name in MEASURE_LABELS:
        zh, en = MEASURE_LABELS[name]
        return Names(zh, en)
    return Names(field, field)


def _show(value: object) -> str:
    return fmt(value) if isinstance(value, float) else str(value)


def check(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    rules = ctx.rules

    def first(check_name: str) -> DataEntryRule | None:
        return pick(rules.rules(DataEntryRule, check_name), lambda r: True)

    for iv in ctx.implausible:
        row = first(iv.kind)
        if row is None:
            continue
        hint = Names("", "")
        if iv.suspected_unit:
            hint = Names(f"（像是按{iv.suspected_unit}填写）", f" (looks like {iv.suspected_unit})")
        ev = {iv.field: iv.value}
        if iv.related_field:
            ev[iv.related_field] = iv.low
        hits.append(hit(row, ev, name=_field_names(iv.field), field=iv.field, value=_show(iv.value),
                        unit=iv.unit, low=_show(iv.low), high=_show(iv.high), related_field=iv.related_field or "",
                        hint=hint))  # fmt: skip

    def unknown(check_name: str, path: str, text: str) -> None:
        row = first(check_name)
        if row is not None:
            hits.append(hit(row, {path: text}, name=text))

    for rx in ctx.prescriptions:
        if rx.drug is None:
            unknown("unknown_drug", f"{rx.path}.drug", rx.text)
    for med in ctx.medications:
        if med.drug is None:
            unknown("unknown_medication", med.path, med.text)
    for order in ctx.orders:
        if order.exam is None:
            unknown("unknown_exam", order.path, order.text)
    for prior in ctx.prior_exams:
        if prior.exam is None:
            unknown("unknown_prior_exam", f"{prior.path}.name", prior.text)
    for dx in ctx.diagnoses:
        if not dx.ref.known:
            unknown("unknown_diagnosis", dx.path, dx.ref.text or dx.text)
    for hx in ctx.history:
        if not hx.ref.known:
            unknown("unknown_history", hx.path, hx.ref.text or hx.text)
    for code in ctx.encounter.findings:
        if code not in ctx.kb.findings:
            unknown("unknown_finding", f"findings.{code}", code)
    return hits
