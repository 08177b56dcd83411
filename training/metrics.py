"""Evaluation of class probabilities: top-k accuracy, macro-F1, ECE, Brier, log-loss, per-class
recall, the same by subgroup, and against the Bayes-optimal predictor when its posterior is known."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

__all__ = [
    "brier_score",
    "evaluate",
    "expected_calibration_error",
    "flatten_metrics",
    "log_loss",
    "top_k_accuracy",
]


def top_k_accuracy(proba: np.ndarray, y: np.ndarray, k: int) -> float:
    """Share of rows whose true class is among the ``k`` most probable (ties broken by column)."""
    k = min(k, proba.shape[1])
    top = np.argpartition(-proba, k - 1, axis=1)[:, :k]
    return float((top == np.asarray(y)[:, None]).any(axis=1).mean())


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, *, n_bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins: Σ_b (n_b/n)·|accuracy_b − confidence_b|."""
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == np.asarray(y)).astype(np.float64)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    n = len(conf)
    total = 0.0
    for b in np.unique(bins):
        m = bins == b
        total += m.sum() / n * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def brier_score(proba: np.ndarray, y: np.ndarray) -> float:
    """Multiclass Brier score: mean over rows of Σ_k (p_k − [y = k])² (0 best, 2 worst)."""
    p = np.asarray(proba, dtype=np.float64)
    sq = (p * p).sum(axis=1) - 2.0 * p[np.arange(len(y)), y] + 1.0
    return float(sq.mean())


def log_loss(proba: np.ndarray, y: np.ndarray, eps: float = 1e-15) -> float:
    p = np.clip(np.asarray(proba, dtype=np.float64)[np.arange(len(y)), y], eps, 1.0)
    return float(-np.log(p).mean())


def _summary(proba: np.ndarray, y: np.ndarray, n_bins: int) -> dict[str, float]:
    pred = proba.argmax(axis=1)
    return {
        "n": int(len(y)),
        "top1": top_k_accuracy(proba, y, 1),
        "top3": top_k_accuracy(proba, y, 3),
        "top5": top_k_accuracy(proba, y, 5),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "ece": expected_calibration_error(proba, y, n_bins=n_bins),
        "brier": brier_score(proba, y),
        "log_loss": log_loss(proba, y),
    }


def by_subgroup(
    groups: Mapping[str, Any] | None,
    summarize: Callable[[np.ndarray], dict[str, Any]],
    min_group_size: int,
) -> dict[str, dict[str, Any]]:
    """``summarize(mask)`` for every value of every group array (``{"n": …}`` only for groups
    smaller than ``min_group_size``), keyed by group name, then value."""
    out: dict[str, dict[str, Any]] = {}
    for name, values in (groups or {}).items():
        values = np.asarray(values)
        out[name] = {}
        for v in sorted(np.unique(values).tolist(), key=str):
            m = values == v
            out[name][str(v)] = summarize(m) if m.sum() >= min_group_size else {"n": int(m.sum())}
    return out


def evaluate(
    proba: np.ndarray,
    y: np.ndarray,
    label_ids: Sequence[str],
    *,
    groups: Mapping[str, np.ndarray] | None = None,
    bayes_posterior: np.ndarray | None = None,
    n_bins: int = 15,
    min_group_size: int = 30,
) -> dict[str, Any]:
    """All metrics for probabilities ``proba`` ``(n, K)`` against true class indexes ``y``.

    Returns a JSON-ready dict: the overall summary (``top1``, ``top3``, ``top5``, ``macro_f1``,
    ``ece``, ``brier``, ``log_loss``, ``n``); ``per_class`` recall (top-1 and top-3) and support per
    label id; ``subgroups`` (summary per value of each group array, groups smaller than
    ``min_group_size`` reported with ``n`` only); and, when ``bayes_posterior`` is given, ``bayes``:
    the same summary for the Bayes-optimal predictor plus how far the model is from it
    (``mean_tv_distance``: mean total-variation distance, ``top1_agreement``, ``kl_bayes_model``).
    """
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    out: dict[str, Any] = _summary(proba, y, n_bins)
    pred = proba.argmax(axis=1)
    k3 = min(3, proba.shape[1])
    top3 = np.argpartition(-proba, k3 - 1, axis=1)[:, :k3]
    per_class: dict[str, dict[str, Any]] = {}
    for k, label in enumerate(label_ids):
        m = y == k
        n = int(m.sum())
        per_class[label] = {
            "n": n,
            "recall": float((pred[m] == k).mean()) if n else None,
            "recall_top3": float((top3[m] == k).any(axis=1).mean()) if n else None,
        }
    out["per_class"] = per_class
    out["subgroups"] = by_subgroup(groups, lambda m: _summary(proba[m], y[m], n_bins), min_group_size)
    if bayes_posterior is not None:
        post = np.asarray(bayes_posterior, dtype=np.float64)
        bayes: dict[str, Any] = _summary(post, y, n_bins)
        bayes["mean_tv_distance"] = float(0.5 * np.abs(post - proba).sum(axis=1).mean())
        bayes["top1_agreement"] = float((post.argmax(axis=1) == pred).mean())
        safe_p = np.clip(proba, 1e-15, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(post > 0, post * (np.log(np.clip(post, 1e-300, 1.0)) - np.log(safe_p)), 0.0)
        bayes["kl_bayes_model"] = float(kl.sum(axis=1).mean())
        out["bayes"] = bayes
    return out


_BAD = re.compile(r"[^\w.\-/ :]")


def _clean(name: str) -> str:
    return _BAD.sub("_", name)


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested metrics → flat ``{"a.b.c": value}`` with MLflow-safe names, finite numbers only."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}.{_clean(str(key))}" if prefix else _clean(str(key))
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, name))
        elif (
            isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool)
            and np.isfinite(value)
        ):
            flat[name] = float(value)
    return flat
