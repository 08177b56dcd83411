"""Wiring of the training stages (Kedro style: each stage a plain function, data never mutated).

split → fit (local or Dask) → prior correction (per-class log bias when rare classes were topped
up with train-only rows) → calibrate (temperature, kept only if it lowers ECE) → evaluate
(test split, subgroups, Bayes-optimal) → export (ONNX, bias and calibration inside) → parity (or fail) →
track (MLflow: params, metrics, ONNX model, card, registered version with alias ``candidate``,
and the finished pack under the run's ``pack/`` artifacts).
"""

from __future__ import annotations

import datetime as _dt
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.modelpack import Calibration, Manifest, sha256_bytes, write_pack

from .calibrate import choose_calibration, softmax
from .card import render_card
from .config import TrainConfig
from .dataset import TrainingSet
from .export import INPUT_NAME, OUTPUT_NAME, ExportError, assemble, convert_trees, onnx_logits
from .fit import FitResult, fit_dask, fit_local, soft_label_rows
from .metrics import evaluate, expected_calibration_error, flatten_metrics, log_loss, top_k_accuracy
from .parity import ParityReport, check_parity
from .split import Split, stratified_split
from .tracking import DEFAULT_ALIAS, TrackingInfo, log_pack, log_training_run

__all__ = ["ENGINES", "TrainingResult", "train_model"]

ENGINES = ("local", "dask")


@dataclass(frozen=True)
class TrainingResult:
    """Everything one run produced; :meth:`write_pack` turns it into a model pack folder."""

    manifest: Manifest
    card: str
    onnx_bytes: bytes
    fit: FitResult
    calibration: Calibration
    parity: ParityReport
    split: Split
    metrics: dict[str, Any]
    tracking: TrackingInfo | None
    seconds: float

    def write_pack(self, directory: str | Path) -> Path:
        """Write ``model.onnx``, ``manifest.json`` and ``model_card.md`` into ``directory``."""
        return write_pack(directory, self.onnx_bytes, self.manifest, self.card)


