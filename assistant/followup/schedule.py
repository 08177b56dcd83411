"""The follow-up list (CONTRACTS.md §3): who is due, why, and by when.

:func:`schedule` takes the two tables (DataFrames as read from CSV, or paths), validates them,
classifies every patient and program with the protocol tables, adds the follow-up risk when a
scorer is installed, filters, sorts by urgency and masks identifiers. Problems with rows are never
dropped: pass a list as ``problems`` to receive them, otherwise they are in
``result.attrs["problems"]``.

Order of the list: status (urgent_referral, refer, uncontrolled, no_visit, controlled), then risk
(highest first, unknown last), then days overdue (most first), then due date, patient and program.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem
from .csvio import read_csv_table
from .engine import OUTPUT_COLUMNS, classify
from .export import mask_identifiers
from .features import Scorer, feature_table
from .problems import RowProblem
from .protocols import STATUSES, Protocols, load_protocols
from .validate import FollowupData, validate
from .workdays import WorkCalendar

__all__ = [
    "Engine",
    "Filters",
    "TableSource",
    "apply_scorer",
    "finalize_schedule",
    "load_and_validate",
    "load_tables",
    "schedule",
    "schedule_part",
    "score_and_filter",
]

Engine = Literal["pandas", "dask"]
TableSource = pd.DataFrame | str | Path


@dataclass(frozen=True)
class Filters:
    """Which rows of the list to keep: village(s), doctor(s), program(s); ``due_within`` keeps rows
    due on or before ``as_of + due_within`` days (overdue rows included, rows with nothing due
    excluded)."""

    village: tuple[str, ...] = ()
    doctor: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    due_within: int | None = None

    @classmethod
    def of(
        cls,
        village: str | Sequence[str] | None = None,
        doctor: str | Sequence[str] | None = None,
        due_within: int | None = None,
        programs: str | Sequence[str] | None = None,
    ) -> Filters:
        def tup(v: str | Sequence[str] | None) -> tuple[str, ...]:
            if v is None:
                return ()
            return (v,) if isinstance(v, str) else tuple(v)

        if due_within is not None and due_within < 0:
            raise InputError([Problem("due_within", "must be 0 or more days / 天数不能为负")])
        return cls(tup(village), tup(doctor), tup(programs), due_within)

    def mask(self, frame: pd.DataFrame, as_of: date) -> np.ndarray:
        keep = np.ones(len(frame), dtype=bool)
        if self.village:
            keep &= frame["village"].isin(self.village).to_numpy()
        if self.doctor:
            keep &= frame["doctor"].isin(self.doctor).to_numpy()
        if self.programs:
            keep &= frame["program"].isin(self.programs).to_numpy()
        if self.due_within is not None:
            limit = np.datetime64(as_of + timedelta(days=self.due_within), "s")
            due = frame["due_date"].to_numpy()
            keep &= ~np.isnat(due) & (due <= limit)
        return keep


def load_tables(
    patients: TableSource, visits: TableSource
) -> tuple[pd.DataFrame, pd.DataFrame, list[RowProblem], str, str]:
    """Read paths (CSV) or take DataFrames; returns both frames, reading problems and file labels."""
    problems: list[RowProblem] = []
    labels = []
    frames = []
    for src, default in ((patients, "patients.csv"), (visits, "visits.csv")):
        if isinstance(src, pd.DataFrame):
            frames.append(src)
            labels.append(default)
        else:
            frame, probs = read_csv_table(src)
            frames.append(frame)
            problems.extend(probs)
            labels.append(Path(src).name)
    return frames[0], frames[1], problems, labels[0], labels[1]


def load_and_validate(
    patients: TableSource, visits: TableSource, as_of: date, *, protocols: Protocols | None = None
) -> tuple[FollowupData, list[RowProblem]]:
    """Read (when given paths) and validate; the raw tables are released before returning.
    Returns the data and the problems met while reading the files (validation problems are in
    ``data.problems``)."""
    pats, vis, probs, pf, vf = load_tables(patients, visits)
    data = validate(pats, vis, as_of, protocols=protocols, patients_file=pf, visits_file=vf)
    del pats, vis
    release_memory()
    return data, probs


def release_memory() -> None:
    """Hand memory freed by large tables back to the system (Arrow's allocator keeps it otherwise)."""
    gc.collect()
    pa.default_memory_pool().release_unused()


def apply_scorer(
    data: FollowupData, frame: pd.DataFrame, scorer: Scorer | None, protocols: Protocols
) -> pd.DataFrame:
    """Fill ``risk`` with the scorer's probabilities (rows of ``frame`` are in the engine's order)."""
    if scorer is None or frame.empty:
        return frame
    features = feature_table(data, protocols=protocols)
    risk = np.asarray(scorer(features), dtype=float).reshape(-1)
    if risk.shape != (len(frame),):
        raise ValueError(f"the risk scorer returned {risk.shape[0]} values for {len(frame)} rows")
    with np.errstate(invalid="ignore"):
        if np.any((risk < 0) | (risk > 1)):
            raise ValueError("the risk scorer returned values outside 0-1")
    frame = frame.copy()
    frame["risk"] = risk
    return frame


def schedule_part(
    patients: pd.DataFrame,
    visits: pd.DataFrame,
    as_of: date,
    *,
    filters: Filters | None = None,
    scorer: Scorer | None = None,
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
    patients_file: str = "patients.csv",
    visits_file: str = "visits.csv",
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Validate, classify, score and filter one table (or one partition holding whole patients).
    Unsorted and unmasked: :func:`finalize_schedule` does that once for all partitions."""
    protocols = protocols or load_protocols()
    data = validate(
        patients, visits, as_of, protocols=protocols, patients_file=patients_file, visits_file=visits_file
    )
    return score_and_filter(data, filters=filters, scorer=scorer, protocols=protocols, calendar=calendar)


def score_and_filter(
    data: FollowupData,
    *,
    filters: Filters | None = None,
    scorer: Scorer | None = None,
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Classify validated data, add risk, filter (unsorted, unmasked)."""
    protocols = protocols or load_protocols()
    as_of = data.as_of
    frame = classify(data, protocols=protocols, calendar=calendar)
    frame = apply_scorer(data, frame, scorer, protocols)
    keep = (filters or Filters()).mask(frame, as_of)
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
    return frame, data.problems


def finalize_schedule(
    frame: pd.DataFrame | list[pd.DataFrame], *, lang: str = "zh", unmasked: bool = False
) -> pd.DataFrame:
    """Choose the reason's language, sort by urgency and mask identifiers (unless ``unmasked``).

    ``frame`` may be a one-element list that is emptied, so the unsorted table is freed while the
    sorted one is built (halves the peak memory on a province's list)."""
    if lang not in ("zh", "en"):
        raise InputError([Problem("lang", "must be zh or en")])
    frame = frame.pop() if isinstance(frame, list) else frame.copy(deep=False)
    frame["reason"] = frame["reason_zh"] if lang == "zh" else frame["reason_en"]
    rank = {s: i for i, s in enumerate(STATUSES)}
    keys = pa.table(
        {
            "status": pa.array(frame["status"].map(rank).to_numpy(dtype=np.int64)),
            "risk": pa.array(frame["risk"].to_numpy(dtype=float), from_pandas=True),
            "overdue": pa.array(frame["days_overdue"].to_numpy(dtype=np.int64)),
            "due": pa.array(frame["due_date"].to_numpy(dtype="datetime64[s]"), from_pandas=True),
            "patient": pa.array(frame["patient_id"].to_numpy(dtype=object), type=pa.string()),
            "program": pa.array(frame["program"].to_numpy(dtype=object), type=pa.string()),
        }
    )
    order = pc.sort_indices(
        keys,
        sort_keys=[
            ("status", "ascending", "at_end"),
            ("risk", "descending", "at_end"),
            ("overdue", "descending", "at_end"),
            ("due", "ascending", "at_end"),
            ("patient", "ascending", "at_end"),
            ("program", "ascending", "at_end"),
        ],
    ).to_numpy()
    frame = frame.take(order).reset_index(drop=True)
    release_memory()
    if not unmasked:
        frame = mask_identifiers(frame)
    return frame[list(OUTPUT_COLUMNS)]


def schedule(
    patients: TableSource,
    visits: TableSource,
    as_of: date,
    *,
    village: str | Sequence[str] | None = None,
    doctor: str | Sequence[str] | None = None,
    due_within: int | None = None,
    programs: str | Sequence[str] | None = None,
    lang: str = "zh",
    scorer: Scorer | None = None,
    unmasked: bool = False,
    engine: Engine = "pandas",
    scheduler: str | None = None,
    npartitions: int | None = None,
    protocols: Protocols | None = None,
    calendar: WorkCalendar | None = None,
    problems: list[RowProblem] | None = None,
) -> pd.DataFrame:
    """The follow-up list: one row per patient and program (columns :data:`OUTPUT_COLUMNS`).

    ``patients``/``visits``: DataFrames (text cells as read from CSV, or typed columns) or CSV
    paths; with ``engine="dask"`` also a folder written by
    :func:`assistant.followup.dask_engine.write_partitions` (pass it as ``patients`` and ``visits=None``).
    ``scorer`` fills ``risk`` (NaN without one). Row problems go to ``problems`` when given,
    else to ``result.attrs["problems"]``.
    """
    filters = Filters.of(village, doctor, due_within, programs)
    protocols = protocols or load_protocols()
    if engine == "dask":
        from .dask_engine import schedule_dask

        frame, probs = schedule_dask(
            patients, visits, as_of, filters=filters, scorer=scorer, protocols=protocols,
            calendar=calendar, scheduler=scheduler, npartitions=npartitions,
        )  # fmt: skip
    elif engine == "pandas":
        data, probs = load_and_validate(patients, visits, as_of, protocols=protocols)  # type: ignore[arg-type]
        frame, more = score_and_filter(
            data, filters=filters, scorer=scorer, protocols=protocols, calendar=calendar
        )
        del data
        probs = probs + more
    else:
        raise InputError([Problem("engine", f"unknown engine {engine!r}: use pandas or dask")])
    holder = [frame]
    del frame
    result = finalize_schedule(holder, lang=lang, unmasked=unmasked)
    probs = sort_problems(probs)
    if problems is not None:
        problems.extend(probs)
    else:
        result.attrs["problems"] = probs
    return result


def sort_problems(problems: list[RowProblem]) -> list[RowProblem]:
    """Problems by file, then line."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.field))
