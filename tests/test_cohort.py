"""The synthetic follow-up cohort: seeded, valid, plausible, and training rows that cannot see the future."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from assistant.followup import FEATURE_COLUMNS, feature_table, validate
from training.cohort.params import CohortParams
from training.cohort.rows import HORIZON_DAYS, cohort_rows, cutoff_dates, known_on, outcomes
from training.cohort.simulate import EVENT_KINDS, PROGRAMS, Cohort, generate_cohort

CUT = date(2024, 6, 30)


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return generate_cohort(1_200, seed=17)


def test_same_seed_same_cohort_other_seed_other_cohort() -> None:
    a = generate_cohort(200, seed=5)
    b = generate_cohort(200, seed=5)
    for name in ("patients", "visits", "events", "traits", "visit_latent"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = generate_cohort(200, seed=6)
    assert not a.visits["systolic_bp"].equals(c.visits["systolic_bp"])


def test_files_validate_and_look_like_a_village_program(cohort: Cohort) -> None:
    data = validate(cohort.patients, cohort.visits, cohort.end)
    assert data.problems == []
    assert set(cohort.visits["program"]) == set(PROGRAMS)
    assert set(cohort.events["kind"]) <= set(EVENT_KINDS)
    v = cohort.visits
    htn = v[v["program"] == "hypertension"]
    sbp = htn["systolic_bp"].astype(float)
    assert 125 < sbp.mean() < 160
    dm = v[v["program"] == "diabetes"]
    assert 6.0 < dm["fasting_glucose_mmol_l"].mean() < 9.5
    # a comorbid patient's visit has one row per program, on the same day
    both = cohort.patients.loc[cohort.patients["programs"].str.contains(";"), "patient_id"]
    assert len(both) > 50
    rows = v[v["patient_id"] == both.iloc[0]]
    assert set(rows["program"]) == set(PROGRAMS)
    # the visits' recorded values follow the latent truth
    lat = cohort.visit_latent.loc[htn.index]
    ok = sbp.notna().to_numpy()
    assert np.corrcoef(lat["sbp"].to_numpy()[ok], sbp.to_numpy()[ok])[0, 1] > 0.7
    # urgent events seen by the village doctor leave a danger sign on the visit
    assert (v["danger_signs"] != "").sum() > 0
    assert (cohort.visit_latent["urgent"].to_numpy() == (v["danger_signs"] != "").to_numpy()).all()


def test_the_explicit_model_shows_in_the_outcomes(cohort: Cohort) -> None:
    """Patients with a high adherence trait miss fewer visits and are on target more often."""
    rows = cohort_rows(cohort, [CUT])
    trait = cohort.traits.set_index("patient_id")["adherence_trait"]
    t = trait.reindex(rows.features["patient_id"]).to_numpy()
    high, low = t > np.quantile(t, 2 / 3), t < np.quantile(t, 1 / 3)
    o = rows.outcomes
    assert o.loc[high, "missed"].mean() < o.loc[low, "missed"].mean() - 0.05
    assert o.loc[high, "off_target_next"].mean() < o.loc[low, "off_target_next"].mean()
    # remote villages miss more
    remote = (
        cohort.traits.set_index("patient_id")["remoteness"].reindex(rows.features["patient_id"]).to_numpy()
    )
    assert o.loc[remote > 0.7, "missed"].mean() > o.loc[remote < 0.3, "missed"].mean()


def test_more_adherence_lowers_blood_pressure_through_the_parameters() -> None:
    base = generate_cohort(400, seed=3)
    better = generate_cohort(400, seed=3, params=CohortParams().with_(adherence_mean=3.0))
    m = lambda c: c.visits.loc[c.visits["program"] == "hypertension", "systolic_bp"].astype(float).mean()  # noqa: E731
    assert m(better) < m(base) - 3


def test_cutoff_dates_leave_room_for_the_outcome() -> None:
    cuts = cutoff_dates(date(2022, 1, 1), date(2026, 6, 30))
    assert cuts[0] == date(2023, 1, 1)
    assert all(b - a == timedelta(days=91) for a, b in zip(cuts, cuts[1:], strict=False))
    assert cuts[-1] + timedelta(days=HORIZON_DAYS) <= date(2026, 6, 30)
    assert cuts[-1] + timedelta(days=HORIZON_DAYS + 91) > date(2026, 6, 30)


def test_features_never_use_visits_after_the_cutoff(cohort: Cohort) -> None:
    rows = cohort_rows(cohort, [CUT])
    # 1. the same as the runtime's own path: all visits given, validation defers the later ones
    enrolled = pd.to_datetime(cohort.patients["enrolled_on"]) <= pd.Timestamp(CUT)
    alive = ~(cohort.traits["died_on"] <= pd.Timestamp(CUT)).to_numpy()
    pats = cohort.patients.loc[enrolled.to_numpy() & alive]
    vis = cohort.visits[cohort.visits["patient_id"].isin(pats["patient_id"])]
    data = validate(pats, vis, CUT)
    assert {p.action for p in data.problems} == {"deferred"}  # visits after the cut-off, nothing else
    runtime = feature_table(data)
    pd.testing.assert_frame_equal(
        rows.features[list(FEATURE_COLUMNS)], runtime[list(FEATURE_COLUMNS)], check_dtype=False
    )
    # 2. rewrite the future: every later visit off target, shifted, some dropped, new ones added
    v = cohort.visits.copy()
    later = v["date"] > CUT.isoformat()
    v.loc[later, "systolic_bp"] = 200
    v.loc[later, "fasting_glucose_mmol_l"] = 15.0
    v.loc[later, "new_complication"] = 1
    extra = v.loc[~later].groupby("patient_id").tail(1).copy()
    extra["date"] = (CUT + timedelta(days=1)).isoformat()
    extra[["systolic_bp", "fasting_glucose_mmol_l"]] = [200, 15.0]
    v = pd.concat([v.loc[~later | (np.arange(len(v)) % 3 > 0)], extra], ignore_index=True)
    changed = replace(cohort, visits=v, visit_latent=cohort.visit_latent.iloc[:0])
    rows2 = cohort_rows(changed, [CUT])
    pd.testing.assert_frame_equal(rows.features, rows2.features)
    # ... while the outcomes (which look ahead on purpose) do change
    assert rows2.outcomes["off_target_next"].mean() > rows.outcomes["off_target_next"].mean() + 0.2
    assert rows2.outcomes["missed"].mean() < rows.outcomes["missed"].mean()


def _tiny_cohort() -> Cohort:
    day = lambda n: (CUT + timedelta(days=n)).isoformat()  # noqa: E731
    ids = ["A", "B", "C", "D", "E"]
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "name": ids,
            "sex": ["male"] * 5,
            "birth_date": ["1960-01-01"] * 5,
            "resident_id": [""] * 5,
            "phone": [""] * 5,
            "village": ["v"] * 5,
            "doctor": ["d"] * 5,
            "programs": [
                "hypertension",
                "hypertension",
                "hypertension;diabetes",
                "hypertension",
                "hypertension",
            ],
            "enrolled_on": ["2023-01-01"] * 5,
        }
    )
    rows = [  # (patient, day, program, sbp, dbp, fpg)
        ("A", -30, "hypertension", 130, 80, None),
        ("A", 10, "hypertension", 150, 95, None),  # first visit after the cut-off off target
        ("B", -30, "hypertension", 130, 80, None),
        ("B", 91, "hypertension", 130, 80, None),  # one day too late: missed
        ("C", -30, "hypertension", 130, 80, None),
        ("C", -30, "diabetes", 130, 80, 6.0),
        ("C", 30, "hypertension", 130, 80, None),
        ("C", 30, "diabetes", 130, 80, 6.2),  # on target, but an event follows (diabetes only)
        ("D", -30, "hypertension", 150, 95, None),
        ("D", 20, "hypertension", 132, 82, None),  # on target first; the later visit does not count
        ("D", 50, "hypertension", 160, 100, None),
        ("E", 0, "hypertension", 150, 95, None),  # on the cut-off day: the past
        ("E", 90, "hypertension", 135, 85, None),  # last day of the horizon, on target
    ]
    visits = pd.DataFrame(
        {
            "patient_id": [r[0] for r in rows],
            "date": [day(r[1]) for r in rows],
            "program": [r[2] for r in rows],
            "systolic_bp": [r[3] for r in rows],
            "diastolic_bp": [r[4] for r in rows],
            "fasting_glucose_mmol_l": [np.nan if r[5] is None else r[5] for r in rows],
            "heart_rate": [76] * len(rows),
            "danger_signs": [""] * len(rows),
            "adverse_reaction": [0] * len(rows),
            "new_complication": [0] * len(rows),
            "referred": [0] * len(rows),
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": ["C", "A"],
            "program": ["diabetes", "hypertension"],
            "date": np.array([CUT + timedelta(days=40), CUT], dtype="datetime64[D]"),  # A's is not after
            "kind": ["hypoglycaemia", "cardiovascular"],
            "fatal": [0, 0],
            "seen_in_village": [0, 0],
        }
    )
    traits = pd.DataFrame(
        {"patient_id": ids, "died_on": np.full(5, np.datetime64("NaT"), dtype="datetime64[D]")}
    )
    return Cohort(
        patients,
        visits,
        events,
        traits,
        pd.DataFrame(),
        date(2023, 1, 1),
        date(2025, 1, 1),
        0,
        CohortParams(),
    )


def test_outcome_definition_on_hand_made_histories() -> None:
    c = _tiny_cohort()
    ids = ["A", "B", "C", "C", "D", "E"]
    progs = ["hypertension", "hypertension", "hypertension", "diabetes", "hypertension", "hypertension"]
    o = outcomes(c, CUT, ids, progs)
    assert o["off_target_next"].tolist() == [1, 0, 0, 0, 0, 0]
    assert o["missed"].tolist() == [0, 1, 0, 0, 0, 0]
    assert o["urgent"].tolist() == [0, 0, 0, 1, 0, 0]
    assert o["event"].tolist() == [1, 1, 0, 1, 0, 0]
    rows = cohort_rows(c, [CUT])
    e = rows.features["patient_id"] == "E"
    assert rows.features.loc[e, "days_since_last_visit"].item() == 0  # the cut-off day's visit is known
    assert rows.features.loc[e, "off_target_last"].item() == 1


def test_known_on_drops_the_dead_and_the_not_yet_enrolled(cohort: Cohort) -> None:
    pats, vis = known_on(cohort, CUT)
    died = cohort.traits.set_index("patient_id")["died_on"]
    assert not (died.reindex(pats["patient_id"]) <= pd.Timestamp(CUT)).any()
    assert (pd.to_datetime(pats["enrolled_on"]) <= pd.Timestamp(CUT)).all()
    assert (vis["date"] <= CUT.isoformat()).all()
