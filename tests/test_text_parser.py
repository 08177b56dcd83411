"""Complaint reader behaviour, one requirement at a time: negation scope, durations and course,
numbers, body sites × sensations, typing errors, family history, spans and the public API."""

from __future__ import annotations

import json

import pytest

from assistant.text import ParsedComplaint, get_parser, parse_complaint


def _f(text: str) -> dict[str, bool]:
    return parse_complaint(text).findings


# ---------------------------------------------------------------- negation scope
@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("否认高血压、糖尿病病史", {"hx_hypertension", "hx_diabetes"}, set()),
        ("无发热，咳嗽3天", {"fever"}, {"cough"}),
        ("无发热伴咳嗽", {"fever"}, {"cough"}),
        ("不伴恶心、呕吐", {"nausea", "vomiting"}, set()),
        ("无腹痛，但有腹泻", {"abdominal_pain"}, {"diarrhea"}),
        ("未见明显皮疹", {"rash"}, set()),
        ("没有发烧，嗓子疼", {"fever"}, {"sore_throat"}),
        ("无明显诱因出现腹痛", set(), {"abdominal_pain"}),
        ("无尿频尿急尿痛", {"urinary_frequency", "urinary_urgency", "dysuria"}, set()),
        ("少尿，无尿", set(), {"decreased_urine"}),
        ("墨菲征阴性", {"murphy_sign"}, set()),
        ("颈抵抗(-)，反跳痛(+)", {"neck_stiffness"}, {"rebound_tenderness"}),
        ("no fever, chills or cough", {"fever", "chills", "cough"}, set()),
        ("denies fever, chills, night sweats", {"fever", "chills", "night_sweats"}, set()),
        ("no cough, tender cervical lymph nodes", {"cough"}, {"lymphadenopathy"}),
        ("No fever. Cough for 3 days.", {"fever"}, {"cough"}),
        ("chest pain but no shortness of breath", {"dyspnea"}, {"chest_pain"}),
        ("without nausea or vomiting", {"nausea", "vomiting"}, set()),
        ("negative for hematuria", {"hematuria"}, set()),
        ("He does not smoke", {"hx_smoking"}, set()),
        ("Murphy's sign negative", {"murphy_sign"}, set()),
        ("no relief with paracetamol, fever persists", set(), {"fever"}),
        ("not passing flatus", set(), {"no_flatus"}),
        ("afebrile, lungs clear", {"fever", "crackles", "wheezing"}, set()),
        ("神志清，颈软，心律齐", {"altered_consciousness", "confusion", "neck_stiffness", "irregular_pulse"}, set()),
    ],
)
def test_negation_scope(text: str, absent: set[str], present: set[str]) -> None:
    got = _f(text)
    for code in absent:
        assert got.get(code) is False, (text, code, got)
    for code in present:
        assert got.get(code) is True, (text, code, got)


def test_negation_cues_are_reported_with_spans() -> None:
    r = parse_complaint("咳嗽，无发热")
    (cue,) = [c for c in r.cues if c.kind == "negation"]
    assert r.text[cue.start : cue.end] == "无" == cue.text


# ---------------------------------------------------------------- durations and course
@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("咳嗽3天", 3),
        ("发热两周", 14),
        ("腹泻半个月", 15),
        ("咳嗽1年余", 547.5),
        ("乏力三个多月", 105),
        ("头痛十五天", 15),
        ("腹痛2小时", 2 / 24),
        ("cough for 10 days", 10),
        ("fever x3d", 3),
        ("a 2 week history of cough", 14),
        ("cough for two weeks", 14),
        ("diarrhoea since yesterday", 1),
        ("头晕两三天", 3),
        ("腰痛七八天", 8),
    ],
)
def test_durations(text: str, days: float) -> None:
    assert parse_complaint(text).duration_days == pytest.approx(days, rel=0.01)


@pytest.mark.parametrize(
    "text",
    ["患者65岁，头痛", "45-year-old man with headache", "一天拉7次，腹泻", "2019年诊断高血压，头晕", "孕32周，头痛", "患儿8月，发热"],
)
def test_ages_dates_and_frequencies_are_not_durations(text: str) -> None:
    r = parse_complaint(text)
    assert r.duration_days is None or r.duration_days < 1.1, (text, r.durations)


