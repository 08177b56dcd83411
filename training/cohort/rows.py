"""Training rows for the follow-up risk model: features as of a cut-off date, outcome in the 90 days after.

For each cut-off date ``c`` the runtime's own functions build the features,
``feature_table(validate(patients, visits, c))``, from the patients enrolled (and alive) on ``c`` and
only the visits dated on or before ``c``: nothing after the cut-off can reach them. The label of
each patient and program is what happened in the horizon ``(c, c + 90 days]``:

- ``off_target_next``: the first visit in the horizon was off target by the protocol's target rows;
- ``missed``: no visit at all in the horizon (at ``c + 90`` the patient counts as a missed visit,
  the protocols' ``missed_after_days``);
- ``urgent``: an urgent event concerning this program (cardiovascular event, hypertensive crisis,
  hypoglycaemia, hyperglycaemic crisis), whether or not the village doctor saw it.

``event`` (the model's positive class) is any of the three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from assistant.followup.features import FEATURE_COLUMNS, feature_table, visit_off_target
from assistant.followup.protocols import Protocols, load_protocols
from assistant.followup.validate import validate

from .simulate import PROGRAMS, Cohort

__all__ = [
    "AGE_BANDS",
    "HORIZON_DAYS",
    "OUTCOMES",
    "CohortRows",
    "age_band",
    "cohort_rows",
    "cutoff_dates",
    "known_on",
    "outcomes",
]

HORIZON_DAYS = 90
OUTCOMES: tuple[str, ...] = ("off_target_next", "missed", "urgent", "event")
AGE_BANDS: tuple[tuple[str, float], ...] = (("<55", 0.0), ("55-64", 55.0), ("65-74", 65.0), ("75+", 75.0))
_DAY_BITS = 1 << 20


def age_band(age: np.ndarray) -> np.ndarray:
    """Age band labels of :data:`AGE_BANDS` (``unknown`` for NaN)."""
    age = np.asarray(age, dtype=float)
    out = np.full(age.shape, "unknown", dtype=object)
    for name, low in AGE_BANDS:
        out[~np.isnan(age) & (age >= low)] = name
    return out


def cutoff_dates(
    start: date, end: date, *, burn_in_days: int = 365, every_days: int = 91, horizon: int = HORIZON_DAYS
) -> list[date]:
    """Cut-offs every ``every_days`` from ``start + burn_in_days`` while the horizon still ends by
    ``end`` (so every outcome is observed)."""
    out = []
    c = start + timedelta(days=burn_in_days)
    while c + timedelta(days=horizon) <= end:
        out.append(c)
        c += timedelta(days=every_days)
    return out


@dataclass(frozen=True)
class CohortRows:
    """One row per (cut-off, patient, program): ``features`` (``cutoff``, ``patient_id``, ``program``
    and :data:`FEATURE_COLUMNS`) and ``outcomes`` (:data:`OUTCOMES`, 0/1), row-aligned."""

    features: pd.DataFrame
    outcomes: pd.DataFrame

    def __len__(self) -> int:
        return len(self.features)

    @property
    def X(self) -> np.ndarray:
        return self.features[list(FEATURE_COLUMNS)].to_numpy(dtype=np.float32)

    @property
    def y(self) -> np.ndarray:
        return self.outcomes["event"].to_numpy(dtype=np.int64)

    def groups(self) -> dict[str, np.ndarray]:
        """Subgroups for the evaluation: ``program``, ``age_band`` and ``last_visit`` (``never``,
        ``within_90d``, ``over_90d`` before the cut-off: how much is just "already lost")."""
        days = self.features["days_since_last_visit"].to_numpy(dtype=float)
        last = np.where(np.isnan(days), "never", np.where(days <= 90, "within_90d", "over_90d"))
        return {
            "program": self.features["program"].to_numpy(dtype=object).astype(str),
            "age_band": age_band(self.features["age"].to_numpy()).astype(str),
            "last_visit": last.astype(str),
        }

    def take(self, mask: np.ndarray) -> CohortRows:
        return CohortRows(
            self.features.loc[mask].reset_index(drop=True), self.outcomes.loc[mask].reset_index(drop=True)
        )


class _Timeline:
    """The cohort's visits and events per enrolment, sorted, to look up what follows a date."""

    def __init__(self, cohort: Cohort, protocols: Protocols) -> None:
        self.ids = pd.Index(cohort.patients["patient_id"].astype(str))
        full = validate(cohort.patients, cohort.visits, cohort.end, protocols=protocols)
        if full.problems:
            raise ValueError(f"the generated cohort does not validate: {full.problems[0]}")
        codes = np.asarray(full.programs, dtype=object)
        V = full.visits
        pid = full.patients["patient_id"].astype(str).to_numpy(dtype=object)
        key = self.key(pid[V["p"].to_numpy()], codes[V["program"].to_numpy()])
        day = V["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        off = visit_off_target(full, protocols)
        order = np.lexsort((day, key))
        self.visit_code = key[order] * _DAY_BITS + day[order]
        self.visit_off = off[order]
        E = cohort.events
        ekey = self.key(E["patient_id"].to_numpy(dtype=object), E["program"].to_numpy(dtype=object))
        eday = E["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        self.event_code = np.sort(ekey * _DAY_BITS + eday)

    def key(self, patient_ids: np.ndarray, programs: np.ndarray) -> np.ndarray:
        p = self.ids.get_indexer(pd.Index(np.asarray(patient_ids, dtype=object).astype(str)))
        if (p < 0).any():
            raise ValueError("unknown patient id in the cohort's tables")
        g = pd.Index(PROGRAMS).get_indexer(pd.Index(np.asarray(programs, dtype=object)))
        if (g < 0).any():
            raise ValueError("a program outside the cohort's programs")
        return p.astype(np.int64) * len(PROGRAMS) + g

    def outcomes(self, key: np.ndarray, cutoff: date, horizon: int) -> pd.DataFrame:
        c = int((np.datetime64(cutoff, "D") - np.datetime64(0, "D")).astype(np.int64))
        lo = key * _DAY_BITS + c + 1  # first day after the cut-off
        hi = key * _DAY_BITS + c + horizon
        pos = np.searchsorted(self.visit_code, lo, side="left")
        has = (pos < len(self.visit_code)) & (
            self.visit_code[np.minimum(pos, len(self.visit_code) - 1)] <= hi
        )
        off_next = has & (self.visit_off[np.minimum(pos, len(self.visit_off) - 1)] == 1)
        urgent = np.searchsorted(self.event_code, hi, side="right") > np.searchsorted(
            self.event_code, lo, side="left"
        )
        missed = ~has
        return pd.DataFrame(
            {
                "off_target_next": off_next.astype(np.int64),
                "missed": missed.astype(np.int64),
                "urgent": urgent.astype(np.int64),
                "event": (off_next | missed | urgent).astype(np.int64),
            }
        )


def known_on(cohort: Cohort, cutoff: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the clinic's files hold on ``cutoff``: patients enrolled by then and not known to have
    died, and their visits dated on or before it."""
    c = np.datetime64(cutoff, "D")
    enrolled = pd.to_datetime(cohort.patients["enrolled_on"]).to_numpy().astype("datetime64[D]")
    died = cohort.traits["died_on"].to_numpy().astype("datetime64[D]")
    keep = (enrolled <= c) & ~(~np.isnat(died) & (died <= c))
    patients = cohort.patients.loc[keep].reset_index(drop=True)
    vdate = pd.to_datetime(cohort.visits["date"]).to_numpy().astype("datetime64[D]")
    vkeep = (vdate <= c) & cohort.visits["patient_id"].isin(patients["patient_id"]).to_numpy()
    return patients, cohort.visits.loc[vkeep].reset_index(drop=True)


def outcomes(
    cohort: Cohort,
    cutoff: date,
    patient_ids: Sequence[str] | np.ndarray,
    programs: Sequence[str] | np.ndarray,
    *,
    horizon: int = HORIZON_DAYS,
    protocols: Protocols | None = None,
) -> pd.DataFrame:
    """The outcome columns (:data:`OUTCOMES`) of the given enrolments in ``(cutoff, cutoff + horizon]``."""
    tl = _Timeline(cohort, protocols or load_protocols())
    return tl.outcomes(
        tl.key(np.asarray(patient_ids, dtype=object), np.asarray(programs, dtype=object)), cutoff, horizon
    )


def cohort_rows(
    cohort: Cohort,
    cutoffs: Sequence[date] | None = None,
    *,
    horizon: int = HORIZON_DAYS,
    protocols: Protocols | None = None,
) -> CohortRows:
    """Feature rows and outcomes at each cut-off (default :func:`cutoff_dates` of the cohort)."""
    protocols = protocols or load_protocols()
    cutoffs = (
        list(cutoffs) if cutoffs is not None else cutoff_dates(cohort.start, cohort.end, horizon=horizon)
    )
    for c in cutoffs:
        if c + timedelta(days=horizon) > cohort.end:
            raise ValueError(f"cut-off {c} + {horizon} days lies after the cohort's end {cohort.end}")
    tl = _Timeline(cohort, protocols)
    feats, outs = [], []
    for c in cutoffs:
        patients, visits = known_on(cohort, c)
        if patients.empty:
            continue
        data = validate(patients, visits, c, protocols=protocols)
        if data.problems:
            raise ValueError(f"cut-off {c}: the cohort's files do not validate: {data.problems[0]}")
        f = feature_table(data, protocols=protocols)
        f["patient_id"] = f["patient_id"].astype(str)
        f.insert(0, "cutoff", np.datetime64(c, "D"))
        feats.append(f)
        outs.append(tl.outcomes(tl.key(f["patient_id"].to_numpy(), f["program"].to_numpy()), c, horizon))
    if not feats:
        raise ValueError("no patient is enrolled at any cut-off")
    return CohortRows(pd.concat(feats, ignore_index=True), pd.concat(outs, ignore_index=True))
