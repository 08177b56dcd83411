"""Import of the follow-up CSV files (CONTRACTS.md §3) into the store, with a report of every row
left out.

The files are read and validated exactly as ``gp-assistant followup schedule`` does
(:func:`assistant.followup.read_csv_table`, :func:`assistant.followup.validate`, as of the import
day), so a row is rejected here for the same reasons, with its line and reason in Chinese and
English. On top of that the store refuses a patient row whose resident ID is present but not valid,
and any row of a village the importing account may not change; the visits of a patient left out
are left out too, each with its own line. Rows dated after the import day are reported as
``deferred`` and not imported.

Re-importing a file changes nothing: patients are keyed by ``patient_id`` and visits by patient,
date and program (a later row replaces the stored one). Visits may name patients already in the
store, so a visits file can be imported on its own. Everything is written in one transaction, with
one audit row per patient.

A ``township`` column is optional in patients.csv; without it a new patient gets
``default_township`` (or the importing account's township) and a known one keeps theirs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..followup.csvio import LINE, read_csv_table
from ..followup.problems import RowProblem
from ..followup.validate import PATIENT_COLUMNS, PATIENT_OPTIONAL_COLUMNS, VISIT_COLUMNS, validate
from .accounts import Account, can_write_patient
from .checks import patient_records, resident_id_problem, visit_records
from .report import ImportReport

if TYPE_CHECKING:
    from .db import Store

__all__ = ["import_csv"]


def _read(
    path: str | Path | None, columns: tuple[str, ...], default: str
) -> tuple[pd.DataFrame, list[RowProblem], str]:
    if path is None:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
        frame[LINE] = pd.Series([], dtype="int64")
        return frame, [], default
    frame, problems = read_csv_table(path)
    return frame, problems, Path(path).name


def _raw_rows(frame: pd.DataFrame) -> dict[int, str]:
    cols = [c for c in frame.columns if c != LINE]
    out = {}
    for line, row in zip(
        frame[LINE].to_numpy(), frame[cols].astype(object).itertuples(index=False), strict=True
    ):
        out[int(line)] = ",".join(
            "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in row
        )
    return out


def import_csv(
    store: Store,
    actor: Account,
    patients_path: str | Path | None,
    visits_path: str | Path | None,
    now: datetime,
    *,
    default_township: str | None = None,
) -> ImportReport:
    """Import the files (either may be None); see the module text. Admins import any village, a
    village doctor only their own (other rows are rejected); public-health staff cannot import."""
    from .db import _ts

    at = _ts(now)
    who = store._who(actor, at)
    store._need(who, at, ("admin", "village_doctor"), "import_csv")
    today = now.date()
    pfile, p_read, plabel = _read(patients_path, PATIENT_COLUMNS, "patients.csv")
    vfile, v_read, vlabel = _read(visits_path, VISIT_COLUMNS, "visits.csv")
    report = ImportReport(rejected=[*p_read, *v_read])

    with store._lock:
        stored = {r["patient_id"]: dict(r) for r in store._conn.execute("SELECT * FROM patients").fetchall()}
    file_ids = set(pfile["patient_id"].astype(str).str.strip()) if "patient_id" in pfile.columns else set()
    extra = [r for pid, r in stored.items() if pid not in file_ids]
    pcols = (*PATIENT_COLUMNS, *PATIENT_OPTIONAL_COLUMNS)
    extra_frame = pd.DataFrame({c: [r[c] for r in extra] for c in pcols}, dtype=object)
    extra_frame[LINE] = -np.arange(1, len(extra) + 1, dtype=np.int64)  # not lines of the file
    both = pd.concat(
        [pfile.astype({c: object for c in pfile.columns if c != LINE}), extra_frame], ignore_index=True
    )
    data = validate(both, vfile, today, patients_file=plabel, visits_file=vlabel)

    townships: dict[int, str] = {}
    if "township" in pfile.columns:
        townships = {
            int(ln): str(t or "").strip() for ln, t in zip(pfile[LINE], pfile["township"], strict=True)
        }
    raw_p = _raw_rows(pfile)
    records = patient_records(data)
    ids = [r["patient_id"] for r in records]
    refused_rid: set[int] = set()
    left_out: dict[str, int] = {}  # patient id -> its line, for patients refused by the store
    to_write: list[dict[str, Any]] = []
    for rec in records:
        line = rec[LINE]
        if line < 0:
            continue
        pid = rec["patient_id"]
        old = stored.get(pid)
        rec["township"] = (
            townships.get(line) or (old["township"] if old else "") or default_township or who.township or ""
        )
        why = resident_id_problem(rec["resident_id"], today)
        reason: tuple[str, str, str] | None = None
        if why:
            refused_rid.add(line)
            reason = ("resident_id", why, "身份证号无效，该行未导入")
        elif (old and not can_write_patient(who, old["village"], old["township"])) or not can_write_patient(
            who, rec["village"], rec["township"]
        ):
            reason = (
                "village",
                f"{who.username} may not change patients of {rec['village'] or '-'}: own village only",
                "只能导入本村的患者",
            )
        if reason:
            report.rejected.append(
                RowProblem(
                    plabel, line, reason[0], reason[1], reason[2], "rejected", pid, raw_p.get(line, "")
                )
            )
            left_out[pid] = line
        else:
            to_write.append(rec)

    for p in data.problems:
        if p.file == plabel and p.line is not None and p.line < 0:
            continue  # a stored patient, not a row of the file
        if p.file == plabel and p.field == "resident_id" and p.line in refused_rid:
            continue  # reported above as rejected
        if p.action == "deferred":  # the validation's wording speaks of an as-of date
            p = replace(
                p,
                reason_en=f"{p.reason_en}; dated after the import day {today.isoformat()}: not imported",
                reason_zh=f"{p.reason_zh}；晚于导入日{today.isoformat()}，未导入",
            )
        (report.notes if p.action == "kept" else report.rejected).append(p)

    raw_v = _raw_rows(vfile)
    visits: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in visit_records(data, ids):
        pid, line = rec["patient_id"], rec[LINE]
        problem = None
        if pid in left_out:
            problem = (
                f"patient {pid!r} was not imported ({plabel} line {left_out[pid]})",
                f"患者{pid!r}未导入（{plabel}第{left_out[pid]}行）",
            )
        elif pid not in file_ids:
            old = stored[pid]
            if not can_write_patient(who, old["village"], old["township"]):
                problem = (
                    f"{who.username} may not change patients of {old['village'] or '-'}: own village only",
                    "只能导入本村患者的随访",
                )
        if problem:
            report.rejected.append(
                RowProblem(
                    vlabel, line, "patient_id", problem[0], problem[1], "rejected", pid, raw_v.get(line, "")
                )
            )
            continue
        key = (pid, rec["date"], rec["program"])
        if key in visits:
            first = visits[key][LINE]
            report.notes.append(
                RowProblem(
                    vlabel,
                    line,
                    "date",
                    f"same patient, date and program as line {first}: this row replaces it",
                    f"与第{first}行为同一患者、日期和项目：以本行为准",
                    "kept",
                    pid,
                )  # fmt: skip
            )
        visits[key] = rec

    with store._tx() as conn:
        per_patient: dict[str, int] = {}
        for rec in to_write:
            if rec["patient_id"] in stored:
                report.patients_updated += 1
            else:
                report.patients_new += 1
            store._write_patient(conn, rec, at)
            store._audit(
                conn, at, who.username, "import_patient", rec["patient_id"], f"{plabel} line {rec[LINE]}"
            )
        for rec in visits.values():
            _, new = store._write_visit(conn, rec, who.username, at)
            if new:
                report.visits_new += 1
            else:
                report.visits_updated += 1
            per_patient[rec["patient_id"]] = per_patient.get(rec["patient_id"], 0) + 1
        for pid, n in sorted(per_patient.items()):
            store._audit(conn, at, who.username, "import_visits", pid, f"{n} visit(s) from {vlabel}")
    report.rejected.sort(key=lambda p: (p.file != plabel, p.line or 0, p.field))
    report.notes.sort(key=lambda p: (p.file != plabel, p.line or 0, p.field))
    return report
