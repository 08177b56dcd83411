"""Indicators on a hand-computed example, and the feature table for the risk model."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from assistant.followup import FEATURE_COLUMNS, feature_table, indicators, validate

PATIENTS = pd.DataFrame(
    [
        {
            "patient_id": pid,
            "birth_date": "1960-05-01",
            "village": v,
            "doctor": "李医生",
            "programs": prog,
            "enrolled_on": "2024-06-01",
        }
        for pid, v, prog in [
            ("A", "东村", "hypertension"),
            ("B", "东村", "hypertension"),
            ("C", "西村", "hypertension"),
            ("D", "西村", "hypertension;diabetes"),
            ("E", "西村", "elderly"),
        ]
    ]  # fmt: skip
)


def visit(
    pid: str,
    d: str,
    sbp: int | str = "",
    dbp: int | str = "",
    fpg: float | str = "",
    program: str = "hypertension",
) -> dict:
    return {"patient_id": pid, "date": d, "program": program, "systolic_bp": str(sbp), "diastolic_bp": str(dbp),
            "fasting_glucose_mmol_l": str(fpg)}  # fmt: skip


VISITS = pd.DataFrame(
    [
        # A: 4 follow-ups in 2026, last on target -> standardized and controlled
        visit("A", "2026-01-10", 150, 92),
        visit("A", "2026-04-10", 138, 85),
        visit("A", "2026-07-10", 132, 80),
        visit("A", "2026-10-10", 128, 78),
        # B: 4 follow-ups but two on one day (3 distinct days), last off target
        visit("B", "2026-02-01", 130, 80),
        visit("B", "2026-05-01", 135, 82),
        visit("B", "2026-05-01", 136, 82),
        visit("B", "2026-08-01", 150, 95),
        # C: seen only in 2025 (not seen in the year: not on target), lost after 12 months
        visit("C", "2025-06-15", 130, 80),
        # D: hypertension 4 times on target, diabetes once off target; an older visit in 2025
        visit("D", "2025-12-20", 130, 80),
        visit("D", "2026-01-15", 130, 80),
        visit("D", "2026-04-15", 131, 80),
        visit("D", "2026-07-15", 132, 80),
        visit("D", "2026-10-15", 133, 80),
        visit("D", "2026-10-15", fpg=8.1, program="diabetes"),
        # E: elderly check once in the year
        visit("E", "2026-03-03", 140, 85, program="elderly"),
    ]  # fmt: skip
)
AS_OF = date(2026, 11, 30)


def test_rates_by_program() -> None:
    out = indicators(PATIENTS, VISITS, AS_OF, problems=[]).set_index("program")
    htn = out.loc["hypertension"]
    assert htn["under_management"] == 4
    assert htn["standardized"] == 2  # A and D (B has 3 distinct days, C none)
    assert htn["standardized_rate"] == pytest.approx(0.5)
    assert htn["controlled"] == 2  # A and D; B off target; C not seen in 2026
    assert htn["control_rate"] == pytest.approx(0.5)
    assert htn["lost_to_follow_up"] == 1  # C: last visit 2025-06-15, more than 365 days
    dm = out.loc["diabetes"]
    assert (dm["under_management"], dm["standardized"], dm["controlled"]) == (1, 0, 0)
    eld = out.loc["elderly"]
    assert (eld["under_management"], eld["standardized"], eld["standardized_rate"]) == (1, 1, 1.0)
    assert np.isnan(eld["control_rate"])
    assert out.loc["hypertension", "program_zh"] == "高血压"


def test_rates_by_village_and_year() -> None:
    out = indicators(PATIENTS, VISITS, year=2026, by=["program", "village"], problems=[])
    east = out[(out.program == "hypertension") & (out.village == "东村")].iloc[0]
    assert (east["under_management"], east["standardized"], east["controlled"]) == (2, 1, 1)
    full_2025 = indicators(PATIENTS, VISITS, year=2025, problems=[]).set_index("program")
    # in 2025 only C (June) and D (December) were seen, each once; both on target
    assert full_2025.loc["hypertension", "standardized"] == 0
    assert full_2025.loc["hypertension", "controlled"] == 2


def test_bad_group_is_an_input_error() -> None:
    from assistant.errors import InputError

    with pytest.raises(InputError, match="choose from"):
        indicators(PATIENTS, VISITS, AS_OF, by=["county"])


def test_feature_table_uses_only_the_past() -> None:
    data = validate(PATIENTS, VISITS, date(2026, 5, 1))
    f = feature_table(data)
    assert list(f.columns) == ["patient_id", "program", *FEATURE_COLUMNS]
    a = f[(f.patient_id == "A") & (f.program == "hypertension")].iloc[0]
    assert a["visits_total"] == 2 and a["visits_365d"] == 2
    assert a["last_systolic_bp"] == 138 and a["off_target_last"] == 0 and a["off_target_prev"] == 1
    assert a["off_target_visits_365d"] == 1 and a["days_since_last_visit"] == 21
    assert a["days_between_last_two"] == 90 and a["program_hypertension"] == 1
    c = f[f.patient_id == "C"].iloc[0]
    assert c["visits_365d"] == 1 and c["days_since_last_visit"] == (date(2026, 5, 1) - date(2025, 6, 15)).days
    e = f[f.patient_id == "E"].iloc[0]
    assert np.isnan(e["off_target_last"]) and e["n_programs"] == 1
    d = f[f.patient_id == "D"]
    assert set(d["n_programs"]) == {2.0}
    assert f[list(FEATURE_COLUMNS)].dtypes.map(lambda t: t == np.float64).all()
