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

    A training prior different from the deployment prior (rare classes topped up): ``train_only``
    marks rows that go into the training split only (valid / calib / test keep the natural
    prior); the model's logits are then corrected by a per-class log bias added before the
    temperature and the softmax. Give either ``class_prior`` (the natural class frequencies
    ``π``, e.g. the generator's average prior; the bias is derived after the split, see
    :meth:`log_bias_for`) or ``class_log_bias`` itself. Without train-only rows and without a
    bias nothing changes.
    """

    X: np.ndarray
    y: np.ndarray
    spec: FeatureSpec
    labels: tuple[Label, ...]
    groups: Mapping[str, np.ndarray] = field(default_factory=dict)
    bayes_posterior: np.ndarray | None = None
    source: str = "unspecified"
    train_only: np.ndarray | None = None
    class_prior: np.ndarray | None = None
    class_log_bias: np.ndarray | None = None

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
        if self.train_only is not None:
            mask = np.asarray(self.train_only)
            if mask.shape != (X.shape[0],) or mask.dtype != np.bool_:
                raise ValueError(f"train_only must be a bool vector of length {X.shape[0]}")
            object.__setattr__(self, "train_only", mask)
        if self.class_prior is not None:
            prior = np.asarray(self.class_prior, dtype=np.float64)
            if prior.shape != (k,) or not np.isfinite(prior).all() or (prior < 0).any():
                raise ValueError(f"class_prior must be {k} non-negative numbers")
            if not abs(prior.sum() - 1.0) < 1e-6:
                raise ValueError(f"class_prior must sum to 1, got {prior.sum():.6g}")
            object.__setattr__(self, "class_prior", prior)
        if self.class_log_bias is not None:
            bias = np.asarray(self.class_log_bias, dtype=np.float64)
            if bias.shape != (k,) or not np.isfinite(bias).all():
                raise ValueError(f"class_log_bias must be {k} finite numbers")
            object.__setattr__(self, "class_log_bias", bias)
        if self.n_train_only and self.class_prior is None and self.class_log_bias is None:
            raise ValueError(
                "train_only rows change the class frequencies the model learns: give class_prior "
                "(natural class frequencies) or class_log_bias to correct for them"
            )

    @property
    def n_train_only(self) -> int:
        """Number of rows marked ``train_only``."""
        return 0 if self.train_only is None else int(self.train_only.sum())

    @property
    def natural(self) -> np.ndarray:
        """Bool mask of the rows drawn with the natural (deployment) prior."""
        return np.ones(len(self), dtype=bool) if self.train_only is None else ~self.train_only

    def log_bias_for(self, train_rows: np.ndarray) -> np.ndarray | None:
        """The per-class log bias for a model trained on ``train_rows`` (indexes), or ``None``.

        ``class_log_bias`` when given; else, with ``class_prior`` π and train-only rows,
        ``b_k = log(E_k / (E_k + extra_k))`` with ``E_k = n_natural_train · π_k`` the expected
        natural count of class k in the training rows and ``extra_k`` its train-only rows there:
        the training rows hold ``P(x | k)·(E_k + extra_k)`` where the deployment prior has
        ``P(x | k)·E_k``, so adding ``b_k`` to the logits restores the natural posterior.
        Classes without extra rows get exactly 0.
        """
        if self.class_log_bias is not None:
            return self.class_log_bias
        if self.train_only is None or self.class_prior is None:
            return None
        rows = np.asarray(train_rows)
        extra_rows = rows[self.train_only[rows]]
        if len(extra_rows) == 0:
            return None
        n_natural = len(rows) - len(extra_rows)
        extra = np.bincount(self.y[extra_rows], minlength=self.n_classes).astype(np.float64)
        expected = n_natural * self.class_prior
        if ((extra > 0) & (expected <= 0)).any():
            bad = [self.labels[i].id for i in np.flatnonzero((extra > 0) & (expected <= 0))]
            raise ValueError(f"train-only rows of classes with no natural prior: {bad[:10]}")
        bias = np.zeros(self.n_classes)
        has = extra > 0
        bias[has] = np.log(expected[has] / (expected[has] + extra[has]))
        return bias

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    def __len__(self) -> int:
        return int(self.X.shape[0])
