"""Training the follow-up risk model: ``gp-assistant train followup-risk [--patients N] [--seed S]``.

cohort (:func:`~training.cohort.simulate.generate_cohort`) → rows at quarterly cut-offs
(:func:`~training.cohort.rows.cohort_rows`) → a share of the *patients* held out entirely → the
shared pipeline (:func:`training.pipeline.train_model`: LightGBM, calibration, ONNX export with
parity, MLflow run and registered model ``followup_risk``) → risk metrics the pipeline does not
compute (ROC AUC, ECE of P(event), binary Brier, reliability, rule baselines) on its test split and
on the held-out patients → manifest and card updated, and the pack attached to the MLflow run again
so that ``gp-assistant models promote --name followup_risk`` installs the complete pack.

Why a patient hold-out: the pipeline splits rows, and rows of one patient at different cut-offs are
alike, so its test split is optimistic; the held-out patients were never seen in training.
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.followup.risk import EVENT_LABEL, RISK_FEATURE_SPEC, RISK_KIND, RISK_PACK
from assistant.modelpack import Label

from ..commands import TrainingError
from ..config import TrainConfig
from ..dataset import TrainingSet
from ..export import ExportError
from ..metrics import flatten_metrics
from ..parity import ParityError
from ..pipeline import TrainingResult, train_model
from ..tracking import DEFAULT_ALIAS, configure_mlflow, log_pack
from .metrics import baseline_scores, risk_metrics, roc_auc
from .params import CohortParams
from .rows import HORIZON_DAYS, OUTCOMES, CohortRows, cohort_rows, cutoff_dates
from .simulate import PROGRAMS, Cohort, generate_cohort

__all__ = ["RISK_LABELS", "RISK_LIMITATIONS", "RiskRun", "fit_followup_risk", "train_followup_risk"]

RISK_LABELS: tuple[Label, ...] = (
    Label(id="on_track", name_zh="90天内按期随访且达标", name_en="seen on time and on target in 90 days"),
    Label(
        id=EVENT_LABEL,
        name_zh="90天内下次随访未达标、未随访或发生急症",
        name_en="off target at the next visit, no visit, or an urgent event within 90 days",
    ),
)
LABEL_DEFINITION = (
    "event = within 90 days after the list's date: the first visit is off target (protocol target "
    "rows), or there is no visit at all, or an urgent event (cardiovascular event, hypertensive "
    "crisis, hypoglycaemia, hyperglycaemic crisis) / 事件 = 统计日期后90天内：下次随访未达标，或无随访，或发生急症"
)
RISK_LIMITATIONS: tuple[str, ...] = (
    "Trained on a synthetic cohort whose generative model is explicit (training/cohort); real "
    "patients and clinics differ, so retrain on local records before relying on the numbers. / "
    "训练数据为合成队列，真实人群可能不同，使用前应以本地数据重新训练。",
    "Covers hypertension and type 2 diabetes only; other programs get no risk (the column stays "
    "empty). / 仅覆盖高血压和2型糖尿病，其他项目不给出风险。",
    "The probability mixes three outcomes (off target, missed visit, urgent event); it orders the "
    "list, it does not say which outcome to expect and never replaces the protocol's status. / "
    "概率合并了三种结局，仅用于排序，不替代规范的分类。",
    "The pipeline's test split shares patients with training (rows at other cut-offs); the "
    "held-out patients' metrics are the honest ones. / 流水线测试集与训练集有同一患者，请以留出患者的指标为准。",
)


@dataclass(frozen=True)
class RiskRun:
    """One training run: the pipeline's result (manifest, card and metrics completed with the risk
    metrics), the rows it was trained on and the held-out patients' rows and predictions."""

    result: TrainingResult
    cohort: Cohort
    train_rows: CohortRows
    holdout_rows: CohortRows
    holdout_proba: np.ndarray
    metrics: dict[str, Any]


def _proba(onnx_bytes: bytes, X: np.ndarray, column: int, batch: int = 65_536) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(onnx_bytes, opts, providers=["CPUExecutionProvider"])
    name_in, name_out = sess.get_inputs()[0].name, sess.get_outputs()[0].name
    X = np.ascontiguousarray(X, dtype=np.float32)
    parts = [sess.run([name_out], {name_in: X[i : i + batch]})[0][:, column] for i in range(0, len(X), batch)]
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)


def _holdout_mask(rows: CohortRows, share: float, seed: int) -> np.ndarray:
    ids = np.unique(rows.features["patient_id"].to_numpy(dtype=object).astype(str))
    rng = np.random.default_rng(seed)
    held = ids[rng.permutation(len(ids))[: int(round(share * len(ids)))]]
    return rows.features["patient_id"].isin(held).to_numpy()


