"""A data scientist's consultation table (CSV or Parquet): reading and validation.

Schema: one row per consultation.

================================  =============================================================
column                            meaning
================================  =============================================================
``diagnosis`` (required)          the condition: ICD-10 code (``J18.9``, ``J18``), condition id
                                  (``pneumonia``) or name (``肺炎``, ``pneumonia``); see
                                  ``gp-assistant vocab conditions``
``complaint``                     the complaint as typed, Chinese or English (may be empty when
                                  ``finding_*`` columns are given)
``finding_<code>``                one column per finding code used (``finding_fever``): ``1``
                                  present, ``0`` absent, empty not recorded (also true/false,
                                  yes/no, 是/否, 有/无); overrides what the complaint says
``temperature_c`` … ``fasting_glucose_mmol_l``  vital signs, named and in units as in CONTRACTS §1
``age_years``                     age in years (fractions for infants)
``sex``                           ``male`` / ``female`` (also 男/女, M/F, 1/2)
``date`` (required)               ISO date of the consultation (gives month and season)
``pregnant``                      1 / 0 / empty
``history``                       past conditions, ``;``-separated: ICD-10 codes or zh/en names
``patient_id``, ``birth_date``    optional, as in CONTRACTS §1
================================  =============================================================

At least one of ``complaint`` and the ``finding_*`` columns must say something in each row.

Validation never raises on the data: :func:`validate_table` returns the usable rows and one
:class:`TableProblem` per problem, naming the row (1-based data row, header excluded; 0 for the
table as a whole), the column and the reason. ``error`` problems drop their row (an unknown
diagnosis, an unreadable date, a value of the wrong type, an impossible vital sign or swapped
blood pressures, …); ``warning`` problems keep it (an unknown column or finding code — the column
is ignored —, a history entry not understood, age/sex/birth-date disagreements).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from assistant.errors import InputError
from assistant.features.encode import HistoryLookup, KnowledgeLike
from assistant.knowledge.conditions import ConditionIndex
from assistant.knowledge.findings import VITAL_NAMES
from assistant.records import Encounter, implausible_values, parse_encounter

__all__ = [
    "FINDING_COLUMN_PREFIX",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "TableProblem",
    "ValidatedTable",
    "read_table",
    "table_from_records",
    "validate_table",
]

FINDING_COLUMN_PREFIX = "finding_"
REQUIRED_COLUMNS: tuple[str, ...] = ("diagnosis", "date")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "complaint",
    "age_years",
    "sex",
    "pregnant",
    "history",
    "patient_id",
    "birth_date",
    *VITAL_NAMES,
)
HISTORY_SEPARATORS = (";", "；")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class TableProblem:
    """One problem: ``row`` (1-based data row; 0 = the whole table), ``column``, ``reason``."""

    row: int
    column: str
    reason: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = "table" if self.row == 0 else f"row {self.row}"
        return f"{where}, column {self.column!r}: {self.reason} ({self.severity})"


@dataclass(frozen=True)
class ValidatedTable:
    """The rows that can be used, as validated encounters with their condition ids, plus every problem.

    ``rows[i]`` is the 1-based row number of ``encounters[i]`` in the source table.
    """

    encounters: list[Encounter]
    conditions: list[str]
    rows: list[int]
    problems: list[TableProblem] = field(default_factory=list)
    n_rows: int = 0

    @property
    def errors(self) -> list[TableProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[TableProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    def report(self, limit: int = 50) -> str:
        """Readable summary: counts, then the first ``limit`` problems, one per line."""
        dropped = len({p.row for p in self.errors if p.row > 0})
        head = f"{self.n_rows} rows read, {len(self.encounters)} usable, {dropped} dropped"
        lines = [head, *(str(p) for p in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit} more problems")
        return "\n".join(lines)


def read_table(path: str | Path) -> tuple[pd.DataFrame | None, list[TableProblem]]:
    """Read a CSV (UTF-8, header row; every cell read as text) or Parquet file.

    Returns (frame, problems); the frame is None when the file cannot be read at all.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [TableProblem(0, "", f"file not found: {path}")]
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        return None, [TableProblem(0, "", f"cannot read {path.name}: {exc}")]
    return frame, []


