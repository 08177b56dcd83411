"""The follow-up risk model: trained through the shared pipeline, loaded by the runtime scorer,
plugged into the follow-up list."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.features import FeatureSpec
from assistant.followup import FEATURE_COLUMNS, STATUSES, feature_table, schedule, validate
from assistant.followup.risk import RISK_FEATURE_SPEC, RISK_PACK, RiskScorer, load_risk_scorer
from assistant.followup.synthetic import generate_village
from assistant.modelpack import ModelPackError, load_pack, write_pack
from training.cohort.commands import RiskRun, fit_followup_risk
from training.config import TrainConfig

DAY = dt.date(2026, 7, 1)
FAST = TrainConfig(max_rounds=80, parity_rows=1000, parity_nan_rows=500, seed=11)


@pytest.fixture(scope="module")
def run() -> RiskRun:
    return fit_followup_risk(1_500, 11, created=DAY, track=False, config=FAST)


@pytest.fixture(scope="module")
def models(run: RiskRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    run.result.write_pack(root / RISK_PACK)
    return root


def test_small_model_beats_the_rule_baselines_on_unseen_patients(run: RiskRun) -> None:
    hold = run.metrics["holdout"]
    baselines = run.metrics["baselines_auc_holdout"]
    assert hold["n"] > 2000
    assert hold["auc"] > 0.75
    assert hold["auc"] > max(baselines.values()) + 0.03
    assert hold["auc"] > 0.5 + 0.2  # and far from a constant
    assert hold["ece"] < 0.05
    assert hold["brier"] < hold["base_rate"] * (1 - hold["base_rate"])  # better than the base rate
    # held-out patients are really unseen
    seen = set(run.train_rows.features["patient_id"])
    assert not seen & set(run.holdout_rows.features["patient_id"])


def test_manifest_and_card_carry_the_risk_metrics(run: RiskRun) -> None:
    m = run.result.manifest
    assert m.name == RISK_PACK and m.kind == "followup_risk"
    assert m.features == RISK_FEATURE_SPEC
    assert m.training["programs"] == ["hypertension", "diabetes"]
    assert m.metrics["test"]["auc"] == run.metrics["test"]["auc"]
    assert m.metrics["risk"]["holdout"]["auc"] == run.metrics["holdout"]["auc"]
    assert "held-out patients" in run.result.card and "Reliability" in run.result.card


def test_scorer_reproduces_the_training_predictions(run: RiskRun, models: Path) -> None:
    scorer = load_risk_scorer(models, batch_size=997)
    assert isinstance(scorer, RiskScorer)
    assert scorer.describe()["sha256"] == run.result.manifest.onnx_sha256
    p = scorer(run.holdout_rows.features)
    np.testing.assert_allclose(p, run.holdout_proba, atol=1e-6)
    assert scorer(run.holdout_rows.features.iloc[:0]).shape == (0,)


def test_scorer_travels_to_a_worker_and_checks_the_model_on_arrival(run: RiskRun, models: Path) -> None:
    import pickle  # how Dask ships the scorer to a worker; no model is ever stored this way

    scorer = load_risk_scorer(models)
    assert scorer is not None
    state = scorer.__getstate__()
    assert isinstance(state["manifest"], dict) and isinstance(state["onnx"], bytes)
    copy = pickle.loads(pickle.dumps(scorer))
    assert copy.pack.session is not scorer.pack.session
    np.testing.assert_array_equal(copy(run.holdout_rows.features), scorer(run.holdout_rows.features))
    bad = RiskScorer.__new__(RiskScorer)
    with pytest.raises(ModelPackError, match="sha256 mismatch after transfer"):
        bad.__setstate__({**state, "onnx": state["onnx"] + b"x"})


def test_no_pack_means_no_scorer_and_a_reason(tmp_path: Path) -> None:
    reasons: list[str] = []
    assert load_risk_scorer(tmp_path, reasons=reasons) is None
    assert len(reasons) == 1 and "followup_risk" in reasons[0] and "未安装" in reasons[0]
    assert load_risk_scorer(tmp_path) is None


def test_a_pack_with_another_feature_spec_or_kind_is_refused(run: RiskRun, tmp_path: Path) -> None:
    r = run.result
    other = FeatureSpec(names=FEATURE_COLUMNS, version="followup-older")
    write_pack(tmp_path / "a" / RISK_PACK, r.onnx_bytes, replace(r.manifest, features=other), r.card)
    with pytest.raises(ModelPackError, match="feature spec mismatch"):
        load_risk_scorer(tmp_path / "a")
    write_pack(tmp_path / "b" / RISK_PACK, r.onnx_bytes, replace(r.manifest, kind="diagnosis"), r.card)
    with pytest.raises(ModelPackError, match="not a follow-up risk model"):
        load_risk_scorer(tmp_path / "b")


def test_schedule_fills_risk_and_sorts_by_status_then_risk(models: Path) -> None:
    patients, visits = generate_village(600, seed=4)
    scorer = load_risk_scorer(models)
    as_of = dt.date(2026, 11, 30)
    out = schedule(patients, visits, as_of, scorer=scorer, unmasked=True)
    covered = out["program"].isin(["hypertension", "diabetes"]).to_numpy()
    risk = out["risk"].to_numpy(dtype=float)
    assert covered.sum() > 300 and (~covered).sum() > 50
    assert np.isfinite(risk[covered]).all() and ((risk[covered] >= 0) & (risk[covered] <= 1)).all()
    assert np.isnan(risk[~covered]).all()  # programs the model never saw get no risk
    assert risk[covered].std() > 0.05
    rank = out["status"].map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
    assert (np.diff(rank) >= 0).all()
    for s in np.unique(rank):
        r = risk[rank == s]
        known = r[~np.isnan(r)]
        assert (np.diff(known) <= 0).all()
        assert not np.isnan(r[: len(known)]).any()  # unknown risk comes last within a status
    # the same numbers as scoring the feature table directly
    direct = scorer(feature_table(validate(patients, visits, as_of)))
    assert np.isclose(np.sort(direct[np.isfinite(direct)]), np.sort(risk[covered])).all()
    # without a scorer the risk column is empty and the order by status is unchanged
    plain = schedule(patients, visits, as_of, unmasked=True)
    assert plain["risk"].isna().all()
    assert sorted(plain["status"].tolist()) == sorted(out["status"].tolist())


def test_tracked_run_promotes_a_complete_pack(tmp_path: Path) -> None:
    from training.commands import run_promote
    from training.tracking import configure_mlflow

    data_dir = tmp_path / "data"
    fast = FAST.with_(max_rounds=30, parity_rows=300, parity_nan_rows=100)
    run = fit_followup_risk(400, 5, created=DAY, track=True, data_dir=data_dir, config=fast)
    assert run.result.tracking is not None and run.result.manifest.version == "1"
    summary = run_promote(
        tmp_path / "models", name=RISK_PACK, data_dir=data_dir, expected_spec=RISK_FEATURE_SPEC
    )
    assert summary["version"] == "1"
    pack = load_pack(tmp_path / "models" / RISK_PACK, expected_spec=RISK_FEATURE_SPEC)
    assert pack.manifest.metrics["risk"]["holdout"]["auc"] == run.metrics["holdout"]["auc"]
    assert pack.manifest.training["programs"] == ["hypertension", "diabetes"]
    manifest = json.loads((tmp_path / "models" / RISK_PACK / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["metrics"]["test"]["auc"] is not None
    assert load_risk_scorer(tmp_path / "models") is not None
    configure_mlflow(data_dir)
    import mlflow

    logged = mlflow.MlflowClient().get_run(run.result.tracking.run_id).data.metrics
    assert logged["risk.holdout.auc"] == pytest.approx(run.metrics["holdout"]["auc"])
    assert "test.top1" in logged  # the pipeline's own metrics are still there