def train_model(
    data: TrainingSet,
    *,
    created: _dt.date,
    name: str = "diagnosis",
    kind: str = "diagnosis",
    config: TrainConfig | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    track: bool = True,
    data_dir: str | Path = "data",
    tracking_uri: str | None = None,
    alias: str = DEFAULT_ALIAS,
    intended_use: Sequence[str] | None = None,
    limitations: Sequence[str] | None = None,
) -> TrainingResult:
    """Run the whole pipeline on ``data``; returns the result (the pack is written by the caller or
    by :func:`training.promote.promote`). ``created`` is the date recorded in the manifest.

    ``engine`` is ``"local"`` (``lightgbm.train`` with early stopping) or ``"dask"``
    (``lightgbm.dask`` on a LocalCluster, or on ``scheduler`` when given). With ``track`` the run is
    logged to MLflow (see :mod:`training.tracking`) and its model registered as ``name`` with
    ``alias``; the manifest's version is then the registered version.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    config = config or TrainConfig()
    start = time.perf_counter()
    stages: dict[str, float] = {}
    lap = _Lap(stages)
    X, y, k = data.X, data.y, data.n_classes
    split = stratified_split(
        y,
        valid=config.valid_fraction,
        calib=config.calib_fraction,
        test=config.test_fraction,
        seed=config.seed,
        min_per_class=config.min_cases_per_class,
        train_only=data.train_only,
    )
    soft = config.soft_labels and data.bayes_posterior is not None
    if soft:
        # the soft labels are the natural posterior itself, so no prior correction is needed
        assert data.bayes_posterior is not None
        bias = None
        X_fit, y_fit, w_fit = soft_label_rows(
            X[split.train], y[split.train], data.bayes_posterior[split.train], config.soft_label_min
        )
    else:
        bias = data.log_bias_for(split.train)
        X_fit, y_fit, w_fit = X[split.train], y[split.train], None
    args = (X_fit, y_fit, X[split.valid], y[split.valid], k, config)
    fit = fit_local(*args, weight=w_fit) if engine == "local" else fit_dask(*args, scheduler=scheduler, weight=w_fit)
    fit_rows = len(y_fit)
    del X_fit, y_fit, w_fit

    lap("split_and_fit")
    # Score the held-out splits with onnxruntime (much faster than LightGBM's predict for many
    # classes); the parity check below proves the two agree.
    trees = convert_trees(fit.booster, X.shape[1])
    raw = {part: onnx_logits(trees, X[getattr(split, part)]) for part in ("valid", "calib", "test")}
    logits = raw if bias is None else {part: z + bias[None, :] for part, z in raw.items()}
    lap("convert_and_score")
    calibration = choose_calibration(
        logits["calib"], y[split.calib], logits["valid"], y[split.valid], n_bins=config.ece_bins
    )
    t = calibration.temperature
    test = split.test
    metrics: dict[str, Any] = {
        "test": evaluate(
            softmax(logits["test"], t),
            y[test],
            [label.id for label in data.labels],
            groups={g: v[test] for g, v in data.groups.items()},
            bayes_posterior=None if data.bayes_posterior is None else data.bayes_posterior[test],
            n_bins=config.ece_bins,
        ),
        "valid": {
            "ece": expected_calibration_error(
                softmax(logits["valid"], t), y[split.valid], n_bins=config.ece_bins
            ),
            "log_loss_best": min(fit.valid_curve) if fit.valid_curve else float("nan"),
        },
    }

    if bias is not None:
        metrics["prior_correction"] = _prior_correction(data, split, bias, raw["test"], config.ece_bins)

    lap("calibrate_and_evaluate")
    model = assemble(trees, temperature=t, class_log_bias=bias)
    onnx_bytes = model.SerializeToString()
    if len(onnx_bytes) > config.max_onnx_mb * 1e6:
        raise ExportError(
            f"the ONNX model is {len(onnx_bytes) / 1e6:.1f} MB, above the {config.max_onnx_mb:g} MB limit "
            f"({fit.booster.num_trees()} trees); lower max_rounds or num_leaves, or raise max_onnx_mb"
        )
    parity = check_parity(
        onnx_bytes,
        fit.booster,
        t,
        X[test],
        rows=config.parity_rows,
        nan_rows=config.parity_nan_rows,
        tolerance=config.parity_tolerance,
        seed=config.seed,
        class_log_bias=bias,
    )
    lap("assemble_and_parity")
    metrics["parity"] = parity.to_dict()
    metrics["calibration"] = {k_: v for k_, v in calibration.to_dict().items() if k_ != "method"}
    if bias is not None:
        metrics["calibration"]["class_log_bias"] = {
            label.id: float(b) for label, b in zip(data.labels, bias, strict=True) if b != 0.0
        }
    training_info = {
        "engine": fit.engine,
        "best_iteration": fit.best_iteration,
        "rounds_trained": fit.rounds_trained,
        "seconds": round(fit.seconds, 2),
        "rows": len(data),
        "train_only_rows": data.n_train_only,
        "soft_labels": soft,
        "fit_rows": fit_rows,
        "targets": (
            f"soft labels: the exact posterior, classes with P >= {config.soft_label_min:g}"
            if soft else "hard labels"
        ),
        "split": split.sizes(),
        "params": config.lgb_params(k) | {"max_rounds": config.max_rounds},
        "source": data.source,
        "onnx_bytes": len(onnx_bytes),
        "stage_seconds": stages,
    }
    manifest = Manifest(
        name=name,
        kind=kind,
        version="unregistered",
        created=created,
        onnx_sha256=sha256_bytes(onnx_bytes),
        features=data.spec,
        labels=data.labels,
        calibration=calibration,
        metrics=metrics,
        training=training_info,
        input_name=INPUT_NAME,
        output_name=OUTPUT_NAME,
    )

    def card_for(m: Manifest) -> str:
        return render_card(
            m,
            source=data.source,
            split_sizes=split.sizes(),
            intended_use=intended_use,
            limitations=limitations,
        )

    tracking: TrackingInfo | None = None
    if track:
        flat = flatten_metrics({k_: v for k_, v in metrics.items()})
        flat["train.seconds"] = fit.seconds
        flat["train.best_iteration"] = float(fit.best_iteration)
        params: dict[str, Any] = {
            **config.to_dict(),
            "soft_labels": soft,  # what was used: a table without a posterior trains on its labels
            "n_fit_rows": fit_rows,
            "engine": fit.engine,
            "n_rows": len(data),
            "n_features": X.shape[1],
            "n_classes": k,
            "feature_spec_version": data.spec.version,
            "feature_spec_sha256": data.spec.sha256,
            "data_source": data.source[:500],
        }
        tracking = log_training_run(
            data_dir=data_dir,
            tracking_uri=tracking_uri,
            experiment=f"gp-assistant-{name}",
            run_name=f"{name}-{fit.engine}-{created.isoformat()}",
            registered_name=name,
            alias=alias,
            params=params,
            metrics=flat,
            curve=fit.valid_curve,
            onnx_model=model,
            X_example=X[test],
            artifacts={
                "metrics.json": _json(metrics),
                "lightgbm_model.txt": fit.model_text,
                "feature_spec.json": _json(data.spec.to_dict()),
            },
            tags={"kind": kind, "feature_spec": data.spec.sha256[:12]},
        )
        manifest = replace(manifest, version=tracking.model_version, mlflow=tracking.to_dict())
    card = card_for(manifest)
    result = TrainingResult(
        manifest=manifest,
        card=card,
        onnx_bytes=onnx_bytes,
        fit=fit,
        calibration=calibration,
        parity=parity,
        split=split,
        metrics=metrics,
        tracking=tracking,
        seconds=time.perf_counter() - start,
    )
    if tracking is not None:
        with tempfile.TemporaryDirectory() as tmp:
            pack_dir = result.write_pack(Path(tmp) / name)
            log_pack(tracking, pack_dir, data_dir)
    return result


def _prior_correction(
    data: TrainingSet, split: Split, bias: np.ndarray, raw_test: np.ndarray, n_bins: int
) -> dict[str, Any]:
    """What the per-class log bias is and does: the train-only rows behind it and the test metrics
    of the uncorrected model (raw logits, no temperature), for comparison."""
    y_test = data.y[split.test]
    plain = softmax(raw_test)
    return {
        "train_only_rows": data.n_train_only,
        "natural_train_rows": int(len(split.train) - data.train_only[split.train].sum())
        if data.train_only is not None
        else len(split.train),
        "corrected_classes": int(np.count_nonzero(bias)),
        "test_without_correction": {
            "top1": top_k_accuracy(plain, y_test, 1),
            "top3": top_k_accuracy(plain, y_test, 3),
            "ece": expected_calibration_error(plain, y_test, n_bins=n_bins),
            "log_loss": log_loss(plain, y_test),
        },
    }


class _Lap:
    """Records the seconds since the previous lap under a stage name."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.into[stage] = round(now - self.last, 2)
        self.last = now


def _json(obj: Any) -> str:
    import json

    def default(o: Any) -> Any:
        if isinstance(o, (np.integer, np.floating)):
            return o.item()
        raise TypeError(type(o).__name__)

    return json.dumps(obj, ensure_ascii=False, indent=2, default=default, allow_nan=True) + "\n"
