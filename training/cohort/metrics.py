"""Metrics of a binary risk: discrimination (ROC AUC) and calibration (ECE of P(event), Brier,
reliability table), overall and by subgroup, plus simple rule baselines to compare against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ..metrics import by_subgroup

__all__ = [
    "baseline_scores",
    "brier",
    "event_ece",
    "reliability",
    "risk_metrics",
    "roc_auc",
]


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve; ``None`` when only one class is present."""
    y = np.asarray(y)
    if y.size == 0 or np.unique(y).size < 2:
        return None
    return float(roc_auc_score(y, np.asarray(p, dtype=np.float64)))


def event_ece(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> float:
    """Expected calibration error of P(event) itself: equal-width bins of the predicted risk,
    Σ_b (n_b/n)·|observed rate_b − mean predicted_b|."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        m = bins == b
        total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return float(total)


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Binary Brier score: mean (p − y)² (0 best; the base rate alone scores rate·(1 − rate))."""
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


def reliability(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> list[dict[str, float]]:
    """Reliability table in deciles (equal-count bins) of predicted risk: n, mean predicted, observed."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, n_bins):
        if part.size:
            out.append(
                {"n": int(part.size), "predicted": float(p[part].mean()), "observed": float(y[part].mean())}
            )
    return out


def _summary(y: np.ndarray, p: np.ndarray, n_bins: int) -> dict[str, Any]:
    rate = float(np.mean(y)) if len(y) else float("nan")
    b = brier(y, p)
    ref = rate * (1 - rate)
    return {
        "n": int(len(y)),
        "base_rate": rate,
        "mean_predicted": float(np.mean(p)) if len(p) else float("nan"),
        "auc": roc_auc(y, p),
        "ece": event_ece(y, p, n_bins=n_bins),
        "brier": b,
        "brier_skill": float(1 - b / ref) if ref > 0 else None,
    }


def risk_metrics(
    y: np.ndarray,
    p: np.ndarray,
    *,
    groups: Mapping[str, np.ndarray] | None = None,
    n_bins: int = 10,
    min_group_size: int = 100,
) -> dict[str, Any]:
    """Overall summary (``n``, ``base_rate``, ``mean_predicted``, ``auc``, ``ece``, ``brier``,
    ``brier_skill`` = 1 − Brier / Brier of the base rate), the decile ``reliability`` table and the
    summary by subgroup (groups smaller than ``min_group_size``: ``n`` only)."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    out = _summary(y, p, n_bins)
    out["reliability"] = reliability(y, p, n_bins=n_bins)
    out["subgroups"] = by_subgroup(groups, lambda m: _summary(y[m], p[m], n_bins), min_group_size)
    return out


def baseline_scores(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """Scores a person could compute by hand from the feature table, to compare the model with:

    - ``off_target_last``: off target at the last visit (1), unknown or never seen (0.5), on target (0);
    - ``days_since_last_visit``: longer is riskier (never seen: days enrolled);
    - ``rule``: off target last time, or not seen for more than 90 days (the protocol's view).
    """
    off = features["off_target_last"].to_numpy(dtype=float)
    days = features["days_since_last_visit"].to_numpy(dtype=float)
    days = np.where(np.isnan(days), features["days_enrolled"].to_numpy(dtype=float), days)
    off_score = np.where(np.isnan(off), 0.5, off)
    return {
        "off_target_last": off_score,
        "days_since_last_visit": np.nan_to_num(days, nan=0.0),
        "rule": np.maximum(off_score, (np.nan_to_num(days) > 90).astype(float)),
    }
