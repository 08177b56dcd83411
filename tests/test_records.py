"""Validated encounter records (CONTRACTS.md §1), implausible values and reading JSON input."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.records import (
    Encounter,
    Labs,
    Vitals,
    decode_input,
    implausible_values,
    parse_encounter,
    read_encounters,
    read_encounters_partial,
    unknown_finding_codes,
    value_ranges,
)
from assistant.records.encounter import LAB_UNITS, PRESCRIPTION_UNITS, VITAL_UNITS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"
TODAY = date(2026, 3, 14)

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(region: str, birth: date, seq: str) -> str:
    body = f"{region}{birth:%Y%m%d}{seq}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


WOMAN_1957 = make_id("341221", date(1957, 8, 21), "032")  # 17th digit even: female
MAN_1957 = make_id("341221", date(1957, 8, 21), "031")


def base(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "date": "2026-03-14",
        "patient": {"id": "P1", "age_years": 68, "sex": "male", "history": ["高血压"]},
        "complaint": "咳嗽3天，发热",
        "vitals": {"temperature_c": 38.6, "systolic_bp": 148, "diastolic_bp": 90},
    }
    for path, value in changes.items():
        node = record
        *parents, last = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        if value is _DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return record


_DELETE = object()


def problems_of(data: object, default_date: date = TODAY) -> list[str]:
    with pytest.raises(InputError) as err:
        parse_encounter(data, default_date=default_date)
    return [str(p) for p in err.value.problems]


# --- the samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["encounter_zh.json", "encounter_en.json", "encounters.jsonl"])
def test_samples_are_valid_and_consistent(name: str) -> None:
    encounters = read_encounters((SAMPLES / name).read_text(encoding="utf-8"), default_date=TODAY)
    assert encounters
    for enc in encounters:
        assert enc.patient.age_years is not None and enc.patient.sex in ("male", "female")
        assert enc.demographics.conflicts == ()
        assert implausible_values(enc) == []


def test_jsonl_sample_has_a_child_and_a_pregnant_woman() -> None:
    encounters = read_encounters(
        (SAMPLES / "encounters.jsonl").read_text(encoding="utf-8"), default_date=TODAY
    )
    assert len(encounters) >= 5
    assert any(e.patient.age_years < 6 for e in encounters)
    assert any(e.patient.pregnant and e.patient.sex == "female" for e in encounters)


def test_chinese_sample_resolves_age_and_sex_from_the_resident_id() -> None:
    (enc,) = read_encounters((SAMPLES / "encounter_zh.json").read_text(encoding="utf-8"), default_date=TODAY)
    assert 68 < enc.patient.age_years < 69
    assert enc.demographics.age_source == "resident_id"
    assert enc.patient.sex == "male" and enc.demographics.sex_source == "sex"
    assert enc.prescriptions[0].route == "oral"


# --- accepted ------------------------------------------------------------------------------------


def test_minimal_record_and_default_date() -> None:
    enc = parse_encounter({"patient": {}, "findings": {"fever": True}}, default_date=TODAY)
    assert enc.date == TODAY and enc.demographics.date_source == "default_date"
    assert enc.patient.age_years is None and enc.patient.sex is None
    assert enc.vitals == Vitals() and enc.labs == Labs() and enc.prescriptions == []


@pytest.mark.parametrize(
    ("given", "sex"),
    [("男", "male"), ("女", "female"), ("M", "male"), ("f", "female"), ("Male", "male"), ("FEMALE", "female"),
     ("男性", "male"), (" 女 ", "female"), (1, "male"), ("2", "female")],
)  # fmt: skip
def test_sex_is_normalised(given: object, sex: str) -> None:
    assert parse_encounter(base(patient__sex=given), default_date=TODAY).patient.sex == sex


@pytest.mark.parametrize(
    ("given", "route"),
    [("口服", "oral"), ("PO", "oral"), ("静滴", "iv"), ("静脉滴注", "iv"), ("ivgtt", "iv"), ("肌注", "im"),
     ("外用", "topical"), ("雾化吸入", "inhaled"), ("inhaled", "inhaled"), ("皮下注射", "sc")],
)  # fmt: skip
def test_route_is_normalised(given: str, route: str) -> None:
    data = base(prescriptions=[{"drug": "x", "route": given}])
    assert parse_encounter(data, default_date=TODAY).prescriptions[0].route == route


def test_impossible_numbers_are_accepted_and_listed_for_the_data_entry_check() -> None:
    data = base(
        vitals={"temperature_c": 3.8, "systolic_bp": 80, "diastolic_bp": 120, "spo2": 105, "heart_rate": -5},
        labs={"hemoglobin": 12.5, "potassium": 4.1},
        prescriptions=[{"drug": "阿莫西林", "dose_mg": 0, "times_per_day": 3, "days": 5}],
    )
    enc = parse_encounter(data, default_date=TODAY)
    assert enc.vitals.temperature_c == 3.8 and enc.vitals.heart_rate == -5
    found = {f.field: f for f in implausible_values(enc)}
    assert set(found) == {
        "vitals.temperature_c", "vitals.spo2", "vitals.heart_rate", "vitals.systolic_bp", "labs.hemoglobin",
        "prescriptions.0.dose_mg",
    }  # fmt: skip
    assert found["vitals.systolic_bp"].kind == "swapped" and found["vitals.systolic_bp"].low == 120
    assert (found["vitals.temperature_c"].low, found["vitals.temperature_c"].high) == (25, 45)
    assert found["labs.hemoglobin"].suspected_unit == "g/dL"
    assert "outside the possible range" in str(found["vitals.spo2"])


def test_fahrenheit_and_future_prior_exam_are_flagged() -> None:
    data = base(vitals={"temperature_c": 101.3}, prior_exams=[{"name": "胸片", "date": "2026-04-01"}])
    found = implausible_values(parse_encounter(data, default_date=TODAY))
    assert [(f.field, f.kind, f.suspected_unit) for f in found] == [
        ("vitals.temperature_c", "out_of_range", "°F"),
        ("prior_exams.0.date", "after_encounter", None),
    ]


def test_plausible_record_has_no_implausible_values() -> None:
    assert implausible_values(parse_encounter(base(), default_date=TODAY)) == []


def test_unknown_fields_are_kept() -> None:
    data = base(clinic_system_id="HIS-9", patient__nation="汉", vitals__pulse_rhythm="irregular")
    data["labs"] = {"urine_protein": "++", "crp": 12, "hbsag": False}
    enc = parse_encounter(data, default_date=TODAY)
    dumped = enc.model_dump(mode="json")
    assert dumped["clinic_system_id"] == "HIS-9"
    assert dumped["patient"]["nation"] == "汉"
    assert dumped["vitals"]["pulse_rhythm"] == "irregular"
    assert dumped["labs"] == {**dumped["labs"], "urine_protein": "++", "crp": 12.0, "hbsag": False}


def test_numeric_text_and_blank_values() -> None:
    data = base(vitals={"temperature_c": " 37.5 ", "heart_rate": ""}, patient__age_years="0.5")
    enc = parse_encounter(data, default_date=TODAY)
    assert enc.vitals.temperature_c == 37.5 and enc.vitals.heart_rate is None and enc.patient.age_years == 0.5


def test_lists_are_cleaned_and_findings_normalised() -> None:
    data = base(patient__allergies=[" 青霉素 ", ""], findings={" Fever ": "是", "cough": 0, "rash": None})
    enc = parse_encounter(data, default_date=TODAY)
    assert enc.patient.allergies == ["青霉素"]
    assert enc.findings == {"fever": True, "cough": False}


def test_unknown_finding_codes_against_the_knowledge_base() -> None:
    from assistant.knowledge import load_knowledge

    enc = parse_encounter(base(findings={"fever": True, "fevr": True}), default_date=TODAY)
    assert unknown_finding_codes(enc, load_knowledge().findings) == ["fevr"]


# --- demographics --------------------------------------------------------------------------------


def test_age_and_sex_come_from_the_resident_id_when_missing() -> None:
    enc = parse_encounter(base(patient={"resident_id": WOMAN_1957}), default_date=TODAY)
    p, d = enc.patient, enc.demographics
    assert p.sex == "female" and d.sex_source == "resident_id"
    assert p.birth_date == date(1957, 8, 21) and d.birth_date_source == "resident_id"
    assert 68.5 < p.age_years < 68.6 and d.age_source == "resident_id"
    assert d.resident_id is not None and d.conflicts == ()


def test_age_source_order_age_then_birth_date_then_resident_id() -> None:
    enc = parse_encounter(base(patient={"birth_date": "2025-09-14"}), default_date=TODAY)
    assert (
        enc.patient.age_years == pytest.approx(0.5, abs=0.01) and enc.demographics.age_source == "birth_date"
    )
    enc = parse_encounter(base(patient={"age_years": 68, "resident_id": MAN_1957}), default_date=TODAY)
    assert enc.patient.age_years == 68 and enc.demographics.age_source == "age_years"
    assert enc.demographics.conflicts == ()  # 68.6 by the ID: within a year


def test_age_is_relative_to_the_encounter_date_not_the_default() -> None:
    data = base(patient={"birth_date": "2000-01-01"})
    data["date"] = "2010-01-01"
    assert parse_encounter(data, default_date=date(2030, 1, 1)).patient.age_years == 10


def test_conflicts_are_noted_not_rejected() -> None:
    data = base(patient={"resident_id": WOMAN_1957, "sex": "男", "birth_date": "1960-01-01", "age_years": 40,
                         "pregnant": True})  # fmt: skip
    enc = parse_encounter(data, default_date=TODAY)
    kinds = [c.kind for c in enc.demographics.conflicts]
    assert kinds == ["sex_vs_resident_id", "birth_date_vs_resident_id", "age_vs_resident_id",
                     "age_vs_birth_date", "pregnant_male"]  # fmt: skip
    assert enc.patient.sex == "male" and enc.patient.age_years == 40  # the record's own values win
    for c in enc.demographics.conflicts:
        assert WOMAN_1957 not in str(c) and WOMAN_1957 not in c.recorded + c.derived


def test_invalid_resident_id_is_a_conflict_and_is_masked() -> None:
    bad = WOMAN_1957[:17] + ("0" if WOMAN_1957[-1] != "0" else "1")
    enc = parse_encounter(base(patient={"resident_id": bad}), default_date=TODAY)
    (conflict,) = enc.demographics.conflicts
    assert conflict.kind == "resident_id_invalid" and "should be" in conflict.detail
    assert bad not in conflict.detail and set(conflict.recorded) == {"*"}
    assert enc.patient.age_years is None and enc.demographics.resident_id is None
    assert bad not in repr(enc)


def test_resident_id_born_after_the_encounter_is_not_used() -> None:
    later = make_id("341522", date(2026, 6, 1), "042")
    enc = parse_encounter(base(patient={"resident_id": later}), default_date=TODAY)
    assert enc.demographics.conflicts[0].kind == "resident_id_invalid"
    assert enc.patient.age_years is None


def test_infant_age_tolerance_is_two_months() -> None:
    data = base(patient={"birth_date": "2025-09-14", "age_years": 0.2})
    assert [c.kind for c in parse_encounter(data, default_date=TODAY).demographics.conflicts] == [
        "age_vs_birth_date"
    ]
    data = base(patient={"birth_date": "2025-09-14", "age_years": 0.45})
    assert parse_encounter(data, default_date=TODAY).demographics.conflicts == ()


# --- rejected ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"patient": _DELETE}, "patient", "is required"),
        ({"patient": "张三"}, "patient", "must be an object"),
        ({"complaint": _DELETE}, "complaint", "either complaint or findings is required"),
        ({"complaint": "  ", "findings": {}}, "complaint", "either complaint or findings"),
        ({"complaint": 5}, "complaint", "must be text"),
        ({"patient__age_years": -3}, "patient.age_years", "must be between 0 and 120, got -3"),
        ({"patient__age_years": 121}, "patient.age_years", "between 0 and 120"),
        ({"patient__age_years": "sixty"}, "patient.age_years", "must be a number, got 'sixty'"),
        ({"patient__sex": "x"}, "patient.sex", "must be male or female, got 'x'"),
        ({"patient__sex": "unknown"}, "patient.sex", "must be male or female"),
        ({"patient__birth_date": "1957/08/21"}, "patient.birth_date", "YYYY-MM-DD"),
        ({"patient__birth_date": "2026-04-01"}, "patient.birth_date", "after the encounter date 2026-03-14"),
        ({"patient__birth_date": "1900-01-01"}, "patient.birth_date", "more than 120"),
        ({"patient__pregnant": "maybe"}, "patient.pregnant", "true or false"),
        ({"patient__allergies": "青霉素"}, "patient.allergies", "must be a list of text"),
        ({"patient__allergies": ["青霉素", 3]}, "patient.allergies.1", "must be text"),
        ({"patient__resident_id": 341221195708210316}, "patient.resident_id", "must be text"),
        ({"date": "2026-02-30"}, "date", "not a real date"),
        ({"date": 20260314}, "date", "YYYY-MM-DD"),
        ({"vitals__temperature_c": "38.5度"}, "vitals.temperature_c", "must be a number (°C), got '38.5度'"),
        ({"vitals__heart_rate": True}, "vitals.heart_rate", "got true"),
        ({"vitals__spo2": float("nan")}, "vitals.spo2", "finite"),
        ({"vitals": [37.5]}, "vitals", "must be an object"),
        ({"labs__egfr": "normal"}, "labs.egfr", "must be a number"),
        ({"labs__crp": {"value": 3}}, "labs.crp", "number, text or true/false"),
        ({"findings": ["fever"]}, "findings", "object of finding code"),
        ({"findings": {"fever": "maybe"}}, "findings.fever", "true or false"),
        ({"prescriptions": [{"dose_mg": 500}]}, "prescriptions.0.drug", "is required"),
        ({"prescriptions": [{"drug": "  "}]}, "prescriptions.0.drug", "must not be empty"),
        ({"prescriptions": [{"drug": "x", "dose_mg": "500mg"}]}, "prescriptions.0.dose_mg", "mg per dose"),
        (
            {"prescriptions": [{"drug": "x", "route": "鼻饲管"}]},
            "prescriptions.0.route",
            "must be one of oral",
        ),
        ({"prescriptions": {"drug": "x"}}, "prescriptions", "must be a list"),
        ({"prior_exams": [{"date": "2025-01-01"}]}, "prior_exams.0.name", "is required"),
        ({"diagnoses": [None]}, "diagnoses.0", "must be text"),
    ],
)
def test_unusable_values_are_rejected_naming_the_field(
    changes: dict[str, Any], field: str, words: str
) -> None:
    found = problems_of(base(**changes))
    assert any(p.startswith(f"{field}: ") and words in p for p in found), found


def test_all_problems_are_collected_at_once() -> None:
    data = base(patient__sex="x", patient__age_years=-1, vitals__spo2="low", prescriptions=[{"days": 3}])
    data["patient"]["birth_date"] = "2030-01-01"
    found = problems_of(data)
    assert [p.split(":")[0] for p in found] == [
        "patient.age_years", "patient.sex", "vitals.spo2", "prescriptions.0.drug", "patient.birth_date",
    ]  # fmt: skip


def test_not_an_object() -> None:
    assert problems_of([]) == ["(record): must be a JSON object, got a list"]


def test_problems_never_echo_a_resident_id() -> None:
    data = base(patient__resident_id=[WOMAN_1957])
    found = problems_of(data)
    assert found and all(WOMAN_1957 not in p for p in found)


# --- ranges table --------------------------------------------------------------------------------


def test_ranges_cover_every_named_number_with_its_unit() -> None:
    table = value_ranges()
    expected = {f"vitals.{k}": u for k, u in VITAL_UNITS.items()} | {
        f"labs.{k}": u for k, u in LAB_UNITS.items()
    }
    expected |= {f"prescriptions.{k}": None for k in PRESCRIPTION_UNITS}
    assert set(table.keys()) == set(expected)
    assert set(VITAL_UNITS) == set(Vitals.model_fields) and set(LAB_UNITS) == set(Labs.model_fields)
    for row in table:
        if expected[row.field] is not None:
            assert row.unit == expected[row.field], row.field
        assert row.possible_low < row.possible_high
        for bound in (row.normal_low, row.normal_high):
            assert bound is None or row.is_possible(bound), row.field
        for s in row.suspect_units:  # a unit hint only explains a value that is already impossible
            assert s.high < row.possible_low or s.low > row.possible_high, (row.field, s.unit)


# --- reading JSON text ---------------------------------------------------------------------------


def test_object_array_and_json_lines() -> None:
    one = json.dumps(base())
    assert len(read_encounters(one, default_date=TODAY)) == 1
    assert len(read_encounters(json.dumps([base(), base()]), default_date=TODAY)) == 2
    assert len(read_encounters(f"{one}\n\n{one}\n{one}\n", default_date=TODAY)) == 3
    assert len(read_encounters("\ufeff" + one, default_date=TODAY)) == 1


def test_errors_name_the_record_and_line() -> None:
    bad = base(patient__sex="x")
    lines = "\n".join([json.dumps(base()), "", json.dumps(bad)])
    with pytest.raises(InputError) as err:
        read_encounters(lines, default_date=TODAY)
    assert str(err.value) == "record 2 (line 3): patient.sex: must be male or female, got 'x'"
    array = "[\n" + json.dumps(base()) + ",\n" + json.dumps(bad) + "\n]"
    with pytest.raises(InputError) as err:
        read_encounters(array, default_date=TODAY)
    assert str(err.value) == "record 2 (line 3): patient.sex: must be male or female, got 'x'"
    (problem,) = err.value.problems
    assert problem.field == "patient.sex" and problem.record == 2  # type: ignore[attr-defined]


def test_single_object_problems_have_no_record_prefix() -> None:
    with pytest.raises(InputError) as err:
        read_encounters(json.dumps(base(patient__sex="x")), default_date=TODAY)
    assert str(err.value).startswith("patient.sex: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"patient": {}, "complaint": "x",}', "line 1 column 34"),
        ('{\n  "patient": {},\n  "complaint": "x"\n  "date": "2026-03-14"\n}', "line 4 column 3"),
        ("", "the input is empty"),
        ("  \n ", "the input is empty"),
        ("[]", "the array is empty"),
        ("[" * 50_000, "nested too deeply"),
    ],
)
def test_invalid_json_gives_line_and_column(text: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        read_encounters(text, default_date=TODAY)
    assert words in str(err.value)


def test_json_lines_with_a_broken_line() -> None:
    text = "\n".join([json.dumps(base()), '{"patient": {', json.dumps(base())])
    with pytest.raises(InputError) as err:
        read_encounters(text, default_date=TODAY)
    assert str(err.value).startswith("record 2 (line 2): (json): not valid JSON: column")
    result = read_encounters_partial(text, default_date=TODAY)
    assert [r.number for r in result.records] == [1, 3] and result.total == 3 and len(result.problems) == 1


def test_partial_read_keeps_the_good_records() -> None:
    text = json.dumps([base(), base(patient__age_years=200), base(complaint="腹痛")])
    result = read_encounters_partial(text, default_date=TODAY)
    assert [(r.number, r.line) for r in result.records] == [(1, 1), (3, 1)]
    assert [e.complaint for e in result.encounters] == ["咳嗽3天，发热", "腹痛"]
    assert [str(p) for p in result.problems] == [
        "record 2 (line 1): patient.age_years: must be between 0 and 120, got 200"
    ]


def test_decode_input_reads_utf8_and_gb18030() -> None:
    text = json.dumps(base(), ensure_ascii=False)
    assert decode_input(text.encode("utf-8-sig")) == text
    assert decode_input(text.encode("gb18030")) == text


# --- robustness ----------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["date", "patient", "complaint", "findings", "vitals", "labs", "diagnoses", "prescriptions", "orders",
     "prior_exams", "age_years", "sex", "birth_date", "resident_id", "drug", "dose_mg", "route", "name",
     "temperature_c", "pregnant", "allergies", "egfr"]
)  # fmt: skip
_record = st.recursive(
    _json,
    lambda children: st.dictionaries(_keys, children, max_size=6) | st.lists(children, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_record)
def test_parse_encounter_raises_only_input_error(data: object) -> None:
    try:
        enc = parse_encounter(copy.deepcopy(data), default_date=TODAY)
    except InputError as exc:
        assert exc.problems and all(p.field and p.reason for p in exc.problems)
        return
    assert isinstance(enc, Encounter) and enc.date is not None


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), _record.map(lambda d: json.dumps(d, allow_nan=True))))
def test_read_encounters_raises_only_input_error(text: str) -> None:
    try:
        encounters = read_encounters(text, default_date=TODAY)
    except InputError as exc:
        assert exc.problems
        return
    assert all(isinstance(e, Encounter) for e in encounters)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([json.dumps(base()), json.dumps(base(patient__sex="?")), "{oops", ""]), max_size=6
    )
)
def test_partial_read_accounts_for_every_record(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = read_encounters_partial(text, default_date=TODAY)
    bad_records = {getattr(p, "record", None) for p in result.problems}
    if result.total > 1:
        assert len(result.records) + len(bad_records) == result.total
