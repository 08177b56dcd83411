"""Entry points for the command line (``gp-assistant train …`` / ``gp-assistant models promote``).

The CLI builds a :class:`~training.dataset.TrainingSet` (from the synthetic generator or a data
scientist's table, through the encoder) and calls these; each returns a JSON-ready summary.
Errors the user can act on are :class:`TrainingError` with a one-line message.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from assistant.features import FeatureSpec
from assistant.modelpack import ModelPackError

from .config import TrainConfig
from .dataset import TrainingSet
from .export import ExportError
from .parity import ParityError
from .pipeline import TrainingResult, train_model
from .promote import PromoteError, promote
from .tracking import DEFAULT_ALIAS

__all__ = ["TrainingError", "run_promote", "run_train", "summarize"]

ECE_TARGET = 0.03


class TrainingError(RuntimeError):
    """A failure the user can act on (parity, promotion, pack checks); message is one paragraph."""


def summarize(result: TrainingResult) -> dict[str, Any]:
    """What a person wants to see after training: where it went, how good it is, what to do next."""
    test = result.metrics["test"]
    out: dict[str, Any] = {
        "name": result.manifest.name,
        "version": result.manifest.version,
        "onnx_sha256": result.manifest.onnx_sha256,
        "onnx_bytes": len(result.onnx_bytes),
        "engine": result.fit.engine,
        "best_iteration": result.fit.best_iteration,
        "seconds": round(result.seconds, 1),
        "calibration": result.calibration.to_dict(),
        "parity": result.parity.to_dict(),
        "test": {k: test[k] for k in ("n", "top1", "top3", "top5", "macro_f1", "ece", "brier", "log_loss")},
        "ece_target_met": test["ece"] <= ECE_TARGET,
    }
    if "bayes" in test:
        out["bayes_optimal"] = {
            k: test["bayes"][k]
            for k in ("top1", "top3", "ece", "brier", "mean_tv_distance", "top1_agreement")
        }
    if result.tracking is not None:
        out["mlflow"] = result.tracking.to_dict()
        out["next"] = (
            f"gp-assistant models promote  (promotes {result.tracking.model_name} @{result.tracking.alias})"
        )
    return out


def run_train(
    data: TrainingSet,
    *,
    created: _dt.date,
    name: str = "diagnosis",
    kind: str = "diagnosis",
    engine: str = "local",
    scheduler: str | None = None,
    data_dir: str | Path = "data",
    config: TrainConfig | None = None,
    track: bool = True,
) -> dict[str, Any]:
    """Train, evaluate, export, check parity and log/register in MLflow; returns :func:`summarize`."""
    try:
        result = train_model(
            data,
            created=created,
            name=name,
            kind=kind,
            engine=engine,
            scheduler=scheduler,
            data_dir=data_dir,
            config=config,
            track=track,
        )
    except (ParityError, ExportError) as exc:
        raise TrainingError(f"ONNX export rejected: {exc}") from exc
    return summarize(result)


def run_promote(
    models_dir: str | Path,
    *,
    name: str = "diagnosis",
    alias: str = DEFAULT_ALIAS,
    version: str | None = None,
    data_dir: str | Path = "data",
    expected_spec: FeatureSpec | None = None,
) -> dict[str, Any]:
    """Promote a registered version (by ``version``, else ``alias``) into ``models_dir/name``."""
    try:
        pack = promote(
            models_dir, name, alias=alias, version=version, data_dir=data_dir, expected_spec=expected_spec
        )
    except (PromoteError, ModelPackError) as exc:
        raise TrainingError(str(exc)) from exc
    size = sum(f.stat().st_size for f in pack.path.iterdir())
    return {**pack.describe(), "path": str(pack.path), "bytes": size, "labels": len(pack.labels)}
