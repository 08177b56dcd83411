"""The training table: every bad row reported with row and column, the rest kept; one encoder."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from assistant.features.encode import diagnosis_feature_spec, encode_encounters
from assistant.knowledge import KNOWLEDGE_DIR
from assistant.knowledge import conditions as conditions_mod
from assistant.knowledge import findings as findings_mod
from training.data import (
    generate_training_set,
    read_table,
    table_from_records,
    training_set_from_table,
    validate_table,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "consultations_sample.csv"


@pytest.fixture(scope="module")
def kb() -> SimpleNamespace:
    return SimpleNamespace(findings=findings_mod.load(KNOWLEDGE_DIR), conditions=conditions_mod.load(KNOWLEDGE_DIR))


CSV = """diagnosis,date,age_years,sex,pregnant,history,complaint,temperature_c,systolic_bp,diastolic_bp,finding_fever,finding_rash,finding_made_up,ward
J18.9,2025-01-03,70,male,,I10;糖尿病,咳嗽、咳痰5天，伴发热,38.6,,,1,,,A
pneumonia,2025-01-04,45,female,0,,Cough for a week with fever,,130,80,,0,,A
X99.9,2025-01-05,30,male,,,头痛1天,,,,,,,A
J00,2025-13-01,30,male,,,流涕2天,,,,,,,A
J00,2025-01-06,300,male,,,流涕2天,,,,,,,A
J00,2025-01-07,30,unknown,,,流涕2天,,,,,,,A
J00,2025-01-08,30,male,,,流涕2天,3.8,,,,,,A
J00,2025-01-09,30,male,,,流涕2天,,80,120,,,,A
J00,2025-01-10,30,male,,,,,,,,,,A
J00,2025-01-11,30,male,,,流涕2天,,,,maybe,,,A
普通感冒,2025-01-12,8,female,,左腿骨折,流涕2天,,,,,,1,A
,2025-01-13,30,male,,,流涕2天,,,,,,,A
J00,,30,male,,,流涕2天,,,,,,,A
J00,2025-01-14,30,male,1,,流涕2天,,,,,,,A
"""


def _validated(tmp_path: Path, kb, text: str = CSV):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    frame, problems = read_table(path)
    assert problems == [] and frame is not None
    return validate_table(frame, kb)


def test_bad_rows_reported_with_row_and_column(tmp_path: Path, kb) -> None:
    table = _validated(tmp_path, kb)
    errors = {(p.row, p.column) for p in table.errors}
    assert (3, "diagnosis") in errors  # unknown code
    assert (4, "date") in errors  # month 13
    assert (5, "age_years") in errors  # 300
    assert (6, "sex") in errors
    assert (7, "temperature_c") in errors  # impossible value
    assert (8, "systolic_bp") in errors  # swapped pressures
    assert (9, "complaint") in errors  # nothing said
    assert (10, "finding_fever") in errors  # 'maybe'
    assert (12, "diagnosis") in errors  # empty
    assert (13, "date") in errors  # empty
    warnings = {(p.row, p.column) for p in table.warnings}
    assert (0, "finding_made_up") in warnings  # unknown finding code: column ignored
    assert (0, "ward") in warnings  # not in the schema
    assert (11, "history") in warnings  # entry not understood, row kept
    assert (14, "pregnant") in warnings  # pregnant male
    # the good rows are kept, in order, with their conditions
    assert table.rows == [1, 2, 11, 14]
    assert table.conditions == ["pneumonia", "pneumonia", "common_cold", "common_cold"]
    assert table.n_rows == 14
    text = table.report()
    assert text.startswith("14 rows read, 4 usable, 10 dropped")
    assert "row 7, column 'temperature_c'" in text


def test_table_problems_never_crash(tmp_path: Path, kb) -> None:
    frame, problems = read_table(tmp_path / "missing.csv")
    assert frame is None and problems[0].row == 0 and "not found" in problems[0].reason
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    frame, problems = read_table(bad)
    assert frame is None and problems
    table = validate_table(pd.DataFrame({"complaint": ["咳嗽"], "age_years": [3]}), kb)
    assert table.encounters == [] and [(p.row, p.column) for p in table.errors] == [(0, "diagnosis"), (0, "date")]
    table = validate_table(pd.DataFrame({"diagnosis": ["J00"], "date": ["2025-01-01"]}), kb)
    assert table.encounters == [] and table.errors[0].column == "complaint"
    table = validate_table(pd.DataFrame(columns=["diagnosis", "date", "complaint"]), kb)
    assert table.encounters == [] and table.problems == []


def test_table_features_are_the_runtime_features(tmp_path: Path, kb) -> None:
    table = _validated(tmp_path, kb)
    ts, batch = training_set_from_table(table, kb)
    direct = encode_encounters(table.encounters, kb, ts.spec)
    np.testing.assert_array_equal(ts.X, direct)
    assert [lab.id for lab in ts.labels] == [c.id for c in kb.conditions]
    assert ts.bayes_posterior is None
    assert list(ts.groups["age_band"]) == ["elderly", "adults", "children", "adults"]
    assert list(ts.groups["sex"]) == ["male", "female", "female", "male"]
    only, _ = training_set_from_table(table, kb, labels="present")
    assert [lab.id for lab in only.labels] == ["common_cold", "pneumonia"]
    assert list(only.y) == [1, 1, 0, 0]


def test_generated_set_round_trips_through_csv_and_parquet(tmp_path: Path, kb) -> None:
    g = generate_training_set(kb, 400, seed=41)
    ts = g.training
    assert ts.X.shape == (400, len(diagnosis_feature_spec(kb)))
    assert ts.bayes_posterior is not None and np.allclose(ts.bayes_posterior.sum(axis=1), 1)
    assert set(ts.groups) == {"age_band", "sex"}
    ids = [g.world.condition_ids[i] for i in g.sample.y]
    frame = table_from_records(g.encounters, ids)
    for path in (tmp_path / "g.csv", tmp_path / "g.parquet"):
        frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path)
        back, problems = read_table(path)
        assert problems == []
        table = validate_table(back, kb)
        assert table.errors == [] and len(table.encounters) == 400
        ts2, _ = training_set_from_table(table, kb, spec=ts.spec)
        np.testing.assert_array_equal(ts2.X, ts.X)
        np.testing.assert_array_equal(ts2.y, ts.y)


def test_sample_file_is_a_valid_table(kb) -> None:
    frame, problems = read_table(SAMPLE)
    assert problems == [] and frame is not None
    table = validate_table(frame, kb)
    assert table.errors == []
    assert 250 <= len(table.encounters) <= 400
    ts, _ = training_set_from_table(table, kb)
    assert not math.isnan(float(np.nanmean(ts.X[:, ts.spec.index("age_years")])))
