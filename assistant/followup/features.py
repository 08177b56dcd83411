"""Per-patient, per-program feature table for the follow-up risk model.

The risk model (trained elsewhere, shipped as an ONNX model pack) estimates the chance that a
patient is off target or misses the next visit within 90 days. It sees only what is known on the
as-of date: :func:`feature_table` uses the visits up to that date (validation defers later ones),
so the training pipeline can build a table for any past date and label it with what happened next.

Every column of :data:`FEATURE_COLUMNS` is a float (NaN = unknown); ``patient_id`` and ``program``
identify the row. The rows come in the engine's order (patient, then program), the order of
:func:`~assistant.followup.engine.classify`'s output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import pandas as pd

from .engine import VisitIndex, age_years, index_visits, off_target
from .protocols import VISIT_VALUE_FIELDS, Protocols, load_protocols
from .validate import FollowupData

__all__ = ["FEATURE_COLUMNS", "FEATURE_SPEC_HASH", "Scorer", "feature_table", "visit_off_target"]

Scorer: TypeAlias = Callable[[pd.DataFrame], np.ndarray]
"""A risk scorer: feature table (``FEATURE_COLUMNS``, one row per patient and program) → one
probability per row in [0, 1] (NaN where the model has no answer)."""

FEATURE_COLUMNS: tuple[str, ...] = (
    "age", "sex_male", "days_enrolled", "n_programs", "has_visit",
    "visits_total", "visits_365d", "visits_90d", "days_since_last_visit", "days_between_last_two",
    "mean_gap_days_365d",
    "last_systolic_bp", "last_diastolic_bp", "last_fasting_glucose_mmol_l", "last_heart_rate",
    "last_temperature_c", "last_danger_grade",
    "off_target_last", "off_target_prev", "off_target_visits_365d", "measured_visits_365d",
    "adverse_reaction_visits_365d", "complication_visits_365d", "danger_visits_365d", "referred_visits_365d",
    "program_hypertension", "program_diabetes", "program_elderly", "program_child", "program_pregnancy",
    "program_tuberculosis", "program_mental",
)  # fmt: skip
"""The model's inputs, in order. Changing them changes :data:`FEATURE_SPEC_HASH`."""

FEATURE_SPEC_HASH = hashlib.sha256(",".join(FEATURE_COLUMNS).encode()).hexdigest()
"""sha256 of the feature list; a model pack records it and the loader compares."""


def visit_off_target(data: FollowupData, protocols: Protocols | None = None) -> np.ndarray:
    """Whether each visit in ``data.visits`` was off target (1/0; NaN when not measured or the
    program has no target)."""
    protocols = protocols or load_protocols()
    V = data.visits
    out = np.full(len(V), np.nan)
    birth = data.patients["birth_date"].to_numpy().astype("datetime64[D]")
    vp = V["p"].to_numpy(dtype=np.int64)
    vg = V["program"].to_numpy(dtype=np.int64)
    vday = V["date"].to_numpy().astype("datetime64[D]")
    for gi, code in enumerate(data.programs):
        program = protocols[code]
        if not program.has_targets:
            continue
        rows = np.flatnonzero(vg == gi)
        if rows.size == 0:
            continue
        values = {c: V[c].to_numpy(dtype=float)[rows] for c in VISIT_VALUE_FIELDS}
        off, _ = off_target(program, values, age_years(birth[vp[rows]], vday[rows]))
        out[rows] = off
    return out


def _window_sum(
    vi: VisitIndex, weights_sorted: np.ndarray, start: np.datetime64, end: np.datetime64
) -> np.ndarray:
    """Sum of ``weights`` (in sorted visit order) over each enrolment's visits in [start, end]."""
    code = vi._code(vi.key, vi.day)
    pk = vi.pair_p * vi.n_prog + vi.pair_g
    a = np.searchsorted(code, vi._code(pk, np.full(len(pk), start)), side="left")
    b = np.searchsorted(code, vi._code(pk, np.full(len(pk), end)), side="right")
    cs = np.concatenate(([0.0], np.cumsum(weights_sorted, dtype=float)))
    return cs[b] - cs[a]


