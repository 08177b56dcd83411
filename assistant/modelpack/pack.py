"""Loading a model pack and running it: one onnxruntime session, checked before use."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ..features.spec import FeatureSpec
from .errors import ModelPackError
from .manifest import CARD_FILE, MANIFEST_FILE, MODEL_FILE, Label, Manifest, ManifestError

__all__ = ["ModelPack", "load_pack", "sha256_bytes"]


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, eq=False)
class ModelPack:
    """A loaded, verified model pack. Create it with :func:`load_pack`."""

    path: Path
    manifest: Manifest
    session: ort.InferenceSession

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def sha256(self) -> str:
        """sha256 of ``model.onnx`` (verified at load time)."""
        return self.manifest.onnx_sha256

    @property
    def feature_spec(self) -> FeatureSpec:
        return self.manifest.features

    @property
    def labels(self) -> tuple[Label, ...]:
        return self.manifest.labels

    def describe(self) -> dict[str, str]:
        """``name``, ``version`` and ``sha256``, as reported in an assessment's ``model`` field."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def card(self) -> str:
        """The model card (markdown)."""
        return (self.path / CARD_FILE).read_text(encoding="utf-8")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, columns in :attr:`labels` order.

        ``X`` is one feature vector ``(n_features,)`` or a matrix ``(n, n_features)`` laid out as
        :attr:`feature_spec`; NaN marks a missing value. Returns float32 ``(n, n_labels)``.
        """
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 1:
            X = X[None, :]
        n_features = len(self.manifest.features)
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(f"expected feature matrix with {n_features} columns, got shape {X.shape}")
        X = np.ascontiguousarray(X)
        (proba,) = self.session.run([self.manifest.output_name], {self.manifest.input_name: X})
        return proba


def _fail(path: Path, file: str, en: str, zh: str) -> ModelPackError:
    return ModelPackError(str(path), file, en, zh)


def _read_manifest(path: Path) -> Manifest:
    file = path / MANIFEST_FILE
    if not file.is_file():
        raise _fail(
            path,
            MANIFEST_FILE,
            "file not found (is this a model pack folder?)",
            "文件不存在（这是模型包目录吗？）",
        )
    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, MANIFEST_FILE, f"not valid JSON: {exc}", f"不是有效的 JSON：{exc}") from exc
    try:
        return Manifest.from_dict(data)
    except ManifestError as exc:
        raise _fail(path, MANIFEST_FILE, f"invalid manifest: {exc}", f"清单无效：{exc}") from exc


def _static_dim(shape: list[Any], axis: int) -> int | None:
    return shape[axis] if len(shape) > axis and isinstance(shape[axis], int) else None


def load_pack(
    path: str | Path,
    *,
    expected_spec: FeatureSpec | None = None,
    threads: int = 1,
) -> ModelPack:
    """Load the pack in folder ``path`` after checking it can be trusted.

    Checks, in order: the manifest is valid; ``model.onnx`` exists and its sha256 equals the
    manifest's; the manifest's feature spec is self-consistent and, when ``expected_spec`` is given
    (the spec the running encoder produces), identical to it; the ONNX graph's input width and
    output width match the spec and the labels. Any failure raises :class:`ModelPackError` naming
    the file and what was expected versus found. ``threads`` sets onnxruntime's intra-op threads.
    """
    path = Path(path)
    if not path.is_dir():
        raise _fail(path, ".", "folder not found", "目录不存在")
    manifest = _read_manifest(path)

    model_file = path / MODEL_FILE
    if not model_file.is_file():
        raise _fail(path, MODEL_FILE, "file not found", "文件不存在")
    blob = model_file.read_bytes()
    found = sha256_bytes(blob)
    if found != manifest.onnx_sha256:
        raise _fail(
            path,
            MODEL_FILE,
            f"sha256 mismatch: manifest expects {manifest.onnx_sha256}, file has {found} "
            "(the model file was changed or corrupted; reinstall or promote the pack again)",
            f"sha256 校验失败：清单要求 {manifest.onnx_sha256}，文件实际为 {found}（模型文件被修改或损坏，请重新安装或重新发布）",
        )

    spec = manifest.features
    if expected_spec is not None and expected_spec.sha256 != spec.sha256:
        raise _fail(
            path,
            MANIFEST_FILE,
            f"feature spec mismatch: the program expects spec {expected_spec.version!r} "
            f"(sha256 {expected_spec.sha256[:12]}…, {len(expected_spec)} features), the pack was trained on "
            f"{spec.version!r} (sha256 {spec.sha256[:12]}…, {len(spec)} features): {expected_spec.diff(spec)}. "
            "Retrain the model or install the matching program version",
            f"特征规格不一致：程序需要 {expected_spec.version!r}（{len(expected_spec)} 个特征），"
            f"模型包训练时使用 {spec.version!r}（{len(spec)} 个特征）。请重新训练模型或安装匹配的程序版本",
        )

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise _fail(
            path, MODEL_FILE, f"onnxruntime cannot load the model: {exc}", f"onnxruntime 无法加载模型：{exc}"
        ) from exc

    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if manifest.input_name not in inputs or manifest.output_name not in outputs:
        raise _fail(
            path,
            MODEL_FILE,
            f"graph has inputs {sorted(inputs)} and outputs {sorted(outputs)}, manifest expects input "
            f"{manifest.input_name!r} and output {manifest.output_name!r}",
            "模型的输入/输出名称与清单不一致",
        )
    width = _static_dim(inputs[manifest.input_name].shape, 1)
    if width is not None and width != len(spec):
        raise _fail(
            path,
            MODEL_FILE,
            f"model expects {width} features, the feature spec lists {len(spec)}",
            f"模型需要 {width} 个特征，特征规格列出 {len(spec)} 个",
        )
    n_out = _static_dim(outputs[manifest.output_name].shape, 1)
    if n_out is not None and n_out != len(manifest.labels):
        raise _fail(
            path,
            MODEL_FILE,
            f"model returns {n_out} classes, the manifest lists {len(manifest.labels)} labels",
            f"模型输出 {n_out} 个类别，清单列出 {len(manifest.labels)} 个标签",
        )
    return ModelPack(path=path, manifest=manifest, session=session)
