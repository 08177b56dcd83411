"""The follow-up engine: classify every patient and program with the protocol tables, vectorised.

Every step works on whole columns (numpy); the only Python loops run over protocol rows and
programs, never over patients. The steps, for one table of validated data
(:class:`~assistant.followup.validate.FollowupData`):

1. index the visits by (patient, program) and date (one sort);
2. build the context of each patient's latest visit (values, age, the visit before it, whether
   each was off target by the program's ``target`` rows);
3. for age- and pregnancy-based programs, find the next scheduled contact (``contact`` rows);
4. the first ``status`` row whose condition holds gives status, due rule and reason;
5. due date: interval after the last visit (or enrolment), the next contact, or none; moved to the
   next working day (:mod:`~assistant.followup.workdays`), flagged when estimated;
6. reasons in Chinese and English from the rows' templates.

:func:`classify` returns one row per patient and program, unsorted and unmasked; the public
:func:`~assistant.followup.schedule.schedule` adds risk, filters, order and masking.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .protocols import (
    VISIT_FLAG_FIELDS,
    VISIT_VALUE_FIELDS,
    Program,
    ProtocolRow,
    Protocols,
    evaluate,
    load_protocols,
)
from .validate import FollowupData
from .workdays import WorkCalendar, default_calendar

__all__ = [
    "OUTPUT_COLUMNS",
    "VisitIndex",
    "age_years",
    "classify",
    "index_visits",
    "off_target",
]

OUTPUT_COLUMNS: tuple[str, ...] = (
    "patient_id", "name", "village", "doctor", "program", "last_visit", "status", "due_date",
    "days_overdue", "risk", "reason", "reason_zh", "reason_en", "due_date_estimated", "rule", "contact",
    "off_target", "target_rule", "program_zh", "program_en", "sex", "age", "resident_id", "phone",
    "days_since_last_visit", "visits_last_365d", "missed", "lost_to_follow_up",
)  # fmt: skip
"""Columns of the follow-up list; the first eleven are CONTRACTS §3's, in its order."""

_NAT = np.datetime64("NaT", "D")
_DAY_BITS = 1 << 17  # more days than any valid date span (1900 onwards)


