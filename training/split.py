"""Stratified train / valid / calib / test split (every class in every split when it has enough cases)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split", "stratified_split"]


@dataclass(frozen=True)
class Split:
    """Row indexes of the four disjoint parts."""

    train: np.ndarray
    valid: np.ndarray
    calib: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {k: int(len(getattr(self, k))) for k in ("train", "valid", "calib", "test")}


def stratified_split(
    y: np.ndarray,
    *,
    valid: float,
    calib: float,
    test: float,
    seed: int,
    min_per_class: int = 10,
    train_only: np.ndarray | None = None,
) -> Split:
    """Split rows class by class so each part keeps the class proportions.

    Each class's held-out counts are rounded down, so a rare class keeps its cases in training.
    Raises ``ValueError`` naming the classes with fewer than ``min_per_class`` cases: a model cannot
    learn (or be evaluated on) a class it has barely seen.

    Rows marked in ``train_only`` (e.g. rare classes topped up beyond their natural frequency) all
    go into the training split and count towards ``min_per_class``; only the other rows are
    split, so valid / calib / test keep the natural class proportions. Without train-only rows
    the split is the same as without the argument.
    """
    y = np.asarray(y)
    natural = np.ones(len(y), dtype=bool)
    if train_only is not None:
        mask = np.asarray(train_only, dtype=bool)
        if mask.shape != y.shape:
            raise ValueError("train_only must have one value per row")
        natural = ~mask
    counts = np.bincount(y) if y.size else np.zeros(0, dtype=int)
    rare = [int(k) for k in np.flatnonzero(counts < min_per_class)]
    if rare:
        raise ValueError(
            f"{len(rare)} class(es) have fewer than {min_per_class} cases: indexes {rare[:20]}"
            f"{' …' if len(rare) > 20 else ''}; add data or drop these labels"
        )
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "valid": [], "calib": [], "test": []}
    for k in range(len(counts)):
        idx = rng.permutation(np.flatnonzero((y == k) & natural))
        n = len(idx)
        n_va, n_ca, n_te = (int(np.floor(n * f)) for f in (valid, calib, test))
        parts["valid"].append(idx[:n_va])
        parts["calib"].append(idx[n_va : n_va + n_ca])
        parts["test"].append(idx[n_va + n_ca : n_va + n_ca + n_te])
        parts["train"].append(idx[n_va + n_ca + n_te :])
        parts["train"].append(np.flatnonzero((y == k) & ~natural))
    return Split(**{name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()})
