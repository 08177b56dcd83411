"""Temperature scaling: one scalar T, logits / T before the softmax; kept only when it lowers ECE."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from assistant.modelpack import Calibration

from .metrics import expected_calibration_error

__all__ = ["choose_calibration", "fit_temperature", "log_softmax", "softmax"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` in float64."""
    return np.exp(log_softmax(np.asarray(logits, dtype=np.float64) / temperature))


def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    return float(-log_softmax(logits / temperature)[np.arange(len(y)), y].mean())


def fit_temperature(
    logits: np.ndarray, y: np.ndarray, *, bounds: tuple[float, float] = (0.05, 20.0)
) -> float:
    """The temperature minimising the negative log-likelihood of ``y`` (searched on log T)."""
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    res = minimize_scalar(
        lambda log_t: _nll(logits, y, math.exp(log_t)),
        bounds=(math.log(bounds[0]), math.log(bounds[1])),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(math.exp(res.x))


def choose_calibration(
    fit_logits: np.ndarray,
    fit_y: np.ndarray,
    select_logits: np.ndarray,
    select_y: np.ndarray,
    *,
    n_bins: int = 15,
) -> Calibration:
    """Fit T on one split, then keep it only if it lowers the ECE on another split.

    Using a separate selection split keeps the decision honest (T was not fitted there); the test
    split stays untouched for the final evaluation.
    """
    t = fit_temperature(fit_logits, fit_y)
    before = expected_calibration_error(softmax(select_logits), select_y, n_bins=n_bins)
    after = expected_calibration_error(softmax(select_logits, t), select_y, n_bins=n_bins)
    if after < before:
        return Calibration(method="temperature", temperature=t, ece_before=before, ece_after=after)
    return Calibration(method="none", temperature=1.0, ece_before=before, ece_after=after)
