"""The training pipeline on toy worlds whose Bayes-optimal posterior is known exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from assistant.modelpack import load_pack
from training.calibrate import choose_calibration, fit_temperature, softmax
from training.config import TrainConfig
from training.export import convert_trees, onnx_logits, to_onnx
from training.fit import raw_logits, soft_label_rows
from training.metrics import (
    brier_score,
    evaluate,
    expected_calibration_error,
    flatten_metrics,
    top_k_accuracy,
)
from training.parity import ParityError, check_parity
from training.pipeline import train_model
from training.split import stratified_split
from training.toy import make_toy_world, toy_training_set

DAY = dt.date(2026, 3, 1)
FAST = TrainConfig(max_rounds=120, parity_rows=2000, parity_nan_rows=1000)


@pytest.fixture(scope="module")
def world():
    return make_toy_world(6, 16, 2, signal_features=3, seed=7)


@pytest.fixture(scope="module")
def result(world):
    data = toy_training_set(world, 12_000, seed=2)
    return data, train_model(data, created=DAY, config=FAST, track=False)


# --------------------------------------------------------------------------- metrics


def test_metrics_on_known_cases() -> None:
    y = np.array([0, 1, 2, 2])
    p = np.array([[0.7, 0.2, 0.1], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]])
    assert top_k_accuracy(p, y, 1) == 0.5
    assert top_k_accuracy(p, y, 2) == 0.75
    assert top_k_accuracy(p, y, 5) == 1.0
    onehot = np.eye(3)[y]
    assert brier_score(onehot, y) == 0.0
    assert brier_score(np.eye(3)[[1, 0, 0, 0]], y) == 2.0
    # perfectly calibrated by construction: confidence 0.75, 3 of 4 right
    q = np.array([[0.75, 0.25, 0.0]] * 4)
    assert expected_calibration_error(q, np.array([0, 0, 0, 1])) == pytest.approx(0.0)
    assert expected_calibration_error(q, np.array([1, 1, 1, 1])) == pytest.approx(0.75)
    ev = evaluate(p, y, ["a", "b", "c"], groups={"sex": np.array(["f", "m", "f", "m"])}, min_group_size=1)
    assert ev["per_class"]["c"] == {"n": 2, "recall": 0.5, "recall_top3": 1.0}
    assert ev["subgroups"]["sex"]["f"]["top1"] == 1.0 and ev["subgroups"]["sex"]["m"]["top1"] == 0.0
    flat = flatten_metrics({"test": ev, "weird/name+": {"x": 1}})
    assert flat["test.per_class.c.recall"] == 0.5 and "weird/name_.x" in flat


def test_stratified_split_keeps_every_class_and_refuses_rare_ones() -> None:
    y = np.repeat(np.arange(4), [500, 100, 30, 10])
    s = stratified_split(y, valid=0.1, calib=0.1, test=0.1, seed=0)
    parts = [s.train, s.valid, s.calib, s.test]
    assert sum(len(p) for p in parts) == len(y)
    assert len(np.unique(np.concatenate(parts))) == len(y)
    for p in parts:
        assert set(np.unique(y[p])) == {0, 1, 2, 3}
    assert np.bincount(y[s.test]).tolist() == [50, 10, 3, 1]
    with pytest.raises(ValueError, match=r"fewer than 10 cases: indexes \[4\]"):
        stratified_split(np.append(y, [4] * 9), valid=0.1, calib=0.1, test=0.1, seed=0)


# --------------------------------------------------------------------------- calibration


def test_temperature_recovers_overconfidence_and_is_kept_only_when_it_helps() -> None:
    rng = np.random.default_rng(0)
    n, k = 6000, 5
    true_logits = rng.normal(0, 1.5, size=(n, k))
    y = np.array([rng.choice(k, p=p) for p in softmax(true_logits)])
    over = 2.5 * true_logits  # an overconfident model
    assert fit_temperature(over, y) == pytest.approx(2.5, rel=0.1)
    half = n // 2
    kept = choose_calibration(over[:half], y[:half], over[half:], y[half:])
    assert kept.method == "temperature" and kept.ece_after < kept.ece_before
    # T fitted on overconfident logits, judged on already-calibrated ones: it would hurt, so dropped
    dropped = choose_calibration(over[:half], y[:half], true_logits[half:], y[half:])
    assert dropped.method == "none" and dropped.temperature == 1.0
    assert dropped.ece_after >= dropped.ece_before


# --------------------------------------------------------------------------- pipeline


def test_pipeline_gets_close_to_bayes_optimal(result) -> None:
    data, r = result
    test = r.metrics["test"]
    bayes = test["bayes"]
    assert bayes["top1"] > 0.6  # the world is not trivial...
    assert test["top1"] >= bayes["top1"] - 0.04  # ...and the model is close to the best possible
    assert test["top3"] >= bayes["top3"] - 0.03
    assert bayes["mean_tv_distance"] < 0.08
    assert test["ece"] < 0.04
    assert test["log_loss"] < bayes["log_loss"] + 0.08
    assert set(test["subgroups"]) == {"age_band", "sex"}
    assert set(test["subgroups"]["sex"]) == {"female", "male"}
    assert set(test["per_class"]) == {label.id for label in data.labels}
    assert r.fit.best_iteration <= r.fit.rounds_trained <= FAST.max_rounds
    assert r.parity.max_abs_diff <= 1e-5 and r.parity.max_abs_diff_missing <= 1e-5
    assert r.parity.nan_rows == 1000
    for section in ("## Intended use", "## Data", "### By age_band", "Bayes-optimal", "## Limitations"):
        assert section in r.card


def test_calibration_lives_in_the_graph(result) -> None:
    data, r = result
    model = onnx.load_from_string(r.onnx_bytes)
    ops = [n.op_type for n in model.graph.node]
    assert ops[0] == "TreeEnsembleRegressor" and ops[-1] == "Softmax"
    assert ("Div" in ops) == (r.calibration.method == "temperature")
    # the same export with a forced temperature divides the logits by it
    t = 1.7
    forced = to_onnx(r.fit.booster, data.X.shape[1], temperature=t)
    check_parity(forced.SerializeToString(), r.fit.booster, t, data.X[:500], nan_rows=200)
    assert not any(a.name == "nodes_hitrates" for n in forced.graph.node for a in n.attribute)
    # the fast ONNX scoring used for calibration and evaluation gives LightGBM's logits
    fast = onnx_logits(convert_trees(r.fit.booster, data.X.shape[1]), data.X[:300])
    np.testing.assert_allclose(fast, raw_logits(r.fit.booster, data.X[:300]), atol=1e-4)


def test_parity_fails_on_a_tampered_model(result) -> None:
    data, r = result
    model = onnx.load_from_string(r.onnx_bytes)
    trees = model.graph.node[0]
    for attr in trees.attribute:
        if attr.name == "target_weights_as_tensor":
            weights = numpy_helper.to_array(attr.t).copy()
            weights[0] += 0.05  # one leaf of one tree
            attr.t.CopyFrom(numpy_helper.from_array(weights))
    with pytest.raises(ParityError, match="differ from LightGBM"):
        check_parity(model.SerializeToString(), r.fit.booster, r.calibration.temperature, data.X[:3000])
    # and a wrong temperature is caught too
    with pytest.raises(ParityError):
        check_parity(r.onnx_bytes, r.fit.booster, r.calibration.temperature * 1.01 + 0.01, data.X[:3000])


def test_thresholds_match_lightgbm_exactly_at_the_split_values(world) -> None:
    # Rows whose values sit exactly on float32-rounded thresholds: the classic place where a naive
    # float32 export sends a case down the other branch.
    data = toy_training_set(world, 3000, seed=5)
    import lightgbm as lgb

    booster = lgb.train(
        {"objective": "multiclass", "num_class": 6, "verbosity": -1, "num_leaves": 7},
        lgb.Dataset(data.X, data.y),
        30,
    )
    X = np.repeat(data.X[:50], 4, axis=0)
    thresholds: list[tuple[int, float]] = []

    def walk(node: dict) -> None:
        if "split_feature" in node:
            thresholds.append((node["split_feature"], node["threshold"]))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    cont = [(f, t) for f, t in thresholds if f in (0, 2, 3) and abs(t) < 1e30]
    assert cont
    rng = np.random.default_rng(0)
    for i in range(len(X)):
        f, t = cont[rng.integers(len(cont))]
        with np.errstate(over="ignore"):
            X[i, f] = np.float32(t)
    model = to_onnx(booster, X.shape[1])
    rep = check_parity(model.SerializeToString(), booster, 1.0, X, nan_rows=0)
    assert rep.max_abs_diff <= 1e-5


def test_binary_model_for_follow_up_risk() -> None:
    world = make_toy_world(2, 10, 1, signal_features=3, seed=3)
    data = toy_training_set(world, 4000, seed=1)
    r = train_model(data, created=DAY, name="followup_risk", kind="followup_risk", config=FAST, track=False)
    assert r.manifest.kind == "followup_risk" and len(r.manifest.labels) == 2
    assert r.metrics["test"]["top1"] >= r.metrics["test"]["bayes"]["top1"] - 0.05
    expected = softmax(raw_logits(r.fit.booster, data.X[:100]), r.calibration.temperature)
    assert expected.shape == (100, 2)
    fast = onnx_logits(convert_trees(r.fit.booster, data.X.shape[1]), data.X[:100])
    np.testing.assert_allclose(fast, raw_logits(r.fit.booster, data.X[:100]), atol=1e-4)
    assert r.parity.max_abs_diff <= 1e-5
    assert "follow-up" in r.card


def test_dask_engine_on_a_local_cluster(world) -> None:
    data = toy_training_set(world, 3000, seed=4)
    r = train_model(
        data, created=DAY, config=TrainConfig(max_rounds=30, parity_rows=500), engine="dask", track=False
    )
    assert r.fit.engine == "dask" and r.fit.rounds_trained == 30
    assert r.fit.best_iteration == int(np.argmin(r.fit.valid_curve)) + 1
    assert r.fit.booster.current_iteration() == r.fit.best_iteration
    assert r.parity.max_abs_diff <= 1e-5
    assert r.metrics["test"]["top1"] > r.metrics["test"]["bayes"]["top1"] - 0.1


def test_local_mlflow_store_registers_and_promotes(
    world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from training.promote import PromoteError, promote

    data = toy_training_set(world, 3000, seed=6)
    data_dir = tmp_path / "data"
    r = train_model(data, created=DAY, config=TrainConfig(max_rounds=30, parity_rows=500), data_dir=data_dir)
    assert r.tracking is not None and r.tracking.tracking_uri == f"sqlite:///{data_dir.resolve()}/mlflow.db"
    assert (data_dir / "mlflow.db").is_file()
    assert any((data_dir / "mlartifacts").rglob("model.onnx"))
    assert r.manifest.version == r.tracking.model_version == "1"
    pack = promote(tmp_path / "models", "diagnosis", data_dir=data_dir, expected_spec=data.spec)
    assert pack.version == "1" and pack.sha256 == r.manifest.onnx_sha256
    assert pack.manifest.mlflow is not None and pack.manifest.mlflow["run_id"] == r.tracking.run_id
    assert "version 1" in pack.card()
    np.testing.assert_allclose(
        pack.predict_proba(data.X[:50]),
        softmax(raw_logits(r.fit.booster, data.X[:50]), r.calibration.temperature),
        atol=1e-5,
    )
    with pytest.raises(PromoteError, match="alias 'champion'"):
        promote(tmp_path / "models", "diagnosis", alias="champion", data_dir=data_dir)
    assert load_pack(tmp_path / "models" / "diagnosis").version == "1"


def test_command_entry_points(world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from training.commands import TrainingError, run_promote, run_train

    data = toy_training_set(world, 2000, seed=8)
    summary = run_train(data, created=DAY, config=TrainConfig(max_rounds=20, parity_rows=300), track=False)
    assert summary["version"] == "unregistered" and "mlflow" not in summary
    assert summary["parity"]["max_abs_diff"] <= 1e-5
    assert set(summary["test"]) >= {"top1", "top3", "top5", "macro_f1", "ece", "brier"}
    assert summary["bayes_optimal"]["top1"] >= summary["test"]["top1"] - 0.1
    with pytest.raises(TrainingError, match="no registered model 'diagnosis' with alias 'candidate'"):
        run_promote(tmp_path / "models", data_dir=tmp_path / "empty")


def test_size_limit_refuses_an_oversized_model(world) -> None:
    from training.export import ExportError

    data = toy_training_set(world, 2000, seed=9)
    with pytest.raises(ExportError, match=r"above the 0.001 MB limit .*lower max_rounds"):
        train_model(data, created=DAY, config=TrainConfig(max_rounds=20, max_onnx_mb=0.001), track=False)


def test_soft_label_rows_weigh_each_row_by_its_posterior() -> None:
    X = np.arange(8, dtype=np.float32).reshape(4, 2)
    y = np.array([0, 1, 2, 0])
    post = np.array([
        [0.7, 0.295, 0.005],  # the 0.005 class is dropped, the rest renormalised
        [0.0, 1.0, 0.0],
        [np.nan, np.nan, np.nan],  # no posterior: the hard label
        [0.34, 0.33, 0.33],
    ])  # fmt: skip
    Xr, yr, w = soft_label_rows(X, y, post, 0.01)
    assert yr.tolist() == [0, 1, 1, 2, 0, 1, 2]
    np.testing.assert_allclose(w, [0.7 / 0.995, 0.295 / 0.995, 1.0, 1.0, 0.34, 0.33, 0.33])
    assert Xr[:, 0].tolist() == [0, 0, 2, 4, 6, 6, 6]
    # every original row carries total weight 1
    np.testing.assert_allclose(np.bincount(Xr[:, 0].astype(int) // 2, weights=w), 1.0)


def test_soft_labels_need_no_prior_correction_and_beat_hard_labels(world) -> None:
    """On the toy world, training on the exact posterior lands closer to the Bayes-optimal
    predictor than training on the drawn labels (same rows, same settings)."""
    data = toy_training_set(world, 6000, seed=5)
    common = dict(max_rounds=60, learning_rate=0.1, parity_rows=500, parity_nan_rows=100)
    hard = train_model(
        data, created=dt.date(2026, 1, 1), config=TrainConfig(soft_labels=False, **common), track=False
    )
    soft = train_model(data, created=dt.date(2026, 1, 1), config=TrainConfig(**common), track=False)
    tv = [r.metrics["test"]["bayes"]["mean_tv_distance"] for r in (hard, soft)]
    assert tv[1] < tv[0], tv