def fit_followup_risk(
    n_patients: int = 20_000,
    seed: int = 2026,
    *,
    created: _dt.date,
    data_dir: str | Path = "data",
    track: bool = True,
    config: TrainConfig | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    holdout: float = 0.2,
    params: CohortParams | None = None,
    tracking_uri: str | None = None,
    alias: str = DEFAULT_ALIAS,
) -> RiskRun:
    """Generate a cohort of ``n_patients``, train and evaluate the follow-up risk model (see the
    module docstring). ``holdout``: share of patients kept out of training for the evaluation."""
    if not 0 < holdout < 0.9:
        raise ValueError("holdout must be a share of patients between 0 and 0.9")
    config = config or TrainConfig(seed=seed)
    cohort = generate_cohort(n_patients, seed=seed, params=params)
    cutoffs = cutoff_dates(cohort.start, cohort.end)
    rows = cohort_rows(cohort, cutoffs)
    held = _holdout_mask(rows, holdout, seed)
    train_rows, hold_rows = rows.take(~held), rows.take(held)
    n_train_patients = train_rows.features["patient_id"].nunique()
    source = (
        f"{cohort.describe()}; {len(rows)} rows (patient x program x cut-off) at {len(cutoffs)} "
        f"quarterly cut-offs {cutoffs[0].isoformat()} to {cutoffs[-1].isoformat()}, outcome in the "
        f"{HORIZON_DAYS} days after; {n_train_patients} patients ({len(train_rows)} rows) for the "
        f"pipeline, {len(rows) - len(train_rows)} rows of {holdout:.0%} of patients held out"
    )
    data = TrainingSet(
        X=train_rows.X,
        y=train_rows.y,
        spec=RISK_FEATURE_SPEC,
        labels=RISK_LABELS,
        groups=train_rows.groups(),
        source=source,
    )
    result = train_model(
        data,
        created=created,
        name=RISK_PACK,
        kind=RISK_KIND,
        config=config,
        engine=engine,
        scheduler=scheduler,
        track=track,
        data_dir=data_dir,
        tracking_uri=tracking_uri,
        alias=alias,
        limitations=RISK_LIMITATIONS,
    )
    column = [label.id for label in RISK_LABELS].index(EVENT_LABEL)
    test = result.split.test
    p_test = _proba(result.onnx_bytes, data.X[test], column)
    p_hold = _proba(result.onnx_bytes, hold_rows.X, column)
    y_hold = hold_rows.y
    hold_groups = hold_rows.groups()
    risk: dict[str, Any] = {
        "test": risk_metrics(data.y[test], p_test, groups={g: v[test] for g, v in data.groups.items()}),
        "holdout": risk_metrics(y_hold, p_hold, groups=hold_groups),
        "baselines_auc_holdout": {
            name: roc_auc(y_hold, score) for name, score in baseline_scores(hold_rows.features).items()
        },
        "outcomes": {name: float(rows.outcomes[name].mean()) for name in OUTCOMES},
    }
    metrics = dict(result.metrics)
    metrics["test"] = {
        **result.metrics["test"],
        "auc": risk["test"]["auc"],
        "event_ece": risk["test"]["ece"],
        "event_brier": risk["test"]["brier"],
    }
    metrics["risk"] = risk
    training = {
        **result.manifest.training,
        "programs": list(PROGRAMS),
        "horizon_days": HORIZON_DAYS,
        "label": LABEL_DEFINITION,
        "cohort": {"patients": n_patients, "seed": seed, "start": cohort.start.isoformat(),
                   "end": cohort.end.isoformat(), "params": cohort.params.to_dict()},
        "cutoffs": [c.isoformat() for c in cutoffs],
        "holdout_patients": holdout,
    }  # fmt: skip
    manifest = replace(result.manifest, metrics=metrics, training=training)
    card = result.card + _card_section(risk)
    result = replace(result, manifest=manifest, card=card, metrics=metrics)
    if result.tracking is not None:
        _relog(result, risk, data_dir)
    return RiskRun(result, cohort, train_rows, hold_rows, p_hold, risk)