# --------------------------------------------------------------------------- dates
def _days(values: np.ndarray | pd.Series) -> np.ndarray:
    return np.asarray(values).astype("datetime64[D]")


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = d.astype("datetime64[M]")
    m = mo.astype(np.int64) % 12 + 1
    dd = (d - mo.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dd


def age_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years between ``birth`` and ``on`` (datetime64 arrays); NaN when either is missing
    or ``on`` is before ``birth``. A 29 February birthday is reached on 28 February in common years,
    as in :func:`assistant.records.age_on`."""
    birth = _days(birth)
    on = _days(np.broadcast_to(on, birth.shape))
    ok = ~np.isnat(birth) & ~np.isnat(on)
    out = np.full(birth.shape, np.nan)
    if not ok.any():
        return out
    y1, m1, d1 = _ymd(birth[ok])
    y2, m2, d2 = _ymd(on[ok])
    leap = ((y2 % 4 == 0) & (y2 % 100 != 0)) | (y2 % 400 == 0)
    md1 = np.where((m1 == 2) & (d1 == 29) & ~leap, 228, m1 * 100 + d1)
    years = y2 - y1 - ((m2 * 100 + d2) < md1)
    out[ok] = np.where(years >= 0, years, np.nan)
    return out


def _take(col: pd.Series, idx: np.ndarray) -> pd.Series:
    return col.take(idx).reset_index(drop=True)


def _iso(d: np.ndarray) -> np.ndarray:
    s = np.datetime_as_string(_days(d), unit="D").astype(object)
    s[np.isnat(_days(d))] = "—"
    return s


# --------------------------------------------------------------------------- visit index
@dataclass(frozen=True)
class VisitIndex:
    """Visits sorted by (patient, program, date, line) and each enrolment's slice of them.

    ``pair_*`` arrays describe the enrolments (patient row ``p``, program index ``g``), sorted by
    patient then program; ``lo``/``hi`` bound each enrolment's visits in the sorted order ``order``
    (indices into ``data.visits``); ``day`` is the sorted visits' date as datetime64[D].
    """

    n_prog: int
    pair_p: np.ndarray
    pair_g: np.ndarray
    order: np.ndarray
    key: np.ndarray
    day: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    base: int  # day number subtracted in the combined (key, day) code

    @property
    def count(self) -> np.ndarray:
        return self.hi - self.lo

    def count_between(self, start: np.ndarray | np.datetime64, end: np.ndarray | np.datetime64) -> np.ndarray:
        """Visits of each enrolment with ``start <= date <= end`` (inclusive)."""
        code = self._code(self.key, self.day)
        pk = self.pair_p * self.n_prog + self.pair_g
        s = np.broadcast_to(_days(np.asarray(start)), pk.shape)
        e = np.broadcast_to(_days(np.asarray(end)), pk.shape)
        a = np.searchsorted(code, self._code(pk, s), side="left")
        b = np.searchsorted(code, self._code(pk, e), side="right")
        return np.maximum(b - a, 0)

    def _code(self, key: np.ndarray, day: np.ndarray) -> np.ndarray:
        rel = np.clip(day.astype(np.int64) - self.base, 0, _DAY_BITS - 1)
        return key.astype(np.int64) * _DAY_BITS + rel


def index_visits(data: FollowupData) -> VisitIndex:
    """Sort the visits once and find each enrolment's visits (vectorised)."""
    n_prog = len(data.programs)
    e_p = data.enrolments["p"].to_numpy(dtype=np.int64)
    e_g = data.enrolments["program"].to_numpy(dtype=np.int64)
    pk = e_p * n_prog + e_g
    po = np.argsort(pk, kind="stable")
    e_p, e_g, pk = e_p[po], e_g[po], pk[po]
    v = data.visits
    vkey = v["p"].to_numpy(dtype=np.int64) * n_prog + v["program"].to_numpy(dtype=np.int64)
    vday = _days(v["date"].to_numpy())
    vline = v["_line"].to_numpy(dtype=np.int64)
    order = np.lexsort((vline, vday.astype(np.int64), vkey))
    key, day = vkey[order], vday[order]
    base = int(day.astype(np.int64).min()) if len(day) else 0
    lo = np.searchsorted(key, pk, side="left")
    hi = np.searchsorted(key, pk, side="right")
    return VisitIndex(n_prog, e_p, e_g, order, key, day, lo, hi, base)


# --------------------------------------------------------------------------- context


def _gather(col: np.ndarray, pos: np.ndarray, fill: object = np.nan) -> np.ndarray:
    """``col[pos]`` where ``pos >= 0``, else ``fill``."""
    ok = pos >= 0
    if col.dtype == object:
        out = np.full(len(pos), fill, dtype=object)
    elif np.issubdtype(col.dtype, np.datetime64):
        out = np.full(len(pos), np.datetime64("NaT"), dtype=col.dtype)
    else:
        out = np.full(len(pos), fill, dtype=float)
    out[ok] = col[pos[ok]]
    return out


def off_target(
    program: Program, values: Mapping[str, np.ndarray], age: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Judge visits against the program's ``target`` rows.

    ``values``: visit columns (numbers) for the visits to judge; ``age``: completed years at each
    visit. Returns (off target 1.0/0.0, NaN when not measured or no target applies; index of the
    target row used, -1 for none).
    """
    n = len(age)
    off = np.full(n, np.nan)
    used = np.full(n, -1, dtype=np.int64)
    ctx = dict(values)
    ctx["age"] = age
    for i, row in enumerate(program.targets):
        applies = np.ones(n, dtype=bool) if row.applies is None else evaluate(row.applies, ctx)
        take = applies & (used < 0)
        used[take] = i
        measured = np.ones(n, dtype=bool)
        for m in row.measures:
            measured &= ~np.isnan(np.asarray(ctx[m], dtype=float))
        hit = evaluate(row.when, ctx)  # type: ignore[arg-type]
        off[take & measured] = hit[take & measured].astype(float)
    return off, used


@dataclass
class _Contacts:
    index: np.ndarray  # position in program.contacts of the pending contact, -1 none
    due: np.ndarray  # datetime64[D]
    complete: np.ndarray  # bool
    anchor_missing: np.ndarray  # bool


def _contacts(
    program: Program,
    rows: np.ndarray,
    anchors: Mapping[str, np.ndarray],
    vi: VisitIndex,
    as_of: np.datetime64,
) -> _Contacts:
    """The next scheduled contact of each enrolment ``rows`` (indices into the enrolment arrays)."""
    contacts = program.contacts
    n, m = len(rows), len(contacts)
    phase_anchor: dict[str, np.ndarray] = {}
    for ph in program.spec.phases:
        a = anchors[ph].copy()
        fb = program.spec.anchor_fallback.get(ph)
        if fb is not None:
            src, offset = fb
            miss = np.isnat(a)
            a[miss] = anchors[src][miss] + np.timedelta64(offset, "D")
        phase_anchor[ph] = a
    phases = list(program.spec.phases)
    start = np.full((n, m), _NAT)
    due = np.full((n, m), _NAT)
    for j, c in enumerate(contacts):
        a = phase_anchor[c.anchor]  # type: ignore[index]
        start[:, j] = a + np.timedelta64(c.from_days, "D")
        due[:, j] = a + np.timedelta64(c.due_days, "D")
        k = phases.index(c.anchor)  # type: ignore[arg-type]
        if k + 1 < len(phases):  # a contact of an earlier phase that opens after the next phase began
            nxt = phase_anchor[phases[k + 1]]
            late = ~np.isnat(nxt) & (start[:, j] >= nxt)
            start[late, j] = _NAT
            due[late, j] = _NAT
    applicable = ~np.isnat(start)
    # each applicable contact's period ends where the next applicable one opens; the last one a
    # year after it was due
    end = np.full((n, m), _NAT)
    nxt_start = np.full(n, _NAT)
    for j in range(m - 1, -1, -1):
        final = due[:, j] + np.timedelta64(365, "D")
        end[:, j] = np.where(np.isnat(nxt_start), final, nxt_start)
        nxt_start = np.where(applicable[:, j], start[:, j], nxt_start)
    # which contacts a visit completed
    done = np.zeros((n, m), dtype=bool)
    counts = vi.hi[rows] - vi.lo[rows]
    if counts.sum():
        owner, pos = _expand(vi.lo[rows], counts)
        vday = vi.day[pos]
        for j in range(m):
            inside = applicable[owner, j] & (vday >= start[owner, j]) & (vday < end[owner, j])
            done[:, j] = np.bincount(owner[inside], minlength=n) > 0
    pending = applicable & ~done & (as_of < end)
    has = pending.any(axis=1)
    first = np.where(has, pending.argmax(axis=1), -1)
    due_first = np.full(n, _NAT)
    due_first[has] = due[np.flatnonzero(has), first[has]]
    any_anchor = applicable.any(axis=1)
    return _Contacts(
        index=first,
        due=due_first,
        complete=~has & any_anchor,
        anchor_missing=~any_anchor,
    )


def _expand(lo: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[lo, lo + count)``: (which range, position) of every element, vectorised."""
    owner = np.repeat(np.arange(len(lo)), counts)
    starts = np.cumsum(counts) - counts
    pos = np.repeat(lo, counts) + (np.arange(int(counts.sum())) - np.repeat(starts, counts))
    return owner, pos


# --------------------------------------------------------------------------- templates
def _text_arrow(col: np.ndarray) -> pa.Array:
    """Numbers (rounded to 2 decimals, no trailing .0) or text as Arrow strings; missing → "—"."""
    if col.dtype == object:
        arr = pa.array(col, type=pa.string(), from_pandas=True)
    else:
        arr = pc.cast(pa.array(np.round(np.asarray(col, dtype=float), 2), from_pandas=True), pa.string())
    return pc.fill_null(arr, "—")


def _render(template: str, values: Mapping[str, np.ndarray], idx: np.ndarray) -> pa.Array:
    """Fill a reason template for the rows ``idx`` (vectorised, in Arrow memory)."""
    parts: list[pa.Array | pa.Scalar] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pa.scalar(literal, pa.string()))
        if name:
            parts.append(_text_arrow(values[name][idx]))
    if not any(isinstance(x, pa.Array) for x in parts):
        return pa.array([template] * len(idx), type=pa.string())
    return pc.binary_join_element_wise(*parts, "")


# --------------------------------------------------------------------------- classify
def classify(
    data: FollowupData,
    *,
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
) -> pd.DataFrame:
    """One row per patient and program (unsorted, identifiers unmasked, ``risk`` NaN)."""
    protocols = protocols or load_protocols()
    calendar = calendar or default_calendar()
    as_of = np.datetime64(data.as_of, "D")
    vi = index_visits(data)
    pats = data.patients
    n = len(vi.pair_p)
    p = vi.pair_p
    g = vi.pair_g
    V = data.visits

    has_visit = vi.hi > vi.lo
    last = np.where(has_visit, vi.hi - 1, -1)
    prev = np.where(vi.hi - vi.lo >= 2, vi.hi - 2, -1)
    last_v = _gather(vi.order, last, fill=-1).astype(np.int64)
    prev_v = _gather(vi.order, prev, fill=-1).astype(np.int64)

    birth = _days(pats["birth_date"].to_numpy())[p]
    enrolled = _days(pats["enrolled_on"].to_numpy())[p]
    last_day = _gather(_days(V["date"].to_numpy()), last_v)

    ctx: dict[str, np.ndarray] = {}
    for c in VISIT_VALUE_FIELDS + VISIT_FLAG_FIELDS:
        ctx[c] = _gather(V[c].to_numpy(dtype=float), last_v)
    danger = _gather(V["danger"].to_numpy(dtype=float), last_v)
    ctx["danger_signs"] = np.where(has_visit, np.nan_to_num(danger), np.nan)
    ctx["prev_adverse_reaction"] = _gather(V["adverse_reaction"].to_numpy(dtype=float), prev_v)
    ctx["has_visit"] = has_visit.astype(float)
    ctx["age"] = age_years(birth, np.where(has_visit, last_day, as_of))
    ctx["sex"] = pats["sex"].to_numpy(dtype=object)[p]
    in_preg = np.zeros(len(pats), dtype=bool)
    if "pregnancy" in protocols:
        in_preg[p[g == data.programs.index("pregnancy")]] = True
    ctx["in_pregnancy_program"] = in_preg[p].astype(float)
    ctx["days_on_program"] = (last_day - enrolled).astype("timedelta64[D]").astype(float)
    ctx["days_on_program"][np.isnat(last_day) | np.isnat(enrolled)] = np.nan
    since = (as_of - last_day).astype("timedelta64[D]").astype(float)
    since[np.isnat(last_day)] = np.nan
    ctx["days_since_last_visit"] = since
    ctx["schedule_complete"] = np.zeros(n)
    ctx["off_target"] = np.full(n, np.nan)
    ctx["prev_off_target"] = np.full(n, np.nan)

    danger_text = _gather(V["danger_signs"].to_numpy(dtype=object), last_v, fill="")
    contact_zh = np.full(n, "", dtype=object)
    contact_en = np.full(n, "", dtype=object)
    contact_id = np.full(n, "", dtype=object)
    contact_due = np.full(n, _NAT)
    anchor_missing = np.zeros(n, dtype=bool)
    target_rule = np.full(n, "", dtype=object)

    rules: list[tuple[str, str, str]] = []  # (id, reason_zh template, reason_en template)
    rule_idx = np.full(n, -1, dtype=np.int64)
    status = np.full(n, "", dtype=object)
    due = np.full(n, _NAT)
    missed_after = np.full(n, np.nan)
    lost_after = np.full(n, np.nan)
    prog_zh = np.empty(n, dtype=object)
    prog_en = np.empty(n, dtype=object)
    prog_code = np.empty(n, dtype=object)

    anchors_all = {
        "birth_date": _days(pats["birth_date"].to_numpy()),
        "lmp": _days(pats["lmp"].to_numpy()),
        "delivery_date": _days(pats["delivery_date"].to_numpy()),
    }
    values_all = {c: V[c].to_numpy(dtype=float) for c in VISIT_VALUE_FIELDS}
    birth_all = anchors_all["birth_date"]
    vdate_all = _days(V["date"].to_numpy())
    vp_all = V["p"].to_numpy(dtype=np.int64)

    for gi, code in enumerate(data.programs):
        rows = np.flatnonzero(g == gi)
        if rows.size == 0:
            continue
        program = protocols[code]
        spec = program.spec
        prog_code[rows] = code
        prog_zh[rows] = spec.name_zh
        prog_en[rows] = spec.name_en
        if spec.missed_after_days:
            missed_after[rows] = spec.missed_after_days
        if spec.lost_after_days:
            lost_after[rows] = spec.lost_after_days
        sub = {k: v[rows] for k, v in ctx.items()}
        if program.has_targets:
            for which, vpos in (("off_target", last_v[rows]), ("prev_off_target", prev_v[rows])):
                ok = vpos >= 0
                vals = {c: _gather(values_all[c], vpos) for c in VISIT_VALUE_FIELDS}
                age = np.full(len(vpos), np.nan)
                age[ok] = age_years(birth_all[vp_all[vpos[ok]]], vdate_all[vpos[ok]])
                off, used = off_target(program, vals, age)
                off[~ok] = np.nan
                sub[which] = off
                ctx[which][rows] = off
                if which == "off_target":
                    targets = program.targets
                    names = np.array([t.id for t in targets] + [""], dtype=object)
                    target_rule[rows] = names[np.where(ok, used, -1)]
        if program.contacts:
            cs = _contacts(program, rows, {k: v[p[rows]] for k, v in anchors_all.items()}, vi, as_of)
            sub["schedule_complete"] = cs.complete.astype(float)
            ctx["schedule_complete"][rows] = sub["schedule_complete"]
            has = cs.index >= 0
            ids = np.array([c.id for c in program.contacts] + [""], dtype=object)
            zh = np.array([c.name_zh for c in program.contacts] + [spec.missing_anchor_zh], dtype=object)
            en = np.array([c.name_en for c in program.contacts] + [spec.missing_anchor_en], dtype=object)
            pick = np.where(has, cs.index, -1)
            contact_id[rows] = ids[pick]
            zh_sel, en_sel = zh[pick], en[pick]
            zh_sel[~has & ~cs.anchor_missing] = ""
            en_sel[~has & ~cs.anchor_missing] = ""
            contact_zh[rows] = zh_sel
            contact_en[rows] = en_sel
            contact_due[rows] = cs.due
            anchor_missing[rows] = cs.anchor_missing
        # first status row that holds
        winner = np.full(len(rows), -1, dtype=np.int64)
        statuses = program.statuses
        for i, row in enumerate(statuses):
            free = winner < 0
            if not free.any():
                break
            hit = evaluate(row.when, sub)  # type: ignore[arg-type]
            winner[free & hit] = i
        base = len(rules)
        rules.extend((r.id, r.reason_zh, r.reason_en) for r in statuses)
        rules.append((f"fu.{spec.prefix}.unclassified", _UNCLASSIFIED_ZH, _UNCLASSIFIED_EN))
        rule_idx[rows] = np.where(winner >= 0, base + winner, base + len(statuses))
        _apply_statuses(
            statuses, winner, rows, as_of, last_day, enrolled, contact_due, anchor_missing, status, due
        )
    # working days
    rolled, estimated = calendar.roll_forward(due)
    due = rolled
    overdue = (as_of - due).astype("timedelta64[D]").astype(float)
    overdue[np.isnat(due)] = 0
    overdue = np.maximum(overdue, 0).astype(np.int64)

    # reasons
    values: dict[str, np.ndarray] = dict(ctx)
    values["danger_signs_text"] = danger_text
    values["contact_zh"] = contact_zh
    values["contact_en"] = contact_en
    values["last_visit"] = _iso(last_day)
    values["due_date"] = _iso(due)
    by_rule = np.argsort(rule_idx, kind="stable")
    bounds = np.searchsorted(rule_idx[by_rule], np.arange(len(rules) + 1))
    zh_parts: list[pa.Array] = [pa.array([], pa.string())]
    en_parts: list[pa.Array] = [pa.array([], pa.string())]
    for k, (_, tzh, ten) in enumerate(rules):
        idx = by_rule[bounds[k] : bounds[k + 1]]
        if idx.size:
            zh_parts.append(_render(tzh, values, idx))
            en_parts.append(_render(ten, values, idx))
    inverse = pa.array(np.argsort(by_rule, kind="stable"))
    reason_zh = pd.Series(pa.concat_arrays(zh_parts).take(inverse), dtype=pd.ArrowDtype(pa.string()))
    reason_en = pd.Series(pa.concat_arrays(en_parts).take(inverse), dtype=pd.ArrowDtype(pa.string()))
    rule_id = np.array([r[0] for r in rules] + [""], dtype=object)[rule_idx]

    days_since = np.where(
        has_visit, ctx["days_since_last_visit"], (as_of - enrolled).astype("timedelta64[D]").astype(float)
    )
    days_since[~has_visit & np.isnat(enrolled)] = np.nan
    with np.errstate(invalid="ignore"):
        lost = days_since > lost_after
        missed = (days_since > missed_after) & ~lost
    out = pd.DataFrame(
        {
            "patient_id": _take(pats["patient_id"], p),
            "name": _take(pats["name"], p),
            "village": _take(pats["village"], p),
            "doctor": _take(pats["doctor"], p),
            "program": prog_code,
            "last_visit": last_day.astype("datetime64[s]"),
            "status": status,
            "due_date": due.astype("datetime64[s]"),
            "days_overdue": overdue,
            "risk": np.full(n, np.nan),
            "reason": reason_zh,
            "reason_zh": reason_zh,
            "reason_en": reason_en,
            "due_date_estimated": estimated,
            "rule": rule_id,
            "contact": contact_id,
            "off_target": pd.array(
                np.where(np.isnan(ctx["off_target"]), None, ctx["off_target"] == 1.0), dtype="boolean"
            ),
            "target_rule": target_rule,
            "program_zh": prog_zh,
            "program_en": prog_en,
            "sex": ctx["sex"],
            "age": pd.array(
                np.where(np.isnan(a := age_years(birth, np.full(n, as_of))), None, a), dtype="Int64"
            ),
            "resident_id": _take(pats["resident_id"], p),
            "phone": _take(pats["phone"], p),
            "days_since_last_visit": pd.array(np.where(np.isnan(since), None, since), dtype="Int64"),
            "visits_last_365d": vi.count_between(as_of - np.timedelta64(364, "D"), as_of).astype(np.int64),
            "missed": missed,
            "lost_to_follow_up": lost,
        },
        columns=list(OUTPUT_COLUMNS),
    )
    return out


_UNCLASSIFIED_ZH = "无法按随访规则分类（请核对最近一次随访记录）：2周内随访"
_UNCLASSIFIED_EN = (
    "Could not be classified by the protocol (check the last visit record) - see within 2 weeks"
)


def _apply_statuses(
    statuses: tuple[ProtocolRow, ...],
    winner: np.ndarray,
    rows: np.ndarray,
    as_of: np.datetime64,
    last_day: np.ndarray,
    enrolled: np.ndarray,
    contact_due: np.ndarray,
    anchor_missing: np.ndarray,
    status: np.ndarray,
    due: np.ndarray,
) -> None:
    fallback_base = np.where(np.isnat(enrolled[rows]), as_of, enrolled[rows])
    for i, row in enumerate((*statuses, None)):
        sel = winner == (i if row is not None else -1)
        if not sel.any():
            continue
        r = rows[sel]
        if row is None:
            status[r] = "uncontrolled"
            base = np.where(np.isnat(last_day[r]), fallback_base[sel], last_day[r])
            due[r] = base + np.timedelta64(14, "D")
            continue
        status[r] = row.status
        if row.due == "interval":
            src = enrolled[r] if row.interval_from == "enrolled_on" else last_day[r]
            base = np.where(np.isnat(src), as_of, src)
            due[r] = base + np.timedelta64(row.interval_days or 0, "D")
        elif row.due == "schedule":
            d = contact_due[r]
            d = np.where(anchor_missing[r], fallback_base[sel], d)
            due[r] = d
        else:
            due[r] = _NAT
