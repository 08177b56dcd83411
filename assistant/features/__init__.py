"""Features: the spec shared by training and runtime (the encounter encoder joins it here)."""

from __future__ import annotations

from .spec import FeatureSpec, FeatureSpecError

__all__ = ["FeatureSpec", "FeatureSpecError"]

from .encode import (  # noqa: E402 - the encoder's exports, appended after the spec's
    FEATURE_VERSION,
    DiagnosisEncoder,
    EncodedBatch,
    FindingRules,
    diagnosis_feature_spec,
    encode_batch,
    encode_encounters,
    encoder_for,
    explicit_findings,
    resolve_findings,
)

__all__ += [
    "FEATURE_VERSION",
    "DiagnosisEncoder",
    "EncodedBatch",
    "FindingRules",
    "diagnosis_feature_spec",
    "encode_batch",
    "encode_encounters",
    "encoder_for",
    "explicit_findings",
    "resolve_findings",
]