def test_course_findings_from_duration() -> None:
    assert _f("咳嗽3天") == {"cough": True, "acute_course": True, "chronic_course": False, "prolonged_cough": False}
    got = _f("反复咳嗽咳痰10年")
    assert got["chronic_course"] and not got["acute_course"] and got["prolonged_cough"]
    got = _f("cough for 3 weeks")
    assert got["prolonged_cough"] and not got["acute_course"] and not got["chronic_course"]
    got = _f("头痛1个月")
    assert got["acute_course"] is False and got["chronic_course"] is False


def test_history_and_episode_durations_are_not_the_illness() -> None:
    r = parse_complaint("高血压10年，头晕3天")
    assert r.duration_days == 3
    r = parse_complaint("晨僵1小时，双手关节痛3个月")
    assert r.duration_days == 90
    r = parse_complaint("胸痛每次持续约5分钟，反复发作半年")
    assert r.duration_days == pytest.approx(182.5)
    assert parse_complaint("被狗咬伤2小时").findings["acute_course"] is True


def test_chest_pain_lasting_more_than_twenty_minutes_is_prolonged() -> None:
    assert _f("胸痛2小时，伴大汗")["prolonged_chest_pain"] is True
    assert "prolonged_chest_pain" not in _f("胸痛3天，活动后加重")


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("text", "vitals"),
    [
        ("体温39.5", {"temperature_c": 39.5}),
        ("T 38.5℃", {"temperature_c": 38.5}),
        ("发热，最高39度", {"temperature_c": 39.0}),
        ("temp 102 F", {"temperature_c": 38.9}),
        ("BP 180/110", {"systolic_bp": 180, "diastolic_bp": 110}),
        ("血压180/110mmHg", {"systolic_bp": 180, "diastolic_bp": 110}),
        ("心率120次/分", {"heart_rate": 120}),
        ("SpO2 88%", {"spo2": 88}),
        ("血氧饱和度92%", {"spo2": 92}),
        ("血糖15.2", {"glucose_mmol_l": 15.2}),
        ("空腹血糖7.8mmol/L", {"fasting_glucose_mmol_l": 7.8}),
        ("blood sugar 300 mg/dl", {"glucose_mmol_l": 16.7}),
        ("R 28次/分 P 110次/分", {"respiratory_rate": 28, "heart_rate": 110}),
        ("体重60公斤，身高1.70m", {"weight_kg": 60, "height_cm": 170}),
        ("ＢＰ　１６０／１００", {"systolic_bp": 160, "diastolic_bp": 100}),
    ],
)
def test_vitals(text: str, vitals: dict[str, float]) -> None:
    got = parse_complaint(text).vitals
    for name, value in vitals.items():
        assert got.get(name) == pytest.approx(value, abs=0.06), (text, got)


def test_numbers_that_are_not_vitals() -> None:
    assert parse_complaint("呼吸困难3天").vitals == {}
    assert parse_complaint("体重下降5kg").vitals == {}
    assert "temperature_c" not in parse_complaint("发热3天").vitals


def test_findings_derived_from_temperature() -> None:
    assert _f("体温38.5") == {"fever": True, "high_fever": False}
    assert _f("T 39.4")["high_fever"] is True
    assert _f("体温36.8") == {"fever": False, "high_fever": False}
    assert _f("发热，体温37.0")["fever"] is True  # what the text says wins over the reading


# ---------------------------------------------------------------- body sites × sensations
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("右下腹疼", "rlq_pain"),
        ("肚子右下边痛", "rlq_pain"),
        ("肚子右下边有点痛", "rlq_pain"),
        ("pain in the right lower abdomen", "rlq_pain"),
        ("RLQ pain", "rlq_pain"),
        ("abdominal pain mainly in the right lower quadrant", "rlq_pain"),
        ("腹痛，以右下腹为主", "rlq_pain"),
        ("心口痛", "epigastric_pain"),
        ("胃疼", "epigastric_pain"),
        ("腰疼", "low_back_pain"),
        ("pain in his lower back", "low_back_pain"),
        ("膝盖疼", "knee_pain"),
        ("脖子疼", "neck_pain"),
        ("嗓子疼", "sore_throat"),
        ("耳朵疼", "ear_pain"),
        ("左小腿肿", "unilateral_leg_swelling"),
        ("双腿肿", "leg_swelling"),
        ("眼睛红", "red_eye"),
        ("大便发黑", "melena"),
        ("尿黄", "dark_urine"),
        ("胸痛向左肩放射", "radiating_chest_pain"),
        ("腹痛放射至后背", "pain_radiating_to_back"),
        ("头痛，呈紧箍样", "band_headache"),
        ("painful swollen left calf", "calf_pain"),
        ("swelling of both legs", "leg_swelling"),
        ("numbness in the fingers", "arm_numbness"),
        ("左侧肢体麻木无力", "unilateral_weakness"),
    ],
)
def test_sites_with_sensations(text: str, code: str) -> None:
    assert _f(text).get(code) is True, (text, _f(text))


