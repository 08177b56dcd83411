"""Duplicate examinations: an order repeating one in ``prior_exams`` (here or at any other
facility) within its validity period (``exams.yaml`` ``validity_days``) unless a finding that
justifies an early repeat is present; the same examination ordered twice; a prior examination
without a date that an order repeats (cannot be checked)."""

from __future__ import annotations

from ..context import PriorExamItem, RecordContext
from ..tables import DuplicateExamRule
from .base import Hit, Names, hit, pick

__all__ = ["check"]


def _row(ctx: RecordContext, check: str, exam_code: str) -> DuplicateExamRule | None:
    rows = sorted(ctx.rules.rules(DuplicateExamRule, check), key=lambda r: not r.exams)
    return pick(rows, lambda r: not r.exams or exam_code in r.exams)


def check(ctx: RecordContext) -> list[Hit]:
    hits: list[Hit] = []
    seen: dict[str, str] = {}
    for order in ctx.orders:
        e = order.exam
        if e is None:
            continue
        names = Names(e.name_zh, e.name_en)
        if e.code in seen:
            row = _row(ctx, "ordered_twice", e.code)
            if row is not None:
                hits.append(hit(row, {seen[e.code]: e.name_zh, order.path: order.text}, item=names))
            continue
        seen[e.code] = order.path
        if e.validity_days == 0:
            continue
        same = [p for p in ctx.prior_exams if p.exam is not None and p.exam.code == e.code]
        dated = [p for p in same if p.date is not None]
        if same and not dated:
            row = _row(ctx, "prior_undated", e.code)
            if row is not None:
                hits.append(hit(row, {order.path: order.text, same[0].path: same[0].text}, item=names))
            continue
        if ctx.date is None or not dated:
            continue
        latest: PriorExamItem = max(dated, key=lambda p: p.date)  # type: ignore[arg-type, return-value]
        assert latest.date is not None
        if ctx.kb.exams.repeat_too_soon(e.code, latest.date, ctx.date, ctx.present):
            row = _row(ctx, "within_validity", e.code)
            if row is not None:
                days = (ctx.date - latest.date).days
                ev = {order.path: order.text, f"{latest.path}.date": latest.date.isoformat(),
                      f"{latest.path}.facility": latest.facility or ""}  # fmt: skip
                hits.append(hit(row, {**ev, "validity_days": e.validity_days}, item=names,
                                prior_date=latest.date.isoformat(), facility=latest.facility or "—",
                                days_ago=days, validity_days=e.validity_days))  # fmt: skip
    return hits
