"""drugs.yaml and drug_classes.yaml: coverage of COVERAGE.md, lookup by any name, class reasoning
for allergies, interactions, dose limits, patient tags, and clear errors for broken files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.knowledge import KNOWLEDGE_DIR, KnowledgeError
from assistant.knowledge import drugs as D
from assistant.knowledge import findings as F
from assistant.knowledge.base import read_yaml
from assistant.knowledge.names import name_key

# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def book() -> D.DrugBook:
    return D.load(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def finding_codes() -> list[str]:
    return F.load(KNOWLEDGE_DIR).keys()


# ------------------------------------------------------------------------------ COVERAGE.md list

# Every drug named in /work/shared/COVERAGE.md, as COVERAGE spells it, and the row it must reach.
COVERAGE_DRUGS: list[tuple[str, str]] = [
    ("amoxicillin", "amoxicillin"),
    ("amoxicillin-clavulanate", "amoxicillin_clavulanate"),
    ("penicillin G", "penicillin_g"),
    ("cefalexin", "cefalexin"),
    ("cefuroxime", "cefuroxime"),
    ("ceftriaxone", "ceftriaxone"),
    ("azithromycin", "azithromycin"),
    ("erythromycin", "erythromycin"),
    ("levofloxacin", "levofloxacin"),
    ("ciprofloxacin", "ciprofloxacin"),
    ("nitrofurantoin", "nitrofurantoin"),
    ("metronidazole", "metronidazole"),
    ("doxycycline", "doxycycline"),
    ("sulfamethoxazole-trimethoprim", "sulfamethoxazole_trimethoprim"),
    ("paracetamol", "paracetamol"),
    ("ibuprofen", "ibuprofen"),
    ("diclofenac", "diclofenac"),
    ("aspirin", "aspirin"),
    ("indometacin", "indometacin"),
    ("amlodipine", "amlodipine"),
    ("nifedipine", "nifedipine"),
    ("enalapril", "enalapril"),
    ("captopril", "captopril"),
    ("losartan", "losartan"),
    ("valsartan", "valsartan"),
    ("hydrochlorothiazide", "hydrochlorothiazide"),
    ("indapamide", "indapamide"),
    ("metoprolol", "metoprolol"),
    ("propranolol", "propranolol"),
    ("atorvastatin", "atorvastatin"),
    ("simvastatin", "simvastatin"),
    ("clopidogrel", "clopidogrel"),
    ("warfarin", "warfarin"),
    ("digoxin", "digoxin"),
    ("furosemide", "furosemide"),
    ("spironolactone", "spironolactone"),
    ("isosorbide dinitrate", "isosorbide_dinitrate"),
    ("nitroglycerin", "nitroglycerin"),
    ("metformin", "metformin"),
    ("glibenclamide", "glibenclamide"),
    ("gliclazide", "gliclazide"),
    ("glipizide", "glipizide"),
    ("acarbose", "acarbose"),
    ("insulin", "insulin"),
    ("levothyroxine", "levothyroxine"),
    ("methimazole", "methimazole"),
    ("omeprazole", "omeprazole"),
    ("ranitidine", "ranitidine"),
    ("domperidone", "domperidone"),
    ("montmorillonite", "montmorillonite"),
    ("oral rehydration salts", "oral_rehydration_salts"),
    ("loperamide", "loperamide"),
    ("loratadine", "loratadine"),
    ("chlorphenamine", "chlorphenamine"),
    ("cetirizine", "cetirizine"),
    ("salbutamol", "salbutamol"),
    ("budesonide", "budesonide"),
    ("prednisone", "prednisone"),
    ("dexamethasone", "dexamethasone"),
    ("allopurinol", "allopurinol"),
    ("colchicine", "colchicine"),
    ("isoniazid", "isoniazid"),
    ("rifampicin", "rifampicin"),
    ("acyclovir", "acyclovir"),
    ("oseltamivir", "oseltamivir"),
    ("diazepam", "diazepam"),
    ("amitriptyline", "amitriptyline"),
    ("sertraline", "sertraline"),
]

# Systemic antibacterials among them (the `antibiotic` flag).
ANTIBIOTICS = {
    "amoxicillin", "amoxicillin_clavulanate", "penicillin_g", "cefalexin", "cefuroxime", "ceftriaxone",
    "azithromycin", "erythromycin", "clarithromycin", "levofloxacin", "ciprofloxacin", "nitrofurantoin",
    "metronidazole", "doxycycline", "sulfamethoxazole_trimethoprim", "isoniazid", "rifampicin",
}  # fmt: skip


def test_coverage_list_has_68_distinct_drugs() -> None:
    codes = [code for _, code in COVERAGE_DRUGS]
    assert len(codes) == 68 and len(set(codes)) == 68


@pytest.mark.parametrize(("name", "code"), COVERAGE_DRUGS, ids=[c for _, c in COVERAGE_DRUGS])
def test_every_coverage_drug_is_present_and_found_by_its_coverage_name(
    book: D.DrugBook, name: str, code: str
) -> None:
    assert code in book
    drug = book.find(name)
    assert drug is not None and drug.code == code
    assert drug.name_zh and drug.name_en and drug.source


def test_shipped_tables_cross_check_clean(book: D.DrugBook, finding_codes: list[str]) -> None:
    assert D.validate(book, finding_codes=finding_codes) == []


def test_meta_names_sources_and_edition() -> None:
    meta = read_yaml(KNOWLEDGE_DIR / D.FILE)["meta"]
    assert "2018" in meta["edition"] and "国家基本药物目录" in meta["sources"]["neml_2018"]
    assert "中国国家处方集" in meta["sources"]["cnf"] and "WHO Model Formulary" in meta["sources"]["who_mf"]
    assert "药品说明书" in meta["sources"]["label"]


def test_antibiotic_flag_marks_exactly_the_systemic_antibacterials(book: D.DrugBook) -> None:
    assert {d.code for d in book if d.antibiotic} == ANTIBIOTICS
    assert {d.code for d in book.members("antibiotic")} == ANTIBIOTICS


# ------------------------------------------------------------------------------------- lookup

LOOKUPS: list[tuple[str, str]] = [
    ("阿莫西林", "amoxicillin"),
    ("阿莫西林胶囊", "amoxicillin"),
    ("阿莫西林胶囊 0.25g×24粒", "amoxicillin"),
    ("Amoxicillin 500 mg caps", "amoxicillin"),
    ("ＡＭＯＸＩＣＩＬＬＩＮ", "amoxicillin"),
    ("阿莫仙", "amoxicillin"),
    ("Amoxil", "amoxicillin"),
    ("阿莫西林克拉维酸钾片", "amoxicillin_clavulanate"),
    ("Augmentin", "amoxicillin_clavulanate"),
    ("co-amoxiclav 625mg tablets", "amoxicillin_clavulanate"),
    ("青霉素钠 80万U", "penicillin_g"),
    ("先锋4号", "cefalexin"),
    ("先锋霉素Ⅳ", "cefalexin"),
    ("注射用头孢曲松钠 1g", "ceftriaxone"),
    ("左氧", "levofloxacin"),
    ("可乐必妥", "levofloxacin"),
    ("盐酸左氧氟沙星片", "levofloxacin"),
    ("复方新诺明", "sulfamethoxazole_trimethoprim"),
    ("泰诺林", "paracetamol"),
    ("扑热息痛", "paracetamol"),
    ("acetaminophen", "paracetamol"),
    ("芬必得", "ibuprofen"),
    ("布洛芬缓释胶囊 0.3g", "ibuprofen"),
    ("拜阿司匹灵", "aspirin"),
    ("阿司匹林肠溶片 100mg", "aspirin"),
    ("消炎痛", "indometacin"),
    ("拜新同", "nifedipine"),
    ("硝苯地平控释片 30mg", "nifedipine"),
    ("络活喜", "amlodipine"),
    ("苯磺酸氨氯地平片", "amlodipine"),
    ("倍他乐克", "metoprolol"),
    ("琥珀酸美托洛尔缓释片", "metoprolol"),
    ("心得安", "propranolol"),
    ("硫酸氢氯吡格雷片", "clopidogrel"),
    ("速尿", "furosemide"),
    ("消心痛", "isosorbide_dinitrate"),
    ("格华止", "metformin"),
    ("Metformin HCl 500mg tab", "metformin"),
    ("优降糖", "glibenclamide"),
    ("甘精胰岛素", "insulin"),
    ("insulin glargine", "insulin"),
    ("优甲乐", "levothyroxine"),
    ("他巴唑", "methimazole"),
    ("吗丁啉", "domperidone"),
    ("思密达", "montmorillonite"),
    ("口服补液盐Ⅲ", "oral_rehydration_salts"),
    ("ORS", "oral_rehydration_salts"),
    ("易蒙停", "loperamide"),
    ("扑尔敏", "chlorphenamine"),
    ("万托林", "salbutamol"),
    ("强的松", "prednisone"),
    ("安定", "diazepam"),
    ("达菲", "oseltamivir"),
    ("aciclovir", "acyclovir"),
    ("adrenaline", "epinephrine"),
]


@pytest.mark.parametrize(("text", "code"), LOOKUPS, ids=[t for t, _ in LOOKUPS])
def test_lookup_by_zh_en_brand_and_typed_forms(book: D.DrugBook, text: str, code: str) -> None:
    drug = book.find(text)
    assert drug is not None, text
    assert drug.code == code


@pytest.mark.parametrize("text", ["阿莫", "头孢", "penicillins", "降压药", "", "   ", "xyz"])
def test_lookup_never_guesses(book: D.DrugBook, text: str) -> None:
    assert book.find(text) is None


def test_a_combination_never_falls_back_to_its_component(book: D.DrugBook) -> None:
    assert book.find("阿莫西林克拉维酸钾").code == "amoxicillin_clavulanate"  # type: ignore[union-attr]


def test_no_two_drugs_share_a_name(book: D.DrugBook) -> None:
    owner: dict[str, str] = {}
    clashes: list[str] = []
    for d in book:
        for name in (d.code, d.name_zh, d.name_en, *d.synonyms):
            key = name_key(name)
            if owner.setdefault(key, d.code) != d.code:
                clashes.append(f"{name!r}: {owner[key]} and {d.code}")
    assert not clashes


def test_class_names_are_found_for_allergy_text(book: D.DrugBook) -> None:
    for text, cls in [("青霉素类", "penicillin"), ("头孢类", "cephalosporin"), ("NSAIDs", "nsaid"),
                      ("碘造影剂", "iodinated_contrast"), ("磺胺", "sulfonamide"), ("沙星类", "fluoroquinolone")]:  # fmt: skip
        found = book.find_class(text)
        assert found is not None and found.id == cls, text


# ------------------------------------------------------------------------------------- classes


def test_classes_of_includes_ancestors(book: D.DrugBook) -> None:
    assert book.classes_of("amoxicillin") == {"aminopenicillin", "penicillin", "beta_lactam", "antibiotic"}
    assert {"nonselective_beta_blocker", "beta_blocker"} <= book.classes_of("propranolol")
    assert "nonselective_beta_blocker" not in book.classes_of("metoprolol")
    assert {"cephalosporin", "beta_lactam", "antibiotic"} <= book.classes_of("cefalexin")
    assert {"acei", "raas_inhibitor"} <= book.classes_of("enalapril")
    assert "antibiotic" not in book.classes_of("oseltamivir")


@pytest.mark.parametrize(
    "cls",
    ["penicillin", "cephalosporin", "fluoroquinolone", "macrolide", "nsaid", "acei", "arb", "ccb", "beta_blocker",
     "nonselective_beta_blocker", "thiazide", "loop_diuretic", "potassium_sparing_diuretic", "statin", "sulfonylurea",
     "biguanide", "insulin", "ppi", "h2_blocker", "antihistamine", "corticosteroid", "benzodiazepine", "ssri", "tca",
     "anticoagulant", "antiplatelet", "nitrate", "antibiotic"],
)  # fmt: skip
def test_the_brief_classes_exist_and_have_members(book: D.DrugBook, cls: str) -> None:
    assert cls in book.classes
    assert book.members(cls), f"class {cls} has no drug"


def test_duplicate_therapy(book: D.DrugBook) -> None:
    assert book.duplicate_classes("enalapril", "losartan") == {"raas_inhibitor"}
    assert "nsaid" in book.duplicate_classes("ibuprofen", "diclofenac")
    assert book.duplicate_classes("aspirin", "clopidogrel") == set()  # dual antiplatelet therapy
    assert book.duplicate_classes("amlodipine", "metoprolol") == set()


# ------------------------------------------------------------------------------------ allergies

PENICILLIN_ALLERGY = ["青霉素", "青霉素过敏", "对青霉素类药物过敏", "penicillin allergy", "Penicillins", "PCN"]


@pytest.mark.parametrize("text", PENICILLIN_ALLERGY)
def test_penicillin_allergy(book: D.DrugBook, text: str) -> None:
    for code in ("amoxicillin", "amoxicillin_clavulanate", "penicillin_g"):
        assert book.matches_allergy(text, code) == "same_class", (text, code)
    for code in ("cefalexin", "cefuroxime", "ceftriaxone"):
        assert book.matches_allergy(text, code) == "cross_reactive", (text, code)
    for code in ("azithromycin", "levofloxacin", "metronidazole", "paracetamol"):
        assert book.matches_allergy(text, code) is None, (text, code)


def test_cross_reactivity_carries_its_note(book: D.DrugBook) -> None:
    m = book.allergy_match("青霉素过敏", "cefalexin")
    assert m is not None and m.kind == "cross_reactive" and m.allergen == "penicillin" and m.via == "cephalosporin"
    assert "头孢" in m.note_zh and "cephalosporin" in m.note_en


def test_allergy_to_one_drug_covers_its_allergy_group(book: D.DrugBook) -> None:
    m = book.allergy_match("阿莫西林", "amoxicillin")
    assert m is not None and m.kind == "same_class" and m.via == "amoxicillin"
    assert book.matches_allergy("阿莫西林过敏", "penicillin_g") == "same_class"
    assert book.matches_allergy("amoxicillin", "cefalexin") == "cross_reactive"
    assert book.matches_allergy("头孢类过敏", "ceftriaxone") == "same_class"
    assert book.matches_allergy("头孢类过敏", "amoxicillin") == "cross_reactive"
    assert book.matches_allergy("阿奇霉素", "erythromycin") == "same_class"


def test_allergy_only_names_and_sulfonamides(book: D.DrugBook) -> None:
    assert book.resolve_allergy("碘造影剂过敏") == ["iodinated_contrast"]
    assert book.classes["iodinated_contrast"].kind == "agent"
    assert book.matches_allergy("磺胺", "sulfamethoxazole_trimethoprim") == "same_class"
    assert book.matches_allergy("sulfa drugs", "furosemide") == "cross_reactive"
    assert book.matches_allergy("磺胺类药物过敏", "amoxicillin") is None
    assert book.matches_allergy("碘造影剂", "metformin") is None


def test_an_allergy_list_is_split(book: D.DrugBook) -> None:
    assert book.resolve_allergy("青霉素、磺胺") == ["penicillin", "sulfonamide"]
    assert book.matches_allergy("penicillin and sulfa", "sulfamethoxazole_trimethoprim") == "same_class"


def test_unknown_allergy_concerns_nothing(book: D.DrugBook) -> None:
    assert book.resolve_allergy("花粉") == []
    assert book.matches_allergy("花粉", "amoxicillin") is None


# --------------------------------------------------------------------------------- interactions


def _severities(book: D.DrugBook, a: str, b: str) -> set[str]:
    return {h.severity for h in book.interactions_between(a, b)}


@pytest.mark.parametrize(
    ("a", "b", "severity"),
    [
        ("warfarin", "aspirin", "major"),
        ("warfarin", "ibuprofen", "major"),
        ("warfarin", "metronidazole", "major"),
        ("warfarin", "sulfamethoxazole_trimethoprim", "major"),
        ("warfarin", "rifampicin", "major"),
        ("simvastatin", "erythromycin", "major"),
        ("colchicine", "clarithromycin", "major"),
        ("domperidone", "levofloxacin", "major"),
        ("enalapril", "spironolactone", "major"),
        ("losartan", "potassium_chloride", "major"),
        ("propranolol", "salbutamol", "major"),
        ("clopidogrel", "omeprazole", "moderate"),
        ("digoxin", "furosemide", "moderate"),
        ("levofloxacin", "prednisone", "moderate"),
        ("ibuprofen", "enalapril", "moderate"),
        ("diazepam", "chlorphenamine", "moderate"),
        ("levothyroxine", "ferrous_sulfate", "moderate"),
    ],
)
def test_interactions_are_found_from_either_side(book: D.DrugBook, a: str, b: str, severity: str) -> None:
    assert severity in _severities(book, a, b)
    assert _severities(book, a, b) == _severities(book, b, a)
    hits = book.interactions_between(a, b)
    assert all(h.reason_zh and h.reason_en for h in hits)
    severities = [h.severity for h in hits]
    assert severities == sorted(severities, key=lambda s: s != "major")  # most severe first


@pytest.mark.parametrize(("a", "b"), [("simvastatin", "azithromycin"), ("amoxicillin", "paracetamol"),
                                       ("metformin", "amlodipine"), ("aspirin", "clopidogrel")])  # fmt: skip
def test_no_interaction_where_none_is_known(book: D.DrugBook, a: str, b: str) -> None:
    assert book.interactions_between(a, b) == []


# ------------------------------------------------------------------------------- doses and ages


def test_every_drug_has_dosing_for_each_route(book: D.DrugBook) -> None:
    for d in book:
        for route in d.routes:
            dose = d.dose_for(route)
            assert dose is not None, (d.code, route)
            if d.dose_unit == "mg":
                assert dose.adult_dose_mg and dose.max_dose_mg and dose.max_daily_mg, (d.code, route)
                assert dose.adult_dose_mg[1] <= dose.max_dose_mg <= dose.max_daily_mg, (d.code, route)
            if dose.child_use == "per_kg":
                assert dose.child_mg_per_kg_dose and dose.child_max_mg_per_kg_day, (d.code, route)


def test_known_dose_limits(book: D.DrugBook) -> None:
    para = book["paracetamol"].dose_for("oral")
    assert para is not None and para.max_daily_mg == 4000 and para.child_mg_per_kg_dose == (10, 15)
    assert para.child_max_mg_per_kg_day == 60
    amox = book["amoxicillin"].dose_for("oral")
    assert amox is not None and amox.max_daily_mg == 4000 and amox.child_use == "per_kg"
    cipro_iv = book["ciprofloxacin"].dose_for("iv")
    assert cipro_iv is not None and cipro_iv.max_dose_mg == 400
    assert book["amlodipine"].max_daily_mg == 10
    assert book["metformin"].max_daily_mg == 2550
    assert book["ceftriaxone"].dose_for("oral") is None


def test_insulin_is_dosed_in_units_without_mg_limits(book: D.DrugBook) -> None:
    ins = book["insulin"]
    assert ins.dose_unit == "unit"
    dose = ins.dose_for("sc")
    assert dose is not None and dose.adult_dose_mg is None and dose.max_daily_mg is None
    assert "单位" in ins.note_zh and "units" in ins.note_en
    assert book["oral_rehydration_salts"].dose_unit == "ml"


def test_penicillin_g_converts_units(book: D.DrugBook) -> None:
    pen = book["penicillin_g"]
    assert pen.units_per_mg is not None and 1500 < pen.units_per_mg < 1700
    im = pen.dose_for("im")
    assert im is not None and im.max_dose_mg is not None
    assert im.max_dose_mg * pen.units_per_mg == pytest.approx(800_000, rel=0.01)  # 80万单位


def test_age_limits(book: D.DrugBook) -> None:
    assert book["levofloxacin"].min_age_years == 18 and book["ciprofloxacin"].min_age_years == 18
    assert book["doxycycline"].min_age_years == 8
    aspirin = book["aspirin"]
    assert aspirin.min_age_years == 16 and aspirin.min_age_condition == "viral_illness_fever"
    tag = book.tag("viral_illness_fever")
    assert tag.applies(findings=["fever"]) and tag.applies(icd10=["B01.9"])
    assert not tag.applies(findings=["cough"], icd10=["J20.9"])
    assert book["amoxicillin"].min_age_years is None


# ------------------------------------------------------------------------------------ patient tags


def test_tags_are_recognised_in_a_record(book: D.DrugBook) -> None:
    assert book.tag("renal_egfr_lt_30").applies(measurements={"egfr": 25})
    assert not book.tag("renal_egfr_lt_30").applies(measurements={"egfr": 35})
    assert book.tag("renal_egfr_lt_45").applies(measurements={"egfr": 35})
    assert book.tag("renal_egfr_lt_30").applies(icd10=["N18.5"])
    assert book.tag("pregnancy").applies(pregnant=True)
    assert book.tag("pregnancy").applies(icd10=["O14.1"])  # the whole chapter O
    assert not book.tag("pregnancy").applies(icd10=["I10"])
    assert book.tag("hyperkalemia").applies(measurements={"potassium": 5.6})
    assert not book.tag("hyperkalemia").applies(measurements={"potassium": 4.5, "egfr": None})
    assert book.tag("asthma").applies(findings=["hx_asthma"]) and book.tag("asthma").applies(icd10=["j45.9"])
    assert book.tag("age_65_plus").applies(age_years=70) and not book.tag("age_65_plus").applies(age_years=40)
    assert book.tag("bowel_obstruction").applies(icd10=["K56.6"])


def test_brief_contraindications(book: D.DrugBook) -> None:
    def contra(code: str) -> set[str]:
        return set(book[code].contraindications)

    assert {"peptic_ulcer", "gi_bleeding", "renal_egfr_lt_30"} <= contra("ibuprofen")
    assert "asthma" in contra("propranolol") and "asthma" not in contra("metoprolol")
    assert {"bradycardia", "heart_block"} <= contra("metoprolol")
    assert {"hyperkalemia", "renal_egfr_lt_30"} <= contra("spironolactone")
    assert "pregnancy" in contra("enalapril") and "pregnancy" in contra("warfarin")
    assert "renal_egfr_lt_30" in contra("metformin") and "renal_egfr_lt_45" in contra("nitrofurantoin")
    assert "g6pd" in contra("nitrofurantoin")
    assert {"bowel_obstruction", "bloody_diarrhoea"} <= contra("loperamide")
    assert "severe_liver_disease" in contra("atorvastatin")
    assert "heart_failure" in contra("diclofenac")
    assert "pregnancy" in set(book["doxycycline"].contraindications)


# ---------------------------------------------------------------------------- broken files


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    target.mkdir()
    for name in (D.FILE, D.CLASSES_FILE, "findings.yaml"):
        shutil.copy(KNOWLEDGE_DIR / name, target / name)
    return target


def _edit(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(kb_dir: Path) -> list[str]:
    return D.validate(D.load(kb_dir), finding_codes=F.load(kb_dir).keys())


def _row(data: dict[str, Any], code: str) -> tuple[int, dict[str, Any]]:
    for i, row in enumerate(data["rows"], start=1):
        if row.get("code", row.get("id")) == code:
            return i, row
    raise AssertionError(code)


def test_missing_field_names_file_row_and_field(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    _edit(kb / D.FILE, lambda d: _row(d, "cefalexin")[1].pop("name_zh"))
    i = _row(yaml.safe_load((KNOWLEDGE_DIR / D.FILE).read_text(encoding="utf-8")), "cefalexin")[0]
    with pytest.raises(KnowledgeError) as err:
        D.load(kb)
    msg = str(err.value)
    assert f"drugs.yaml row {i} (code=cefalexin): field 'name_zh'" in msg and "required" in msg.lower()


def test_unknown_class_tag_target_and_source_are_reported(tmp_path: Path) -> None:
    kb = _copy(tmp_path)

    def edit(d: dict[str, Any]) -> None:
        _, amox = _row(d, "amoxicillin")
        amox["classes"] = ["aminopenicilin"]
        amox["cautions"] = ["kidney_trouble"]
        amox["interactions"] = [{"target": "paracetamoll", "severity": "moderate", "reason_zh": "x", "reason_en": "x"}]
        amox["source"] = ["wikipedia"]

    _edit(kb / D.FILE, edit)
    problems = _problems(kb)
    assert "drugs.yaml row 1 (code=amoxicillin): field 'classes': unknown class 'aminopenicilin' (see drug_classes.yaml)" in problems
    assert any("row 1 (code=amoxicillin): field 'cautions': unknown tag 'kidney_trouble'" in p for p in problems)
    assert any("row 1 (code=amoxicillin): field 'interactions.0.target': unknown drug or class 'paracetamoll'" in p
               for p in problems)  # fmt: skip
    assert any("row 1 (code=amoxicillin): field 'source': unknown source 'wikipedia'" in p for p in problems)
    # the antibiotic flag no longer matches the (broken) class
    assert any("row 1 (code=amoxicillin): field 'antibiotic'" in p for p in problems)


def test_bad_values_are_reported(tmp_path: Path) -> None:
    kb = _copy(tmp_path)

    def edit(d: dict[str, Any]) -> None:
        _, para = _row(d, "paracetamol")
        para["adult_dose_mg"] = [1000, 300]
        para["max_daily_mg"] = 800
        para["child_mg_per_kg_dose"] = [100, 150]  # mg instead of mg/kg
        _, ibu = _row(d, "ibuprofen")
        ibu["routes"] = ["oral", "by_mouth"]

    _edit(kb / D.FILE, edit)
    with pytest.raises(KnowledgeError) as err:
        D.load(kb)
    assert "(code=ibuprofen): field 'routes.1'" in str(err.value)

    _edit(kb / D.FILE, lambda d: _row(d, "ibuprofen")[1].update(routes=["oral"]))
    problems = "\n".join(_problems(kb))
    assert "(code=paracetamol): field 'adult_dose_mg': range [1000, 300] is reversed" in problems
    assert "(code=paracetamol): field 'max_daily_mg'" in problems
    assert "(code=paracetamol): field 'child_mg_per_kg_dose'" in problems and "implausible" in problems


def test_a_shared_synonym_is_refused(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    _edit(kb / D.FILE, lambda d: _row(d, "cefalexin")[1]["synonyms"].append("Amoxil"))
    with pytest.raises(KnowledgeError) as err:
        D.load(kb)
    msg = str(err.value)
    assert "(code=cefalexin): field 'synonyms': name 'Amoxil' is already a name of 'amoxicillin'" in msg


def test_broken_class_file_is_reported(tmp_path: Path) -> None:
    kb = _copy(tmp_path)

    def edit(d: dict[str, Any]) -> None:
        _, pen = _row(d, "penicillin")
        pen["parents"] = ["beta_lactams"]
        pen["cross_reactive"][0]["target"] = "cephalosporins"
        _, bl = _row(d, "beta_lactam")
        bl["parents"] = ["antibiotic", "cephalosporin_1st_gen"]  # a cycle through cephalosporin

    _edit(kb / D.CLASSES_FILE, edit)
    problems = "\n".join(_problems(kb))
    assert "drug_classes.yaml row 3 (id=penicillin): field 'parents': unknown class 'beta_lactams'" in problems
    assert "(id=penicillin): field 'cross_reactive.0.target': unknown class 'cephalosporins'" in problems
    assert "field 'parents': the class is its own ancestor (cycle)" in problems


def test_unknown_finding_in_a_tag_is_reported(tmp_path: Path) -> None:
    kb = _copy(tmp_path)
    _edit(kb / D.FILE, lambda d: d["tags"][2].update(findings=["wheezy"]))
    problems = _problems(kb)
    assert any("drugs.yaml tags row 3 (code=asthma): field 'findings': unknown finding code 'wheezy'" in p
               for p in problems)  # fmt: skip
