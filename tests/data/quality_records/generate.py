"""Record sets for the quality checks: correct consultations and the same ones with one fault each.

Run from the repository root (deterministic; rewrites ``generated.jsonl`` and ``faults.jsonl``)::

    .venv/bin/python tests/data/quality_records/generate.py

- ``handwritten.jsonl`` (edited by hand, not by this script): realistic village-clinic records in
  Chinese and English, each complete and correct.
- ``generated.jsonl``: correct records built from the knowledge base. For each condition of
  ``conditions.yaml``, up to three patients (child, adult, older adult, as the condition allows)
  with the condition's most likely findings written as a complaint (Chinese or English) or as
  structured findings, vital signs that fit, the diagnosis as a name, synonym or ICD-10 code, and a
  sensible first-line treatment from :data:`TREATMENT` whose doses are checked here against
  ``drugs.yaml`` (children dosed per kg from the weight). Some get allergies, long-term medicines,
  a resident ID, prior examinations that are not repeats, chosen so as not to conflict.
- ``faults.jsonl``: each correct record (both sets) with ONE fault injected per quality category
  where one applies (:data:`INJECTORS`), labelled with the category and a description. Injectors
  use the knowledge base and the complaint reader (to be sure the fault is real) but never the
  quality checks themselves.

Nothing here is used by the runtime; ``tests/test_quality_records.py`` measures the false alarms
on the correct records and the detection of each injected category.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
if str(ROOT) not in sys.path:  # pragma: no cover - when run as a script
    sys.path.insert(0, str(ROOT))

from assistant.knowledge import load_knowledge  # noqa: E402
from assistant.records.resident_id import check_character  # noqa: E402
from assistant.text import parse_complaint  # noqa: E402

KB = load_knowledge()
CATEGORIES = (
    "completeness", "diagnosis_support", "contraindication", "allergy", "interaction", "dosage",
    "duplicate_exam", "antibiotic_use", "data_entry", "demographics",
)  # fmt: skip
DATES = ("2026-01-12", "2026-03-02", "2026-05-20", "2026-08-11", "2026-10-27")
FACILITIES = ("县人民医院", "乡镇卫生院", "县中医院", "市第一人民医院", "村卫生室")

# condition id -> first-line treatment: (drug code, adult dose mg or None, times a day, days, route)
TREATMENT: dict[str, list[tuple[str, float | None, int | None, int, str]]] = {
    "common_cold": [("paracetamol", 500, 3, 3, "oral"), ("loratadine", 10, 1, 5, "oral")],
    "influenza": [("oseltamivir", 75, 2, 5, "oral"), ("paracetamol", 500, 3, 3, "oral")],
    "covid19": [("paracetamol", 500, 3, 3, "oral")],
    "acute_pharyngitis": [("paracetamol", 500, 2, 3, "oral")],
    "acute_tonsillitis": [("amoxicillin", 500, 3, 10, "oral")],
    "acute_sinusitis": [("amoxicillin", 500, 3, 7, "oral")],
    "pneumonia": [("amoxicillin_clavulanate", 625, 3, 7, "oral")],
    "asthma": [("salbutamol", 0.2, 4, 7, "inhaled"), ("budesonide", 0.2, 2, 30, "inhaled")],
    "copd": [("salbutamol", 0.2, 3, 30, "inhaled")],
    "copd_exacerbation": [("prednisone", 30, 1, 5, "oral"), ("amoxicillin_clavulanate", 625, 3, 7, "oral")],
    "allergic_rhinitis": [("loratadine", 10, 1, 14, "oral")],
    "croup": [("dexamethasone", None, 1, 1, "oral")],
    "hypertension": [("amlodipine", 5, 1, 30, "oral")],
    "hypertensive_crisis": [("captopril", 25, 1, 1, "sublingual")],
    "angina": [("aspirin", 100, 1, 30, "oral"), ("atorvastatin", 20, 1, 30, "oral"),
               ("nitroglycerin", 0.5, 3, 30, "sublingual"), ("metoprolol", 25, 2, 30, "oral")],
    "acute_coronary_syndrome": [("aspirin", 300, 1, 1, "oral"), ("clopidogrel", 300, 1, 1, "oral")],
    "heart_failure": [("furosemide", 20, 1, 14, "oral"), ("spironolactone", 20, 1, 30, "oral")],
    "atrial_fibrillation": [("metoprolol", 25, 2, 30, "oral")],
    "tia": [("aspirin", 100, 1, 14, "oral")],
    "type2_diabetes": [("metformin", 500, 3, 30, "oral")],
    "hyperthyroidism": [("methimazole", 10, 3, 30, "oral"), ("propranolol", 10, 3, 14, "oral")],
    "hypothyroidism": [("levothyroxine", 0.05, 1, 30, "oral")],
    "gastroenteritis": [("oral_rehydration_salts", None, None, 3, "oral"), ("montmorillonite", 3000, 3, 3, "oral")],
    "gastritis": [("omeprazole", 20, 2, 14, "oral")],
    "functional_dyspepsia": [("domperidone", 10, 3, 14, "oral")],
    "gerd": [("omeprazole", 20, 1, 28, "oral")],
    "peptic_ulcer": [("omeprazole", 20, 2, 14, "oral"), ("amoxicillin", 1000, 2, 14, "oral"),
                     ("clarithromycin", 500, 2, 14, "oral")],
    "constipation": [("lactulose", None, None, 14, "oral")],
    "cystitis": [("nitrofurantoin", 100, 2, 5, "oral")],
    "pyelonephritis": [("ciprofloxacin", 500, 2, 7, "oral")],
    "urinary_stones": [("diclofenac", 50, 2, 3, "oral")],
    "vaginitis": [("metronidazole", 400, 2, 7, "oral")],
    "vaginal_candidiasis": [("fluconazole", 150, 1, 1, "oral")],
    "hypertensive_disorder_of_pregnancy": [("nifedipine", 30, 1, 7, "oral")],
    "low_back_pain": [("ibuprofen", 400, 3, 5, "oral")],
    "lumbar_sprain": [("ibuprofen", 400, 3, 5, "oral")],
    "lumbar_disc_herniation": [("diclofenac", 75, 1, 7, "oral")],
    "knee_osteoarthritis": [("paracetamol", 500, 3, 14, "oral")],
    "gout": [("colchicine", 0.5, 2, 5, "oral")],
    "cervical_spondylosis": [("ibuprofen", 300, 2, 7, "oral")],
    "frozen_shoulder": [("ibuprofen", 400, 2, 7, "oral")],
    "ankle_sprain": [("ibuprofen", 400, 3, 5, "oral")],
    "tension_headache": [("paracetamol", 500, 2, 3, "oral")],
    "migraine": [("ibuprofen", 400, 2, 3, "oral")],
    "bells_palsy": [("prednisone", 60, 1, 5, "oral")],
    "depression": [("sertraline", 50, 1, 30, "oral")],
    "anxiety_disorder": [("sertraline", 50, 1, 30, "oral")],
    "insomnia": [("diazepam", 5, 1, 7, "oral")],
    "eczema": [("loratadine", 10, 1, 14, "oral")],
    "urticaria": [("cetirizine", 10, 1, 7, "oral")],
    "cellulitis": [("cefalexin", 500, 4, 7, "oral")],
    "herpes_zoster": [("acyclovir", 800, 5, 7, "oral")],
    "conjunctivitis": [("levofloxacin", None, 4, 7, "topical")],
    "otitis_media": [("amoxicillin", 500, 3, 7, "oral")],
    "hand_foot_mouth_disease": [("paracetamol", 500, 3, 3, "oral")],
    "chickenpox": [("paracetamol", 500, 3, 3, "oral")],
    "mumps": [("paracetamol", 500, 3, 3, "oral")],
    "diarrhoea_with_dehydration": [("oral_rehydration_salts", None, None, 2, "oral")],
    "iron_deficiency_anaemia": [("ferrous_sulfate", 300, 2, 30, "oral")],
    "anaphylaxis": [("epinephrine", 0.5, 1, 1, "im")],
    "heat_exhaustion": [("oral_rehydration_salts", None, None, 1, "oral")],
    "dog_bite_rabies_exposure": [("amoxicillin_clavulanate", 625, 3, 5, "oral")],
}  # fmt: skip
# Fixed children's doses for drugs dosed by age band rather than per kg: drug -> (mg, times a day).
CHILD_FIXED = {"loratadine": (5, 1), "cetirizine": (5, 1), "salbutamol": (0.2, 3), "budesonide": (0.2, 2),
               "montmorillonite": (1000, 3)}  # fmt: skip
ALT_HYPERTENSION = [("amlodipine", 5), ("nifedipine", 30), ("enalapril", 10), ("losartan", 50),
                    ("valsartan", 80), ("indapamide", 1.5), ("hydrochlorothiazide", 12.5)]  # fmt: skip
ALT_DIABETES = [("metformin", 500, 3), ("gliclazide", 80, 2), ("acarbose", 50, 3), ("metformin", 850, 2)]
ORDERS: dict[str, list[str]] = {
    "pneumonia": ["chest_xray", "cbc"], "copd_exacerbation": ["chest_xray"],
    "pulmonary_tuberculosis": ["chest_xray", "sputum_smear_tb"], "type2_diabetes": ["fasting_glucose", "hba1c"],
    "hyperthyroidism": ["thyroid_function"], "hypothyroidism": ["thyroid_function"], "cystitis": ["urinalysis"],
    "pyelonephritis": ["urinalysis", "cbc"], "urinary_stones": ["urinary_ultrasound", "urinalysis"],
    "appendicitis": ["cbc", "abdominal_ultrasound"], "gallstones": ["abdominal_ultrasound"],
    "acute_cholecystitis": ["abdominal_ultrasound", "cbc"], "ectopic_pregnancy": ["pregnancy_test", "pelvic_ultrasound"],
    "viral_hepatitis": ["liver_function", "hbv_serology"], "iron_deficiency_anaemia": ["cbc"],
    "angina": ["ecg"], "atrial_fibrillation": ["ecg"], "heart_failure": ["ecg", "echocardiography"],
    "gastroenteritis": ["stool_routine"], "hypoglycaemia": ["blood_glucose"], "gout": ["uric_acid"],
    "benign_prostatic_hyperplasia": ["urinary_ultrasound"], "hypertension": ["ecg", "lipids"],
    "hypertensive_disorder_of_pregnancy": ["urinalysis"], "acute_pancreatitis": ["cbc"],
}  # fmt: skip
CHRONIC = {"hypertension", "type2_diabetes", "copd", "asthma", "heart_failure", "atrial_fibrillation", "angina",
           "hypothyroidism", "hyperthyroidism", "gout", "knee_osteoarthritis", "depression", "epilepsy",
           "benign_prostatic_hyperplasia", "gerd", "allergic_rhinitis"}  # fmt: skip
SAFE_ALLERGIES = (
    "青霉素",
    "磺胺",
    "penicillin",
    "sulfa drugs",
    "头孢类",
    "海鲜",
    "无",
    "NKDA",
    "花粉",
    "阿司匹林",
)
LONG_TERM = (("amlodipine", "高血压"), ("atorvastatin", "高脂血症"), ("metformin", "2型糖尿病"))


# -------------------------------------------------------------------------------------- helpers


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def resident_id(birth: dt.date, sex: str, serial: int) -> str:
    """A valid 18-character resident ID (GB 11643) for this birth date and sex."""
    seq = (serial % 50) * 2 + (1 if sex == "male" else 0)
    first = f"341221{birth:%Y%m%d}{seq % 100:02d}" + str(seq % 10)
    first = first[:17]
    digit = int(first[16])
    if (digit % 2 == 1) != (sex == "male"):
        first = first[:16] + str((digit + 1) % 10)
    return first + check_character(first)


def child_weight(age: float) -> float:
    if age < 1:
        return round(3.5 + 7 * age, 1)
    if age < 12:
        return round(2 * age + 8, 1)
    return round(3 * age, 1)


def _round_dose(mg: float) -> float:
    if mg >= 100:
        return float(round(mg / 25) * 25)
    if mg >= 10:
        return float(round(mg))
    return round(mg, 2)


def _limits(code: str, route: str) -> Any:
    d = KB.drugs[code]
    return d.dose_for(route) or d


def prescription(code: str, dose: float | None, times: int | None, days: int, route: str, age: float,
                 weight: float | None, name: str, lang: str) -> dict[str, Any] | None:  # fmt: skip
    """A prescription with a dose checked against drugs.yaml; None when no sensible child dose exists."""
    d = KB.drugs[code]
    lim = _limits(code, route)
    if age < 12 and route != "topical" and d.dose_unit == "mg":
        if lim.child_use == "per_kg" and lim.child_mg_per_kg_dose and weight:
            lo, hi = lim.child_mg_per_kg_dose
            times = times or 3
            per_kg = min((lo + hi) / 2, lim.child_max_mg_per_kg_day / times, hi)  # type: ignore[operator]
            dose = _round_dose(per_kg * weight)
            while dose * times > lim.child_max_mg_per_kg_day * weight or dose > hi * weight:  # type: ignore[operator]
                dose = _round_dose(dose * 0.9)
            if lim.max_dose_mg:
                dose = min(dose, lim.max_dose_mg)
        elif code in CHILD_FIXED and age >= 2:
            dose, times = CHILD_FIXED[code]
        else:
            return None
    if d.dose_unit == "mg" and dose is not None:
        assert lim.max_dose_mg is None or dose <= lim.max_dose_mg, (code, dose)
        assert lim.max_daily_mg is None or dose * (times or 1) <= lim.max_daily_mg, (code, dose, times)
    if d.min_age_years is not None and age < d.min_age_years and route != "topical":
        return None
    rx: dict[str, Any] = {"drug": name}
    if dose is not None:
        rx["dose_mg"] = dose
    if times is not None:
        rx["times_per_day"] = times
    rx["days"] = days
    rx["route"] = {"oral": "口服", "inhaled": "吸入", "im": "肌注", "sublingual": "舌下含服",
                   "topical": "外用"}.get(route, route) if lang == "zh" else route  # fmt: skip
    return rx


def drug_name(code: str, rng: random.Random, lang: str, route: str) -> str:
    d = KB.drugs[code]
    if route == "topical" and code == "levofloxacin":
        return "左氧氟沙星滴眼液" if lang == "zh" else "levofloxacin eye drops"
    if lang == "en":
        return d.name_en.split(" (")[0]
    options = [d.name_zh] + [s for s in d.synonyms if re.search(r"[\u4e00-\u9fff]", s)][:3]
    return rng.choice(options)


def exam_name(code: str, rng: random.Random, lang: str) -> str:
    e = KB.exams[code]
    if lang == "en":
        return e.name_en
    zh = [e.name_zh] + [s for s in e.synonyms if re.search(r"[\u4e00-\u9fff]", s)][:3]
    return rng.choice(zh)


def finding_names(codes: list[str], lang: str) -> list[str]:
    return [KB.findings[c].name_zh if lang == "zh" else KB.findings[c].name_en for c in codes]


# ------------------------------------------------------------------------------- correct records


def _ages(c: Any) -> list[float]:
    out: list[float] = []
    prof = c.age_profile
    if c.age_min < 10 and (prof.get("children", 1.0) >= 0.5 or c.age_max <= 15):
        out.append(max(c.age_min + 0.5, min(6.0, (c.age_min + min(c.age_max, 11)) / 2)))
    if c.age_max >= 30 and (not prof or prof.get("adults", 1.0) >= 0.3):
        out.append(max(c.age_min, 38.0) if c.age_min < 60 else c.age_min + 5)
    if c.age_max >= 75 and prof.get("elderly", 1.0) >= 0.5:
        out.append(72.0)
    return out[:3]


def _findings_for(c: Any, rng: random.Random) -> list[str]:
    skip = {"acute_course", "chronic_course", "recurrent_episodes", "sudden_onset"}
    ranked = [(p, f) for f, p in c.findings.items() if f not in skip and KB.findings[f].category != "history"]
    ranked.sort(key=lambda x: -x[0])
    top = [f for p, f in ranked if p >= 0.5][:5] or [f for _, f in ranked[:3]]
    k = rng.randint(min(3, len(top)), len(top))
    chosen = top[:k]
    for f in list(chosen):  # a specific finding implies its general one: keep the pair consistent
        for implied in KB.findings[f].implies:
            if implied not in chosen:
                chosen.append(implied)
    return chosen


def _complaint(findings: list[str], lang: str, chronic: bool, vitals_text: str, rng: random.Random) -> str:
    symptoms = [f for f in findings if KB.findings[f].category == "symptom"]
    signs = [f for f in findings if KB.findings[f].category == "sign"]
    if lang == "zh":
        dur = rng.choice(["半年", "1年", "3月"]) if chronic else rng.choice(["1天", "2天", "3天", "5天"])
        text = ("、".join(finding_names(symptoms, "zh")) + dur) if symptoms else "就诊"
        if signs:
            text += "。查体：" + "、".join(finding_names(signs, "zh"))
        text += "。" + vitals_text
        text += rng.choice(["无胸痛。", "无呼吸困难。", "", "否认外伤。"])
    else:
        dur = rng.choice(["6 months", "a year"]) if chronic else rng.choice(["1 day", "2 days", "3 days"])
        names = finding_names(symptoms, "en")
        text = (
            (", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] + f" for {dur}.")
            if names
            else "Seen today."
        )
        if signs:
            text += " On examination: " + ", ".join(finding_names(signs, "en")) + "."
        text += (" " + vitals_text) if vitals_text else ""
        text += rng.choice([" No chest pain.", " No breathlessness.", ""])
    return text.strip()


def _vitals(
    c: Any, age: float, findings: list[str], follow_up: bool
) -> tuple[dict[str, float], dict[str, float]]:
    child = age < 12
    v: dict[str, float] = {"heart_rate": 100.0 if child else 78.0}
    labs: dict[str, float] = {}
    if not child:
        v |= {"systolic_bp": 124.0, "diastolic_bp": 78.0}
    temp = 36.7
    if "high_fever" in findings:
        temp = 39.2
    elif "fever" in findings:
        temp = 38.3
    v["temperature_c"] = temp
    cid = c.id
    if cid in ("hypertension",):
        v |= (
            {"systolic_bp": 136.0, "diastolic_bp": 84.0}
            if follow_up
            else {"systolic_bp": 152.0, "diastolic_bp": 96.0}
        )
    elif cid == "hypertensive_crisis":
        v |= {"systolic_bp": 188.0, "diastolic_bp": 116.0}
    elif cid == "hypertensive_disorder_of_pregnancy":
        v |= {"systolic_bp": 150.0, "diastolic_bp": 98.0}
    elif cid == "type2_diabetes":
        v["fasting_glucose_mmol_l"] = 8.4
        labs["egfr"] = 78.0
    elif cid == "hypoglycaemia":
        v["glucose_mmol_l"] = 3.1
    elif cid == "hyperglycaemic_crisis":
        v["glucose_mmol_l"] = 22.5
    elif cid in ("pneumonia", "copd_exacerbation"):
        v |= {"respiratory_rate": 24.0 if cid == "copd_exacerbation" else 22.0, "spo2": 95.0}
    elif cid == "iron_deficiency_anaemia":
        labs["hemoglobin"] = 96.0
    elif cid == "heart_failure":
        labs["potassium"] = 4.3
    elif cid == "hyperthyroidism":
        v["heart_rate"] = 108.0
    if child:
        v["weight_kg"] = child_weight(age)
    return v, labs


def _diagnosis_text(c: Any, i: int, lang: str) -> str:
    if lang == "en":
        return [c.name_en, *(c.synonyms_en[:1]), c.icd10][i % (2 + bool(c.synonyms_en))]
    return [c.name_zh, *(c.synonyms_zh[:1]), c.icd10][i % (2 + bool(c.synonyms_zh))]


def _treatment(c: Any, i: int) -> list[tuple[str, float | None, int | None, int, str]]:
    base = list(TREATMENT.get(c.id, []))
    if c.id == "hypertension":
        code, dose = ALT_HYPERTENSION[i % len(ALT_HYPERTENSION)]
        base = [(code, dose, 1, 30, "oral")]
    if c.id == "type2_diabetes":
        code, dose, times = ALT_DIABETES[i % len(ALT_DIABETES)]
        base = [(code, dose, times, 30, "oral")]
    return base


def _allergy_ok(text: str, codes: list[str]) -> bool:
    return all(KB.drugs.allergy_match_substances(text, [c]) is None for c in codes)


def build_record(c: Any, age: float, i: int, rng: random.Random) -> dict[str, Any]:
    lang = "en" if i % 3 == 2 else "zh"
    date = DATES[i % len(DATES)]
    sex = c.sex if c.sex != "any" else ("female" if (c.female_fraction or 0.5) * 10 > i % 10 else "male")
    if c.id == "benign_prostatic_hyperplasia":
        sex = "male"
    chronic = c.id in CHRONIC or c.findings.get("chronic_course", 0) >= 0.5
    follow_up = c.id in CHRONIC and i % 2 == 0
    findings = _findings_for(c, rng)
    vitals, labs = _vitals(c, age, findings, follow_up)
    patient: dict[str, Any] = {
        "id": f"G-{i:04d}",
        "sex": sex,
        "allergies": [],
        "history": [],
        "medications": [],
    }
    if i % 4 == 1:  # resident ID instead of an age (consistent birth date and sex)
        birth = _date(date) - dt.timedelta(days=int(age * 365.25) + 40)
        patient["resident_id"] = resident_id(birth, sex, i)
    else:
        patient["age_years"] = age
    if sex == "female" and 15 <= age <= 49:
        if c.id in ("hypertensive_disorder_of_pregnancy",):
            patient["pregnant"] = True
        elif c.id != "ectopic_pregnancy" and i % 3 != 0:
            patient["pregnant"] = False
    if c.id == "hypertensive_disorder_of_pregnancy":
        findings = [f for f in findings if f != "weight_gain"]
    if follow_up:
        patient["history"].append(c.name_zh if lang == "zh" else c.name_en)

    # prescriptions
    weight = vitals.get("weight_kg")
    rxs: list[dict[str, Any]] = []
    codes: list[str] = []
    for code, dose, times, days, route in _treatment(c, i):
        name = drug_name(code, rng, lang, route)
        rx = prescription(code, dose, times, days, route, age, weight, name, lang)
        if rx is not None:
            rxs.append(rx)
            codes.append(code)
    if c.id == "hypertension" and follow_up and codes:
        patient["medications"].append(rxs[0]["drug"])

    # long-term medicines and history for some older patients, allergies for some
    if age >= 50 and i % 3 == 1:
        for med, hx in LONG_TERM:
            if med in codes or any(KB.drugs.duplicate_classes(med, c2) for c2 in codes):
                continue
            if any(h.severity == "major" for c2 in codes for h in KB.drugs.interactions_between(med, c2)):
                continue
            if med == "metformin" and c.id in ("hypoglycaemia", "hyperglycaemic_crisis", "heart_failure"):
                continue
            patient["medications"].append(KB.drugs[med].name_zh if lang == "zh" else KB.drugs[med].name_en)
            patient["history"].append(hx if lang == "zh" else {"高血压": "hypertension", "高脂血症": "hyperlipidaemia",
                                                               "2型糖尿病": "type 2 diabetes"}[hx])  # fmt: skip
            break
    if i % 5 == 3:
        for text in (SAFE_ALLERGIES[i % len(SAFE_ALLERGIES)], "海鲜"):
            if _allergy_ok(text, codes):
                patient["allergies"].append(text)
                break

    record: dict[str, Any] = {"date": date, "patient": patient}
    vitals_text = ""
    if "temperature_c" in vitals and vitals["temperature_c"] >= 37.3 and i % 2 == 0:
        vitals_text = f"体温{vitals['temperature_c']}℃。" if lang == "zh" else f"T {vitals['temperature_c']}."
        del vitals["temperature_c"]
    if i % 5 == 4:  # structured findings instead of a written complaint
        record["complaint"] = "见结构化记录。" if lang == "zh" else "See structured findings."
        record["findings"] = {f: True for f in findings}
        if vitals_text:
            record["complaint"] += vitals_text if lang == "zh" else " " + vitals_text
    else:
        record["complaint"] = _complaint(findings, lang, chronic, vitals_text, rng)
    record["vitals"] = vitals
    if labs:
        record["labs"] = labs
    record["diagnoses"] = [_diagnosis_text(c, i, lang)]
    if rxs:
        record["prescriptions"] = rxs
    orders = ORDERS.get(c.id, [])
    if c.id == "hypertension" and i % 2:
        orders = []
    if orders:
        record["orders"] = [exam_name(o, rng, lang) for o in orders]
        prior: list[dict[str, Any]] = []
        first = KB.exams[orders[0]]
        if i % 2 == 0 and first.validity_days:
            days = first.validity_days * 3 + 5
            prior.append({"name": exam_name(first.code, rng, lang), "date": str(_date(date) - dt.timedelta(days=days)),
                          "facility": FACILITIES[i % len(FACILITIES)]})  # fmt: skip
        other = "ecg" if "ecg" not in orders else "urinalysis"
        if i % 3 == 0:
            prior.append({"name": exam_name(other, rng, lang), "date": str(_date(date) - dt.timedelta(days=2)),
                          "facility": FACILITIES[(i + 1) % len(FACILITIES)]})  # fmt: skip
        if prior:
            record["prior_exams"] = prior
    for key in ("allergies", "history", "medications"):
        if not patient[key]:
            del patient[key]
    return record


def generated_records() -> list[dict[str, Any]]:
    rng = random.Random(20261102)
    out: list[dict[str, Any]] = []
    i = 0
    for c in KB.conditions:
        for age in _ages(c):
            out.append({"id": f"gen-{c.id}-{int(age)}", "source": "generated", "condition": c.id,
                        "record": build_record(c, age, i, rng)})  # fmt: skip
            i += 1
    return out


# ---------------------------------------------------------------------------------- fault injection

Inj = Callable[[dict[str, Any], int], tuple[dict[str, Any], str] | None]


def _lang(rec: dict[str, Any]) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", json.dumps(rec, ensure_ascii=False)) else "en"


def _age(rec: dict[str, Any]) -> float | None:
    p = rec["patient"]
    if p.get("age_years") is not None:
        return float(p["age_years"])
    born = p.get("birth_date")
    rid = p.get("resident_id")
    if born is None and rid:
        born = f"{rid[6:10]}-{rid[10:12]}-{rid[12:14]}"
    if born is None:
        return None
    return (_date(rec.get("date", "2026-03-02")) - _date(born)).days / 365.25


def _sex(rec: dict[str, Any]) -> str | None:
    p = rec["patient"]
    sex = p.get("sex")
    words = {"男": "male", "女": "female", "m": "male", "f": "female"}
    if isinstance(sex, str):
        return words.get(sex.lower(), sex.lower())
    rid = p.get("resident_id")
    return ("male" if int(rid[16]) % 2 else "female") if rid else None


def _present(rec: dict[str, Any]) -> set[str]:
    found = dict(parse_complaint(rec.get("complaint")).findings)
    found.update(rec.get("findings", {}))
    return {k for k, v in found.items() if v}


def _drugs(rec: dict[str, Any]) -> list[tuple[int, Any]]:
    out = []
    for i, rx in enumerate(rec.get("prescriptions", [])):
        d = KB.drugs.find(rx["drug"])
        topical = rx.get("route") in ("topical", "外用") or re.search(
            r"滴眼液|eye drops|软膏|乳膏|cream|ointment", rx["drug"]
        )
        if d is not None and not topical:
            out.append((i, d))
    return out


def _conditions(rec: dict[str, Any]) -> list[Any]:
    from assistant.knowledge.conditions import ConditionIndex

    index = ConditionIndex.build(KB.conditions)
    return [index.find(d) for d in rec.get("diagnoses", [])]


def _strip(text: str, pattern: str) -> str:
    return re.sub(pattern, "", text, flags=re.IGNORECASE)


_BP_TEXT = r"(血压|BP)[:：]?\s*\d+\s*/\s*\d+\s*(mmHg)?[，,。.;；]?\s*"
_TEMP_TEXT = r"(体温|T|temperature|temp)[:：]?\s*(最高)?\s*\d+(\.\d+)?\s*(℃|°C|C)?[，,。.;；]?\s*|\d+(\.\d+)?\s*(℃|°C)[，,。]?"
_GLU_TEXT = r"(空腹)?血糖[:：]?\s*\d+(\.\d+)?\s*(mmol/L)?[，,。]?|(fasting )?glucose\s*\d+(\.\d+)?[,.]?"


def inject_completeness(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    conds = {c.id for c in _conditions(rec) if c is not None}
    r = copy.deepcopy(rec)
    v = r.get("vitals", {})
    if conds & {"hypertension", "hypertensive_crisis", "hypertensive_disorder_of_pregnancy"}:
        v.pop("systolic_bp", None)
        v.pop("diastolic_bp", None)
        r["complaint"] = _strip(r.get("complaint", ""), _BP_TEXT)
        return r, "blood pressure removed at a hypertension visit"
    if conds & {"type2_diabetes", "hypoglycaemia", "hyperglycaemic_crisis"}:
        for k in ("glucose_mmol_l", "fasting_glucose_mmol_l"):
            v.pop(k, None)
        r.get("labs", {}).pop("hba1c", None)
        r["complaint"] = _strip(r.get("complaint", ""), _GLU_TEXT)
        return r, "glucose removed at a diabetes visit"
    if conds & {"pneumonia", "copd_exacerbation"}:
        v.pop("respiratory_rate", None)
        v.pop("spo2", None)
        r["complaint"] = _strip(r.get("complaint", ""), r"(SpO2|RR|血氧|呼吸)[^，,。.]*[，,。.]?")
        return r, "respiratory rate and SpO2 removed at a pneumonia visit"
    for idx, d in _drugs(r):
        rx = r["prescriptions"][idx]
        if d.dose_unit == "mg" and rx.get("route") not in ("inhaled", "吸入") and "dose_mg" in rx:
            del r["prescriptions"][idx]["dose_mg"]
            return r, f"dose of {d.code} removed"
    if r.get("prescriptions"):
        del r["diagnoses"]
        return r, "diagnoses removed from a record with prescriptions"
    if r.get("diagnoses"):
        r["complaint"] = _strip(r.get("complaint", ""), _TEMP_TEXT)
        v.pop("temperature_c", None)
        r.setdefault("findings", {})["fever"] = True
        return r, "fever recorded without a temperature"
    return None


SUPPORT_CANDIDATES = (
    ("appendicitis", "急性阑尾炎", "acute appendicitis"), ("gout", "痛风", "gout"),
    ("lumbar_disc_herniation", "腰椎间盘突出症", "lumbar disc herniation"), ("cystitis", "急性膀胱炎", "acute cystitis"),
    ("urticaria", "荨麻疹", "urticaria"), ("conjunctivitis", "结膜炎", "conjunctivitis"),
    ("migraine", "偏头痛", "migraine"), ("herpes_zoster", "带状疱疹", "herpes zoster"),
)  # fmt: skip
REQUIRED = {  # cardinal findings of the candidates (independent of the rule table, from the textbooks)
    "appendicitis": {"rlq_pain", "abdominal_pain", "migrating_pain", "rebound_tenderness", "abdominal_tenderness",
                     "lower_abdominal_pain", "epigastric_pain", "periumbilical_pain", "colicky_abdominal_pain"},
    "gout": {"joint_pain", "first_mtp_pain", "joint_swelling", "joint_redness_heat", "hx_gout", "knee_pain", "ankle_pain"},
    "lumbar_disc_herniation": {"low_back_pain", "sciatica"},
    "cystitis": {"dysuria", "urinary_frequency", "urinary_urgency", "hematuria", "lower_abdominal_pain"},
    "urticaria": {"wheals", "rash", "itching"},
    "conjunctivitis": {"red_eye", "eye_discharge", "eye_itching"},
    "migraine": {"headache", "unilateral_headache", "throbbing_headache", "severe_headache", "sudden_headache"},
    "herpes_zoster": {"dermatomal_rash", "vesicles", "burning_skin_pain", "rash"},
}  # fmt: skip


def inject_support(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    present = _present(rec)
    history = " ".join(rec["patient"].get("history", [])).lower()
    age = _age(rec) or 40
    for k in range(len(SUPPORT_CANDIDATES)):
        cid, zh, en = SUPPORT_CANDIDATES[(i + k) % len(SUPPORT_CANDIDATES)]
        c = KB.conditions[cid]
        if present & REQUIRED[cid] or zh in history or en in history or not c.age_min <= age <= c.age_max:
            continue
        r = copy.deepcopy(rec)
        r.setdefault("diagnoses", []).append(zh if _lang(rec) == "zh" else en)
        return r, f"diagnosis {cid} added without any of its findings"
    return None


def _add_rx(
    r: dict[str, Any], name: str, dose: float, times: int, days: int = 5, route: str = "oral"
) -> None:
    r.setdefault("prescriptions", []).append(
        {"drug": name, "dose_mg": dose, "times_per_day": times, "days": days, "route": route}
    )


def inject_contraindication(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    age, sex = _age(rec), _sex(rec)
    codes = {d.code for _, d in _drugs(rec)}
    zh = _lang(rec) == "zh"
    present = _present(rec)

    def metformin(r: dict[str, Any]) -> str | None:
        if age is None or age < 18:
            return None
        r.setdefault("labs", {})["egfr"] = 24
        if "metformin" not in codes:
            _add_rx(r, "二甲双胍" if zh else "metformin", 500, 2, 30)
            r.setdefault("diagnoses", []).append("2型糖尿病" if zh else "type 2 diabetes")
            r.setdefault("vitals", {})["fasting_glucose_mmol_l"] = 8.0
        return "metformin with eGFR 24"

    def acei_pregnancy(r: dict[str, Any]) -> str | None:
        if sex != "female" or age is None or not 18 <= age <= 45:
            return None
        r["patient"]["pregnant"] = True
        if not codes & {"enalapril", "captopril", "losartan", "valsartan"}:
            _add_rx(r, "依那普利" if zh else "enalapril", 10, 1, 30)
        return "ACE inhibitor / ARB in pregnancy"

    def barium(r: dict[str, Any]) -> str | None:
        r["patient"].setdefault("history", []).append("肠梗阻" if zh else "bowel obstruction")
        r.setdefault("orders", []).append("钡餐" if zh else "barium meal")
        return "barium meal with a history of bowel obstruction"

    def quinolone_child(r: dict[str, Any]) -> str | None:
        if age is None or age >= 18:
            return None
        w = r.get("vitals", {}).get("weight_kg") or 30
        _add_rx(r, "左氧氟沙星" if zh else "levofloxacin", min(500, round(w * 10)), 1)
        return "levofloxacin under 18"

    def aspirin_child(r: dict[str, Any]) -> str | None:
        if age is None or age >= 16 or not present & {"fever", "high_fever"}:
            return None
        w = r.get("vitals", {}).get("weight_kg") or 30
        _add_rx(r, "阿司匹林" if zh else "aspirin", min(300, round(w * 10)), 3, 3)
        return "aspirin for a feverish child"

    def propranolol_asthma(r: dict[str, Any]) -> str | None:
        if age is None or age < 18:
            return None
        r["patient"].setdefault("history", []).append("支气管哮喘" if zh else "asthma")
        if "propranolol" not in codes:
            _add_rx(r, "普萘洛尔" if zh else "propranolol", 10, 3, 14)
        return "propranolol with asthma"

    def nsaid_ulcer(r: dict[str, Any]) -> str | None:
        if age is None or age < 18:
            return None
        r["patient"].setdefault("history", []).append("十二指肠溃疡" if zh else "duodenal ulcer")
        if not codes & {"ibuprofen", "diclofenac", "indometacin"}:
            _add_rx(r, "布洛芬" if zh else "ibuprofen", 400, 3)
        return "NSAID with peptic ulcer"

    def contrast_renal(r: dict[str, Any]) -> str | None:
        r["patient"].setdefault("history", []).append("尿毒症" if zh else "end-stage renal disease")
        r.setdefault("orders", []).append("增强CT" if zh else "contrast CT")
        return "contrast CT with kidney failure"

    options = [metformin, acei_pregnancy, barium, quinolone_child, aspirin_child, propranolol_asthma, nsaid_ulcer,
               contrast_renal]  # fmt: skip
    for k in range(len(options)):
        r = copy.deepcopy(rec)
        what = options[(i + k) % len(options)](r)
        if what:
            return r, what
    return None


def _allergy_text(code: str, zh: bool) -> str:
    """An allergy entry naming the drug's allergy class (or the drug itself)."""
    book = KB.drugs
    groups = [c for c in book.classes_of(code) if c in book.classes and book.classes[c].allergy_group]
    if groups:
        cls = max(groups, key=lambda c: -len(book.ancestors(c)))
        row = book.classes[cls]
        return row.name_zh if zh else row.name_en
    d = book[code]
    return d.name_zh if zh else d.name_en