def feature_table(data: FollowupData, *, protocols: Protocols | None = None) -> pd.DataFrame:
    """Features of every enrolment on ``data.as_of`` (vectorised; see :data:`FEATURE_COLUMNS`)."""
    protocols = protocols or load_protocols()
    vi = index_visits(data)
    as_of = np.datetime64(data.as_of, "D")
    p, g = vi.pair_p, vi.pair_g
    n = len(p)
    pats = data.patients
    V = data.visits
    o = vi.order

    count = (vi.hi - vi.lo).astype(float)
    has = count > 0
    last = np.where(has, vi.hi - 1, 0)
    prev = np.where(count >= 2, vi.hi - 2, 0)
    last_day = np.where(has, vi.day[last] if len(vi.day) else as_of, np.datetime64("NaT"))
    prev_day = np.where(count >= 2, vi.day[prev] if len(vi.day) else as_of, np.datetime64("NaT"))
    first_day = np.where(has, vi.day[np.where(has, vi.lo, 0)] if len(vi.day) else as_of, np.datetime64("NaT"))

    def days(a: np.ndarray, b: np.ndarray | np.datetime64) -> np.ndarray:
        d = (np.asarray(b, dtype="datetime64[D]") - np.asarray(a, dtype="datetime64[D]")).astype(
            "timedelta64[D]"
        )
        out = d.astype(float)
        out[np.isnat(d)] = np.nan
        return out

    f: dict[str, np.ndarray] = {}
    birth = pats["birth_date"].to_numpy().astype("datetime64[D]")[p]
    f["age"] = age_years(birth, np.full(n, as_of))
    sex = pats["sex"].to_numpy(dtype=object)[p]
    f["sex_male"] = np.where(sex == "male", 1.0, np.where(sex == "female", 0.0, np.nan))
    f["days_enrolled"] = days(pats["enrolled_on"].to_numpy().astype("datetime64[D]")[p], as_of)
    f["n_programs"] = np.bincount(p, minlength=len(pats)).astype(float)[p] if n else np.zeros(0)
    f["has_visit"] = has.astype(float)
    f["visits_total"] = count
    y_start = as_of - np.timedelta64(364, "D")
    ones = np.ones(len(o))
    f["visits_365d"] = _window_sum(vi, ones, y_start, as_of)
    f["visits_90d"] = _window_sum(vi, ones, as_of - np.timedelta64(89, "D"), as_of)
    f["days_since_last_visit"] = days(last_day, as_of)
    f["days_between_last_two"] = days(prev_day, last_day)
    span = days(np.maximum(first_day, y_start), last_day)
    with np.errstate(invalid="ignore", divide="ignore"):
        f["mean_gap_days_365d"] = np.where(f["visits_365d"] >= 2, span / (f["visits_365d"] - 1), np.nan)
    for c in VISIT_VALUE_FIELDS:
        col = V[c].to_numpy(dtype=float)[o] if len(o) else np.zeros(0)
        f[f"last_{c}"] = np.where(has, col[last] if len(o) else np.nan, np.nan)
    off = visit_off_target(data, protocols)[o] if len(o) else np.zeros(0)
    f["off_target_last"] = np.where(has, off[last] if len(o) else np.nan, np.nan)
    f["off_target_prev"] = np.where(count >= 2, off[prev] if len(o) else np.nan, np.nan)
    f["off_target_visits_365d"] = _window_sum(vi, np.nan_to_num(off), y_start, as_of)
    f["measured_visits_365d"] = _window_sum(vi, (~np.isnan(off)).astype(float), y_start, as_of)
    for name, col in (
        ("adverse_reaction_visits_365d", "adverse_reaction"),
        ("complication_visits_365d", "new_complication"),
        ("danger_visits_365d", "danger"),
        ("referred_visits_365d", "referred"),
    ):
        w = np.nan_to_num(V[col].to_numpy(dtype=float)[o]) if len(o) else np.zeros(0)
        f[name] = _window_sum(vi, (w == 1).astype(float), y_start, as_of)
    for code in ("hypertension", "diabetes", "elderly", "child", "pregnancy", "tuberculosis", "mental"):
        gi = data.programs.index(code) if code in data.programs else -1
        f[f"program_{code}"] = (g == gi).astype(float)
    frame = pd.DataFrame({c: f[c].astype(float) for c in FEATURE_COLUMNS})
    frame.insert(0, "program", np.asarray(data.programs, dtype=object)[g] if n else np.empty(0, dtype=object))
    frame.insert(0, "patient_id", pats["patient_id"].to_numpy(dtype=object)[p])
    return frame
