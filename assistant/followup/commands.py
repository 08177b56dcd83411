"""The two ``gp-assistant followup`` commands as functions, so the command line stays thin.

Wiring (in ``assistant/cli.py``)::

    fu = sub.add_parser("followup").add_subparsers(dest="followup_command", required=True)
    add_schedule_arguments(fu.add_parser("schedule", help=...))
    add_indicators_arguments(fu.add_parser("indicators", help=...))
    ...
    frame, problems = run_schedule(args)        # or run_indicators(args)

Both take the parsed arguments (any object with the attributes below), write ``--out`` (CSV or
XLSX by suffix) and ``--rejects`` when given, and return ``(frame, problems)``. Bad arguments or
files raise :class:`~assistant.errors.InputError` (exit code 2).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

import pandas as pd

from ..errors import InputError, Problem
from .export import export_table
from .features import Scorer
from .indicators import BY_CHOICES, indicators
from .problems import RowProblem, write_rejects
from .schedule import schedule

__all__ = [
    "add_indicators_arguments",
    "add_schedule_arguments",
    "parse_date",
    "run_indicators",
    "run_schedule",
]


def parse_date(value: Any, field: str = "as_of") -> date:
    """An ISO date from the command line (or a ``date``); InputError otherwise."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InputError([Problem(field, f"not a date (use YYYY-MM-DD): {value!r}")]) from exc


def add_schedule_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--patients", required=True, help="patients.csv (UTF-8)")
    p.add_argument("--visits", required=True, help="visits.csv (UTF-8)")
    p.add_argument("--as-of", required=True, dest="as_of", help="the date the list is for (YYYY-MM-DD)")
    p.add_argument("--out", help="write the list to F.csv (UTF-8 with BOM) or F.xlsx")
    p.add_argument("--village", action="append", help="only this village (repeatable)")
    p.add_argument("--doctor", action="append", help="only this doctor (repeatable)")
    p.add_argument(
        "--due-within", dest="due_within", type=int, help="only rows due within N days (overdue included)"
    )
    p.add_argument("--rejects", help="write rejected rows and other problems to this CSV")
    p.add_argument("--unmasked", action="store_true", help="show full resident ID and phone")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
    p.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    return p


def add_indicators_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--patients", required=True)
    p.add_argument("--visits", required=True)
    p.add_argument("--as-of", dest="as_of", help="evaluation date (YYYY-MM-DD); the year to date")
    p.add_argument("--year", type=int, help="calendar year (up to --as-of when it falls inside)")
    p.add_argument("--by", nargs="+", default=["program"], help=f"group by: {' '.join(BY_CHOICES)}")
    p.add_argument("--out", help="write to F.csv or F.xlsx")
    p.add_argument("--rejects", help="write rejected rows and other problems to this CSV")
    p.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
    p.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    return p


def _get(args: Any, name: str, default: Any = None) -> Any:
    return getattr(args, name, default)


def _finish(frame: pd.DataFrame, problems: list[RowProblem], args: Any, *, unmasked: bool) -> None:
    if _get(args, "out"):
        export_table(frame, args.out, unmasked=unmasked)
    if _get(args, "rejects"):
        write_rejects(problems, args.rejects)


def run_schedule(args: Any, *, scorer: Scorer | None = None) -> tuple[pd.DataFrame, list[RowProblem]]:
    """``gp-assistant followup schedule``: the follow-up list and the row problems.

    ``args``: ``patients``, ``visits``, ``as_of`` and optionally ``out``, ``village``, ``doctor``,
    ``due_within``, ``rejects``, ``unmasked``, ``lang``, ``engine``, ``scheduler``. ``scorer``:
    the risk model when a model pack is installed (``risk`` is empty otherwise).
    """
    as_of = parse_date(_get(args, "as_of"))
    out = _get(args, "out")
    if out and not str(out).lower().endswith((".csv", ".xlsx")):
        raise InputError([Problem("out", "use a .csv or .xlsx file name")])
    problems: list[RowProblem] = []
    unmasked = bool(_get(args, "unmasked", False))
    frame = schedule(
        args.patients,
        args.visits,
        as_of,
        village=_get(args, "village"),
        doctor=_get(args, "doctor"),
        due_within=_get(args, "due_within"),
        lang=_get(args, "lang", "zh") or "zh",
        scorer=scorer,
        unmasked=unmasked,
        engine=_get(args, "engine", "pandas") or "pandas",
        scheduler=_get(args, "scheduler"),
        problems=problems,
    )
    _finish(frame, problems, args, unmasked=unmasked)
    return frame, problems


def run_indicators(args: Any) -> tuple[pd.DataFrame, list[RowProblem]]:
    """``gp-assistant followup indicators``: rates per group and the row problems.

    ``args``: ``patients``, ``visits``, ``as_of`` and/or ``year``, optionally ``by``, ``out``,
    ``rejects``, ``engine``, ``scheduler``.
    """
    as_of_raw = _get(args, "as_of")
    as_of = parse_date(as_of_raw) if as_of_raw else None
    out = _get(args, "out")
    if out and not str(out).lower().endswith((".csv", ".xlsx")):
        raise InputError([Problem("out", "use a .csv or .xlsx file name")])
    problems: list[RowProblem] = []
    frame = indicators(
        args.patients,
        args.visits,
        as_of,
        year=_get(args, "year"),
        by=_get(args, "by"),
        engine=_get(args, "engine", "pandas") or "pandas",
        scheduler=_get(args, "scheduler"),
        problems=problems,
    )
    _finish(frame, problems, args, unmasked=True)
    return frame, problems
