"""The diagnosis feature encoder: layout, merging of text / history / structured input, the
knowledge base's derivation rules, one code path for training and runtime."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.errors import InputError
from assistant.features import FeatureSpec, FeatureSpecError
from assistant.features.encode import (
    BASE_FEATURES,
    FEATURE_VERSION,
    VITAL_FEATURES,
    DiagnosisEncoder,
    FindingRules,
    diagnosis_feature_spec,
    encode_batch,
    encode_encounters,
    resolve_findings,
)
from assistant.knowledge import KNOWLEDGE_DIR
from assistant.knowledge import conditions as conditions_mod
from assistant.knowledge import findings as findings_mod
from assistant.knowledge.base import Table
from assistant.knowledge.findings import Finding
from assistant.records import parse_encounter

DAY = dt.date(2025, 1, 15)


@pytest.fixture(scope="module")
def kb() -> SimpleNamespace:
    return SimpleNamespace(findings=findings_mod.load(KNOWLEDGE_DIR), conditions=conditions_mod.load(KNOWLEDGE_DIR))


@pytest.fixture(scope="module")
def kb_rules(kb) -> SimpleNamespace:
    """The shipped findings with a few derivation rules set (whatever findings.yaml says today)."""
    extra = {
        "fever": {"from_vital": {"vital": "temperature_c", "at_least": 37.3}},
        "high_fever": {"implies": ("fever",), "from_vital": {"vital": "temperature_c", "at_least": 39.0}},
        "dry_cough": {"implies": ("cough",)},
        "chronic_course": {"from_duration": {"at_least_days": 90}},
    }
    rows = []
    for f in kb.findings:
        if f.code in extra:
            data = f.model_dump()
            data.update(extra[f.code])
            f = Finding.model_validate(data)
        rows.append(f)
    t = kb.findings
    table = Table(path=t.path, meta=t.meta, rows=tuple(rows), key="code", index={f.code: f for f in rows})
    return SimpleNamespace(findings=table, conditions=kb.conditions)


def _row(X: np.ndarray, spec: FeatureSpec, name: str, i: int = 0) -> float:
    return float(X[i, spec.index(name)])


# -------------------------------------------------------------------------------------- layout


def test_spec_layout(kb) -> None:
    spec = diagnosis_feature_spec(kb)
    assert spec.version == FEATURE_VERSION
    n_base = len(BASE_FEATURES) + len(VITAL_FEATURES)
    assert spec.names[:n_base] == (*BASE_FEATURES, *VITAL_FEATURES)
    assert spec.names[n_base:] == tuple(f"finding_{f.code}" for f in kb.findings)
    assert diagnosis_feature_spec(kb).sha256 == spec.sha256
    # LightGBM refuses JSON special characters in feature names
    assert not any(set(n) & set('[]{}:,"') for n in spec.names)


def test_encode_merges_text_history_structured(kb) -> None:
    spec = diagnosis_feature_spec(kb)
    enc = {
        "date": "2025-01-15",
        "patient": {"age_years": 70, "sex": "male", "history": ["I10", "糖尿病", "左腿骨折"]},
        "complaint": "咳嗽3天，伴发热，无胸痛、咯血。体温38.6℃",
        "findings": {"chest_pain": True, "rash": False},
        "vitals": {"heart_rate": 96},
    }
    batch = encode_batch([enc], kb, spec)
    X = batch.X
    assert X.dtype == np.float32 and X.shape == (1, len(spec))
    assert _row(X, spec, "finding_cough") == 1.0
    assert _row(X, spec, "finding_fever") == 1.0
    assert _row(X, spec, "finding_hemoptysis") == 0.0
    assert _row(X, spec, "finding_chest_pain") == 1.0  # structured wins over the text's negation
    assert _row(X, spec, "finding_rash") == 0.0
    assert _row(X, spec, "finding_hx_hypertension") == 1.0  # ICD-10 code in history
    assert _row(X, spec, "finding_hx_diabetes") == 1.0  # Chinese name in history
    assert np.isnan(_row(X, spec, "finding_vomiting"))  # not mentioned
    assert batch.unknown_history == [["左腿骨折"]]
    assert _row(X, spec, "vital_temperature_c") == pytest.approx(38.6)  # read from the text
    assert _row(X, spec, "vital_heart_rate") == 96.0
    assert np.isnan(_row(X, spec, "vital_spo2"))
    assert _row(X, spec, "duration_days") == 3.0
    assert _row(X, spec, "age_years") == 70.0 and _row(X, spec, "sex_male") == 1.0
    assert np.isnan(_row(X, spec, "pregnant"))
    assert _row(X, spec, "month") == 1.0 and _row(X, spec, "season_winter") == 1.0
    assert _row(X, spec, "season_summer") == 0.0
    # findings_used: what was understood, structured values included
    assert batch.findings[0]["chest_pain"] is True and batch.findings[0]["hx_hypertension"] is True


def test_structured_vital_wins_and_female_pregnancy(kb) -> None:
    spec = diagnosis_feature_spec(kb)
    enc = {
        "date": "2025-07-01",
        "patient": {"age_years": 28, "sex": "女", "pregnant": True},
        "complaint": "头痛2天，血压150/100mmHg",
        "vitals": {"systolic_bp": 162, "diastolic_bp": 104},
    }
    X = encode_encounters([enc], kb, spec)
    assert _row(X, spec, "vital_systolic_bp") == 162.0
    assert _row(X, spec, "vital_diastolic_bp") == 104.0
    assert _row(X, spec, "sex_male") == 0.0 and _row(X, spec, "pregnant") == 1.0
    assert _row(X, spec, "season_summer") == 1.0


def test_history_lookup_forms(kb) -> None:
    enc = DiagnosisEncoder(kb)
    look = enc.history.lookup
    assert enc.history.problems == []
    assert look("I10") == ("hx_hypertension",)
    assert look("i11.9") == ("hx_hypertension",)
    assert look("高血压病史") == ("hx_hypertension",)
    assert look("hypertension") == ("hx_hypertension",)
    assert look("COPD") == ("hx_copd",)
    assert look("慢性阻塞性肺疾病") == ("hx_copd",)  # a condition name from conditions.yaml
    assert look("J44.1") == ("hx_copd",)
    assert look("R56.0") == ("hx_febrile_convulsion",)
    assert look("R56.8") == ()  # R56.0 must match to its subcategory
    assert look("阑尾切除术") == ("hx_abdominal_surgery",)
    assert look("肠梗阻") == ()  # a past condition the features do not represent


# --------------------------------------------------------------------------------------- rules


def test_resolve_findings_semantics(kb_rules) -> None:
    rules = FindingRules.from_findings(kb_rules.findings)
    assert rules.closure["high_fever"] == ("fever",)
    # implied findings fill unmentioned codes only
    got = resolve_findings({"high_fever": True}, {}, None, rules)
    assert got == {"high_fever": True, "fever": True}
    assert resolve_findings({"high_fever": True, "fever": False}, {}, None, rules)["fever"] is False
    # vital rules fill unmentioned codes from the measured value
    got = resolve_findings({}, {"temperature_c": 38.2}, None, rules)
    assert got == {"fever": True, "high_fever": False}
    got = resolve_findings({"fever": True}, {"temperature_c": 36.8}, None, rules)
    assert got["fever"] is True and got["high_fever"] is False  # a mention is never changed
    # implied before vital: "high fever" with a normal temperature now still means fever
    got = resolve_findings({"high_fever": True}, {"temperature_c": 36.9}, None, rules)
    assert got["fever"] is True
    # duration rules
    assert resolve_findings({}, {}, 120.0, rules)["chronic_course"] is True
    assert resolve_findings({}, {}, 10.0, rules)["chronic_course"] is False
    assert "chronic_course" not in resolve_findings({}, {}, None, rules)
    derived: dict[str, str] = {}
    resolve_findings({}, {"temperature_c": 39.5}, None, rules, derived=derived)
    assert set(derived) == {"fever", "high_fever"}


def test_vital_in_text_or_structured_gives_same_features(kb_rules) -> None:
    spec = diagnosis_feature_spec(kb_rules)
    a = {"date": "2025-03-02", "patient": {"age_years": 5, "sex": "male"}, "complaint": "咳嗽2天。体温39.2℃"}
    b = {"date": "2025-03-02", "patient": {"age_years": 5, "sex": "male"}, "complaint": "咳嗽2天",
         "vitals": {"temperature_c": 39.2}}  # fmt: skip
    batch = encode_batch([a, b], kb_rules, spec)
    np.testing.assert_array_equal(batch.X[0], batch.X[1])
    assert batch.findings[0]["fever"] is True and batch.findings[0]["high_fever"] is True
    # a structured finding is a mention: the rule does not change it
    c = {**b, "findings": {"high_fever": False}}
    got = encode_batch([c], kb_rules, spec).findings[0]
    assert got["high_fever"] is False and got["fever"] is True


# --------------------------------------------------------------------- one path, layouts, errors


def test_training_and_runtime_paths_identical(kb) -> None:
    spec = diagnosis_feature_spec(kb)
    encs = [
        {"date": "2025-05-05", "patient": {"age_years": 0.5, "sex": "female"}, "complaint": "发热1天，流涕，无呕吐"},
        {"date": "2025-11-30", "patient": {"age_years": 66, "sex": "male", "history": ["COPD"]},
         "complaint": "Cough and shortness of breath for 2 weeks. No fever.", "vitals": {"spo2": 91}},
        {"date": "2025-08-09", "patient": {"age_years": 33, "sex": "female"}, "findings": {"dysuria": True, "fever": False}},
    ]  # fmt: skip
    from_dicts = encode_encounters(encs, kb, spec)
    validated = [parse_encounter(e, default_date=DAY) for e in encs]
    from_models = DiagnosisEncoder(kb).encode(validated, spec).X
    one_by_one = np.vstack([encode_encounters([e], kb, spec) for e in validated])
    np.testing.assert_array_equal(from_dicts, from_models)
    np.testing.assert_array_equal(from_dicts, one_by_one)


def test_spec_subset_order_and_refusals(kb) -> None:
    full = diagnosis_feature_spec(kb)
    enc = [{"date": "2025-02-02", "patient": {"age_years": 40, "sex": "male"}, "complaint": "腹痛1天，呕吐"}]
    X_full = encode_encounters(enc, kb, full)
    sub = FeatureSpec(names=("finding_vomiting", "age_years", "finding_abdominal_pain"), version=FEATURE_VERSION)
    X_sub = encode_encounters(enc, kb, sub)
    np.testing.assert_array_equal(X_sub[0], X_full[0, [full.index(n) for n in sub.names]])
    with pytest.raises(FeatureSpecError, match="finding_nonsense"):
        encode_encounters(enc, kb, FeatureSpec(names=("age_years", "finding_nonsense"), version=FEATURE_VERSION))
    with pytest.raises(FeatureSpecError, match="version"):
        encode_encounters(enc, kb, FeatureSpec(names=("age_years",), version="other"))


def test_bad_encounters_are_named(kb) -> None:
    with pytest.raises(InputError) as err:
        encode_encounters([{"patient": {"age_years": 3}, "complaint": "x", "date": "2025-01-01"},
                           {"patient": {"age_years": 300}, "complaint": "咳嗽", "date": "2025-01-01"},
                           {"patient": {"age_years": 3}, "complaint": "咳嗽"}], kb)  # fmt: skip
    fields = [p.field for p in err.value.problems]
    assert "[1].patient.age_years" in fields and "[2].date" in fields
    # with a default date the missing date is fine
    X = encode_encounters([{"patient": {"age_years": 3}, "complaint": "咳嗽"}], kb, default_date=DAY)
    assert X.shape[0] == 1


def test_encoding_speed(kb) -> None:
    enc = DiagnosisEncoder(kb)
    spec = diagnosis_feature_spec(kb)
    one = parse_encounter(
        {"date": "2025-01-15", "patient": {"age_years": 50, "sex": "male", "history": ["高血压"]},
         "complaint": "咳嗽、咳痰5天，伴发热，无胸痛。T 38.2℃", "vitals": {"heart_rate": 90}},
        default_date=DAY,
    )  # fmt: skip
    enc.encode([one], spec)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        enc.encode([one], spec)
        times.append(time.perf_counter() - t)
    assert sorted(times)[15] < 0.005  # median well under a few ms even on a busy machine


def test_runtime_encoder_imports_no_training_libraries() -> None:
    code = (
        "import sys, assistant.features.encode\n"
        "bad = [m for m in ('sklearn', 'lightgbm', 'mlflow', 'dask', 'onnxmltools', 'scipy', 'training') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
