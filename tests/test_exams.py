"""exams.yaml: coverage of COVERAGE.md, lookup by the names doctors type, validity periods,
tags and contraindications, contrast-allergy and interaction checks, and clear errors."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.knowledge import KNOWLEDGE_DIR, KnowledgeError
from assistant.knowledge import drugs as D
from assistant.knowledge import exams as X
from assistant.knowledge import findings as F
from assistant.knowledge.names import name_key


@pytest.fixture(scope="module")
def exams() -> X.ExamBook:
    return X.load(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def book() -> D.DrugBook:
    return D.load(KNOWLEDGE_DIR)


# ------------------------------------------------------------------------------ COVERAGE.md list

# Every examination named in /work/shared/COVERAGE.md, as COVERAGE spells it, and its row.
COVERAGE_EXAMS: list[tuple[str, str]] = [
    ("chest X-ray", "chest_xray"),
    ("CT", "ct"),
    ("contrast-enhanced CT", "ct_contrast"),
    ("barium meal", "barium_meal"),
    ("gastroscopy", "gastroscopy"),
    ("abdominal ultrasound", "abdominal_ultrasound"),
    ("ECG", "ecg"),
    ("complete blood count", "cbc"),
    ("urinalysis", "urinalysis"),
    ("fasting glucose", "fasting_glucose"),
    ("HbA1c", "hba1c"),
    ("liver function", "liver_function"),
    ("renal function", "renal_function"),
    ("lipids", "lipids"),
    ("pregnancy test", "pregnancy_test"),
    ("sputum smear for TB", "sputum_smear_tb"),
    ("stool routine", "stool_routine"),
]


@pytest.mark.parametrize(("name", "code"), COVERAGE_EXAMS, ids=[c for _, c in COVERAGE_EXAMS])
def test_every_coverage_exam_is_present_and_found_by_its_coverage_name(
    exams: X.ExamBook, name: str, code: str
) -> None:
    assert code in exams
    exam = exams.find(name)
    assert exam is not None and exam.code == code
    assert exam.name_zh and exam.name_en and exam.source


def test_shipped_table_cross_checks_clean(exams: X.ExamBook, book: D.DrugBook) -> None:
    assert X.validate(exams, book, finding_codes=F.load(KNOWLEDGE_DIR).keys()) == []


# ------------------------------------------------------------------------------------- lookup

LOOKUPS: list[tuple[str, str]] = [
    ("胸片", "chest_xray"),
    ("胸部X线", "chest_xray"),
    ("DR胸片", "chest_xray"),
    ("CXR", "chest_xray"),
    ("胸部X线检查", "chest_xray"),
    ("血常规", "cbc"),
    ("复查血常规", "cbc"),
    ("急查血常规", "cbc"),
    ("CBC", "cbc"),
    ("CBC test", "cbc"),
    ("尿常规", "urinalysis"),
    ("肝功", "liver_function"),
    ("肝功能检查", "liver_function"),
    ("肾功", "renal_function"),
    ("血脂四项", "lipids"),
    ("心电图", "ecg"),
    ("EKG", "ecg"),
    ("B超", "abdominal_ultrasound"),
    ("Ｂ超", "abdominal_ultrasound"),
    ("腹部彩超", "abdominal_ultrasound"),
    ("钡餐", "barium_meal"),
    ("上消化道造影", "barium_meal"),
    ("胃镜", "gastroscopy"),
    ("无痛胃镜", "gastroscopy"),
    ("增强CT", "ct_contrast"),
    ("ＣＴ", "ct"),
    ("头颅CT", "ct_head"),
    ("胸部CT检查", "ct_chest"),
    ("胸部增强CT", "ct_contrast_chest"),
    ("CTPA", "ct_angiography"),
    ("空腹血糖", "fasting_glucose"),
    ("查空腹血糖", "fasting_glucose"),
    ("糖化血红蛋白", "hba1c"),
    ("HbA1c level", "hba1c"),
    ("尿妊娠试验", "pregnancy_test"),
    ("血HCG", "pregnancy_test"),
    ("痰涂片", "sputum_smear_tb"),
    ("痰找抗酸杆菌", "sputum_smear_tb"),
    ("大便常规", "stool_routine"),
    ("便潜血", "fecal_occult_blood"),
    ("甲功", "thyroid_function"),
    ("乙肝两对半", "hbv_serology"),
    ("心脏彩超", "echocardiography"),
]


@pytest.mark.parametrize(("text", "code"), LOOKUPS, ids=[t for t, _ in LOOKUPS])
def test_lookup_by_typed_names(exams: X.ExamBook, text: str, code: str) -> None:
    exam = exams.find(text)
    assert exam is not None, text
    assert exam.code == code


@pytest.mark.parametrize("text", ["检查", "化验", "彩超", "X线", "", "MRI"])
def test_lookup_never_guesses(exams: X.ExamBook, text: str) -> None:
    assert exams.find(text) is None


def test_no_two_exams_share_a_name(exams: X.ExamBook) -> None:
    owner: dict[str, str] = {}
    clashes: list[str] = []
    for e in exams:
        for name in (e.code, e.name_zh, e.name_en, *e.synonyms):
            key = name_key(name)
            if owner.setdefault(key, e.code) != e.code:
                clashes.append(f"{name!r}: {owner[key]} and {e.code}")
    assert not clashes


# ------------------------------------------------------------------------------ validity / repeats


def test_validity_days(exams: X.ExamBook) -> None:
    assert exams["chest_xray"].validity_days == 30
    assert exams["cbc"].validity_days == 7
    assert exams["hba1c"].validity_days == 90
    assert exams["sputum_smear_tb"].validity_days == 0  # serial specimens are the protocol
    assert exams["ct"].validity_days == 0  # site unknown: cannot tell a repeat


def test_repeat_too_soon(exams: X.ExamBook) -> None:
    done = date(2026, 3, 2)
    assert exams.repeat_too_soon("chest_xray", done, done + timedelta(days=10))
    assert not exams.repeat_too_soon("chest_xray", done, done + timedelta(days=30))
    assert not exams.repeat_too_soon("chest_xray", done, done + timedelta(days=10), ["hemoptysis"])
    assert exams.repeat_too_soon("chest_xray", done, done + timedelta(days=10), ["cough"])
    assert exams.repeat_too_soon("hba1c", done, done + timedelta(days=60))
    assert not exams.repeat_too_soon("hba1c", done, done + timedelta(days=91))
    assert not exams.repeat_too_soon("pregnancy_test", done, done + timedelta(days=1))
    assert not exams.repeat_too_soon("cbc", done, done - timedelta(days=1))  # the "earlier" one is later
    assert exams.repeat_too_soon("ecg", done, done + timedelta(days=3))
    assert not exams.repeat_too_soon("ecg", done, done + timedelta(days=3), ["chest_pain"])


def test_every_exam_with_validity_zero_says_why(exams: X.ExamBook) -> None:
    for e in exams:
        if e.validity_days == 0:
            assert e.note_zh and e.note_en and not e.repeat_ok_findings, e.code


# ------------------------------------------------------------------------------ tags and contraindications


def test_tags(exams: X.ExamBook) -> None:
    assert {"iodinated_contrast", "ionising_radiation"} <= set(exams["ct_contrast"].tags)
    assert exams["ct_contrast"].agents == ("iodinated_contrast",)
    assert {"barium", "ionising_radiation", "fasting_required"} <= set(exams["barium_meal"].tags)
    assert exams["barium_meal"].agents == ("barium_sulfate",)
    assert "invasive" in exams["gastroscopy"].tags
    assert "fasting_required" in exams["fasting_glucose"].tags
    assert not exams["abdominal_ultrasound"].tags or "ionising_radiation" not in exams["abdominal_ultrasound"].tags
    assert "ionising_radiation" not in exams["ecg"].tags


def test_contraindications(exams: X.ExamBook, book: D.DrugBook) -> None:
    barium = exams["barium_meal"]
    assert {"bowel_obstruction", "gi_perforation"} <= set(barium.contraindications)
    assert "renal_egfr_lt_30" in exams["ct_contrast"].contraindications
    for e in exams:
        if "ionising_radiation" in e.tags:
            assert "pregnancy" in e.cautions, e.code  # a warning, not a ban
        if "iodinated_contrast" in e.tags:
            assert "renal_egfr_lt_30" in e.contraindications, e.code
    # the tags are the drug vocabulary and are recognised in a record
    assert book.tag("gi_perforation").applies(findings=["rebound_tenderness"])
    assert book.tag("bowel_obstruction").applies(icd10=["K56.7"])


def test_contrast_allergy(exams: X.ExamBook, book: D.DrugBook) -> None:
    for text in ("碘造影剂", "碘造影剂过敏", "造影剂过敏", "iodinated contrast", "欧乃派克"):
        assert exams.matches_allergy(book, text, "ct_contrast") == "same_class", text
        assert exams.matches_allergy(book, text, "ct_angiography") == "same_class", text
        assert exams.matches_allergy(book, text, "ct") is None, text
        assert exams.matches_allergy(book, text, "barium_meal") is None, text
    assert exams.matches_allergy(book, "钡剂过敏", "barium_meal") == "same_class"
    assert exams.matches_allergy(book, "青霉素", "ct_contrast") is None
    assert exams.matches_allergy(book, "青霉素", "chest_xray") is None


def test_interactions_with_drugs(exams: X.ExamBook, book: D.DrugBook) -> None:
    hits = exams.interactions_with(book, "ct_contrast", "metformin")
    assert [h.severity for h in hits] == ["moderate"] and "metformin" in hits[0].reason_en
    assert exams.interactions_with(book, "ct_contrast", "amlodipine") == []
    assert exams.interactions_with(book, "gastroscopy", "warfarin")
    assert exams.interactions_with(book, "gastroscopy", "clopidogrel")
    assert exams.interactions_with(book, "chest_xray", "warfarin") == []


# ---------------------------------------------------------------------------- broken files


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    target.mkdir(parents=True)
    for name in (X.FILE, D.FILE, D.CLASSES_FILE, "findings.yaml"):
        shutil.copy(KNOWLEDGE_DIR / name, target / name)
    return target


def _edit(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(kb: Path) -> list[str]:
    return X.validate(X.load(kb), D.load(kb), finding_codes=F.load(kb).keys())


def test_broken_rows_name_file_row_and_field(tmp_path: Path) -> None:
    kb = _copy(tmp_path)

    def edit(d: dict[str, Any]) -> None:
        row = d["rows"][0]
        assert row["code"] == "chest_xray"
        row["cautions"] = ["pregnant_woman"]
        row["repeat_ok_findings"] = ["blood_spit"]
        ct = next(r for r in d["rows"] if r["code"] == "ct_contrast")
        ct["agents"] = []
        ct["interactions"][0]["target"] = "metformine"

    _edit(kb / X.FILE, edit)
    problems = _problems(kb)
    assert "exams.yaml row 1 (code=chest_xray): field 'cautions': unknown tag 'pregnant_woman' (see 'tags' in drugs.yaml)" in problems
    assert any("row 1 (code=chest_xray): field 'cautions': an examination with ionising radiation must name 'pregnancy'" in p
               for p in problems)  # fmt: skip
    assert any("row 1 (code=chest_xray): field 'repeat_ok_findings': unknown finding code 'blood_spit'" in p
               for p in problems)  # fmt: skip
    assert any("(code=ct_contrast): field 'agents': tag 'iodinated_contrast' and agent 'iodinated_contrast'" in p
               for p in problems)  # fmt: skip
    assert any("(code=ct_contrast): field 'interactions.0.target': unknown drug or class 'metformine'" in p
               for p in problems)  # fmt: skip


def test_schema_errors_and_shared_names(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    _edit(kb / X.FILE, lambda d: d["rows"][1].update(validity_days=-3, tags=["radioactive"]))
    with pytest.raises(KnowledgeError) as err:
        X.load(kb)
    msg = str(err.value)
    assert "exams.yaml row 2 (code=xray_abdomen): field 'validity_days'" in msg
    assert "exams.yaml row 2 (code=xray_abdomen): field 'tags.0'" in msg

    kb2 = _copy(tmp_path / "second")
    _edit(kb2 / X.FILE, lambda d: d["rows"][1]["synonyms"].append("胸片"))
    with pytest.raises(KnowledgeError, match=r"row 2 \(code=xray_abdomen\): field 'synonyms': name '胸片' is already a name of 'chest_xray'"):
        X.load(kb2)
