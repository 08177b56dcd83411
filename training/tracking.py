"""MLflow tracking: where runs go, and logging one training run with its registered ONNX model.

Default store: SQLite in the data folder (``sqlite:///<data_dir>/mlflow.db``) with artifacts in
``<data_dir>/mlartifacts``; ``MLFLOW_TRACKING_URI`` points it at a real server instead. Telemetry
is switched off (``MLFLOW_DISABLE_TELEMETRY``/``DO_NOT_TRACK``) before MLflow is imported: a clinic's
machine sends nothing anywhere.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_ALIAS",
    "TrackingInfo",
    "configure_mlflow",
    "experiment_for",
    "log_pack",
    "log_training_run",
    "resolve_tracking_uri",
]

DEFAULT_ALIAS = "candidate"


def _telemetry_off() -> None:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["DO_NOT_TRACK"] = "true"


_telemetry_off()


@dataclass(frozen=True)
class TrackingInfo:
    """Where a run was logged and what it registered."""

    tracking_uri: str
    experiment_id: str
    run_id: str
    model_name: str
    model_version: str
    alias: str

    def to_dict(self) -> dict[str, str]:
        return {
            "tracking_uri": self.tracking_uri if not self.tracking_uri.startswith("sqlite") else "local",
            "experiment_id": self.experiment_id,
            "run_id": self.run_id,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "alias": self.alias,
        }


def resolve_tracking_uri(data_dir: str | Path, tracking_uri: str | None = None) -> str:
    """``tracking_uri`` if given, else ``$MLFLOW_TRACKING_URI``, else SQLite in ``data_dir``."""
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    path = Path(data_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'mlflow.db'}"


def configure_mlflow(data_dir: str | Path, tracking_uri: str | None = None) -> str:
    """Import MLflow with telemetry off and point it at the resolved store; returns the URI."""
    _telemetry_off()
    import mlflow
    import mlflow.telemetry

    mlflow.telemetry.set_telemetry_client()  # re-reads the switch: no client when disabled
    uri = resolve_tracking_uri(data_dir, tracking_uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def experiment_for(name: str, uri: str, data_dir: str | Path) -> str:
    """The experiment id for ``name``; a new local experiment keeps artifacts in ``data_dir/mlartifacts``."""
    import mlflow

    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return str(exp.experiment_id)
    location = None
    if uri.startswith("sqlite:") or uri.startswith("file:"):
        art = Path(data_dir).resolve() / "mlartifacts"
        art.mkdir(parents=True, exist_ok=True)
        location = art.as_uri()
    return str(mlflow.create_experiment(name, artifact_location=location))


def _example_rows(X: np.ndarray, n: int = 2) -> np.ndarray:
    complete = X[~np.isnan(X).any(axis=1)]
    rows = complete[:n] if len(complete) else np.nan_to_num(X[:n])
    return np.ascontiguousarray(rows, dtype=np.float32)


def log_training_run(
    *,
    data_dir: str | Path,
    tracking_uri: str | None,
    experiment: str,
    run_name: str,
    registered_name: str,
    alias: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    curve: Iterable[float],
    onnx_model: Any,
    X_example: np.ndarray,
    artifacts: Mapping[str, str],
    tags: Mapping[str, str],
) -> TrackingInfo:
    """Log one run: parameters, metrics (and the validation curve by step), text artifacts, the
    ONNX model with signature and input example, registered as ``registered_name`` with ``alias``."""
    uri = configure_mlflow(data_dir, tracking_uri)
    import mlflow
    import mlflow.onnx
    import onnx
    import onnxruntime
    from mlflow.entities import Metric
    from mlflow.models import infer_signature

    client = mlflow.MlflowClient()
    exp_id = experiment_for(experiment, uri, data_dir)
    example = _example_rows(X_example)
    sess = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    out_name = sess.get_outputs()[0].name
    (proba,) = sess.run([out_name], {sess.get_inputs()[0].name: example})
    signature = infer_signature(example, proba)
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name, tags=dict(tags)) as run:
        run_id = run.info.run_id
        mlflow.log_params(
            {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in params.items()}
        )
        items = list(metrics.items())
        for i in range(0, len(items), 500):
            mlflow.log_metrics(dict(items[i : i + 500]))
        steps = [Metric("valid.log_loss_curve", float(v), 0, step) for step, v in enumerate(curve, start=1)]
        for i in range(0, len(steps), 500):
            client.log_batch(run_id, metrics=steps[i : i + 500])
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in artifacts.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            mlflow.log_artifacts(tmp)
        info = mlflow.onnx.log_model(
            onnx_model,
            name="model",
            signature=signature,
            input_example=example,
            registered_model_name=registered_name,
            save_as_external_data=False,
            onnx_execution_providers=["CPUExecutionProvider"],
            pip_requirements=[f"onnx=={onnx.__version__}", f"onnxruntime=={onnxruntime.__version__}"],
        )
    version = str(info.registered_model_version)
    client.set_registered_model_alias(registered_name, alias, version)
    return TrackingInfo(
        tracking_uri=uri,
        experiment_id=exp_id,
        run_id=run_id,
        model_name=registered_name,
        model_version=version,
        alias=alias,
    )


def log_pack(info: TrackingInfo, pack_dir: str | Path, data_dir: str | Path) -> None:
    """Attach the finished model pack folder to the run as artifacts under ``pack/``, and its model
    card (which names the registered version) at the top of the run's artifacts."""
    configure_mlflow(data_dir, info.tracking_uri)
    import mlflow

    client = mlflow.MlflowClient()
    client.log_artifacts(info.run_id, str(pack_dir), artifact_path="pack")
    client.log_artifact(info.run_id, str(Path(pack_dir) / "model_card.md"))
