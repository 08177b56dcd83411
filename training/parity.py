"""Parity: the ONNX graph must give LightGBM's (calibrated) probabilities, or training fails."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import onnxruntime as ort

from .calibrate import softmax
from .export import INPUT_NAME, OUTPUT_NAME
from .fit import raw_logits

__all__ = ["ParityError", "ParityReport", "check_parity", "with_missing"]


class ParityError(RuntimeError):
    """ONNX and LightGBM disagree by more than the tolerance."""


@dataclass(frozen=True)
class ParityReport:
    rows: int
    nan_rows: int
    max_abs_diff: float
    max_abs_diff_missing: float
    tolerance: float

    def to_dict(self) -> dict[str, float]:
        return {
            "rows": self.rows,
            "nan_rows": self.nan_rows,
            "max_abs_diff": self.max_abs_diff,
            "max_abs_diff_missing": self.max_abs_diff_missing,
            "tolerance": self.tolerance,
        }


def with_missing(X: np.ndarray, rows: int, rate: float, seed: int) -> np.ndarray:
    """A copy of up to ``rows`` rows of ``X`` with a share ``rate`` of the cells set to NaN."""
    rng = np.random.default_rng(seed)
    take = X[rng.choice(len(X), size=min(rows, len(X)), replace=False)].copy()
    take[rng.random(take.shape) < rate] = np.nan
    return take


def _session(onnx_bytes: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(onnx_bytes, opts, providers=["CPUExecutionProvider"])


def _max_diff(
    sess: ort.InferenceSession,
    booster: lgb.Booster,
    temperature: float,
    X: np.ndarray,
    class_log_bias: np.ndarray | None,
) -> float:
    if len(X) == 0:
        return 0.0
    X = np.ascontiguousarray(X, dtype=np.float32)
    logits = raw_logits(booster, X)
    if class_log_bias is not None:
        logits = logits + np.asarray(class_log_bias, dtype=np.float64)[None, :]
    expected = softmax(logits, temperature)
    (got,) = sess.run([OUTPUT_NAME], {INPUT_NAME: X})
    if got.shape != expected.shape:
        raise ParityError(f"ONNX returns shape {got.shape}, LightGBM {expected.shape}")
    diff = np.abs(got.astype(np.float64) - expected)
    return float(np.nan_to_num(diff, nan=np.inf).max())


def check_parity(
    onnx_bytes: bytes,
    booster: lgb.Booster,
    temperature: float,
    X: np.ndarray,
    *,
    rows: int = 10_000,
    nan_rows: int = 2_000,
    tolerance: float = 1e-5,
    seed: int = 0,
    class_log_bias: np.ndarray | None = None,
) -> ParityReport:
    """Max |p_onnx − p_lightgbm| on up to ``rows`` rows of ``X`` and on ``nan_rows`` copies with 10%
    of the values blanked out; raises :class:`ParityError` when either exceeds ``tolerance``.

    LightGBM's side is ``softmax((raw + class_log_bias) / temperature)`` (bias when given)."""
    sess = _session(onnx_bytes)
    X = np.asarray(X, dtype=np.float32)
    sample = X[:rows]
    missing = with_missing(X, nan_rows, 0.1, seed) if nan_rows else X[:0]
    report = ParityReport(
        rows=len(sample),
        nan_rows=len(missing),
        max_abs_diff=_max_diff(sess, booster, temperature, sample, class_log_bias),
        max_abs_diff_missing=_max_diff(sess, booster, temperature, missing, class_log_bias),
        tolerance=tolerance,
    )
    worst = max(report.max_abs_diff, report.max_abs_diff_missing)
    if not worst <= tolerance:
        raise ParityError(
            f"ONNX probabilities differ from LightGBM by up to {worst:.3g} (tolerance {tolerance:g}) "
            f"on {report.rows} rows and {report.nan_rows} rows with missing values; the export is wrong"
        )
    return report
