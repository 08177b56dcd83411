"""Promotion: copy a registered model version's pack from MLflow into ``models/<name>/``.

The pack logged with the run (``pack/`` artifacts) is downloaded, checked with the runtime loader
(sha256 and feature spec), checked against the registered ONNX model (same bytes), and written
atomically into the models folder; the written folder is loaded once more before returning.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from assistant.features import FeatureSpec
from assistant.modelpack import (
    CARD_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    Manifest,
    ModelPack,
    load_pack,
    sha256_bytes,
    write_pack,
)

from .tracking import DEFAULT_ALIAS, configure_mlflow

__all__ = ["PromoteError", "promote"]


class PromoteError(RuntimeError):
    """The registered version cannot be promoted; the message says why."""


def promote(
    models_dir: str | Path,
    name: str = "diagnosis",
    *,
    alias: str = DEFAULT_ALIAS,
    version: str | None = None,
    data_dir: str | Path = "data",
    tracking_uri: str | None = None,
    expected_spec: FeatureSpec | None = None,
) -> ModelPack:
    """Write registered model ``name`` (by ``version``, else by ``alias``) into ``models_dir/name``.

    ``expected_spec`` (the spec the current encoder produces) makes promotion refuse a model trained
    on another feature layout. Returns the loaded pack from its new place.
    """
    uri = configure_mlflow(data_dir, tracking_uri)
    import mlflow
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        mv = (
            client.get_model_version(name, version)
            if version
            else client.get_model_version_by_alias(name, alias)
        )
    except MlflowException as exc:
        which = f"version {version}" if version else f"alias {alias!r}"
        raise PromoteError(f"no registered model {name!r} with {which} in {uri}: {exc.message}") from exc
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=mv.run_id, artifact_path="pack", dst_path=f"{tmp}/run"
                )
            )
        except MlflowException as exc:
            raise PromoteError(
                f"run {mv.run_id} of {name} version {mv.version} has no pack/ artifacts"
            ) from exc
        pack = load_pack(local, expected_spec=expected_spec)
        if pack.version != str(mv.version) or pack.name != name:
            raise PromoteError(
                f"pack in run {mv.run_id} is {pack.name!r} version {pack.version}, registry says {name!r} version {mv.version}"
            )
        registered = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{mv.version}", dst_path=f"{tmp}/model"
            )
        )
        onnx_files = list(registered.rglob("*.onnx"))
        if len(onnx_files) != 1 or sha256_bytes(onnx_files[0].read_bytes()) != pack.sha256:
            raise PromoteError(
                f"the registered ONNX model of {name} version {mv.version} differs from the pack's model.onnx"
            )
        manifest = Manifest.from_dict(json.loads((local / MANIFEST_FILE).read_text(encoding="utf-8")))
        target = write_pack(
            Path(models_dir) / name,
            (local / MODEL_FILE).read_bytes(),
            manifest,
            (local / CARD_FILE).read_text(encoding="utf-8"),
        )
    return load_pack(target, expected_spec=expected_spec)
