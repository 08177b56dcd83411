"""The complaint reader against hand-annotated complaints (tests/data/complaints_{zh,en}.jsonl).

Each line was written and annotated by hand, the way doctors type (short notes, full sentences,
typos, colloquial words, negated lists, numbers, mixed zh/en). Annotation policy:

- every finding the text states or clearly describes is annotated, present or absent;
- findings implied by a more specific one are annotated too (dry cough → cough, right lower
  quadrant pain → abdominal pain), as the knowledge base's ``implies`` says;
- when the text gives how long the illness has lasted: acute_course (≤ 14 days) and chronic_course
  (≥ 90 days), true or false; prolonged_cough when a cough is present; prolonged_chest_pain when a
  chest pain has lasted 20 minutes to a day; the time since an injury, bite or exposure counts,
  the time since a history item (高血压10年) or of one episode (晨僵1小时) does not;
- a measured temperature gives fever (≥ 37.3 °C) and high_fever (≥ 39 °C), true or false;
- a relative's disease is not the patient's (a relative with tuberculosis is a TB contact);
- "多/余/以上/more than" add half a unit to a duration (两周余 = 17.5 days);
- a generic "loss of consciousness" is read as both syncope and a loss-of-consciousness episode.

The last 40 Chinese and 30 English lines were written after the lexicon was frozen and scored
once before any change (a held-out check; the first-run scores are in bench/bench_parse.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.knowledge import KNOWLEDGE_DIR
from assistant.knowledge import findings as findings_module
from assistant.text import get_parser
from assistant.text.evaluation import Case, load_cases, score

DATA = Path(__file__).resolve().parent / "data"
TARGET = 0.95

# One or more codes per body system of COVERAGE.md that the annotations must exercise.
SYSTEMS = {
    "respiratory": {"cough", "dyspnea", "wheezing", "sore_throat"},
    "cardiovascular": {"chest_pain", "palpitations", "leg_swelling"},
    "endocrine": {"polyuria", "polydipsia", "heat_intolerance"},
    "digestive": {"abdominal_pain", "diarrhea", "vomiting", "melena"},
    "urinary": {"dysuria", "urinary_frequency", "hematuria"},
    "reproductive": {"vaginal_discharge", "vaginal_bleeding", "missed_period"},
    "musculoskeletal": {"low_back_pain", "knee_pain", "joint_swelling"},
    "nervous": {"headache", "unilateral_weakness", "seizure", "vertigo"},
    "mental": {"low_mood", "excessive_worry", "insomnia"},
    "skin": {"rash", "itching", "wheals", "vesicles"},
    "eye_ear": {"red_eye", "ear_pain"},
    "children": {"hand_foot_rash", "parotid_swelling", "maculopapular_rash"},
    "blood_emergencies": {"pallor", "heat_exposure", "pesticide_exposure", "snake_bite", "dog_bite", "allergen_exposure"},
    "history_course": {"hx_hypertension", "hx_diabetes", "acute_course", "chronic_course", "prolonged_cough"},
}


def _cases(lang: str) -> list[Case]:
    return load_cases(DATA / f"complaints_{lang}.jsonl")


@pytest.fixture(scope="module")
def known_codes() -> set[str]:
    return set(findings_module.load(KNOWLEDGE_DIR).keys())


def test_enough_complaints_in_each_language() -> None:
    assert len(_cases("zh")) >= 85
    assert len(_cases("en")) >= 70


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_annotations_use_known_codes_and_cover_every_body_system(lang: str, known_codes: set[str]) -> None:
    cases = _cases(lang)
    used: set[str] = set()
    for case in cases:
        assert case.findings, f"line {case.line}: no findings annotated"
        unknown = set(case.findings) - known_codes
        assert not unknown, f"line {case.line}: unknown codes {unknown}"
        used |= set(case.findings)
        if lang == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in case.text), f"line {case.line}: no Chinese"
    for system, codes in SYSTEMS.items():
        assert used & codes, f"{lang}: no complaint exercises {system} ({sorted(codes)})"
    negated = sum(1 for c in cases for v in c.findings.values() if v is False)
    assert negated >= 40, f"{lang}: too few negated findings annotated ({negated})"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_precision_and_recall_reach_the_target(lang: str) -> None:
    result = score(_cases(lang), get_parser())
    report = "\n".join(result.mistakes)
    assert result.precision >= TARGET, f"{lang} precision {result.precision:.3f}\n{report}"
    assert result.recall >= TARGET, f"{lang} recall {result.recall:.3f}\n{report}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_vitals_and_durations_are_read_exactly(lang: str) -> None:
    cases = _cases(lang)
    assert sum(1 for c in cases if c.vitals) >= 10
    assert sum(1 for c in cases if c.duration_days is not None) >= 40
    result = score(cases, get_parser())
    assert not result.vital_errors, "\n".join(result.vital_errors)
    assert not result.duration_errors, "\n".join(result.duration_errors)