def inject_allergy(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    zh = _lang(rec) == "zh"
    r = copy.deepcopy(rec)
    drugs = _drugs(rec)
    if drugs:
        _, d = drugs[i % len(drugs)]
        text = _allergy_text(d.code, zh)
        r["patient"]["allergies"] = [
            a for a in r["patient"].get("allergies", []) if a not in ("无", "NKDA")
        ] + [text]
        return r, f"allergy to {text} with {d.code} prescribed"
    age = _age(rec) or 40
    r["patient"]["allergies"] = ["青霉素" if zh else "penicillin"]
    w = r.get("vitals", {}).get("weight_kg")
    _add_rx(r, "阿莫西林" if zh else "amoxicillin", round(15 * w) if age < 12 and w else 500, 3)
    return r, "penicillin allergy with amoxicillin"


def inject_interaction(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    zh = _lang(rec) == "zh"
    drugs = _drugs(rec)
    age = _age(rec) or 40

    def warfarin() -> tuple[dict[str, Any], str] | None:
        for _, d in drugs:
            if d.code != "warfarin" and any(
                h.severity == "major" for h in KB.drugs.interactions_between(d.code, "warfarin")
            ):
                r = copy.deepcopy(rec)
                r["patient"].setdefault("medications", []).append("华法林" if zh else "warfarin")
                return r, f"warfarin taken with {d.code}"
        return None

    def same_class() -> tuple[dict[str, Any], str] | None:
        if age < 12:
            return None
        for _, d in drugs:
            for other in KB.drugs:
                if other.code == d.code or not KB.drugs.duplicate_classes(d.code, other.code):
                    continue
                if other.dose_unit != "mg" or not other.adult_dose_mg or "oral" not in other.routes:
                    continue
                if other.min_age_years and age < other.min_age_years:
                    continue
                r = copy.deepcopy(rec)
                _add_rx(r, other.name_zh if zh else other.name_en, other.adult_dose_mg[0], 1)
                return r, f"{other.code} duplicates {d.code}"
        return None

    def same_drug() -> tuple[dict[str, Any], str] | None:
        for idx, d in drugs:
            rx = rec["prescriptions"][idx]
            names = [
                n for n in (d.name_zh, d.name_en, *d.synonyms) if KB.drugs.find(n) is d and n != rx["drug"]
            ]
            if not names or rx.get("dose_mg") is None:
                continue
            r = copy.deepcopy(rec)
            r["prescriptions"].append({**rx, "drug": names[i % len(names)]})
            return r, f"{d.code} written twice under two names"
        return None

    def fallback() -> tuple[dict[str, Any], str] | None:
        r = copy.deepcopy(rec)
        r["patient"].setdefault("medications", []).append("华法林" if zh else "warfarin")
        if age >= 18:
            _add_rx(r, "布洛芬" if zh else "ibuprofen", 400, 3)
            return r, "ibuprofen with warfarin"
        _add_rx(
            r,
            "甲硝唑" if zh else "metronidazole",
            round(7.5 * (r.get("vitals", {}).get("weight_kg") or 20)),
            3,
        )
        return r, "metronidazole with warfarin"

    options = (warfarin, same_class, same_drug)
    for k in range(len(options)):
        made = options[(i + k) % len(options)]()
        if made is not None:
            return made
    return fallback()


def inject_dosage(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    r = copy.deepcopy(rec)
    age = _age(rec) or 40
    w = r.get("vitals", {}).get("weight_kg")
    for idx, d in _drugs(rec):
        rx = r["prescriptions"][idx]
        route = ROUTES.get(rx.get("route"), rx.get("route"))
        if d.dose_unit != "mg" or rx.get("dose_mg") is None or route == "inhaled":
            continue
        lim = d.dose_for(route) if route in d.routes else d
        if lim is None or lim.max_dose_mg is None or lim.max_daily_mg is None:
            continue
        if age < 12 and w and lim.child_mg_per_kg_dose:
            rx["dose_mg"] = _round_dose(lim.child_mg_per_kg_dose[1] * w * 2.5)
            return r, f"{d.code} {rx['dose_mg']} mg for a {w} kg child"
        times = int(lim.max_daily_mg // rx["dose_mg"]) + 2
        if i % 2 == 0 and times <= 12 and rx["dose_mg"] <= lim.max_dose_mg:
            rx["times_per_day"] = times
            return r, f"{d.code} {rx['dose_mg']} mg x {times} a day, above its daily maximum"
        rx["dose_mg"] = _round_dose(lim.max_dose_mg * 3)
        return r, f"{d.code} {rx['dose_mg']} mg per dose, above its maximum"
    zh = _lang(rec) == "zh"
    if age < 12 and w:
        _add_rx(r, "对乙酰氨基酚" if zh else "paracetamol", _round_dose(40 * w), 3, 3)
    else:
        _add_rx(r, "对乙酰氨基酚" if zh else "paracetamol", 1000, 6, 3)
    return r, "paracetamol overdose"


ROUTES = {
    "口服": "oral",
    "吸入": "inhaled",
    "肌注": "im",
    "舌下含服": "sublingual",
    "静滴": "iv",
    "外用": "topical",
}
DUP_CANDIDATES = (
    "cbc",
    "urinalysis",
    "lipids",
    "ecg",
    "liver_function",
    "renal_function",
    "chest_xray",
    "hba1c",
)


def inject_duplicate(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    r = copy.deepcopy(rec)
    present = _present(rec)
    zh = _lang(rec) == "zh"
    date = _date(r.get("date", "2026-03-02"))
    orders = [KB.exams.find(o) for o in r.get("orders", [])]
    for e in orders:
        if e is not None and e.validity_days and not set(e.repeat_ok_findings) & present:
            days = max(1, e.validity_days // 2)
            names = [s for s in e.synonyms if bool(re.search(r"[\u4e00-\u9fff]", s)) == zh] or [e.name_en]
            r.setdefault("prior_exams", []).append(
                {
                    "name": names[i % len(names)],
                    "date": str(date - dt.timedelta(days=days)),
                    "facility": FACILITIES[(i + 2) % len(FACILITIES)],
                }  # fmt: skip
            )
            return r, f"{e.code} repeated after {days} days"
    for k in range(len(DUP_CANDIDATES)):
        e = KB.exams[DUP_CANDIDATES[(i + k) % len(DUP_CANDIDATES)]]
        if set(e.repeat_ok_findings) & present or e in orders:
            continue
        days = max(1, e.validity_days // 2)
        r.setdefault("orders", []).append(e.name_zh if zh else e.name_en)
        r.setdefault("prior_exams", []).append(
            {
                "name": e.name_zh if zh else e.name_en,
                "date": str(date - dt.timedelta(days=days)),
                "facility": "乡镇卫生院",
            }
        )
        return r, f"{e.code} ordered {days} days after the last one"
    return None


NO_ANTIBIOTIC = {  # conditions that never call for a systemic antibiotic (viral, chronic, non-infectious)
    "common_cold", "influenza", "covid19", "acute_pharyngitis", "acute_bronchitis", "allergic_rhinitis", "asthma",
    "copd", "hypertension", "type2_diabetes", "hypothyroidism", "hyperthyroidism", "gerd", "functional_dyspepsia",
    "constipation", "low_back_pain", "lumbar_sprain", "lumbar_disc_herniation", "knee_osteoarthritis", "gout",
    "cervical_spondylosis", "frozen_shoulder", "ankle_sprain", "tension_headache", "migraine", "bppv", "depression",
    "anxiety_disorder", "insomnia", "eczema", "urticaria", "herpes_zoster", "tinea", "scabies", "chickenpox",
    "mumps", "hand_foot_mouth_disease", "iron_deficiency_anaemia", "heat_exhaustion", "gastroenteritis",
    "vaginal_candidiasis", "angina", "benign_prostatic_hyperplasia",
}  # fmt: skip
BACTERIAL = {"purulent_sputum", "crackles", "high_fever", "tonsillar_exudate", "purulent_nasal_discharge",
             "ear_discharge", "bloody_stool", "mucus_stool"}  # fmt: skip
ORAL_ONLY_OK = NO_ANTIBIOTIC | {
    "acute_tonsillitis",
    "otitis_media",
    "cystitis",
    "cellulitis",
    "vaginitis",
    "acute_sinusitis",
}
IV_SIGNS = {"vomiting", "dehydration", "sunken_eyes", "decreased_urine", "lethargy", "altered_consciousness",
            "confusion", "seizure", "dyspnea_at_rest", "cyanosis", "stridor", "poor_feeding", "lip_tongue_swelling",
            "throat_tightness"}  # fmt: skip


def inject_antibiotic(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    conds = _conditions(rec)
    if not conds or any(c is None for c in conds):
        return None
    ids = {c.id for c in conds}
    present = _present(rec)
    v = rec.get("vitals", {})
    zh = _lang(rec) == "zh"
    age = _age(rec) or 40
    w = v.get("weight_kg")
    hot = (v.get("temperature_c") or 0) >= 39 or (rec.get("labs", {}).get("wbc") or 0) > 10

    def antibiotic() -> tuple[dict[str, Any], str] | None:
        if not ids <= NO_ANTIBIOTIC or present & BACTERIAL or hot:
            return None
        r = copy.deepcopy(rec)
        _add_rx(r, "阿莫西林" if zh else "amoxicillin", _round_dose(15 * w) if age < 12 and w else 500, 3, 5)
        return r, f"amoxicillin for {sorted(ids)}"

    def infusion() -> tuple[dict[str, Any], str] | None:
        calm = not present & IV_SIGNS and (v.get("spo2") or 99) >= 94 and (v.get("systolic_bp") or 120) >= 90
        if not ids <= ORAL_ONLY_OK or any(c.triage != "manage" for c in conds) or not calm or age < 12:
            return None
        r = copy.deepcopy(rec)
        _add_rx(r, "头孢曲松" if zh else "ceftriaxone", 2000, 1, 3, "静滴" if zh else "iv")
        return r, f"IV ceftriaxone for {sorted(ids)}"

    first, second = (antibiotic, infusion) if i % 2 == 0 else (infusion, antibiotic)
    return first() or second()


def inject_data_entry(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    r = copy.deepcopy(rec)
    v = r.setdefault("vitals", {})
    options = ["swap", "temp", "spo2", "weight", "prior_date", "hba1c"]
    for k in range(len(options)):
        kind = options[(i + k) % len(options)]
        if kind == "swap" and v.get("systolic_bp") and v.get("diastolic_bp"):
            v["systolic_bp"], v["diastolic_bp"] = v["diastolic_bp"], v["systolic_bp"]
            return r, "systolic and diastolic swapped"
        if kind == "temp":
            v["temperature_c"] = 386.0 if i % 2 else 3.8
            return r, f"temperature {v['temperature_c']}"
        if kind == "spo2" and v.get("spo2"):
            v["spo2"] = 0.96 if i % 2 else 196.0
            return r, f"SpO2 {v['spo2']}"
        if kind == "weight" and v.get("weight_kg"):
            v["weight_kg"] = v["weight_kg"] * 1000
            return r, "weight in grams"
        if kind == "prior_date" and r.get("prior_exams"):
            r["prior_exams"][0]["date"] = str(_date(r.get("date", "2026-03-02")) + dt.timedelta(days=30))
            return r, "prior examination dated after the visit"
        if kind == "hba1c" and r.get("labs", {}).get("hba1c"):
            r["labs"]["hba1c"] = 65.0
            return r, "HbA1c in mmol/mol"
    return None


def inject_demographics(rec: dict[str, Any], i: int) -> tuple[dict[str, Any], str] | None:
    r = copy.deepcopy(rec)
    p = r["patient"]
    sex, age = _sex(rec), _age(rec)
    zh = _lang(rec) == "zh"
    options = [
        "rid_sex",
        "pregnancy_test",
        "prostate",
        "pregnant_male",
        "rid_invalid",
        "age_vs_rid",
        "age_vs_birth",
    ]
    for k in range(len(options)):
        kind = options[(i + k) % len(options)]
        if kind == "rid_sex" and p.get("resident_id") and sex:
            p["sex"] = "female" if sex == "male" else "male"
            return r, "sex contradicts the resident ID"
        if kind == "pregnancy_test" and sex == "male":
            r.setdefault("orders", []).append("尿妊娠试验" if zh else "pregnancy test")
            return r, "pregnancy test for a man"
        if kind == "prostate" and sex == "female" and age and age >= 40:
            r.setdefault("diagnoses", []).append("前列腺增生" if zh else "benign prostatic hyperplasia")
            r["complaint"] = r.get("complaint", "") + ("夜尿增多。" if zh else " Nocturia.")
            return r, "prostate hyperplasia in a woman"
        if kind == "pregnant_male" and sex == "male":
            p["pregnant"] = True
            return r, "pregnant man"
        if kind == "rid_invalid" and p.get("resident_id"):
            rid = p["resident_id"]
            p["resident_id"] = rid[:17] + ("0" if rid[17] != "0" else "1")
            return r, "resident ID with a wrong check character"
        if kind == "age_vs_rid" and p.get("resident_id") and age is not None:
            p["age_years"] = round(age + 20)
            return r, "age contradicts the resident ID"
        if kind == "age_vs_birth" and p.get("age_years") is not None and not p.get("birth_date"):
            born = _date(r.get("date", "2026-03-02")) - dt.timedelta(days=int((p["age_years"] + 12) * 365.25))
            p["birth_date"] = str(born)
            return r, "birth date contradicts the age"
    return None


INJECTORS: dict[str, Inj] = {
    "completeness": inject_completeness,
    "diagnosis_support": inject_support,
    "contraindication": inject_contraindication,
    "allergy": inject_allergy,
    "interaction": inject_interaction,
    "dosage": inject_dosage,
    "duplicate_exam": inject_duplicate,
    "antibiotic_use": inject_antibiotic,
    "data_entry": inject_data_entry,
    "demographics": inject_demographics,
}


def faults(correct: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(correct):
        for category in CATEGORIES:
            made = INJECTORS[category](item["record"], i)
            if made is None:
                continue
            record, what = made
            out.append({"id": f"{item['id']}#{category}", "base": item["id"], "category": category,
                        "fault": what, "record": record})  # fmt: skip
    return out


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def dumps(items: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(x, ensure_ascii=False, sort_keys=False) + "\n" for x in items)


def build() -> dict[str, str]:
    """File name -> content of the generated files."""
    generated = generated_records()
    handwritten = load_jsonl(HERE / "handwritten.jsonl")
    return {"generated.jsonl": dumps(generated), "faults.jsonl": dumps(faults(handwritten + generated))}


def main() -> None:
    for name, text in build().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {name}: {text.count(chr(10))} records")


if __name__ == "__main__":
    main()
