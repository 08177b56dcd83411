"""Behaviour of the quality checks on records a village doctor writes (Chinese and English)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from assistant.knowledge import load_knowledge
from assistant.quality import QualityIssue, check_quality, example_encounter, is_alarm
from assistant.records import parse_encounter


def issues(record: dict[str, Any], **kwargs: Any) -> list[QualityIssue]:
    """Issues of a record merged onto the rule examples' base (40-year-old man, 2026-03-02)."""
    encounter, scores = example_encounter(record)
    return check_quality(encounter, model_scores=kwargs.pop("model_scores", scores), **kwargs)


def rules(record: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    return {i.rule: i.severity for i in issues(record, **kwargs)}


def alarms(record: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    return {i.rule: i.severity for i in issues(record, **kwargs) if is_alarm(i)}


def rx(
    drug: str, dose: float | None = None, times: int | None = None, route: str | None = "oral"
) -> dict[str, Any]:
    out: dict[str, Any] = {"drug": drug, "days": 5}
    if dose is not None:
        out["dose_mg"] = dose
    if times is not None:
        out["times_per_day"] = times
    if route is not None:
        out["route"] = route
    return out


# ------------------------------------------------------------------------------- contract shape


def test_issue_has_the_contract_fields_and_json_evidence() -> None:
    found = issues({"patient": {"allergies": ["青霉素"]}, "orders": ["血常规"],
                    "prescriptions": [rx("阿莫西林", 500, 3)], "diagnoses": ["急性扁桃体炎"],
                    "complaint": "咽痛发热，扁桃体脓性分泌物，体温38.8℃"})  # fmt: skip
    d = found[0].to_dict()
    assert list(d) == ["rule", "category", "severity", "message_zh", "message_en", "evidence"]
    assert d["rule"] == "qc.allergy.penicillin" and d["severity"] == "error"
    assert (
        d["evidence"]["patient.allergies.0"] == "青霉素"
        and d["evidence"]["prescriptions.0.drug"] == "阿莫西林"
    )
    json.dumps([i.to_dict() for i in found], ensure_ascii=False)


def test_issues_are_sorted_most_severe_first() -> None:
    found = issues({"patient": {"allergies": ["磺胺", "某药"]}, "vitals": {"temperature_c": 3.8},
                    "prescriptions": [rx("氢氯噻嗪", 25, 1)], "diagnoses": ["高血压"],
                    "complaint": "头晕", "orders": ["骨密度"]})  # fmt: skip
    order = [i.severity for i in found]
    assert order == sorted(order, key=["error", "warning", "info"].index)
    assert order[0] == "error" and "info" in order


# ------------------------------------------------------------------------------- contraindications


@pytest.mark.parametrize(
    "patient, extra",
    [
        ({"history": ["肠梗阻"]}, {}),
        ({"history": ["K56.6"]}, {}),
        ({"history": ["small bowel obstruction"]}, {}),
        ({}, {"diagnoses": ["不全性肠梗阻"], "complaint": "腹痛腹胀2天，呕吐，停止排气排便"}),
        ({}, {"complaint": "腹胀，停止排气排便1天"}),
    ],
)
def test_barium_meal_with_obstruction_from_history_diagnosis_or_findings(patient: dict, extra: dict) -> None:
    assert (
        rules({"patient": patient, "orders": ["上消化道钡餐"], **extra}).get("qc.contra.barium_obstruction")
        == "error"
    )


def test_barium_meal_without_obstruction_is_quiet() -> None:
    assert "qc.contra.barium_obstruction" not in rules(
        {"orders": ["barium swallow"], "complaint": "反酸烧心1月"}
    )


@pytest.mark.parametrize("renal", [{"labs": {"egfr": 22}}, {"patient": {"history": ["CKD 4期"]}},
                                   {"patient": {"history": ["N18.5"]}}, {"patient": {"history": ["透析"]}}])  # fmt: skip
def test_metformin_with_egfr_below_30(renal: dict) -> None:
    rec = {"complaint": "糖尿病复诊", "vitals": {"fasting_glucose_mmol_l": 8}, "diagnoses": ["2型糖尿病"],
           "prescriptions": [rx("Metformin 500 mg tablets", 500, 2)], **renal}  # fmt: skip
    assert rules(rec)["qc.contra.metformin_egfr"] == "error"


def test_metformin_with_moderate_ckd_is_not_an_error() -> None:
    rec = {"complaint": "糖尿病复诊", "vitals": {"fasting_glucose_mmol_l": 8}, "diagnoses": ["2型糖尿病"],
           "labs": {"egfr": 52}, "prescriptions": [rx("二甲双胍", 500, 2)]}  # fmt: skip
    assert alarms(rec) == {}


@pytest.mark.parametrize("drug", ["卡托普利", "enalapril", "氯沙坦钾片", "Diovan"])
@pytest.mark.parametrize("pregnancy", [{"patient": {"pregnant": True}}, {"diagnoses": ["早孕", "高血压"]},
                                       {"diagnoses": ["妊娠期高血压"], "patient": {"pregnant": True}}])  # fmt: skip
def test_acei_and_arb_in_pregnancy(drug: str, pregnancy: dict) -> None:
    rec = {"complaint": "孕12周，血压高", "vitals": {"systolic_bp": 150, "diastolic_bp": 96},
           "prescriptions": [rx(drug, 25 if drug == "卡托普利" else 10 if drug == "enalapril" else 50, 1)]}  # fmt: skip
    rec["diagnoses"] = pregnancy.get("diagnoses", ["高血压"])
    rec["patient"] = {"sex": "female", "age_years": 30, **pregnancy.get("patient", {})}
    found = rules(rec)
    assert (
        found.get("qc.contra.acei_pregnancy") == "error" or found.get("qc.contra.arb_pregnancy") == "error"
    ), found


def test_past_pregnancy_in_the_history_is_not_a_pregnancy_now() -> None:
    rec = {"patient": {"sex": "female", "age_years": 44, "pregnant": False, "history": ["异位妊娠", "O80"]},
           "complaint": "高血压复诊", "vitals": {"systolic_bp": 146, "diastolic_bp": 90}, "diagnoses": ["高血压"],
           "prescriptions": [rx("依那普利", 10, 1)]}  # fmt: skip
    assert alarms(rec) == {}


@pytest.mark.parametrize("age, expected", [(8, "error"), (17.5, "error"), (18, None), (45, None)])
def test_fluoroquinolones_under_18(age: float, expected: str | None) -> None:
    rec = {"patient": {"age_years": age, "sex": "male"}, "complaint": "尿频尿急尿痛2天",
           "vitals": {"weight_kg": 30 if age < 12 else 60}, "diagnoses": ["急性膀胱炎"],
           "prescriptions": [rx("环丙沙星", 250, 2)]}  # fmt: skip
    assert rules(rec).get("qc.contra.fluoroquinolone_child") == expected


def test_levofloxacin_eye_drops_are_not_checked_as_systemic() -> None:
    rec = {"patient": {"age_years": 6}, "complaint": "双眼红、分泌物多2天", "vitals": {"weight_kg": 20},
           "diagnoses": ["急性结膜炎"], "prescriptions": [{"drug": "左氧氟沙星滴眼液", "times_per_day": 4}]}  # fmt: skip
    assert alarms(rec) == {}


def test_aspirin_under_16_with_fever_or_viral_illness() -> None:
    base = {
        "patient": {"age_years": 10},
        "vitals": {"weight_kg": 30},
        "prescriptions": [rx("阿司匹林", 300, 3)],
    }
    feverish = {**base, "complaint": "发热咳嗽2天，体温38.6℃", "diagnoses": ["上感"]}
    assert rules(feverish)["qc.contra.aspirin_child_fever"] == "error"
    chickenpox = {
        **base,
        "complaint": "全身水疱疹伴瘙痒",
        "diagnoses": ["水痘"],
        "vitals": {"weight_kg": 30, "temperature_c": 37},
    }
    assert rules(chickenpox)["qc.contra.aspirin_child_fever"] == "error"
    no_fever = {**base, "complaint": "踝关节扭伤后肿痛，无发热", "diagnoses": ["踝关节扭伤"]}
    found = rules(no_fever)
    assert "qc.contra.aspirin_child_fever" not in found and found["qc.contra.child_avoid"] == "warning"
    adult = {
        **feverish,
        "patient": {"age_years": 30},
        "vitals": {},
        "prescriptions": [rx("阿司匹林", 500, 3)],
    }
    assert "qc.contra.aspirin_child_fever" not in rules(adult)


@pytest.mark.parametrize("asthma", [{"patient": {"history": ["J45.9"]}}, {"patient": {"history": ["哮喘"]}},
                                    {"complaint": "头晕，既往哮喘"}])  # fmt: skip
def test_non_selective_beta_blocker_with_asthma(asthma: dict) -> None:
    rec = {"complaint": "头晕", "vitals": {"systolic_bp": 160, "diastolic_bp": 96}, "diagnoses": ["高血压"],
           "prescriptions": [rx("心得安", 10, 3)], **asthma}  # fmt: skip
    assert rules(rec)["qc.contra.nonselective_bb_asthma"] == "error"
    rec["prescriptions"] = [rx("美托洛尔", 25, 2)]  # selective: a caution (info), not an error
    assert rules(rec).get("qc.contra.drug_caution") == "info" and not alarms(rec)


def test_nsaids_with_ulcer_or_bleeding() -> None:
    ulcer = {"patient": {"history": ["胃溃疡"]}, "complaint": "腰痛", "diagnoses": ["腰痛"],
             "prescriptions": [rx("双氯芬酸钠", 50, 2)]}  # fmt: skip
    assert rules(ulcer)["qc.contra.nsaid_ulcer"] == "error"
    bleeding = {"complaint": "黑便2天，腰痛", "diagnoses": ["腰痛"], "prescriptions": [rx("布洛芬", 400, 3)]}
    assert rules(bleeding)["qc.contra.nsaid_bleeding"] == "error"
    aspirin = {**bleeding, "prescriptions": [rx("阿司匹林肠溶片", 100, 1)]}
    assert rules(aspirin)["qc.contra.nsaid_bleeding"] == "error"


def test_iodinated_contrast_with_renal_failure() -> None:
    for renal in (
        {"labs": {"egfr": 18}},
        {"patient": {"history": ["尿毒症"]}},
        {"patient": {"history": ["renal failure"]}},
    ):
        assert rules({"orders": ["CT增强"], **renal})["qc.contra.contrast_renal"] == "error"
    assert "qc.contra.contrast_renal" not in rules(
        {"orders": ["CT增强"], "patient": {"history": ["慢性肾病"]}}
    )


def test_long_term_medicine_against_a_new_state_is_a_warning() -> None:
    rec = {"patient": {"sex": "female", "age_years": 30, "pregnant": True, "medications": ["阿托伐他汀"]},
           "orders": ["尿常规"]}  # fmt: skip
    assert rules(rec)["qc.contra.medication"] == "warning"


# ------------------------------------------------------------------------------- allergies


@pytest.mark.parametrize(
    "allergy", ["青霉素", "penicillin", "Penicillin allergy", "对青霉素类药物过敏", "阿莫西林", "PCN"]
)
def test_penicillin_allergy_reaches_across_the_class(allergy: str) -> None:
    base = {"patient": {"allergies": [allergy]}, "complaint": "咽痛发热，扁桃体脓性分泌物，体温38.8℃",
            "diagnoses": ["急性扁桃体炎"]}  # fmt: skip
    assert (
        rules({**base, "prescriptions": [rx("阿莫西林克拉维酸钾", 625, 3)]})["qc.allergy.penicillin"]
        == "error"
    )
    assert (
        rules({**base, "prescriptions": [rx("青霉素钠", 480, 2, "im")]})["qc.allergy.penicillin"] == "error"
    )


def test_penicillin_allergy_and_a_cephalosporin_is_a_warning() -> None:
    rec = {"patient": {"allergies": ["青霉素"]}, "complaint": "咽痛发热，扁桃体脓性分泌物，体温38.8℃",
           "diagnoses": ["急性扁桃体炎"], "prescriptions": [rx("头孢氨苄", 500, 4)]}  # fmt: skip
    assert rules(rec) == {"qc.allergy.penicillin_cephalosporin": "warning"}


@pytest.mark.parametrize("entry", ["无", "否认药物过敏史", "NKDA", "none", "海鲜过敏", "花粉", "尘螨"])
def test_no_allergy_and_non_drug_allergies_need_no_check(entry: str) -> None:
    rec = {"patient": {"allergies": [entry]}, "complaint": "咽痛发热，扁桃体脓性分泌物，体温38.8℃",
           "diagnoses": ["急性扁桃体炎"], "prescriptions": [rx("阿莫西林", 500, 3)]}  # fmt: skip
    assert rules(rec) == {}


def test_an_unreadable_allergy_is_reported_not_skipped() -> None:
    assert rules({"patient": {"allergies": ["头孢克肟"]}, "orders": ["血常规"]}) == {
        "qc.allergy.unrecognised": "info"
    }


def test_contrast_allergy_and_enhanced_ct() -> None:
    assert (
        rules({"patient": {"allergies": ["碘造影剂"]}, "orders": ["胸部增强CT"]})["qc.allergy.contrast"]
        == "error"
    )


# ------------------------------------------------------------------------------- interactions


def test_major_interaction_with_a_long_term_medicine() -> None:
    rec = {"patient": {"sex": "female", "pregnant": False, "medications": ["华法林钠片"]}, "complaint": "白带多有异味",
           "diagnoses": ["阴道炎"], "prescriptions": [rx("甲硝唑", 400, 2)]}  # fmt: skip
    found = issues(rec)
    hit = next(i for i in found if i.rule == "qc.interaction.major")
    assert hit.severity == "warning" and "华法林" in hit.message_zh and "warfarin" in hit.message_en


def test_two_drugs_of_one_class_and_refills() -> None:
    two_nsaids = {
        "complaint": "腰痛",
        "diagnoses": ["腰痛"],
        "prescriptions": [rx("布洛芬", 400, 3), rx("吲哚美辛", 25, 3)],
    }
    assert rules(two_nsaids)["qc.interaction.duplicate_class"] == "warning"
    acei_arb = {"complaint": "高血压复诊", "vitals": {"systolic_bp": 150, "diastolic_bp": 95}, "diagnoses": ["高血压"],
                "patient": {"medications": ["依那普利"]}, "prescriptions": [rx("缬沙坦", 80, 1)]}  # fmt: skip
    assert rules(acei_arb)["qc.interaction.duplicate_class"] == "warning"
    refill = {**acei_arb, "prescriptions": [rx("马来酸依那普利片", 10, 1)]}
    assert alarms(refill) == {}


def test_nsaid_raas_inhibitor_and_diuretic_together() -> None:
    rec = {"patient": {"age_years": 70, "medications": ["氯沙坦", "呋塞米"]}, "complaint": "膝关节疼痛",
           "diagnoses": ["膝骨关节炎"], "prescriptions": [rx("双氯芬酸", 50, 2)]}  # fmt: skip
    assert rules(rec)["qc.interaction.triple_whammy"] == "warning"


# ------------------------------------------------------------------------------- doses


def test_adult_maximum_per_dose_and_per_day() -> None:
    base = {"complaint": "腰痛", "diagnoses": ["腰痛"]}
    assert rules({**base, "prescriptions": [rx("布洛芬", 1200, 2)]})["qc.dose.over_max_dose"] == "error"
    assert rules({**base, "prescriptions": [rx("布洛芬", 800, 4)]})["qc.dose.over_max_daily"] == "error"
    assert alarms({**base, "prescriptions": [rx("布洛芬", 400, 3)]}) == {}


def test_the_route_decides_the_limits_and_no_route_takes_the_most_permissive() -> None:
    base = {"complaint": "咳嗽咳黄痰发热，体温39℃，湿啰音", "diagnoses": ["急性支气管炎"]}
    assert (
        rules({**base, "prescriptions": [rx("头孢呋辛", 1500, 2, "oral")]})["qc.dose.over_max_dose"]
        == "error"
    )
    assert "qc.dose.over_max_dose" not in rules({**base, "prescriptions": [rx("头孢呋辛", 1500, 2, "im")]})
    assert "qc.dose.over_max_dose" not in rules({**base, "prescriptions": [rx("头孢呋辛", 1500, 2, None)]})


def test_amoxicillin_clavulanate_may_be_written_as_the_whole_tablet() -> None:
    rec = {"complaint": "咳嗽咳黄痰发热，体温38.6℃，右下肺湿啰音", "vitals": {"spo2": 96},
           "diagnoses": ["肺炎"], "prescriptions": [rx("阿莫西林克拉维酸钾片 1g", 1000, 2)]}  # fmt: skip
    assert alarms(rec) == {}


def test_child_doses_per_kg_from_the_weight() -> None:
    child = {"patient": {"age_years": 4}, "complaint": "发热流涕1天，体温38.5℃", "diagnoses": ["上感"]}
    ok = {**child, "vitals": {"weight_kg": 16}, "prescriptions": [rx("对乙酰氨基酚", 240, 3)]}
    assert alarms(ok) == {}
    per_dose = {**ok, "prescriptions": [rx("对乙酰氨基酚", 400, 3)]}
    found = issues(per_dose)
    hit = next(i for i in found if i.rule == "qc.dose.child_over_per_kg_dose")
    assert hit.severity == "error" and hit.evidence["vitals.weight_kg"] == 16 and "25 mg/kg" in hit.message_en
    per_day = {**ok, "prescriptions": [rx("对乙酰氨基酚", 240, 5)]}
    assert rules(per_day)["qc.dose.child_over_per_kg_day"] == "error"


def test_a_child_without_weight_gets_a_completeness_note_not_a_guess() -> None:
    rec = {"patient": {"age_years": 4}, "complaint": "发热流涕1天，体温38.5℃", "diagnoses": ["上感"],
           "prescriptions": [rx("对乙酰氨基酚", 400, 3)]}  # fmt: skip
    found = issues(rec)
    assert [(i.rule, i.category, i.severity) for i in found] == [
        ("qc.complete.child_weight", "completeness", "info")
    ]


def test_penicillin_g_written_in_units_gets_a_hint() -> None:
    rec = {"complaint": "咽痛发热，扁桃体脓性分泌物，体温38.8℃", "diagnoses": ["急性扁桃体炎"],
           "prescriptions": [rx("青霉素", 800000, 2, "im")]}  # fmt: skip
    hit = next(i for i in issues(rec) if i.rule == "qc.dose.over_max_dose")
    assert "units" in hit.message_en and "479 mg" in hit.message_en


def test_drugs_dosed_in_units_or_ml_and_unknown_drugs_are_not_checked_in_mg() -> None:
    rec = {"complaint": "糖尿病复诊", "vitals": {"fasting_glucose_mmol_l": 9}, "diagnoses": ["2型糖尿病"],
           "prescriptions": [{"drug": "胰岛素", "dose_mg": 12, "route": "sc"}, rx("某降糖胶囊", 100, 3)]}  # fmt: skip
    assert rules(rec) == {"qc.data.unknown_drug": "info"}


# ------------------------------------------------------------------------------- duplicate examinations


def test_duplicate_examination_here_or_elsewhere_within_its_validity() -> None:
    rec = {
        "orders": ["血常规"],
        "prior_exams": [{"name": "CBC", "date": "2026-02-27", "facility": "某县医院"}],
    }
    hit = next(i for i in issues(rec) if i.rule == "qc.exam.duplicate")
    assert hit.category == "duplicate_exam" and hit.evidence["prior_exams.0.facility"] == "某县医院"
    old = {**rec, "prior_exams": [{"name": "血常规", "date": "2026-02-01"}]}
    assert issues(old) == []


def test_a_new_finding_justifies_an_early_repeat_and_serial_tests_never_repeat() -> None:
    rec = {
        "orders": ["血常规"],
        "prior_exams": [{"name": "血常规", "date": "2026-02-28"}],
        "complaint": "黑便1天",
    }
    assert "qc.exam.duplicate" not in rules(rec)
    serial = {"orders": ["随机血糖"], "prior_exams": [{"name": "随机血糖", "date": "2026-03-01"}]}
    assert issues(serial) == []


def test_the_date_comes_from_the_encounter_not_the_clock() -> None:
    record = {"date": "2026-03-02", "patient": {"age_years": 40}, "complaint": "复诊", "orders": ["胸片"],
              "prior_exams": [{"name": "胸片", "date": "2026-02-20"}]}  # fmt: skip
    soon = parse_encounter(record, default_date=dt.date(2030, 1, 1))
    later = parse_encounter({**record, "date": "2026-05-02"}, default_date=dt.date(2030, 1, 1))
    assert [i.rule for i in check_quality(soon)] == ["qc.exam.duplicate"]
    assert check_quality(later) == []


# ------------------------------------------------------------------------------- antibiotics and infusions


def test_antibiotics_for_a_cold_or_viral_bronchitis() -> None:
    cold = {
        "complaint": "流涕鼻塞2天，无发热",
        "diagnoses": ["上呼吸道感染"],
        "prescriptions": [rx("头孢呋辛酯", 250, 2)],
    }
    assert rules(cold)["qc.abx.common_cold"] == "warning"
    bronchitis = {
        "complaint": "咳嗽5天，无发热",
        "diagnoses": ["J20.9"],
        "prescriptions": [rx("阿奇霉素", 500, 1)],
    }
    assert rules(bronchitis)["qc.abx.acute_bronchitis"] == "warning"


@pytest.mark.parametrize("sign", [{"complaint": "咳嗽5天，咳黄脓痰"}, {"complaint": "咳嗽5天，发热", "vitals": {"temperature_c": 39.3}},
                                  {"complaint": "咳嗽5天", "labs": {"wbc": 13.5}}, {"complaint": "咳嗽5天，左下肺可闻及湿啰音"}])  # fmt: skip
def test_bronchitis_with_a_bacterial_sign_may_have_an_antibiotic(sign: dict) -> None:
    rec = {"diagnoses": ["急性支气管炎"], "prescriptions": [rx("阿莫西林", 500, 3)], **sign}
    assert not [r for r in rules(rec) if r.startswith("qc.abx.")]


def test_an_indication_among_several_diagnoses_and_unknown_diagnoses_stop_the_rule() -> None:
    both = {"complaint": "咳嗽咳黄痰发热3天，体温38.5℃，右下肺湿啰音，流涕", "vitals": {"spo2": 96},
            "diagnoses": ["感冒", "社区获得性肺炎"], "prescriptions": [rx("阿莫西林", 500, 3)]}  # fmt: skip
    assert not [r for r in rules(both) if r.startswith("qc.abx.")]
    unknown = {"complaint": "咽痛", "diagnoses": ["咽峡炎XX型"], "prescriptions": [rx("阿莫西林", 500, 3)]}
    assert rules(unknown) == {"qc.data.unknown_diagnosis": "info"}


def test_infusion_without_a_reason_and_with_one() -> None:
    cold = {"complaint": "流涕咽痛2天", "diagnoses": ["感冒"],
            "prescriptions": [{"drug": "5%葡萄糖注射液", "route": "静滴", "days": 3}]}  # fmt: skip
    assert rules(cold)["qc.abx.iv_not_needed"] == "warning"
    vomiting = {**cold, "complaint": "流涕咽痛2天，频繁呕吐不能进食"}
    assert "qc.abx.iv_not_needed" not in rules(vomiting)
    pneumonia = {"complaint": "咳嗽发热，体温38.9℃，湿啰音", "vitals": {"spo2": 95}, "diagnoses": ["肺炎"],
                 "prescriptions": [rx("头孢曲松", 2000, 1, "iv")]}  # fmt: skip
    assert alarms(pneumonia) == {}


# ------------------------------------------------------------------------------- completeness


def test_blood_pressure_at_a_hypertension_visit_from_vitals_or_text() -> None:
    rec = {"patient": {"history": ["高血压"]}, "complaint": "高血压复诊", "diagnoses": ["高血压"],
           "prescriptions": [rx("氨氯地平", 5, 1)]}  # fmt: skip
    assert rules(rec)["qc.complete.hypertension_bp"] == "warning"
    assert alarms({**rec, "complaint": "高血压复诊，血压138/86mmHg"}) == {}


def test_glucose_at_a_diabetes_visit_and_temperature_with_fever() -> None:
    dm = {"patient": {"history": ["糖尿病"]}, "complaint": "糖尿病复诊", "diagnoses": ["E11.9"]}
    assert rules(dm)["qc.complete.diabetes_glucose"] == "warning"
    assert alarms({**dm, "labs": {"hba1c": 7.1}}) == {}
    fever = {"complaint": "发热咳嗽2天", "diagnoses": ["急性支气管炎"]}
    assert rules(fever)["qc.complete.fever_temperature"] == "warning"
    assert alarms({**fever, "complaint": "发热咳嗽2天，体温38.2℃"}) == {}
    assert alarms({**fever, "complaint": "咳嗽2天，无发热"}) == {}


def test_prescriptions_need_a_diagnosis_and_a_dose() -> None:
    assert (
        rules({"complaint": "腰痛", "prescriptions": [rx("布洛芬", 400, 3)]})["qc.complete.no_diagnosis"]
        == "warning"
    )
    assert (
        rules({"complaint": "腰痛", "diagnoses": ["腰痛"], "prescriptions": [rx("布洛芬")]})[
            "qc.complete.dose_missing"
        ]
        == "warning"
    )


# ------------------------------------------------------------------------------- diagnosis support


def test_diagnosis_without_its_findings() -> None:
    rec = {"complaint": "咳嗽流涕2天", "diagnoses": ["急性阑尾炎"]}
    hit = next(i for i in issues(rec) if i.rule == "qc.support.required_findings")
    assert hit.severity == "warning" and "right lower abdominal pain" in hit.message_en
    structured = {"complaint": "见记录", "findings": {"rlq_pain": True}, "diagnoses": ["K35.8"]}
    assert alarms(structured) == {}


def test_a_chronic_disease_in_the_history_supports_its_follow_up() -> None:
    rec = {"patient": {"history": ["高血压10年"]}, "complaint": "复诊，无不适",
           "vitals": {"systolic_bp": 128, "diastolic_bp": 78}, "diagnoses": ["高血压"]}  # fmt: skip
    assert alarms(rec) == {}
    new = {**rec, "patient": {}}
    assert rules(new)["qc.support.required_findings"] == "warning"


def test_the_model_part_only_adds_to_the_rule_part() -> None:
    tinea = {"complaint": "咳嗽流涕", "diagnoses": ["体癣"]}
    assert issues(tinea) == []  # no requirement and no model result: nothing to say
    assert rules(tinea, model_scores={"tinea": (0.003, 40)}) == {"qc.support.model_unlikely": "warning"}
    assert rules(tinea, model_scores={"tinea": (0.3, 2)}) == {}
    supported = {"complaint": "咳嗽2天", "diagnoses": ["肺炎"], "vitals": {"spo2": 97}}
    assert rules(supported, model_scores={"pneumonia": (0.004, 18)}) == {"qc.support.model_doubtful": "info"}
    unsupported = {"complaint": "膝关节痛", "diagnoses": ["肺炎"], "vitals": {"spo2": 97}}
    hit = next(i for i in issues(unsupported, model_scores={"pneumonia": (0.004, 18)}))
    assert hit.rule == "qc.support.required_findings" and hit.evidence["model_probability"] == 0.004


def test_the_callers_findings_replace_the_complaint_reading() -> None:
    rec = {"complaint": "咳嗽流涕2天", "diagnoses": ["急性阑尾炎"]}
    assert "qc.support.required_findings" not in rules(rec, findings={"rlq_pain": True, "cough": True})


# ------------------------------------------------------------------------------- data entry and names


def test_impossible_and_swapped_values_are_errors_and_are_not_used_clinically() -> None:
    found = rules({"vitals": {"temperature_c": 3.8, "spo2": 105, "systolic_bp": 80, "diastolic_bp": 120},
                   "orders": ["心电图"]})  # fmt: skip
    assert found == {"qc.data.out_of_range": "error", "qc.data.bp_swapped": "error"}
    kpa = {"vitals": {"systolic_bp": 16, "diastolic_bp": 10}, "complaint": "复诊", "diagnoses": ["心绞痛"],
           "patient": {"history": ["冠心病"]}, "prescriptions": [rx("硝酸甘油", 0.5, 1, "sublingual")]}  # fmt: skip
    found = issues(kpa)
    assert {i.rule for i in found if is_alarm(i)} == {
        "qc.data.out_of_range"
    }  # no "hypotension" contraindication
    assert any("kPa" in i.message_en for i in found)


def test_unknown_names_are_reported_as_info() -> None:
    rec = {"patient": {"history": ["鼻中隔偏曲术后"], "medications": ["复方丹参滴丸"]}, "complaint": "咳嗽",
           "diagnoses": ["不明原因咳嗽XYZ"], "prescriptions": [rx("连花清瘟胶囊", 1400, 3)], "orders": ["骨密度"]}  # fmt: skip
    found = rules(rec)
    assert found == {"qc.data.unknown_history": "info", "qc.data.unknown_medication": "info",
                     "qc.data.unknown_diagnosis": "info", "qc.data.unknown_drug": "info",
                     "qc.data.unknown_exam": "info"}  # fmt: skip


@pytest.mark.parametrize(
    "name", ["阿莫西林胶囊 0.25g×24粒", "Amoxicillin 500 mg caps", "阿莫仙", "amoxycillin"]
)
def test_drug_names_in_many_shapes(name: str) -> None:
    rec = {"patient": {"allergies": ["青霉素"]}, "complaint": "咽痛发热，扁桃体脓性分泌物，体温38.8℃",
           "diagnoses": ["化脓性扁桃体炎"], "prescriptions": [rx(name, 500, 3)]}  # fmt: skip
    assert rules(rec) == {"qc.allergy.penicillin": "error"}


# ------------------------------------------------------------------------------- demographics


def test_sex_and_age_specific_diagnoses_and_orders() -> None:
    assert rules({"patient": {"sex": "female", "age_years": 66}, "complaint": "夜尿多，排尿费力",
                  "diagnoses": ["前列腺增生"]})["qc.demo.condition_sex"] == "error"  # fmt: skip
    assert rules({"patient": {"sex": "male"}, "complaint": "停经后下腹痛、阴道流血",
                  "diagnoses": ["ectopic pregnancy"]})["qc.demo.condition_sex"] == "error"  # fmt: skip
    assert rules({"patient": {"sex": "male"}, "orders": ["hCG"]}) == {"qc.demo.exam_sex": "error"}
    assert rules({"patient": {"age_years": 60}, "complaint": "手足皮疹、口腔溃疡",
                  "diagnoses": ["手足口病"]}) == {"qc.demo.condition_age": "info"}  # fmt: skip


def test_resident_id_disagreeing_with_sex_or_age() -> None:
    man_born_1957 = "341221195708210316"
    found = rules(
        {"patient": {"resident_id": man_born_1957, "sex": "female", "age_years": 30}, "orders": ["血常规"]}
    )
    assert found == {"qc.demo.resident_id_sex": "warning", "qc.demo.resident_id_age": "warning"}
    assert (
        rules({"patient": {"resident_id": man_born_1957, "sex": "男", "age_years": 68}, "orders": ["血常规"]})
        == {}
    )


def test_a_record_with_nothing_wrong_gets_no_alarm_in_either_language() -> None:
    zh = {"patient": {"sex": "female", "age_years": 34, "pregnant": False, "allergies": ["磺胺"]},
          "complaint": "尿频、尿急、尿痛2天，无发热，无腰痛", "vitals": {"temperature_c": 36.8},
          "diagnoses": ["急性膀胱炎"], "prescriptions": [rx("呋喃妥因", 100, 2)], "orders": ["尿常规"]}  # fmt: skip
    en = {"patient": {"sex": "male", "age_years": 58, "history": ["hypertension"], "medications": ["amlodipine"]},
          "complaint": "Review of blood pressure, no headache. BP 136/84.", "diagnoses": ["essential hypertension"],
          "prescriptions": [rx("amlodipine besylate tablets", 5, 1)], "orders": ["ECG"],
          "prior_exams": [{"name": "electrocardiogram", "date": "2025-06-01", "facility": "county hospital"}]}  # fmt: skip
    assert issues(zh) == [] and issues(en) == []


def test_an_encounter_built_without_parse_encounter_is_still_checked() -> None:
    from assistant.records import Encounter

    enc = Encounter.model_validate({"patient": {"age_years": 30, "allergies": ["青霉素"]}, "complaint": "咽痛",
                                    "diagnoses": ["急性扁桃体炎"], "prescriptions": [rx("阿莫西林", 500, 3)]})  # fmt: skip
    assert {i.rule for i in check_quality(enc, knowledge=load_knowledge())} == {"qc.allergy.penicillin"}
