"""Validation of patient and visit records, shared with the follow-up CSV files.

One path for everything the store accepts: a form's single record and a CSV file's rows both go
through :func:`assistant.followup.validate`, so the store never holds a row the follow-up list
would reject, except a walk-in patient without a program, whom the follow-up lists leave out. The
store is stricter on one point: a resident ID that is present must be valid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..followup.csvio import LINE
from ..followup.problems import RowProblem
from ..followup.validate import (
    PATIENT_COLUMNS,
    PATIENT_OPTIONAL_COLUMNS,
    VISIT_COLUMNS,
    VISIT_OPTIONAL_COLUMNS,
    FollowupData,
    validate,
)
from ..records.resident_id import ResidentIdError, validate_resident_id

__all__ = [
    "PATIENT_FIELDS",
    "VISIT_FIELDS",
    "check_patient",
    "check_visit",
    "patient_records",
    "resident_id_problem",
    "visit_records",
]

PATIENT_FIELDS: tuple[str, ...] = (*PATIENT_COLUMNS, *PATIENT_OPTIONAL_COLUMNS, "township")
VISIT_FIELDS: tuple[str, ...] = (*VISIT_COLUMNS, *VISIT_OPTIONAL_COLUMNS)
_VISIT_NUMBERS = ("systolic_bp", "diastolic_bp", "fasting_glucose_mmol_l", "heart_rate", "temperature_c")
_VISIT_INTS = ("adverse_reaction", "new_complication", "referred", "danger_grade")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _iso(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).date().isoformat()


def _opt(value: Any, kind: type) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return kind(value)


def resident_id_problem(resident_id: str, today: date) -> str | None:
    """Why a non-empty resident ID is refused (English / Chinese), or None when it is valid."""
    if not resident_id.strip():
        return None
    try:
        validate_resident_id(resident_id, on=today)
    except ResidentIdError as exc:
        return f"resident ID not valid: {exc} / 身份证号无效"
    return None


def _refuse(problems: list[RowProblem]) -> InputError:
    return InputError([Problem(p.field, f"{p.reason_en} / {p.reason_zh}") for p in problems])


def patient_records(data: FollowupData) -> list[dict[str, Any]]:
    """The validated patients as store records (``_line`` kept), programs as canonical codes."""
    pats = data.patients
    programs: list[list[str]] = [[] for _ in range(len(pats))]
    for p, g in zip(data.enrolments["p"].to_numpy(), data.enrolments["program"].to_numpy(), strict=True):
        programs[int(p)].append(data.programs[int(g)])
    out = []
    for i, r in enumerate(pats.to_dict("records")):
        out.append(
            {
                "patient_id": str(r["patient_id"]),
                "name": _cell(r["name"]),
                "sex": r["sex"] if r["sex"] in ("male", "female") else "",
                "birth_date": _iso(r["birth_date"]),
                "resident_id": _cell(r["resident_id"]).strip(),
                "phone": _cell(r["phone"]).strip(),
                "village": _cell(r["village"]).strip(),
                "doctor": _cell(r["doctor"]).strip(),
                "programs": ";".join(programs[i]),
                "enrolled_on": _iso(r["enrolled_on"]),
                "lmp": _iso(r["lmp"]),
                "delivery_date": _iso(r["delivery_date"]),
                LINE: int(r[LINE]),
            }
        )
    return out


def visit_records(data: FollowupData, patient_ids: list[str]) -> list[dict[str, Any]]:
    """The validated visits as store records (``_line`` kept); ``patient_ids`` maps ``p`` to an id."""
    vis = data.visits
    cols = {c: vis[c].to_numpy() for c in vis.columns}
    out = []
    for i in range(len(vis)):
        rec: dict[str, Any] = {
            "patient_id": patient_ids[int(cols["p"][i])],
            "date": _iso(cols["date"][i]),
            "program": data.programs[int(cols["program"][i])],
            "danger_signs": _cell(cols["danger_signs"][i]),
            LINE: int(cols[LINE][i]),
        }
        for c in _VISIT_NUMBERS:
            rec[c] = _opt(float(cols[c][i]), float)
        for c in _VISIT_INTS:
            rec[c] = _opt(float(cols[c][i]), int)
        out.append(rec)
    return out


def _patient_frame(rows: list[Mapping[str, Any]]) -> pd.DataFrame:
    cols = (*PATIENT_COLUMNS, *PATIENT_OPTIONAL_COLUMNS)
    frame = pd.DataFrame({c: [_cell(r.get(c)) for r in rows] for c in cols}, dtype=object)
    frame[LINE] = np.arange(2, len(rows) + 2, dtype=np.int64)
    return frame


def _empty_visits() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in VISIT_FIELDS})


def check_patient(patient: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The record as the store keeps it, or :class:`InputError` naming each bad field.

    Everything the follow-up validation reports is refused here (a form can be corrected, unlike a
    file), including an enrolment date after ``today`` and an invalid resident ID. ``programs`` may
    be empty: a walk-in patient seen for an acute illness.
    """
    problems: list[Problem] = []
    unknown = sorted(set(patient) - set(PATIENT_FIELDS))
    if unknown:
        problems.append(Problem(", ".join(unknown), "unknown field(s) / 未知字段"))
    rid = _cell(patient.get("resident_id")).strip()
    why = resident_id_problem(rid, today)
    if why:
        problems.append(Problem("resident_id", why))
    if not _cell(patient.get("village")).strip():
        problems.append(Problem("village", "required: the patient's village / 必填：患者所在村"))
    if problems:
        raise InputError(problems)
    # a walk-in patient (no follow-up program) is stored without programs; the follow-up lists
    # leave such patients out
    data = validate(_patient_frame([patient]), _empty_visits(), today, allow_no_program=True)
    if data.problems:
        raise _refuse(data.problems)
    (record,) = patient_records(data)
    del record[LINE]
    record["township"] = _cell(patient.get("township")).strip()
    return record


def check_visit(patient: Mapping[str, Any], visit: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The visit as the store keeps it (for the stored ``patient``), or :class:`InputError`."""
    unknown = sorted(set(visit) - set(VISIT_FIELDS))
    if unknown:
        raise InputError([Problem(", ".join(unknown), "unknown field(s) / 未知字段")])
    visits = pd.DataFrame({c: [_cell(visit.get(c))] for c in VISIT_FIELDS}, dtype=object)
    visits[LINE] = np.array([2], dtype=np.int64)
    data = validate(_patient_frame([patient]), visits, today)
    bad = [p for p in data.problems if p.file == "visits.csv"]
    if bad:
        raise _refuse(bad)
    (record,) = visit_records(data, [str(patient["patient_id"])])
    del record[LINE]
    return record
