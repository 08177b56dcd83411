"""Turn a protocol row's example (a patient and visits relative to a date) into CSV-shaped tables.

Used by the generic test that runs every protocol row through its examples with the real engine,
and handy for trying a rule by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .protocols import Example

__all__ = ["EXAMPLE_PATIENT_ID", "example_tables"]

EXAMPLE_PATIENT_ID = "EX0001"


def _years_before(d: date, years: float) -> date:
    whole = int(years)
    try:
        b = d.replace(year=d.year - whole)
    except ValueError:  # 29 February
        b = d.replace(year=d.year - whole, day=28)
    return b - timedelta(days=round((years - whole) * 365.25))


def example_tables(program: str, example: Example, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``patients`` and ``visits`` frames (text cells, as read from CSV) for one example."""
    pt = example.patient
    if pt.age_days is not None:
        birth = as_of - timedelta(days=pt.age_days)
    else:
        birth = _years_before(as_of, pt.age_years if pt.age_years is not None else 60)

    def ago(days: int | None) -> str:
        return "" if days is None else (as_of - timedelta(days=days)).isoformat()

    patients = pd.DataFrame(
        [
            {
                "patient_id": EXAMPLE_PATIENT_ID,
                "name": "示例",
                "sex": pt.sex,
                "birth_date": birth.isoformat(),
                "resident_id": "",
                "phone": "",
                "village": "示例村",
                "doctor": "示例医生",
                "programs": ";".join((program, *pt.other_programs)),
                "enrolled_on": ago(pt.enrolled_days_ago),
                "lmp": ago(pt.lmp_days_ago),
                "delivery_date": ago(pt.delivered_days_ago),
            }
        ],
        dtype=str,
    )
    rows = []
    for v in example.visits:
        row = {"patient_id": EXAMPLE_PATIENT_ID, "date": ago(v.days_ago), "program": program}
        for k, val in v.model_dump(exclude={"days_ago"}).items():
            row[k] = "" if val is None else (f"{val:g}" if isinstance(val, float) else str(val))
        rows.append(row)
    columns = [
        "patient_id", "date", "program", "systolic_bp", "diastolic_bp", "fasting_glucose_mmol_l",
        "heart_rate", "temperature_c", "danger_grade", "danger_signs", "adverse_reaction",
        "new_complication", "referred",
    ]  # fmt: skip
    visits = pd.DataFrame(rows, columns=columns, dtype=str)
    return patients, visits
