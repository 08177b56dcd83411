"""Training prior ≠ deployment prior: rare classes topped up with train-only rows, corrected exactly
in the model by a per-class log bias (split, bias math, calibration on natural data, ONNX parity)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from assistant.features import FeatureSpec
from assistant.knowledge import load_knowledge
from assistant.modelpack import Label
from training.calibrate import softmax
from training.config import TrainConfig
from training.data import generate_training_set
from training.dataset import TrainingSet
from training.export import INPUT_NAME, OUTPUT_NAME
from training.generator import (
    natural_class_prior,
    sample_cases,
    sample_condition_cases,
    world_from_knowledge,
)
from training.metrics import log_loss
from training.parity import ParityError, check_parity
from training.pipeline import train_model
from training.split import stratified_split
from training.toy import make_toy_world, toy_training_set

DAY = dt.date(2026, 3, 1)
# The prior correction is the path for tables without a posterior (a data scientist's own data); the
# toy data carry one, so soft labels are switched off to test it.
FAST = TrainConfig(max_rounds=120, learning_rate=0.08, parity_rows=2000, parity_nan_rows=1000, soft_labels=False)
RARE = (4, 5)
TOP_UP = 400


# ----------------------------------------------------------------------------------------- split


def test_split_keeps_train_only_rows_in_training_and_natural_rows_as_before() -> None:
    y_nat = np.repeat(np.arange(4), [500, 100, 30, 3])
    extra = np.repeat([2, 3], [50, 40])
    y = np.concatenate([y_nat, extra])
    train_only = np.arange(len(y)) >= len(y_nat)
    s = stratified_split(y, valid=0.1, calib=0.1, test=0.1, seed=3, train_only=train_only)
    for part in (s.valid, s.calib, s.test):
        assert not train_only[part].any()
    assert set(np.flatnonzero(train_only)) <= set(s.train.tolist())
    assert sum(s.sizes().values()) == len(y) == len(np.unique(np.concatenate([s.train, s.valid, s.calib, s.test])))
    # the natural rows are split exactly as they would be alone; class 3 (3 natural + 40 extra)
    # passes min_per_class, which it would not without its extra rows
    alone = stratified_split(y_nat, valid=0.1, calib=0.1, test=0.1, seed=3, min_per_class=3)
    for name in ("valid", "calib", "test"):
        assert np.array_equal(getattr(s, name), getattr(alone, name))
    assert np.array_equal(s.train[s.train < len(y_nat)], alone.train)
    with pytest.raises(ValueError, match="fewer than 10 cases"):
        stratified_split(y_nat, valid=0.1, calib=0.1, test=0.1, seed=3)
    # no train-only rows: identical to before
    plain = stratified_split(y, valid=0.1, calib=0.1, test=0.1, seed=3)
    same = stratified_split(y, valid=0.1, calib=0.1, test=0.1, seed=3, train_only=np.zeros(len(y), bool))
    assert all(np.array_equal(getattr(plain, f), getattr(same, f)) for f in ("train", "valid", "calib", "test"))


# ----------------------------------------------------------------------------------------- bias


def _tiny_set(**kw) -> TrainingSet:
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    labels = tuple(Label(id=f"c{k}", icd10=None, name_zh=f"类{k}", name_en=f"class {k}") for k in range(3))
    X = np.zeros((len(y), 1), dtype=np.float32)
    return TrainingSet(X=X, y=y, spec=FeatureSpec(("x",), "t"), labels=labels, **kw)


def test_log_bias_is_expected_natural_over_expected_plus_extra() -> None:
    train_only = np.array([False] * 5 + [False, False, True, True, True])  # three extra rows of class 2
    data = _tiny_set(train_only=train_only, class_prior=np.array([0.5, 0.45, 0.05]))
    rows = np.array([0, 1, 3, 5, 7, 8, 9])  # 4 natural rows, 3 extra (class 2)
    bias = data.log_bias_for(rows)
    assert bias is not None
    assert bias[:2].tolist() == [0.0, 0.0]  # no extra rows: exactly no correction
    assert bias[2] == pytest.approx(np.log(4 * 0.05 / (4 * 0.05 + 3)))
    assert data.log_bias_for(np.array([0, 1, 3])) is None  # no extra rows in training at all
    assert data.n_train_only == 3 and data.natural.sum() == 7
    explicit = _tiny_set(train_only=train_only, class_log_bias=np.array([0.0, -1.0, 0.5]))
    assert explicit.log_bias_for(rows).tolist() == [0.0, -1.0, 0.5]
    assert _tiny_set().log_bias_for(rows) is None  # backwards compatible: no correction
    with pytest.raises(ValueError, match="class_prior"):
        _tiny_set(train_only=train_only)
    with pytest.raises(ValueError, match="sum to 1"):
        _tiny_set(train_only=train_only, class_prior=np.array([0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="bool vector"):
        _tiny_set(train_only=np.ones(3, bool), class_prior=np.array([0.5, 0.45, 0.05]))


# ------------------------------------------------------------------ toy world with an exact posterior


@pytest.fixture(scope="module")
def toy():
    """A toy world with two rare classes, a natural sample, and rare classes topped up to TOP_UP."""
    base = make_toy_world(6, 16, 2, signal_features=3, seed=7)
    prior = base.prior.copy()
    prior[list(RARE)] = [0.004, 0.002]
    prior /= prior.sum()
    world = replace(base, prior=prior)
    natural = toy_training_set(world, 15_000, seed=2)
    # top-up: patients drawn from the same world until they have the condition (exact P(x | k))
    pool = world.sample(400_000, seed=11)
    extra_idx = np.concatenate([np.flatnonzero(pool.y == k)[: TOP_UP - int((natural.y == k).sum())] for k in RARE])
    # the exact marginal class prior π_k = Σ_{sex, band} P(sex) P(band) P(k | sex, band)
    sexes, bands = np.meshgrid(np.arange(2), np.arange(len(world.band_probs)), indexing="ij")
    weights = 0.5 * world.band_probs[bands.ravel()]
    pi = (weights[:, None] * world._class_given_demo(sexes.ravel(), bands.ravel())).sum(axis=0)
    data = TrainingSet(
        X=np.concatenate([natural.X, pool.X[extra_idx]]),
        y=np.concatenate([natural.y, pool.y[extra_idx]]),
        spec=natural.spec,
        labels=natural.labels,
        groups={g: np.concatenate([v, pool.groups[g][extra_idx]]) for g, v in natural.groups.items()},
        bayes_posterior=np.concatenate([natural.bayes_posterior, pool.posterior[extra_idx]]),
        source="toy with top-up",
        train_only=np.arange(len(natural) + len(extra_idx)) >= len(natural),
        class_prior=pi,
    )
    result = train_model(data, created=DAY, config=FAST, track=False)
    fresh = world.sample(60_000, seed=99)  # natural-prior data the model never saw
    return world, data, result, fresh


def _onnx_proba(onnx_bytes: bytes, X: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    return sess.run([OUTPUT_NAME], {INPUT_NAME: np.ascontiguousarray(X, dtype=np.float32)})[0].astype(np.float64)


def test_top_up_rows_only_train_and_bias_recorded(toy) -> None:
    _, data, result, _ = toy
    split = result.split
    for part in (split.valid, split.calib, split.test):
        assert not data.train_only[part].any()
    assert data.train_only[split.train].sum() == data.n_train_only > 0
    bias = result.metrics["calibration"]["class_log_bias"]
    assert set(bias) == {data.labels[k].id for k in RARE}
    n_nat = len(split.train) - data.n_train_only
    for k in RARE:
        extra = int((data.y[data.train_only] == k).sum())
        expected = n_nat * data.class_prior[k]
        assert bias[data.labels[k].id] == pytest.approx(np.log(expected / (expected + extra)))
        assert bias[data.labels[k].id] < -1.0  # a strong correction: far more rows than natural
    assert result.manifest.training["train_only_rows"] == data.n_train_only
    assert "prior correction" in result.card and data.labels[RARE[0]].id in result.card


def test_soft_labels_keep_the_natural_prior_without_a_bias(toy) -> None:
    """Trained on the posterior (soft labels), the topped-up rows only add coverage: the model needs
    no per-class bias and its rare-class probabilities still match the natural frequencies."""
    _, data, _, fresh = toy
    result = train_model(data, created=DAY, config=FAST.with_(soft_labels=True), track=False)
    assert "prior_correction" not in result.metrics
    assert "class_log_bias" not in result.metrics["calibration"]
    proba = _onnx_proba(result.onnx_bytes, fresh.X)
    for k in RARE:
        assert proba[:, k].mean() == pytest.approx(fresh.posterior[:, k].mean(), rel=0.25)
    assert log_loss(proba, fresh.y) < log_loss(fresh.posterior, fresh.y) + 0.05


def test_corrected_model_is_calibrated_on_natural_data_and_close_to_bayes(toy) -> None:
    _, _, result, fresh = toy
    proba = _onnx_proba(result.onnx_bytes, fresh.X)
    bayes = fresh.posterior
    y = fresh.y
    # the rare classes: the model's average probability matches their natural frequency
    for k in RARE:
        freq = float((y == k).mean())
        assert proba[:, k].mean() == pytest.approx(bayes[:, k].mean(), rel=0.25)
        assert proba[:, k].mean() == pytest.approx(freq, rel=0.3)
    assert log_loss(proba, y) < log_loss(bayes, y) + 0.05
    assert 0.5 * np.abs(proba - bayes).sum(axis=1).mean() < 0.08
    m = result.metrics["test"]
    assert m["ece"] < 0.04
    # without the bias the same trees over-predict the topped-up classes (about twice here)
    onnx_model = onnx.load_from_string(result.onnx_bytes)
    (init,) = [t for t in onnx_model.graph.initializer if t.name == "class_log_bias"]
    bias = onnx.numpy_helper.to_array(init).astype(np.float64)
    t = result.calibration.temperature
    logits = np.log(np.clip(proba, 1e-300, 1.0)) * t - bias[None, :]  # undo the softmax up to a constant
    plain = softmax(logits, t)
    for k in RARE:
        assert plain[:, k].mean() > 1.5 * bayes[:, k].mean()
    assert log_loss(plain, y) > log_loss(proba, y)
    uncorrected = result.metrics["prior_correction"]["test_without_correction"]
    assert uncorrected["log_loss"] > m["log_loss"]


def test_onnx_graph_adds_bias_before_temperature_and_parity_checks_it(toy) -> None:
    _, data, result, fresh = toy
    ops = [n.op_type for n in onnx.load_from_string(result.onnx_bytes).graph.node]
    assert ops.index("Add") < ops.index("Softmax")
    if "Div" in ops:
        assert ops.index("Add") < ops.index("Div")
    bias = data.log_bias_for(result.split.train)
    X = fresh.X[:3000]
    report = check_parity(
        result.onnx_bytes, result.fit.booster, result.calibration.temperature, X, class_log_bias=bias
    )
    assert max(report.max_abs_diff, report.max_abs_diff_missing) <= 1e-5
    assert result.parity.max_abs_diff <= 1e-5
    with pytest.raises(ParityError):  # the graph holds the bias: parity without it must fail
        check_parity(result.onnx_bytes, result.fit.booster, result.calibration.temperature, X)


# ----------------------------------------------------------------------------------------- generator


@pytest.fixture(scope="module")
def world():
    return world_from_knowledge(load_knowledge())


def test_condition_cases_follow_the_exact_conditional_patient_distribution(world) -> None:
    """P(patient | k) ∝ P(patient) · P(k | patient): compare the top-up's age bands, sex and season
    with the natural sample's patients weighted by their prior share of k (low-noise, exact in the
    limit)."""
    natural = sample_cases(world, 40_000, seed=5)
    w = world.prior_weights(natural.age, natural.male, natural.pregnant, natural.season)
    share = w / w.sum(axis=1, keepdims=True)
    ids = list(world.condition_ids)
    for cid in ("febrile_convulsion", "ectopic_pregnancy", "gallstones"):
        k = ids.index(cid)
        counts = np.zeros(world.n_conditions, dtype=np.int64)
        counts[k] = 3000
        top = sample_condition_cases(world, counts, seed=8)
        assert len(top) == 3000 and (top.y == k).all()
        top_w = world.prior_weights(top.age, top.male, top.pregnant, top.season)
        assert (top_w[:, k] > 0).all()  # every patient can have it
        weight = share[:, k] / share[:, k].sum()
        for name, values, top_values in (
            ("band", world.band(natural.age), world.band(top.age)),
            ("male", natural.male.astype(int), top.male.astype(int)),
            ("season", natural.season.astype(int), top.season.astype(int)),
        ):
            m = max(values.max(), top_values.max()) + 1
            want = np.bincount(values, weights=weight, minlength=m)
            got = np.bincount(top_values, minlength=m) / len(top_values)
            assert np.abs(want - got).max() < 0.04, (cid, name, want, got)


def test_generated_set_tops_up_rare_conditions_as_train_only_rows(world) -> None:
    kb = load_knowledge()
    n = 600
    topped = generate_training_set(kb, n, seed=4, min_per_class=8)
    ts = topped.training
    natural = sample_cases(world, n, seed=4)  # what generate_training_set draws without top-up
    assert np.array_equal(topped.sample.take(slice(0, n)).y, natural.y)  # natural rows unchanged
    assert np.array_equal(topped.sample.take(slice(0, n)).values, natural.values, equal_nan=True)
    assert ts.train_only is not None and not ts.train_only[:n].any() and ts.train_only[n:].all()
    counts = np.bincount(ts.y, minlength=ts.n_classes)
    natural_counts = np.bincount(natural.y, minlength=ts.n_classes)
    assert (counts == np.maximum(natural_counts, 8)).all()
    assert len(topped.encounters) == len(ts)
    assert topped.encounters[n]["patient"]["id"].startswith("SYNTOP")
    assert ts.class_prior is not None and ts.class_prior.sum() == pytest.approx(1.0)
    assert np.allclose(ts.class_prior, natural_class_prior(world, natural))
    assert "train-only" in ts.source
    assert ts.bayes_posterior is not None and np.allclose(ts.bayes_posterior.sum(axis=1), 1.0)
    plain = generate_training_set(kb, 50, seed=4)  # default: no top-up, nothing new
    assert plain.training.train_only is None and plain.training.class_prior is None


def test_cli_refuses_a_negative_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    assert main(["train", "diagnosis", "--rows", "100", "--min-per-class", "-1", "--no-track"]) == 2
    assert "--min-per-class" in capsys.readouterr().err
