"""Bad rows are reported with their line and reason (zh and en); the rest is scheduled."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd

from assistant.followup import read_csv_table, schedule, validate, write_rejects
from assistant.followup.validate import resident_id_valid
from assistant.records.resident_id import is_valid_resident_id

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "village"
AS_OF = date(2026, 3, 31)

EXPECTED_VISIT_PROBLEMS = {  # line in visits_with_errors.csv -> field
    22: "patient_id",  # unknown patient
    23: "date",  # 2026-02-30
    24: "systolic_bp",  # text where a number belongs
    25: "program",  # unknown program
    26: "program",  # patient not enrolled in diabetes
    27: "systolic_bp",  # 500 mmHg
    28: "systolic_bp",  # systolic below diastolic
    29: "adverse_reaction",  # flag 2
    30: "(row)",  # too few fields
    33: "date",  # missing date
}


def test_bad_visits_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    problems: list = []
    out = schedule(SAMPLES / "patients.csv", SAMPLES / "visits_with_errors.csv", AS_OF, problems=problems)
    rejected = {
        (p.line, p.field) for p in problems if p.file == "visits_with_errors.csv" and p.action == "rejected"
    }
    assert rejected == set(EXPECTED_VISIT_PROBLEMS.items())
    for p in problems:
        assert p.reason_en and p.reason_zh
    # the good rows (lines 2-21 and the slash-dated line 32) are scheduled
    good, _ = read_csv_table(SAMPLES / "visits_with_errors.csv")
    lines_ok = good[~good["_line"].isin(EXPECTED_VISIT_PROBLEMS)]
    assert 32 in set(lines_ok["_line"])
    seen = out.dropna(subset=["last_visit"])
    assert set(lines_ok["patient_id"]) <= set(seen["patient_id"]) | {p.patient_id for p in problems}
    child = lines_ok[lines_ok["_line"] == 32]["patient_id"].iloc[0]
    assert out[(out.patient_id == child) & (out.program == "child")]["last_visit"].iloc[0] == pd.Timestamp(
        "2026-03-12"
    )
    path = tmp_path / "rejects.csv"
    n = write_rejects(problems, path, only_rejected=True)
    assert n == len(EXPECTED_VISIT_PROBLEMS)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert [int(r["line"]) for r in rows] == sorted(EXPECTED_VISIT_PROBLEMS)
    assert "一百五" in rows[2]["raw"]


def test_bom_and_no_bom_read_the_same(tmp_path: Path) -> None:
    text = (SAMPLES / "patients.csv").read_text(encoding="utf-8")
    (tmp_path / "bom.csv").write_text(text, encoding="utf-8-sig")
    (tmp_path / "plain.csv").write_text(text, encoding="utf-8")
    a, _ = read_csv_table(tmp_path / "bom.csv")
    b, _ = read_csv_table(tmp_path / "plain.csv")
    assert list(a.columns)[0] == "patient_id"
    pd.testing.assert_frame_equal(a, b)


def test_quoted_line_breaks_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        "patient_id,date,program,danger_signs\n"
        'P00002,2026-03-01,hypertension,"胸闷\n心悸"\n'
        "P00002,2026-03-40,hypertension,\n",
        encoding="utf-8",
    )
    frame, problems = read_csv_table(path)
    assert problems == [] and list(frame["_line"]) == [2, 4]


def test_gbk_file_is_a_clear_input_error(tmp_path: Path) -> None:
    import pytest

    from assistant.errors import InputError

    path = tmp_path / "gbk.csv"
    path.write_bytes("patient_id,name\nP1,王建国\n".encode("gbk"))
    with pytest.raises(InputError, match="UTF-8"):
        read_csv_table(path)


def test_patient_rows() -> None:
    rows = [
        {"patient_id": "A1", "birth_date": "1960-01-01", "programs": "hypertension", "enrolled_on": "2025-01-01"},
        {"patient_id": "A1", "birth_date": "1960-01-01", "programs": "diabetes", "enrolled_on": "2025-01-01"},
        {"patient_id": "", "birth_date": "1960-01-01", "programs": "diabetes", "enrolled_on": "2025-01-01"},
        {"patient_id": "A2", "birth_date": "1960-01-01", "programs": "hepatitis", "enrolled_on": "2025-01-01"},
        {"patient_id": "A3", "birth_date": "1960-02-30", "programs": "高血压;肝炎", "enrolled_on": "2025-01-01",
         "resident_id": "110101196001011234"},
    ]  # fmt: skip
    patients = pd.DataFrame(rows).fillna("")
    visits = pd.DataFrame(columns=["patient_id", "date", "program"])
    data = validate(patients, visits, AS_OF)
    got = {(p.line, p.field, p.action) for p in data.problems}
    assert (3, "patient_id", "rejected") in got  # duplicate of line 2
    assert (4, "patient_id", "rejected") in got  # missing
    assert (5, "programs", "rejected") in got  # no known program
    assert (6, "programs", "kept") in got  # 肝炎 ignored, 高血压 kept
    assert (6, "birth_date", "kept") in got  # impossible date ignored
    assert (6, "resident_id", "kept") in got  # wrong check character
    assert list(data.patients["patient_id"]) == ["A1", "A3"]
    assert len(data.enrolments) == 2


def test_birth_date_and_sex_from_a_valid_resident_id() -> None:
    patients = pd.DataFrame(
        [
            {
                "patient_id": "B1",
                "programs": "elderly",
                "resident_id": "11010519491231002X",
                "enrolled_on": "2025-01-01",
            }
        ]
    )
    data = validate(patients, pd.DataFrame(columns=["patient_id", "date", "program"]), AS_OF)
    assert data.problems == []
    assert data.patients["birth_date"].iloc[0] == pd.Timestamp("1949-12-31")
    assert data.patients["sex"].iloc[0] == "female"


def test_vectorised_resident_id_check_agrees_with_the_scalar_one() -> None:
    ids = [
        "11010519491231002X", "11010519491231002x", "110105194912310021", "11010519491231002", "",
        "99010519491231002X", "１１０１０５１９４９１２３１００２Ｘ", "110105194902300028", "A10105194912310021",
        "110105187912310022", " 11010519491231002X ", "340102199003071234",
    ]  # fmt: skip
    from assistant.records.resident_id import check_character

    ids.append("340102199003071" + "23" + check_character("34010219900307123"))
    assert list(resident_id_valid(ids)) == [is_valid_resident_id(x) for x in ids]
