"""A toy generative model with an exact posterior, for testing and benchmarking the model machinery.

This is *not* the clinical data generator (that lives in ``training/generator*``): it is a small,
explicit naive-Bayes world whose Bayes-optimal answer is known exactly, so tests can check that the
pipeline gets close to it, and benchmarks can run at a realistic shape (classes, features, rows).

Generative model, per case:
  sex ~ Bernoulli(0.5); age band ~ Categorical(band_probs); age ~ Uniform(band)
  class | sex, band  ∝ prior_k · sex_factor[k, sex] · band_factor[k, band]
  each binary finding j | class  ~ Bernoulli(theta[k, j])        (independent given the class)
  each continuous measurement c | class ~ Normal(mu[k, c], sigma[c]), missing completely at random

Features: ``age_years``, ``sex_male``, the continuous measurements, then the binary findings.
Missing measurements are NaN; since they are missing at random they simply drop out of the posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.features import FeatureSpec
from assistant.modelpack import Label

from .dataset import TrainingSet

__all__ = ["AGE_BANDS", "ToyData", "ToyWorld", "make_toy_world", "toy_training_set"]

AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-14", 0.0, 15.0),
    ("15-44", 15.0, 45.0),
    ("45-64", 45.0, 65.0),
    ("65+", 65.0, 95.0),
)


@dataclass(frozen=True)
class ToyData:
    """One sample from a :class:`ToyWorld`: features, labels, exact posterior and subgroup arrays."""

    X: np.ndarray  # float32 (n, n_features), NaN = missing
    y: np.ndarray  # int64 (n,)
    posterior: np.ndarray  # float64 (n, n_classes): the exact P(class | features)
    groups: dict[str, np.ndarray]  # "age_band" and "sex" as string arrays


@dataclass(frozen=True)
class ToyWorld:
    """The parameters of the toy generative model (see the module docstring)."""

    prior: np.ndarray  # (K,)
    sex_factor: np.ndarray  # (K, 2)
    band_factor: np.ndarray  # (K, n_bands)
    band_probs: np.ndarray  # (n_bands,)
    theta: np.ndarray  # (K, n_binary)
    mu: np.ndarray  # (K, n_continuous)
    sigma: np.ndarray  # (n_continuous,)
    missing_rate: float

    @property
    def n_classes(self) -> int:
        return int(self.prior.shape[0])

    @property
    def feature_names(self) -> tuple[str, ...]:
        cont = tuple(f"measure_{c:02d}" for c in range(self.mu.shape[1]))
        binary = tuple(f"finding_{j:03d}" for j in range(self.theta.shape[1]))
        return ("age_years", "sex_male", *cont, *binary)

    @property
    def class_ids(self) -> tuple[str, ...]:
        return tuple(f"C{k:03d}" for k in range(self.n_classes))

    def _class_given_demo(self, sex: np.ndarray, band: np.ndarray) -> np.ndarray:
        w = self.prior[None, :] * self.sex_factor[:, sex].T * self.band_factor[:, band].T
        return w / w.sum(axis=1, keepdims=True)

    def sample(self, n: int, seed: int) -> ToyData:
        """Draw ``n`` cases (deterministic for a given seed)."""
        rng = np.random.default_rng(seed)
        n_bands = len(self.band_probs)
        sex = rng.integers(0, 2, size=n)
        band = rng.choice(n_bands, size=n, p=self.band_probs)
        lo = np.array([b[1] for b in AGE_BANDS])[band]
        hi = np.array([b[2] for b in AGE_BANDS])[band]
        age = rng.uniform(lo, hi)
        p_class = self._class_given_demo(sex, band)
        u = rng.random(n)[:, None]
        y = (np.cumsum(p_class, axis=1) < u).sum(axis=1)
        y = np.minimum(y, self.n_classes - 1)
        binary = (rng.random((n, self.theta.shape[1])) < self.theta[y]).astype(np.float32)
        cont = self.mu[y] + rng.standard_normal((n, self.mu.shape[1])) * self.sigma[None, :]
        cont[rng.random(cont.shape) < self.missing_rate] = np.nan
        X = np.concatenate(
            [age[:, None], sex[:, None].astype(np.float64), cont, binary.astype(np.float64)], axis=1
        ).astype(np.float32)
        return ToyData(
            X=X,
            y=y.astype(np.int64),
            posterior=self.posterior(X),
            groups={
                "age_band": np.array([AGE_BANDS[b][0] for b in band]),
                "sex": np.where(sex == 1, "male", "female"),
            },
        )

    def posterior(self, X: np.ndarray) -> np.ndarray:
        """The exact P(class | x) for each row of a feature matrix laid out as :attr:`feature_names`."""
        X = np.asarray(X, dtype=np.float64)
        n_cont = self.mu.shape[1]
        age, sex = X[:, 0], X[:, 1].astype(int)
        edges = np.array([b[2] for b in AGE_BANDS[:-1]])
        band = np.searchsorted(edges, age, side="right")
        logp = np.log(self._class_given_demo(sex, band))
        cont = X[:, 2 : 2 + n_cont]
        binary = X[:, 2 + n_cont :]
        log_t, log_1t = np.log(self.theta), np.log1p(-self.theta)
        logp += binary @ log_t.T + (1.0 - binary) @ log_1t.T
        for c in range(n_cont):
            seen = ~np.isnan(cont[:, c])
            z = (cont[seen, c][:, None] - self.mu[None, :, c]) / self.sigma[c]
            logp[seen] += -0.5 * z * z
        logp -= logp.max(axis=1, keepdims=True)
        p = np.exp(logp)
        return p / p.sum(axis=1, keepdims=True)


def make_toy_world(
    n_classes: int = 8,
    n_binary: int = 20,
    n_continuous: int = 2,
    *,
    signal_features: int = 4,
    measure_spread: float = 1.0,
    missing_rate: float = 0.1,
    seed: int = 0,
) -> ToyWorld:
    """A random toy world: skewed class prior, each class with a few characteristic findings.

    ``signal_features`` findings per class are common in it (probability 0.35-0.85); every other
    finding has a low background rate (0.01-0.08), so classes overlap and the Bayes-optimal accuracy
    is well below 1, as in real consultations. ``measure_spread`` is the spread of the class means
    of the continuous measurements (in units of their noise).
    """
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.full(n_classes, 2.0))
    sex_factor = rng.uniform(0.3, 1.7, size=(n_classes, 2))
    band_probs = np.array([0.2, 0.35, 0.28, 0.17])
    band_factor = rng.uniform(0.2, 1.8, size=(n_classes, len(band_probs)))
    theta = rng.uniform(0.01, 0.08, size=(n_classes, n_binary))
    for k in range(n_classes):
        chosen = rng.choice(n_binary, size=min(signal_features, n_binary), replace=False)
        theta[k, chosen] = rng.uniform(0.35, 0.85, size=len(chosen))
    mu = rng.normal(0.0, measure_spread, size=(n_classes, n_continuous))
    sigma = np.full(n_continuous, 1.0)
    return ToyWorld(prior, sex_factor, band_factor, band_probs, theta, mu, sigma, missing_rate)


def toy_training_set(world: ToyWorld, n: int, seed: int, *, spec_version: str = "toy-1") -> TrainingSet:
    """``n`` cases from ``world`` as a :class:`TrainingSet` (labels without ICD-10 codes)."""
    data = world.sample(n, seed)
    labels = tuple(
        Label(id=c, icd10=None, name_zh=f"玩具类别 {c}", name_en=f"toy class {c}") for c in world.class_ids
    )
    return TrainingSet(
        X=data.X,
        y=data.y,
        spec=FeatureSpec(world.feature_names, spec_version),
        labels=labels,
        groups=data.groups,
        bayes_posterior=data.posterior,
        source=f"toy naive-Bayes world ({world.n_classes} classes, {len(world.feature_names)} features, seed {seed})",
    )
