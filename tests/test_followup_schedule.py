"""The follow-up list: a fake clock moved day by day through a year, ordering, filters, scorer."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import pytest

from assistant.followup import (
    FEATURE_COLUMNS,
    OUTPUT_COLUMNS,
    classify,
    load_protocols,
    schedule,
    validate,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "village"
PATIENT = {
    "patient_id": "H1", "name": "王建国", "sex": "male", "birth_date": "1966-03-01",
    "resident_id": "", "phone": "", "village": "石桥村", "doctor": "李医生",
    "programs": "hypertension", "enrolled_on": "2025-12-01",
}  # fmt: skip
# visit date, systolic, diastolic, adverse reaction -> expected status, days to the next visit, rule
HTN_YEAR = [
    ("2026-01-05", 130, 80, 0, "controlled", 90, "fu.htn.controlled"),
    ("2026-03-30", 150, 95, 0, "uncontrolled", 14, "fu.htn.uncontrolled_first"),
    ("2026-04-13", 152, 96, 0, "refer", 14, "fu.htn.refer.uncontrolled_twice"),
    ("2026-04-28", 136, 84, 0, "controlled", 90, "fu.htn.controlled"),
    ("2026-08-10", 182, 100, 0, "urgent_referral", 14, "fu.htn.danger.sbp180"),
    ("2026-08-24", 138, 86, 1, "uncontrolled", 14, "fu.htn.adverse_reaction"),
    ("2026-09-07", 132, 82, 0, "controlled", 90, "fu.htn.controlled"),
]


def next_workday(d: date) -> date:
    while not chinese_calendar.is_workday(d):
        d += timedelta(days=1)
    return d


def htn_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame([PATIENT], dtype=str)
    visits = pd.DataFrame(
        [
            {
                "patient_id": "H1",
                "date": d,
                "program": "hypertension",
                "systolic_bp": str(s),
                "diastolic_bp": str(dbp),
                "adverse_reaction": str(a),
            }
            for d, s, dbp, a, *_ in HTN_YEAR
        ]  # fmt: skip
    )
    return patients, visits


def test_fake_clock_through_a_hypertension_year() -> None:
    patients, visits = htn_tables()
    day = date(2025, 12, 1)
    checked = set()
    while day <= date(2026, 12, 31):
        row = classify(validate(patients, visits, day)).iloc[0]
        seen = [v for v in HTN_YEAR if date.fromisoformat(v[0]) <= day]
        if not seen:
            assert row["status"] == "no_visit" and row["rule"] == "fu.htn.no_visit"
            due = next_workday(date(2025, 12, 1))  # enrolment day
            assert pd.isna(row["last_visit"])
        else:
            d, s, dbp, _, status, interval, rule = seen[-1]
            assert (row["status"], row["rule"]) == (status, rule), day
            assert row["last_visit"] == pd.Timestamp(d)
            due = next_workday(date.fromisoformat(d) + timedelta(days=interval))
            if rule != "fu.htn.adverse_reaction":
                assert f"{s}" in row["reason_zh"] and f"{s}" in row["reason_en"]
            checked.add(rule)
        assert row["due_date"] == pd.Timestamp(due), day
        assert row["days_overdue"] == max(0, (day - due).days), day
        assert not row["due_date_estimated"]
        day += timedelta(days=1)
    assert checked == {v[6] for v in HTN_YEAR}


def test_holiday_moves_the_due_date() -> None:
    patients, visits = htn_tables()
    row = classify(validate(patients, visits, date(2026, 1, 10))).iloc[0]
    # 5 Jan + 90 days = Sunday 5 April 2026, inside the Qingming holiday (4-6 April)
    assert row["due_date"] == pd.Timestamp("2026-04-07")


def test_due_dates_in_2027_are_marked_estimated() -> None:
    patients, visits = htn_tables()
    row = classify(validate(patients, visits, date(2026, 12, 31))).iloc[0]
    assert row["due_date"] == pd.Timestamp("2026-12-07")
    late = visits.iloc[[-1]].assign(date="2026-12-10")
    row = classify(validate(patients, pd.concat([visits, late]), date(2026, 12, 31))).iloc[0]
    # 10 Dec 2026 + 90 days = 10 March 2027: a Wednesday, but 2027 has no official calendar yet
    assert row["due_date"] == pd.Timestamp("2027-03-10")
    assert row["due_date_estimated"]


def _child_expected(day: date, birth: date, visits: list[date]) -> str:
    """Independent oracle: the first contact not yet done whose period is not over."""
    contacts = load_protocols()["child"].contacts
    starts = [birth + timedelta(days=c.from_days) for c in contacts]
    ends = starts[1:] + [birth + timedelta(days=contacts[-1].due_days + 365)]
    for c, s, e in zip(contacts, starts, ends, strict=True):
        done = any(s <= v < e and v <= day for v in visits)
        if not done and day < e:
            return c.id
    return ""


def test_fake_clock_through_a_childs_first_year() -> None:
    birth = date(2025, 3, 1)  # every due date below falls in the official calendar (2025-2026)
    visit_days = [birth + timedelta(days=k) for k in (5, 28, 95, 250, 370)]
    patients = pd.DataFrame(
        [
            {
                **PATIENT,
                "patient_id": "C1",
                "birth_date": birth.isoformat(),
                "programs": "child",
                "enrolled_on": birth.isoformat(),
            }
        ]  # fmt: skip
    )
    visits = pd.DataFrame(
        [{"patient_id": "C1", "date": v.isoformat(), "program": "child"} for v in visit_days]
    )
    seen_contacts = set()
    for k in range(0, 560):
        day = birth + timedelta(days=k)
        row = classify(validate(patients, visits, day)).iloc[0]
        want = _child_expected(day, birth, visit_days)
        assert row["contact"] == want, (k, row["contact"], want)
        seen_contacts.add(want)
        contact = {c.id: c for c in load_protocols()["child"].contacts}[want]
        expected_due = next_workday(birth + timedelta(days=contact.due_days))
        assert row["due_date"] == pd.Timestamp(expected_due), k
        if not any(v <= day for v in visit_days):
            assert row["status"] == "no_visit"
        else:
            assert row["status"] == "controlled" and row["rule"] == "fu.child.on_schedule"
    assert {"fu.child.newborn_visit", "fu.child.day28", "fu.child.month3", "fu.child.month6", "fu.child.month8",
            "fu.child.month12", "fu.child.month18"} <= seen_contacts  # fmt: skip


def test_tuberculosis_first_visit_within_72_hours() -> None:
    patients = pd.DataFrame(
        [{**PATIENT, "patient_id": "T1", "programs": "tuberculosis", "enrolled_on": "2026-03-02"}]
    )
    visits = pd.DataFrame(columns=["patient_id", "date", "program"])
    row = classify(validate(patients, visits, date(2026, 3, 3))).iloc[0]
    assert (row["status"], row["due_date"]) == ("no_visit", pd.Timestamp("2026-03-05"))
    visits = pd.DataFrame([{"patient_id": "T1", "date": "2026-03-04", "program": "tuberculosis"}])
    row = classify(validate(patients, visits, date(2026, 3, 5))).iloc[0]
    assert (row["rule"], row["due_date"]) == (
        "fu.tb.intensive",
        pd.Timestamp("2026-03-16"),
    )  # 14th is a Saturday


def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_csv(SAMPLES / "patients.csv", dtype=str, keep_default_na=False),
        pd.read_csv(SAMPLES / "visits.csv", dtype=str, keep_default_na=False),
    )


def test_sample_village_list_shape_and_order() -> None:
    patients, visits = sample()
    problems: list = []
    out = schedule(patients, visits, date(2026, 11, 30), problems=problems)
    assert problems == []
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert list(out.columns[:11]) == ["patient_id", "name", "village", "doctor", "program", "last_visit",
                                      "status", "due_date", "days_overdue", "risk", "reason"]  # fmt: skip
    n_enrolments = patients["programs"].str.split(";").str.len().sum()
    assert len(out) == n_enrolments
    assert set(out["status"]) == {"controlled", "uncontrolled", "refer", "urgent_referral", "no_visit"}
    rank = out["status"].map(
        {s: i for i, s in enumerate(["urgent_referral", "refer", "uncontrolled", "no_visit", "controlled"])}
    )
    assert rank.is_monotonic_increasing
    for _, group in out.groupby("status"):
        assert group["days_overdue"].is_monotonic_decreasing
    assert out["risk"].isna().all()
    assert (out["days_overdue"] >= 0).all()
    assert not out["rule"].str.endswith("unclassified").any()
    assert (out["reason"] == out["reason_zh"]).all()


def test_rows_in_any_order_give_the_same_list() -> None:
    patients, visits = sample()
    a = schedule(patients, visits, date(2026, 6, 30), problems=[])
    shuffled_v = visits.sample(frac=1, random_state=3).reset_index(drop=True)
    shuffled_p = patients.sample(frac=1, random_state=4).reset_index(drop=True)
    b = schedule(shuffled_p, shuffled_v, date(2026, 6, 30), problems=[])
    pd.testing.assert_frame_equal(a, b)


def test_filters_and_language() -> None:
    patients, visits = sample()
    village = patients["village"].iloc[0]
    out = schedule(
        patients, visits, date(2026, 11, 30), village=village, due_within=14, lang="en", problems=[]
    )
    assert len(out) and (out["village"] == village).all()
    assert (out["due_date"] <= pd.Timestamp("2026-12-14")).all()
    assert (out["reason"] == out["reason_en"]).all()
    doctor = patients["doctor"].iloc[0]
    assert (
        schedule(patients, visits, date(2026, 11, 30), doctor=doctor, problems=[])["doctor"] == doctor
    ).all()


def test_identifiers_masked_unless_asked() -> None:
    patients, visits = sample()
    masked = schedule(patients, visits, date(2026, 11, 30), problems=[])
    assert masked["resident_id"].str.contains(r"^\d{6}\*{8}\d{3}[\dX]$|^$").all()
    assert masked["phone"].str.contains(r"^1\d\d\*{4}\d{4}$|^$").all()
    raw = schedule(patients, visits, date(2026, 11, 30), unmasked=True, problems=[])
    assert set(raw["phone"]) - {""} <= set(patients["phone"])


def test_pluggable_risk_scorer_orders_within_a_status() -> None:
    patients, visits = sample()
    calls = []

    def scorer(features: pd.DataFrame) -> np.ndarray:
        calls.append(features)
        assert list(features.columns[2:]) == list(FEATURE_COLUMNS)
        return np.clip(features["days_since_last_visit"].fillna(400).to_numpy() / 400, 0, 1)

    out = schedule(patients, visits, date(2026, 11, 30), scorer=scorer, problems=[])
    assert len(calls) == 1 and out["risk"].notna().all()
    for _, group in out.groupby("status", sort=False):
        assert group["risk"].is_monotonic_decreasing


def test_a_scorer_returning_nonsense_is_refused() -> None:
    patients, visits = sample()
    with pytest.raises(ValueError, match="outside 0-1"):
        schedule(patients, visits, date(2026, 11, 30), scorer=lambda f: np.full(len(f), 3.0), problems=[])


def test_problems_land_in_attrs_when_no_list_is_given() -> None:
    patients, visits = sample()
    out = schedule(patients, visits, date(2026, 3, 31))
    problems = out.attrs["problems"]
    assert problems and all(p.action in ("deferred", "kept") for p in problems)
    assert any(p.field == "patient_id" and p.action == "deferred" for p in problems)
