"""The assessment facade end to end, on a small diagnosis model trained here from generated cases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.assess import Assistant
from assistant.knowledge import load_knowledge
from assistant.modelpack import ModelPackError, load_pack
from assistant.records import parse_encounter

DAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    from training.config import TrainConfig
    from training.data import generate_training_set
    from training.pipeline import train_model

    kb = load_knowledge()
    data = generate_training_set(kb, 6000, seed=11, min_per_class=25).training
    config = TrainConfig(max_rounds=40, learning_rate=0.2, num_leaves=7, min_data_in_leaf=5,
                         parity_rows=1000, parity_nan_rows=200)  # fmt: skip
    result = train_model(data, created=DAY, config=config, track=False)
    path = result.write_pack(tmp_path_factory.mktemp("models") / "diagnosis")
    return Assistant(kb, load_pack(path))


def _assess(assistant: Assistant, record: dict, lang: str = "zh") -> dict:
    return assistant.assess([parse_encounter(record, default_date=DAY)], lang=lang)[0]


def test_contract_fields(assistant: Assistant) -> None:
    out = _assess(assistant, {"patient": {"age_years": 24, "sex": "female"},
                              "complaint": "流鼻涕、打喷嚏、鼻塞2天，咽痛，无发热，无咳痰"})  # fmt: skip
    assert len(out["suggestions"]) >= 5
    probs = [s["probability"] for s in out["suggestions"]]
    assert probs == sorted(probs, reverse=True) and 0 < probs[0] <= 1
    first = out["suggestions"][0]
    assert {"icd10", "name_zh", "name_en", "probability", "supporting", "opposing"} <= set(first)
    assert out["triage"]["level"] in {"manage", "refer", "urgent"}
    assert out["findings_used"]["runny_nose"] is True and out["findings_used"]["fever"] is False
    assert out["model"][0]["sha256"] == assistant.pack.sha256
    assert "quality" not in out  # no diagnoses, prescriptions or orders
    json.dumps(out, ensure_ascii=False)


def test_common_cold_is_managed_with_reasons(assistant: Assistant) -> None:
    out = _assess(assistant, {"patient": {"age_years": 30, "sex": "male"},
                              "complaint": "鼻塞流涕打喷嚏3天，轻微咽痛，无发热，无咳嗽，无胸闷气短"})  # fmt: skip
    top3 = [s["condition"] for s in out["suggestions"][:3]]
    assert "common_cold" in top3
    cold = next(s for s in out["suggestions"] if s["condition"] == "common_cold")
    assert any(e["code"] == "runny_nose" for e in cold["supporting"])
    assert out["triage"]["level"] == "manage"


@pytest.mark.parametrize(
    "record",
    [
        {"patient": {"age_years": 66, "sex": "male"}, "complaint": "突发左侧肢体无力，口角歪斜，言语不清2小时",
         "vitals": {"systolic_bp": 176, "diastolic_bp": 98}},
        {"patient": {"age_years": 58, "sex": "male"},
         "complaint": "胸口压榨样疼痛1小时，向左臂放射，大汗，休息不缓解"},
        {"patient": {"age_years": 70, "sex": "female"}, "complaint": "cough and fever for 3 days, short of breath",
         "vitals": {"spo2": 86, "temperature_c": 38.9, "respiratory_rate": 32}},
    ],
)
def test_emergencies_are_urgent(assistant: Assistant, record: dict) -> None:
    out = _assess(assistant, record, lang="en")
    assert out["triage"]["level"] == "urgent", out["triage"]
    assert out["triage"]["reasons"]


EMERGENCY_VIGNETTES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "emergency_vignettes.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


@pytest.mark.parametrize("vignette", EMERGENCY_VIGNETTES, ids=[v["id"] for v in EMERGENCY_VIGNETTES])
def test_emergency_vignettes_are_never_below_urgent(assistant: Assistant, vignette: dict) -> None:
    """30 emergencies written as doctors write them (zh and en), one or two per urgent condition,
    written before the triage rules and the model were checked against them."""
    out = _assess(assistant, vignette["record"], lang="en")
    assert out["triage"]["level"] == "urgent", (vignette["id"], out["triage"], out["suggestions"][:3])


def test_emergency_vignettes_cover_every_urgent_condition() -> None:
    urgent = {c.id for c in load_knowledge().conditions if c.triage == "urgent"}
    assert {v["condition"] for v in EMERGENCY_VIGNETTES} == urgent


def test_nothing_understood_is_uncertain_and_not_managed(assistant: Assistant) -> None:
    out = _assess(assistant, {"patient": {"age_years": 40, "sex": "male"}, "complaint": "来开药"})
    assert out["uncertain"] is True
    assert out["triage"]["level"] != "manage"


def test_quality_attached_when_record_has_orders(assistant: Assistant) -> None:
    out = _assess(assistant, {
        "patient": {"age_years": 50, "sex": "male", "history": ["肠梗阻"]},
        "complaint": "腹胀腹痛3天，停止排气排便", "orders": ["钡餐"],
    })  # fmt: skip
    rules = [q["rule"] for q in out["quality"]]
    assert any(q["category"] == "contraindication" for q in out["quality"]), rules


def test_pack_with_other_feature_spec_is_refused(assistant: Assistant, tmp_path: Path) -> None:
    src = assistant.pack.path
    dst = tmp_path / "diagnosis"
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    manifest = json.loads((dst / "manifest.json").read_text(encoding="utf-8"))
    (dst / "model.onnx").write_bytes(b"tampered" + (dst / "model.onnx").read_bytes())
    with pytest.raises(ModelPackError, match="sha256"):
        Assistant(load_knowledge(), pack_path=dst)
    assert manifest["name"] == "diagnosis"


def test_impossible_vital_is_not_a_red_flag(assistant: Assistant) -> None:
    out = _assess(assistant, {"patient": {"age_years": 30, "sex": "male"}, "complaint": "流涕鼻塞2天，无发热",
                              "vitals": {"temperature_c": 3.7}, "diagnoses": ["上感"]})  # fmt: skip
    assert "tr.vital.temp_low" not in out["triage"]["rules"]
    assert any("temperature_c" in n for n in out["notes"])
    assert any(q["category"] == "data_entry" for q in out["quality"])


@pytest.mark.parametrize("vitals", [{"spo2": 9.5}, {"temperature_c": 395.0}, {"heart_rate": 7200.0}])
def test_an_impossible_vital_sign_drives_neither_the_model_nor_triage(assistant: Assistant, vitals: dict) -> None:
    """A typing slip is left out of the features, the derived findings and triage alike: the
    assessment is the one without the value, plus a note naming it."""
    base = {"patient": {"age_years": 40, "sex": "male"}, "complaint": "咳嗽两天"}
    slip = _assess(assistant, {**base, "vitals": vitals})
    clean = _assess(assistant, base)
    assert slip["suggestions"] == clean["suggestions"] and slip["triage"] == clean["triage"]
    assert slip["findings_used"] == clean["findings_used"] and slip["vitals_used"] == clean["vitals_used"]
    assert any(next(iter(vitals)) in note for note in slip["notes"])
