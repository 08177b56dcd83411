"""Fitting LightGBM: locally with early stopping, or on a Dask cluster with ``lightgbm.dask``.

Both engines return a plain :class:`lightgbm.Booster` cut at its best iteration, so calibration,
evaluation and export do not care where it was trained.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np

from .calibrate import log_softmax
from .config import TrainConfig

__all__ = ["FitResult", "fit_dask", "fit_local", "raw_logits", "soft_label_rows", "validation_curve"]


@dataclass(frozen=True)
class FitResult:
    """A booster cut at ``best_iteration`` plus how it got there."""

    booster: lgb.Booster
    best_iteration: int
    rounds_trained: int
    engine: str
    seconds: float
    valid_curve: list[float] = field(default_factory=list)  # validation log-loss per round

    @property
    def model_text(self) -> str:
        """LightGBM's own text format (no pickle), for the record."""
        return self.booster.model_to_string()


def raw_logits(booster: lgb.Booster, X: np.ndarray, **predict: Any) -> np.ndarray:
    """Per-class logits ``(n, K)`` in float64; a binary model gives ``[0, margin]``. ``predict``:
    more arguments of ``Booster.predict`` (e.g. one round: ``start_iteration``, ``num_iteration``)."""
    raw = np.asarray(booster.predict(X, raw_score=True, **predict), dtype=np.float64)
    if raw.ndim == 1:
        raw = np.column_stack([np.zeros_like(raw), raw])
    return raw


def soft_label_rows(
    X: np.ndarray, y: np.ndarray, posterior: np.ndarray, min_prob: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows for training on soft labels: each row once per class with ``posterior >= min_prob``,
    weighted by that probability renormalised over the kept classes (a row whose posterior is not
    a distribution keeps its hard label). Minimising LightGBM's weighted multiclass log-loss on
    them is minimising the cross-entropy to the posterior, whose minimiser is the posterior itself
    wherever rows are: far less noisy targets than one drawn label per row."""
    post = np.array(posterior, dtype=np.float64, copy=True)
    bad = ~np.isfinite(post).all(axis=1) | (np.abs(post.sum(axis=1) - 1) > 1e-6)
    post[bad] = 0.0
    post[bad, np.asarray(y)[bad]] = 1.0
    keep = post >= min_prob
    keep[np.arange(len(post)), post.argmax(axis=1)] = True  # never drop a row entirely
    kept = np.where(keep, post, 0.0)
    rows, cls = np.nonzero(keep)
    w = kept[rows, cls] / kept.sum(axis=1)[rows]
    return X[rows], cls.astype(np.asarray(y).dtype), w


def _cut(booster: lgb.Booster, best: int) -> lgb.Booster:
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))


def fit_local(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    n_classes: int,
    config: TrainConfig,
    weight: np.ndarray | None = None,
) -> FitResult:
    """``lightgbm.train`` with early stopping on the validation split (``weight``: per training row)."""
    start = time.perf_counter()
    params = config.lgb_params(n_classes)
    dtrain = lgb.Dataset(X_train, label=y_train, weight=weight, free_raw_data=True)
    dvalid = lgb.Dataset(X_valid, label=y_valid, reference=dtrain)
    evals: dict[str, dict[str, list[float]]] = {}
    booster = lgb.train(
        params,
        dtrain,
        num_boost_round=config.max_rounds,
        valid_sets=[dvalid],
        valid_names=["valid"],
        callbacks=[
            lgb.early_stopping(config.early_stopping_rounds, verbose=False),
            lgb.record_evaluation(evals),
        ],
    )
    rounds = booster.current_iteration()
    best = booster.best_iteration or rounds
    curve = next(iter(evals["valid"].values()), []) if evals.get("valid") else []
    return FitResult(
        booster=_cut(booster, best),
        best_iteration=int(best),
        rounds_trained=int(rounds),
        engine="local",
        seconds=time.perf_counter() - start,
        valid_curve=[float(v) for v in curve],
    )


def validation_curve(booster: lgb.Booster, X: np.ndarray, y: np.ndarray) -> list[float]:
    """Validation log-loss after each round, computed by adding one round's raw scores at a time."""
    n_iter = booster.current_iteration()
    acc: np.ndarray | None = None
    curve: list[float] = []
    rows = np.arange(len(y))
    for i in range(n_iter):
        step = raw_logits(booster, X, start_iteration=i, num_iteration=1)
        acc = step if acc is None else acc + step
        curve.append(float(-log_softmax(acc)[rows, y].mean()))
    return curve


def fit_dask(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    n_classes: int,
    config: TrainConfig,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    weight: np.ndarray | None = None,
) -> FitResult:
    """Train with ``lightgbm.dask.DaskLGBMClassifier`` on a Dask cluster.

    ``scheduler`` is the address of a running scheduler (``tcp://host:8786``); without it a
    ``LocalCluster`` of ``n_workers`` single-threaded worker processes is started on 127.0.0.1 and
    shut down afterwards. ``lightgbm.dask`` has no early stopping, so all ``max_rounds`` are trained
    and the booster is cut afterwards at the round with the lowest validation log-loss.
    """
    import dask.array as da
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    params = config.lgb_params(n_classes)
    for key in ("objective", "num_class", "metric", "num_threads", "seed", "learning_rate", "num_leaves"):
        params.pop(key, None)
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False},
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or n_workers)
        chunk = max(1, math.ceil(len(y_train) / workers))
        dX = da.from_array(np.ascontiguousarray(X_train, dtype=np.float32), chunks=(chunk, X_train.shape[1]))
        dy = da.from_array(np.asarray(y_train), chunks=(chunk,))
        dw = None if weight is None else da.from_array(np.asarray(weight, dtype=np.float64), chunks=(chunk,))
        model = lgb.DaskLGBMClassifier(
            client=client,
            n_estimators=config.max_rounds,
            learning_rate=config.learning_rate,
            num_leaves=config.num_leaves,
            random_state=config.seed,
            **params,
        )
        with warnings.catch_warnings():
            # the sklearn wrapper always passes n_jobs, which lightgbm.dask replaces by the worker threads
            warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
            model.fit(dX, dy, sample_weight=dw)
        booster = model.booster_
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if booster.num_model_per_iteration() != (1 if n_classes == 2 else n_classes):
        raise RuntimeError(
            f"dask training saw {booster.num_model_per_iteration()} classes, expected {n_classes}: "
            "every class must occur in the training split"
        )
    curve = validation_curve(booster, X_valid, y_valid)
    best = int(np.argmin(curve)) + 1
    return FitResult(
        booster=_cut(booster, best),
        best_iteration=best,
        rounds_trained=booster.current_iteration(),
        engine="dask" if scheduler is None else f"dask@{scheduler}",
        seconds=time.perf_counter() - start,
        valid_curve=curve,
    )
