"""Indicators public-health staff report, per program, village and doctor.

For a year (``year``; up to ``as_of`` when that falls inside it) or the year to date of ``as_of``:

- ``under_management``: enrolments on or before the evaluation date;
- ``standardized``: those with at least the program's ``standard_visits_per_year`` follow-ups (on
  distinct days) in the period; ``standardized_rate`` = standardized ÷ under management (规范管理率;
  programs without such a standard are left out of numerator and denominator, NaN when none is left);
- ``controlled``: those whose last follow-up in the period was on target; ``control_rate`` =
  controlled ÷ under management (控制率): a patient not seen, or not measured, counts as not on
  target; only programs with targets (hypertension, diabetes) count;
- ``overdue``, ``missed``, ``lost_to_follow_up``, ``no_visit``, ``urgent_referral``, ``refer``:
  counts from the follow-up list on the evaluation date (missed and lost by the program's
  ``missed_after_days`` / ``lost_after_days``, Simple's 3 and 12 months for hypertension).

The counts are sums, so partitions (Dask) add up to the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .engine import classify, index_visits
from .features import visit_off_target
from .problems import RowProblem
from .protocols import Protocols, load_protocols
from .schedule import Engine, TableSource, load_and_validate, sort_problems
from .validate import FollowupData
from .workdays import WorkCalendar

__all__ = ["BY_CHOICES", "COUNT_COLUMNS", "indicator_counts", "indicators", "period", "rates"]

BY_CHOICES: tuple[str, ...] = ("program", "village", "doctor")
COUNT_COLUMNS: tuple[str, ...] = (
    "under_management", "standard_applicable", "standardized", "control_applicable", "controlled",
    "overdue", "missed", "lost_to_follow_up", "no_visit", "urgent_referral", "refer",
)  # fmt: skip


def period(as_of: date | None, year: int | None) -> tuple[date, date]:
    """(first day, evaluation date) of the reporting period."""
    if year is None and as_of is None:
        raise InputError([Problem("as_of", "give an as-of date or a year / 请给出统计日期或年份")])
    if year is None:
        assert as_of is not None
        return date(as_of.year, 1, 1), as_of
    start, end = date(year, 1, 1), date(year, 12, 31)
    if as_of is not None:
        if as_of < start:
            raise InputError([Problem("as_of", f"{as_of} is before the year {year}")])
        end = min(end, as_of)
    return start, end


def indicator_counts(
    data: FollowupData,
    start: date,
    *,
    by: Sequence[str] = ("program",),
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
) -> pd.DataFrame:
    """Counts per group for one table or partition (``data.as_of`` is the evaluation date)."""
    protocols = protocols or load_protocols()
    vi = index_visits(data)
    end = np.datetime64(data.as_of, "D")
    begin = np.datetime64(start, "D")
    listing = classify(data, protocols=protocols, calendar=calendar)
    g = vi.pair_g
    # follow-ups on distinct days within the period
    new_day = np.ones(len(vi.key), dtype=bool)
    if len(vi.key) > 1:
        new_day[1:] = (vi.key[1:] != vi.key[:-1]) | (vi.day[1:] != vi.day[:-1])
    in_period = (vi.day >= begin) & (vi.day <= end)
    cs = np.concatenate(([0], np.cumsum(new_day & in_period)))
    visits_in_period = cs[vi.hi] - cs[vi.lo]
    std_needed = np.array(
        [protocols[c].spec.standard_visits_per_year or 0 for c in data.programs], dtype=np.int64
    )[g]
    has_targets = np.array([protocols[c].has_targets for c in data.programs], dtype=bool)[g]
    # last follow-up in the period on target
    off = visit_off_target(data, protocols)[vi.order] if len(vi.order) else np.zeros(0)
    pk = vi.pair_p * vi.n_prog + g
    last_in = np.searchsorted(vi._code(vi.key, vi.day), vi._code(pk, np.full(len(g), end)), side="right") - 1
    valid = (last_in >= vi.lo) & (last_in < vi.hi)
    seen = np.zeros(len(g), dtype=bool)
    seen[valid] = vi.day[last_in[valid]] >= begin
    on_target = np.zeros(len(g), dtype=bool)
    on_target[seen] = off[last_in[seen]] == 0.0
    frame = pd.DataFrame(
        {
            "program": listing["program"].to_numpy(dtype=object),
            "village": listing["village"].to_numpy(dtype=object),
            "doctor": listing["doctor"].to_numpy(dtype=object),
            "under_management": 1,
            "standard_applicable": (std_needed > 0).astype(np.int64),
            "standardized": ((std_needed > 0) & (visits_in_period >= std_needed)).astype(np.int64),
            "control_applicable": has_targets.astype(np.int64),
            "controlled": (has_targets & on_target).astype(np.int64),
            "overdue": (listing["days_overdue"].to_numpy() > 0).astype(np.int64),
            "missed": listing["missed"].to_numpy().astype(np.int64),
            "lost_to_follow_up": listing["lost_to_follow_up"].to_numpy().astype(np.int64),
            "no_visit": (listing["status"].to_numpy() == "no_visit").astype(np.int64),
            "urgent_referral": (listing["status"].to_numpy() == "urgent_referral").astype(np.int64),
            "refer": (listing["status"].to_numpy() == "refer").astype(np.int64),
        }
    )
    by = list(by)
    return frame.groupby(by, sort=True)[list(COUNT_COLUMNS)].sum().reset_index()


def rates(counts: pd.DataFrame, by: Sequence[str], protocols: Protocols | None = None) -> pd.DataFrame:
    """Sum counts per group (partitions add up) and compute the rates."""
    protocols = protocols or load_protocols()
    by = list(by)
    if counts.empty:
        out = pd.DataFrame(columns=[*by, *COUNT_COLUMNS])
    else:
        out = counts.groupby(by, sort=True)[list(COUNT_COLUMNS)].sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["standardized_rate"] = np.where(
            out["standard_applicable"] > 0, out["standardized"] / out["standard_applicable"], np.nan
        )
        out["control_rate"] = np.where(
            out["control_applicable"] > 0, out["controlled"] / out["control_applicable"], np.nan
        )
    if "program" in by:
        names = {c: protocols[c].spec.name_zh for c in protocols.codes()}
        out.insert(by.index("program") + 1, "program_zh", out["program"].map(names))
    cols = [c for c in out.columns if c not in ("standard_applicable", "control_applicable")]
    out = out[cols]
    out["standardized_rate"] = out["standardized_rate"].astype(float).round(4)
    out["control_rate"] = out["control_rate"].astype(float).round(4)
    return out.reset_index(drop=True)


def _check_by(by: Sequence[str] | str | None) -> list[str]:
    if by is None:
        return ["program"]
    items = [by] if isinstance(by, str) else list(by)
    items = [x.strip() for part in items for x in part.split(",") if x.strip()]
    bad = [b for b in items if b not in BY_CHOICES]
    if bad or not items:
        raise InputError(
            [Problem("by", f"choose from {', '.join(BY_CHOICES)}; got {', '.join(bad) or 'nothing'}")]
        )
    return list(dict.fromkeys(items))


def indicators(
    patients: TableSource,
    visits: TableSource,
    as_of: date | None = None,
    *,
    year: int | None = None,
    by: Sequence[str] | str | None = ("program",),
    engine: Engine = "pandas",
    scheduler: str | None = None,
    npartitions: int | None = None,
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
    problems: list[RowProblem] | None = None,
) -> pd.DataFrame:
    """Management and control indicators grouped by ``by`` (program, village, doctor)."""
    by_cols = _check_by(by)
    start, end = period(as_of, year)
    protocols = protocols or load_protocols()
    if engine == "dask":
        from .dask_engine import indicator_counts_dask

        counts, probs = indicator_counts_dask(
            patients, visits, end, start, by=by_cols, protocols=protocols, calendar=calendar,
            scheduler=scheduler, npartitions=npartitions,
        )  # fmt: skip
    elif engine == "pandas":
        data, probs = load_and_validate(patients, visits, end, protocols=protocols)
        counts = indicator_counts(data, start, by=by_cols, protocols=protocols, calendar=calendar)
        probs = probs + data.problems
    else:
        raise InputError([Problem("engine", f"unknown engine {engine!r}: use pandas or dask")])
    result = rates(counts, by_cols, protocols)
    result.attrs["period"] = (start.isoformat(), end.isoformat())
    probs = sort_problems(probs)
    if problems is not None:
        problems.extend(probs)
    else:
        result.attrs["problems"] = probs
    return result
