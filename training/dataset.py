"""The training matrix handed to the pipeline: features, labels, label map, subgroups, posterior."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from assistant.features import FeatureSpec
from assistant.modelpack import Label

__all__ = ["TrainingSet"]


@dataclass(frozen=True)
class TrainingSet:
    """What any data source (the synthetic generator, a data scientist's table) provides.

    ``X``: float32 ``(n, len(spec))``, NaN for missing values. ``y``: int class index in
    ``0 … len(labels)-1``. ``groups``: subgroup arrays for per-group metrics (e.g. ``age_band``,
    ``sex``), each of length ``n``. ``bayes_posterior``: the exact ``P(class | x)`` when the data
    come from a known generative model, ``(n, len(labels))``, else ``None``. ``source`` describes the
    data for the model card.
    """

    X: np.ndarray
    y: np.ndarray
    spec: FeatureSpec
    labels: tuple[Label, ...]
    groups: Mapping[str, np.ndarray] = field(default_factory=dict)
    bayes_posterior: np.ndarray | None = None
    source: str = "unspecified"

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float32)
        y = np.asarray(self.y)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "labels", tuple(self.labels))
        if X.ndim != 2 or X.shape[1] != len(self.spec):
            raise ValueError(f"X must be (n, {len(self.spec)}) to match the feature spec, got {X.shape}")
        if np.isinf(X).any():
            raise ValueError("X contains ±inf; use NaN for missing values")
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must be an integer vector of length {X.shape[0]}, got {y.dtype} {y.shape}")
        k = len(self.labels)
        if k < 2:
            raise ValueError("need at least 2 labels")
        if y.size and (y.min() < 0 or y.max() >= k):
            raise ValueError(f"y must hold class indexes 0…{k - 1} (one per label)")
        object.__setattr__(self, "y", y.astype(np.int64))
        groups = {str(name): np.asarray(values) for name, values in self.groups.items()}
        for name, values in groups.items():
            if values.shape != (X.shape[0],):
                raise ValueError(f"group {name!r} must have one value per row")
        object.__setattr__(self, "groups", groups)
        if self.bayes_posterior is not None:
            post = np.asarray(self.bayes_posterior, dtype=np.float64)
            if post.shape != (X.shape[0], k):
                raise ValueError(f"bayes_posterior must be (n, {k}), got {post.shape}")
            object.__setattr__(self, "bayes_posterior", post)

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    def __len__(self) -> int:
        return int(self.X.shape[0])