def _flag_cell(value: Any) -> Any:
    """A 0/1 column as written by pandas or a spreadsheet: ``1.0`` / ``0.0`` mean 1 / 0."""
    if isinstance(value, str) and value.strip() in ("1.0", "0.0"):
        return int(float(value))
    if isinstance(value, float) and value in (0.0, 1.0):
        return int(value)
    return value


def _cell(value: Any) -> Any:
    """A table cell as a JSON-like value: blank and NaN → None, numpy scalars → Python."""
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_FIELD_TO_COLUMN = {
    "patient.age_years": "age_years",
    "patient.sex": "sex",
    "patient.pregnant": "pregnant",
    "patient.history": "history",
    "patient.id": "patient_id",
    "patient.birth_date": "birth_date",
    "date": "date",
    "complaint": "complaint",
}


def _column_of(field_path: str) -> str:
    if field_path in _FIELD_TO_COLUMN:
        return _FIELD_TO_COLUMN[field_path]
    if field_path.startswith("vitals."):
        return field_path.split(".", 1)[1]
    if field_path.startswith("findings."):
        return FINDING_COLUMN_PREFIX + field_path.split(".", 1)[1]
    if field_path.startswith("patient.history"):
        return "history"
    return field_path


def _split_history(text: Any) -> list[str]:
    if text is None:
        return []
    s = str(text)
    for sep in HISTORY_SEPARATORS[1:]:
        s = s.replace(sep, HISTORY_SEPARATORS[0])
    return [part.strip() for part in s.split(HISTORY_SEPARATORS[0]) if part.strip()]