def _relog(result: TrainingResult, risk: dict[str, Any], data_dir: str | Path) -> None:
    """Add the risk metrics to the MLflow run and attach the completed pack (replacing the one the
    pipeline attached, which lacked them)."""
    info = result.tracking
    assert info is not None
    configure_mlflow(data_dir, info.tracking_uri)
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    flat = flatten_metrics({"risk": {k: v for k, v in risk.items() if k != "outcomes"}})
    flat.update(flatten_metrics({"outcomes": risk["outcomes"]}))
    flat = {k: v for k, v in flat.items() if ".reliability" not in k}
    items = [Metric(k, v, 0, 0) for k, v in flat.items()]
    for i in range(0, len(items), 500):
        client.log_batch(info.run_id, metrics=items[i : i + 500])
    with tempfile.TemporaryDirectory() as tmp:
        pack_dir = result.write_pack(Path(tmp) / RISK_PACK)
        log_pack(info, pack_dir, data_dir)


def _f(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _card_section(risk: dict[str, Any]) -> str:
    lines = [
        "",
        "## Follow-up risk: discrimination and calibration",
        "",
        f"P(event), {LABEL_DEFINITION}.",
        f"Programs covered: {', '.join(PROGRAMS)}; other programs get no risk.",
        "",
        "| rows | n | base rate | mean predicted | AUC | ECE (P(event), 10 bins) | Brier | Brier skill |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, key in (("pipeline test split", "test"), ("held-out patients", "holdout")):
        m = risk[key]
        lines.append(
            f"| {name} | {m['n']} | {_f(m['base_rate'])} | {_f(m['mean_predicted'])} | {_f(m['auc'])} | "
            f"{_f(m['ece'], 4)} | {_f(m['brier'], 4)} | {_f(m['brier_skill'])} |"
        )
    base = risk["baselines_auc_holdout"]
    lines += [
        "",
        "Rule baselines on the held-out patients (AUC): "
        + ", ".join(f"{k} {_f(v)}" for k, v in base.items())
        + ".",
        "Outcome rates over all rows: "
        + ", ".join(f"{k} {_f(v)}" for k, v in risk["outcomes"].items())
        + ".",
        "",
        "### Reliability on the held-out patients (deciles of predicted risk)",
        "",
        "| decile | n | mean predicted | observed |",
        "|---|---|---|---|",
    ]
    for i, r in enumerate(risk["holdout"]["reliability"], start=1):
        lines.append(f"| {i} | {r['n']} | {_f(r['predicted'])} | {_f(r['observed'])} |")
    for group, values in risk["holdout"]["subgroups"].items():
        lines += ["", f"### Held-out patients by {group}", "", "| value | n | base rate | AUC | ECE | Brier |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for v, m in values.items():
            lines.append(
                f"| {v} | {m['n']} | {_f(m.get('base_rate'))} | {_f(m.get('auc'))} | {_f(m.get('ece'), 4)} | "
                f"{_f(m.get('brier'), 4)} |"
            )
    return "\n".join(lines) + "\n"


def _summary(run: RiskRun) -> dict[str, Any]:
    r = run.result
    risk = run.metrics
    keep = ("n", "base_rate", "mean_predicted", "auc", "ece", "brier", "brier_skill")
    out: dict[str, Any] = {
        "name": r.manifest.name,
        "version": r.manifest.version,
        "onnx_sha256": r.manifest.onnx_sha256,
        "onnx_bytes": len(r.onnx_bytes),
        "seconds": round(r.seconds, 1),
        "best_iteration": r.fit.best_iteration,
        "rows": {"pipeline": len(run.train_rows), "holdout": len(run.holdout_rows)},
        "outcomes": risk["outcomes"],
        "test": {k: risk["test"][k] for k in keep},
        "holdout": {k: risk["holdout"][k] for k in keep},
        "baselines_auc_holdout": risk["baselines_auc_holdout"],
        "calibration": r.calibration.to_dict(),
        "parity": r.parity.to_dict(),
    }
    if r.tracking is not None:
        out["mlflow"] = r.tracking.to_dict()
        out["next"] = f"gp-assistant models promote --name {RISK_PACK}  (promotes @{r.tracking.alias})"
    return out


def train_followup_risk(
    n_patients: int = 20_000,
    seed: int = 2026,
    *,
    created: _dt.date,
    data_dir: str | Path = "data",
    track: bool = True,
    engine: str = "local",
    scheduler: str | None = None,
    config: TrainConfig | None = None,
) -> dict[str, Any]:
    """``gp-assistant train followup-risk``: train, evaluate, export, log and register; returns a
    JSON-ready summary (AUC, ECE, Brier on the held-out patients, MLflow run, next command)."""
    try:
        run = fit_followup_risk(
            n_patients, seed, created=created, data_dir=data_dir, track=track, engine=engine,
            scheduler=scheduler, config=config,
        )  # fmt: skip
    except (ParityError, ExportError) as exc:
        raise TrainingError(f"ONNX export rejected: {exc}") from exc
    return _summary(run)
