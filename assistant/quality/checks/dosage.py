"""Doses against ``drugs.yaml``: per dose and per day against the adult maximum (which also caps a
child's dose), children's per-kg limits (weight from the vitals; a child without a weight is a
completeness note, never a guess), children's use on specialist advice only, unusually low adult
doses (a slipped decimal point), and a route the drug has no dosing for.

A prescription without a route is checked against the most permissive of the drug's routes; a
topical medicine and a drug dosed in units or millilitres are not checked in mg."""

from __future__ import annotations

from dataclasses import dataclass

from ...knowledge.drugs import Dosing, Drug
from ..context import PrescriptionItem, RecordContext
from ..tables import DoseRule
from .base import Hit, Names, hit, pick

__all__ = ["Limits", "check", "limits_for"]

_EPS = 1e-9


@dataclass(frozen=True)
class Limits:
    """Dose limits for one prescription (a route's dosing, or the most permissive of all routes)."""

    usual_low: float | None
    max_dose: float | None
    max_daily: float | None
    child_use: str
    child_per_kg_dose: float | None
    child_per_kg_day: float | None


def _from(d: Dosing) -> Limits:
    return Limits(
        usual_low=d.adult_dose_mg[0] if d.adult_dose_mg else None,
        max_dose=d.max_dose_mg,
        max_daily=d.max_daily_mg,
        child_use=d.child_use,
        child_per_kg_dose=d.child_mg_per_kg_dose[1] if d.child_mg_per_kg_dose else None,
        child_per_kg_day=d.child_max_mg_per_kg_day,
    )


def _most(values: list[float | None], fn: type[max] | type[min] = max) -> float | None:  # type: ignore[valid-type]
    present = [v for v in values if v is not None]
    return fn(present) if present else None


def limits_for(drug: Drug, route: str | None) -> Limits | None:
    """Limits for ``route``; with no route, the most permissive over the drug's routes; None when
    the drug is not given by that route."""
    if route is not None:
        dosing = drug.dose_for(route)
        return _from(dosing) if dosing is not None else None
    all_limits = [_from(drug.dose_for(r)) for r in drug.routes]  # type: ignore[arg-type]
    uses = [lim.child_use for lim in all_limits]
    return Limits(
        usual_low=_most([lim.usual_low for lim in all_limits], min),
        max_dose=_most([lim.max_dose for lim in all_limits]),
        max_daily=_most([lim.max_daily for lim in all_limits]),
        child_use="per_kg" if "per_kg" in uses else uses[0],
        child_per_kg_dose=_most([lim.child_per_kg_dose for lim in all_limits]),
        child_per_kg_day=_most([lim.child_per_kg_day for lim in all_limits]),
    )


def _units_hint(drug: Drug, dose: float, limit: float) -> Names:
    if drug.units_per_mg and dose / drug.units_per_mg <= limit:
        mg = dose / drug.units_per_mg
        return Names(f"（如按单位填写：{dose:.0f}单位≈{mg:.0f} mg，请改为mg）",
                     f" (if this was written in units: {dose:.0f} units ≈ {mg:.0f} mg; enter mg)")  # fmt: skip
    return Names("", "")


def _check_one(ctx: RecordContext, rx: PrescriptionItem, allowance: float) -> list[Hit]:
    d = rx.drug
    assert d is not None
    rules = ctx.rules
    item = Names(d.name_zh, d.name_en)
    ev = {f"{rx.path}.drug": rx.text}
    if rx.route is not None and rx.route not in d.routes:
        row = pick(rules.rules(DoseRule, "route_unusual"), lambda r: True)
        if row is None:
            return []
        return [
            hit(
                row,
                {**ev, f"{rx.path}.route": rx.route},
                item=item,
                route=rx.route,
                routes=", ".join(d.routes),
            )
        ]
    lim = limits_for(d, rx.route)
    dose, times = rx.dose_mg, rx.times_per_day
    if lim is None or dose is None or dose <= 0:
        return []
    ev[f"{rx.path}.dose_mg"] = dose
    if times:
        ev[f"{rx.path}.times_per_day"] = times
    settings = ctx.rules.sections(DoseRule)
    weight = ctx.weight
    if (
        ctx.is_child
        and lim.child_use == "per_kg"
        and weight
        and lim.child_per_kg_dose
        and lim.child_per_kg_day
    ):
        tol = settings.child_tolerance
        per_kg = dose / weight
        ev_child = {**ev, "vitals.weight_kg": weight, "patient.age_years": round(ctx.age or 0, 2)}
        if per_kg > lim.child_per_kg_dose * tol + _EPS:
            row = pick(rules.rules(DoseRule, "child_over_per_kg_dose"), lambda r: True)
            if row is not None:
                return [hit(row, {**ev_child, "limit_mg_per_kg": lim.child_per_kg_dose}, item=item, dose=dose,
                            weight=weight, per_kg=per_kg, limit_per_kg=lim.child_per_kg_dose)]  # fmt: skip
        if times and per_kg * times > lim.child_per_kg_day * tol + _EPS:
            row = pick(rules.rules(DoseRule, "child_over_per_kg_day"), lambda r: True)
            if row is not None:
                return [hit(row, {**ev_child, "limit_mg_per_kg_day": lim.child_per_kg_day}, item=item,
                            dose=dose, times=times, daily=dose * times, weight=weight, per_kg=per_kg * times,
                            limit_per_kg=lim.child_per_kg_day)]  # fmt: skip
    if lim.max_dose is not None and dose > lim.max_dose + allowance + _EPS:
        row = pick(rules.rules(DoseRule, "over_max_dose"), lambda r: True)
        if row is not None:
            return [hit(row, {**ev, "limit_mg": lim.max_dose}, item=item, dose=dose, limit=lim.max_dose,
                        hint=_units_hint(d, dose, lim.max_dose))]  # fmt: skip
    if times and lim.max_daily is not None and dose * times > lim.max_daily + allowance * times + _EPS:
        row = pick(rules.rules(DoseRule, "over_max_daily"), lambda r: True)
        if row is not None:
            return [hit(row, {**ev, "limit_mg_per_day": lim.max_daily}, item=item, dose=dose, times=times,
                        daily=dose * times, limit=lim.max_daily)]  # fmt: skip
    if ctx.is_child and lim.child_use == "specialist":
        row = pick(rules.rules(DoseRule, "child_specialist"), lambda r: True)
        if row is not None:
            return [
                hit(row, {**ev, "patient.age_years": round(ctx.age or 0, 2)}, item=item, age=ctx.age or 0)
            ]
    if (
        not ctx.is_child
        and lim.usual_low is not None
        and dose < lim.usual_low * settings.below_usual_factor - _EPS
    ):
        row = pick(rules.rules(DoseRule, "below_usual"), lambda r: True)
        if row is not None:
            return [
                hit(row, {**ev, "usual_low_mg": lim.usual_low}, item=item, dose=dose, usual=lim.usual_low)
            ]
    return []


def check(ctx: RecordContext) -> list[Hit]:
    settings = ctx.rules.sections(DoseRule)
    allowances = {a.drug: a.extra_mg for a in settings.allowances}
    hits: list[Hit] = []
    for rx in ctx.prescriptions:
        d = rx.drug
        if d is None or not rx.systemic or d.dose_unit != "mg":
            continue
        hits.extend(_check_one(ctx, rx, allowances.get(d.code, 0.0)))
    return hits
