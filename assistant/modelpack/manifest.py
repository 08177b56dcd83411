"""The manifest of a model pack (``manifest.json``): what the model is, what it expects and returns.

Plain dataclasses with ``to_dict``/``from_dict``; JSON only (no pickle anywhere).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

from ..features.spec import FeatureSpec, FeatureSpecError

__all__ = [
    "CARD_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "Calibration",
    "Label",
    "Manifest",
    "ManifestError",
]

FORMAT = "gp-assistant-modelpack"
FORMAT_VERSION = 1
MODEL_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "model_card.md"


class ManifestError(ValueError):
    """A manifest that is malformed; the message names the field."""


@dataclass(frozen=True)
class Label:
    """One output class of a model, in output order.

    ``id`` is the class id used in training data (for the diagnosis model the condition's ICD-10
    code); ``icd10`` is the ICD-10 code shown to the doctor (``None`` for non-diagnostic outputs such
    as a follow-up risk model's ``event`` class).
    """

    id: str
    name_zh: str
    name_en: str
    icd10: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "icd10": self.icd10, "name_zh": self.name_zh, "name_en": self.name_en}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Label:
        try:
            return cls(
                id=str(data["id"]),
                icd10=None if data.get("icd10") is None else str(data["icd10"]),
                name_zh=str(data["name_zh"]),
                name_en=str(data["name_en"]),
            )
        except (KeyError, TypeError) as exc:
            raise ManifestError(f"labels: each label needs id, name_zh, name_en (got {data!r})") from exc


@dataclass(frozen=True)
class Calibration:
    """Post-hoc calibration applied *inside* the ONNX graph (the runtime does nothing extra).

    ``method`` is ``"temperature"`` (logits divided by ``temperature`` before the softmax) or
    ``"none"``. ``ece_before``/``ece_after`` are the expected calibration errors measured on the
    selection split that decided whether to keep it.
    """

    method: str = "none"
    temperature: float = 1.0
    ece_before: float | None = None
    ece_after: float | None = None

    def __post_init__(self) -> None:
        if self.method not in ("none", "temperature"):
            raise ManifestError(f"calibration.method: unknown method {self.method!r}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ManifestError(f"calibration.temperature: must be a positive number, got {self.temperature}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "temperature": self.temperature,
            "ece_before": self.ece_before,
            "ece_after": self.ece_after,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            method=str(data.get("method", "none")),
            temperature=float(data.get("temperature", 1.0)),
            ece_before=data.get("ece_before"),
            ece_after=data.get("ece_after"),
        )


@dataclass(frozen=True)
class Manifest:
    """Everything about a pack except the ONNX bytes and the card text."""

    name: str
    kind: str
    version: str
    created: _dt.date
    onnx_sha256: str
    features: FeatureSpec
    labels: tuple[Label, ...]
    calibration: Calibration = field(default_factory=Calibration)
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    mlflow: dict[str, Any] | None = None
    input_name: str = "features"
    output_name: str = "probabilities"

    def __post_init__(self) -> None:
        if not self.labels:
            raise ManifestError("labels: a model has at least one output class")
        ids = [label.id for label in self.labels]
        if len(set(ids)) != len(ids):
            raise ManifestError("labels: duplicate class ids")
        if len(self.onnx_sha256) != 64:
            raise ManifestError("onnx.sha256: not a hex sha256")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "created": self.created.isoformat(),
            "onnx": {
                "file": MODEL_FILE,
                "sha256": self.onnx_sha256,
                "input": self.input_name,
                "output": self.output_name,
            },
            "features": self.features.to_dict(),
            "labels": [label.to_dict() for label in self.labels],
            "calibration": self.calibration.to_dict(),
            "metrics": self.metrics,
            "training": self.training,
            "mlflow": self.mlflow,
            "card": CARD_FILE,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if not isinstance(data, dict):
            raise ManifestError("not a JSON object")
        if data.get("format") != FORMAT:
            raise ManifestError(f"format: expected {FORMAT!r}, found {data.get('format')!r}")
        if data.get("format_version") != FORMAT_VERSION:
            raise ManifestError(
                f"format_version: this program reads version {FORMAT_VERSION}, found {data.get('format_version')!r}"
            )
        try:
            onnx = data["onnx"]
            created = _dt.date.fromisoformat(str(data["created"]))
            features = FeatureSpec.from_dict(data["features"])
            return cls(
                name=str(data["name"]),
                kind=str(data["kind"]),
                version=str(data["version"]),
                created=created,
                onnx_sha256=str(onnx["sha256"]),
                input_name=str(onnx.get("input", "features")),
                output_name=str(onnx.get("output", "probabilities")),
                features=features,
                labels=tuple(Label.from_dict(x) for x in data["labels"]),
                calibration=Calibration.from_dict(data.get("calibration") or {}),
                metrics=dict(data.get("metrics") or {}),
                training=dict(data.get("training") or {}),
                mlflow=data.get("mlflow"),
            )
        except KeyError as exc:
            raise ManifestError(f"missing field {exc.args[0]!r}") from exc
        except FeatureSpecError as exc:
            raise ManifestError(f"features: {exc}") from exc
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ManifestError):
                raise
            raise ManifestError(str(exc)) from exc