def test_site_words_alone_and_left_sided_chest_pain_do_not_invent_findings() -> None:
    assert _f("右下腹") == {}
    got = _f("left-sided chest pain")
    assert got == {"chest_pain": True}


def test_composed_mention_keeps_its_span() -> None:
    r = parse_complaint("患者肚子右下边有点痛")
    (m,) = [m for m in r.mentions if "rlq_pain" in m.codes]
    assert m.via == "site" and m.text == "肚子右下边有点痛" == r.text[m.start : m.end]


# ---------------------------------------------------------------- words as typed
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("拉肚子", "diarrhea"),
        ("发烧", "fever"),
        ("喘不上气", "dyspnea"),
        ("肚子疼", "abdominal_pain"),
        ("头疼", "headache"),
        ("流鼻涕", "runny_nose"),
        ("胸闷气短", "chest_tightness"),
        ("胸闷气短", "dyspnea"),
        ("咳漱", "cough"),
        ("刻嗽", "cough"),
        ("头庝", "headache"),
        ("腹写", "diarrhea"),
        ("頭痛發燒", "headache"),
        ("SOB", "dyspnea"),
        ("N/V", "nausea"),
        ("N/V", "vomiting"),
        ("coughing", "cough"),
        ("vomited twice", "vomiting"),
        ("wheezes", "wheezing"),
        ("diarrhoea", "diarrhea"),
        ("short-of-breath", "dyspnea"),
        ("can't sleep", "insomnia"),
    ],
)
def test_colloquial_words_typos_and_inflections(text: str, code: str) -> None:
    assert _f(text).get(code) is True, (text, _f(text))


def test_implied_findings() -> None:
    got = _f("干咳")
    assert got == {"dry_cough": True, "cough": True}
    assert parse_complaint("干咳").derived["cough"] == "implied by dry_cough"


def test_mixed_chinese_and_english() -> None:
    got = _f("咳嗽3天，no fever，SpO2 95%")
    assert got["cough"] is True and got["fever"] is False


# ---------------------------------------------------------------- family history
def test_relatives_diseases_are_not_the_patients() -> None:
    got = _f("家族史：父亲高血压、糖尿病。头痛1天")
    assert "hx_hypertension" not in got and "hx_diabetes" not in got and got["headache"]
    assert "hx_diabetes" not in _f("Mother has diabetes. Cough for 2 days.")
    assert _f("其父有肺结核")["hx_tb_contact"] is True
    assert _f("母亲代诉患儿发热2天")["fever"] is True  # the mother is the informant here
    assert _f("her mother reports fever")["fever"] is True
    assert _f("家人也有类似症状")["sick_contact"] is True


# ---------------------------------------------------------------- API
def test_result_shape_and_json() -> None:
    r = parse_complaint("发热2天，体温39℃，无咳嗽")
    assert isinstance(r, ParsedComplaint)
    d = r.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert d["findings"]["fever"] is True and d["vitals"]["temperature_c"] == 39.0
    assert d["duration_days"] == 2
    for m in r.mentions:
        assert r.text[m.start : m.end] == m.text
    for v in r.readings:
        assert r.text[v.start : v.end] == v.text
    assert r.present and r.absent == ["cough", "chronic_course"]


def test_parser_is_built_once_and_knowledge_can_be_passed() -> None:
    assert get_parser() is get_parser()
    from assistant.knowledge import KNOWLEDGE_DIR, Knowledge, findings

    table = findings.load(KNOWLEDGE_DIR)
    kb = Knowledge(directory=KNOWLEDGE_DIR, findings=table, conditions=None, drugs=None, exams=None)  # type: ignore[arg-type]
    p = get_parser(kb)
    assert p is get_parser(kb) and p is not get_parser()
    assert parse_complaint("咳嗽", knowledge=kb).findings == {"cough": True}