def validate_table(frame: pd.DataFrame, kb: KnowledgeLike) -> ValidatedTable:
    """Check every row of ``frame`` against the schema (module docstring) and ``kb``."""
    problems: list[TableProblem] = []
    columns = [str(c).strip() for c in frame.columns]
    frame = frame.copy()
    frame.columns = columns
    n_rows = len(frame)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    for c in missing:
        problems.append(TableProblem(0, c, "required column is missing"))
    dup = sorted({c for c in columns if columns.count(c) > 1})
    for c in dup:
        problems.append(TableProblem(0, c, "column appears more than once"))
    finding_cols: dict[str, str] = {}
    known = set(OPTIONAL_COLUMNS) | set(REQUIRED_COLUMNS)
    for c in columns:
        if c.startswith(FINDING_COLUMN_PREFIX):
            code = c[len(FINDING_COLUMN_PREFIX) :]
            if code in kb.findings:
                finding_cols[c] = code
            else:
                problems.append(TableProblem(0, c, f"unknown finding code {code!r}; column ignored", "warning"))
        elif c not in known:
            problems.append(TableProblem(0, c, "not a column of the training-table schema; ignored", "warning"))
    if missing or dup:
        return ValidatedTable([], [], [], problems, n_rows)
    if "complaint" not in columns and not finding_cols:
        problems.append(TableProblem(0, "complaint", "the table needs a complaint column or finding_<code> columns"))
        return ValidatedTable([], [], [], problems, n_rows)

    index = ConditionIndex.build(kb.conditions)
    history = HistoryLookup(kb)
    diag_cache: dict[str, str | None] = {}

    def condition_of(text: str) -> str | None:
        if text not in diag_cache:
            row = kb.conditions.get(text) or index.find(text)
            diag_cache[text] = None if row is None else row.id
        return diag_cache[text]

    records = frame.to_dict(orient="records")
    encounters: list[Encounter] = []
    labels: list[str] = []
    rows: list[int] = []
    for r, raw in enumerate(records, start=1):
        cells = {k: _cell(v) for k, v in raw.items()}
        for c in (*finding_cols, "pregnant"):
            if cells.get(c) is not None:
                cells[c] = _flag_cell(cells[c])
        row_problems: list[TableProblem] = []
        diagnosis = cells.get("diagnosis")
        cid = None
        if diagnosis is None:
            row_problems.append(TableProblem(r, "diagnosis", "is empty"))
        else:
            cid = condition_of(str(diagnosis))
            if cid is None:
                row_problems.append(TableProblem(r, "diagnosis", f"unknown condition {str(diagnosis)!r}"))
        patient: dict[str, Any] = {}
        for col, key in (("age_years", "age_years"), ("sex", "sex"), ("pregnant", "pregnant"),
                         ("patient_id", "id"), ("birth_date", "birth_date")):  # fmt: skip
            if cells.get(col) is not None:
                patient[key] = cells[col]
        hist = _split_history(cells.get("history"))
        if hist:
            patient["history"] = hist
        record: dict[str, Any] = {"patient": patient}
        if cells.get("date") is None:
            row_problems.append(TableProblem(r, "date", "is empty"))
        else:
            record["date"] = cells["date"]
        if cells.get("complaint") is not None:
            record["complaint"] = str(cells["complaint"])
        found = {code: cells[c] for c, code in finding_cols.items() if cells.get(c) is not None}
        if found:
            record["findings"] = found
        vitals = {v: cells[v] for v in VITAL_NAMES if cells.get(v) is not None}
        if vitals:
            record["vitals"] = vitals
        if "complaint" not in record and not found:
            row_problems.append(TableProblem(r, "complaint", "neither a complaint nor any finding_<code> value"))
        enc = None
        try:
            enc = parse_encounter(record, default_date=dt.date(2000, 1, 1))
        except InputError as exc:
            for p in exc.problems:
                if p.field == "complaint" and any(x.column == "complaint" for x in row_problems):
                    continue
                row_problems.append(TableProblem(r, _column_of(p.field), p.reason))
        if enc is not None:
            for bad in implausible_values(enc):
                row_problems.append(TableProblem(r, _column_of(bad.field), f"impossible value: {bad}"))
            for c in enc.demographics.conflicts:
                row_problems.append(TableProblem(r, _column_of(c.fields[0]), c.detail, "warning"))
            for entry in enc.patient.history:
                if not history.lookup(entry):
                    row_problems.append(TableProblem(r, "history", f"entry {entry!r} not understood; ignored", "warning"))
        problems.extend(row_problems)
        if enc is not None and cid is not None and not any(p.severity == "error" for p in row_problems):
            encounters.append(enc)
            labels.append(cid)
            rows.append(r)
    return ValidatedTable(encounters, labels, rows, problems, n_rows)


def table_from_records(records: Sequence[Mapping[str, Any]], diagnoses: Sequence[str]) -> pd.DataFrame:
    """Encounter dicts (CONTRACTS §1) and their diagnoses → a table in this schema (finding columns
    only for the codes used)."""
    rows: list[dict[str, Any]] = []
    for rec, diag in zip(records, diagnoses, strict=True):
        p = rec.get("patient", {})
        row: dict[str, Any] = {
            "diagnosis": diag,
            "date": rec.get("date"),
            "age_years": p.get("age_years"),
            "sex": p.get("sex"),
            "pregnant": None if p.get("pregnant") is None else int(bool(p["pregnant"])),
            "history": ";".join(p.get("history", [])) or None,
            "patient_id": p.get("id"),
            "complaint": rec.get("complaint"),
        }
        for name, value in (rec.get("vitals") or {}).items():
            row[name] = value
        for code, value in (rec.get("findings") or {}).items():
            row[FINDING_COLUMN_PREFIX + code] = int(bool(value))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for c in frame.columns:
        if c.startswith(FINDING_COLUMN_PREFIX) or c == "pregnant":
            frame[c] = frame[c].astype("Int64")
    fixed = ["diagnosis", "date", "patient_id", "age_years", "sex", "pregnant", "history", "complaint"]
    vit = [v for v in VITAL_NAMES if v in frame.columns]
    fin = sorted(c for c in frame.columns if c.startswith(FINDING_COLUMN_PREFIX))
    return frame[[*fixed, *vit, *fin]]
