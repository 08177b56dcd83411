"""Chronic-disease and public-health follow-up (CONTRACTS.md §3).

- :func:`schedule`: the follow-up list (who is due, status, due date on a working day, reason in
  Chinese and English, risk when a model is installed), from ``patients.csv`` and ``visits.csv``.
- :func:`indicators`: standardized-management and control rates, overdue / missed / lost counts.
- Protocols are data (``assistant/knowledge/protocols/*.yaml``, :func:`load_protocols`); working
  days come from :class:`WorkCalendar`; :func:`feature_table` feeds the risk model.
- :func:`run_schedule` / :func:`run_indicators`: the ``gp-assistant followup`` commands.
- ``engine="dask"`` runs the same functions partition by partition (optional ``scale`` extra).

Nothing here reads the clock: the as-of date is always an argument.
"""

from __future__ import annotations

from .commands import add_indicators_arguments, add_schedule_arguments, run_indicators, run_schedule
from .csvio import read_csv_table
from .engine import OUTPUT_COLUMNS, classify
from .export import (
    export_table,
    mask_identifiers,
    mask_phones,
    mask_resident_ids,
    neutralise,
    write_csv,
    write_xlsx,
)
from .features import FEATURE_COLUMNS, FEATURE_SPEC_HASH, Scorer, feature_table
from .indicators import indicators
from .problems import RowProblem, problems_frame, write_rejects
from .protocols import STATUSES, Program, Protocols, load_protocols
from .schedule import Filters, schedule
from .validate import FollowupData, validate
from .workdays import WorkCalendar, default_calendar

__all__ = [
    "FEATURE_COLUMNS",
    "FEATURE_SPEC_HASH",
    "OUTPUT_COLUMNS",
    "STATUSES",
    "Filters",
    "FollowupData",
    "Program",
    "Protocols",
    "RowProblem",
    "Scorer",
    "WorkCalendar",
    "add_indicators_arguments",
    "add_schedule_arguments",
    "classify",
    "default_calendar",
    "export_table",
    "feature_table",
    "indicators",
    "load_protocols",
    "mask_identifiers",
    "mask_phones",
    "mask_resident_ids",
    "neutralise",
    "problems_frame",
    "read_csv_table",
    "run_indicators",
    "run_schedule",
    "schedule",
    "validate",
    "write_csv",
    "write_rejects",
    "write_xlsx",
]
