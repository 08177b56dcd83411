"""The exact posterior P(condition | everything the doctor wrote), vectorised, in log space.

"Everything written" is what the encoder reports (:func:`~assistant.features.encode.
encode_encounters` on a rendered consultation, when the complaint is read perfectly): each
finding present / negated / not mentioned (mentions plus the findings derived by the knowledge
base's rules), the written vital signs and illness duration, age, sex, pregnancy and season.

    log P(c | obs) = log prior(c | age, sex, pregnancy, season)
                   + Σ_{independent findings f} log P(obs_f | c)                    (naive Bayes)
                   + Σ_{groups G} log Σ_z P(z_G | c) P(obs_G, values_G | z_G, c)    (enumerated)
                   + Σ_{other variables v} log P(value_v | c)
                   - log P(presents_with met | c, age)   (-inf when not met)       + const

with, for a single finding, P(present | c) = p·m+, P(negated | c) = (1-p)·m-(c),
P(not mentioned | c) = p·(1-m+) + (1-p)·(1-m-(c)); a written value's probability is the normal
probability mass of the raw values that are written as it. Within a group the sum runs over the
latent configurations ``z`` and over the mentions that the encoder's own rules turn into the
observed findings (see :mod:`.world`); results are cached per distinct observation pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from assistant.features.encode import FINDING_PREFIX, SEASONS, VITAL_PREFIX
from assistant.features.spec import FeatureSpec

from .sample import MONTH_SEASON, Sample
from .world import (
    DURATION,
    NEGATED,
    PRESENT,
    UNMENTIONED,
    Group,
    World,
    group_regions,
    log_presentation_mass,
    presented,
    resolve_group,
)

__all__ = [
    "Observations",
    "log_likelihood",
    "log_prior",
    "observations_from_features",
    "posterior",
]


@dataclass(frozen=True)
class Observations:
    """What the posterior conditions on, as columns (see :class:`~.sample.Sample` for the codes)."""

    age: np.ndarray
    male: np.ndarray
    pregnant: np.ndarray
    season: np.ndarray
    written: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.age)

    @classmethod
    def from_sample(cls, sample: Sample) -> Observations:
        return cls(sample.age, sample.male, sample.pregnant, sample.season, sample.written, sample.values)

    def take(self, idx: np.ndarray | slice) -> Observations:
        return Observations(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def observations_from_features(world: World, X: np.ndarray, spec: FeatureSpec) -> Observations:
    """Read :class:`Observations` back from an encoded feature matrix (e.g. of parsed complaints).

    Findings the spec lacks count as not mentioned; values are snapped to the nearest written value.
    """
    X = np.asarray(X, dtype=np.float64)
    col = {name: i for i, name in enumerate(spec.names)}
    n = len(X)

    def column(name: str) -> np.ndarray:
        return X[:, col[name]] if name in col else np.full(n, np.nan)

    age = np.round(column("age_years"), 4)  # float32 features: 0.3 years reads 0.30000001
    male = column("sex_male") == 1
    preg = column("pregnant")
    pregnant = np.where(np.isnan(preg), -1, preg).astype(np.int8)
    seasons = np.stack([column(f"season_{s}") for s in SEASONS], axis=1)
    month = column("month")
    season = np.where(
        np.isnan(seasons).any(axis=1),
        MONTH_SEASON[np.nan_to_num(month, nan=1).astype(int)],
        np.argmax(np.nan_to_num(seasons), axis=1),
    ).astype(np.int8)
    written = np.zeros((n, world.n_findings), dtype=np.int8)
    for j, code in enumerate(world.codes):
        x = column(f"{FINDING_PREFIX}{code}")
        written[x == 1, j] = PRESENT
        written[x == 0, j] = NEGATED
    values = np.full((n, len(world.variables)), np.nan)
    for vi, var in enumerate(world.variables):
        x = column(DURATION if var.name == DURATION else f"{VITAL_PREFIX}{var.name}")
        g = var.grid_index(x)
        values[:, vi] = np.where(g >= 0, var.grid[np.maximum(g, 0)], np.nan)
    return Observations(age, male, pregnant, season, written, values)


# ----------------------------------------------------------------------------------------- pieces


def log_prior(world: World, obs: Observations) -> np.ndarray:
    """log P(condition | age, sex, pregnancy, season), shape (n, K); -inf where impossible."""
    w = world.prior_weights(obs.age, obs.male, obs.pregnant, obs.season)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(w) - np.log(w.sum(axis=1, keepdims=True))


def _log_density(world: World, vi: int, values: np.ndarray, band: np.ndarray) -> np.ndarray:
    """log P(written value | state, c), shape (n, n_states, K); 0 where the value is not written."""
    var = world.variables[vi]
    g = var.grid_index(values)
    out = var.log_mass[band, np.maximum(g, 0)]
    out[g < 0] = 0.0
    return out


def _singles_loglik(world: World, obs: Observations, stratum: np.ndarray) -> np.ndarray:
    n, K = len(obs), world.n_conditions
    out = np.zeros((n, K))
    idx = world.singles
    if len(idx) == 0:
        return out
    w = obs.written[:, idx]
    m_plus = world.m_plus[idx][None, :]
    m_minus = world.m_minus[:, idx]
    with np.errstate(divide="ignore"):
        for s in np.unique(stratum):
            rows = np.flatnonzero(stratum == s)
            p = world.p[s][:, idx]
            log_u = np.log(p * (1 - m_plus) + (1 - p) * (1 - m_minus))
            log_a = np.log(p * m_plus)
            log_n = np.log((1 - p) * m_minus)
            ws = w[rows]
            pres = (ws == PRESENT).astype(np.float64)
            neg = (ws == NEGATED).astype(np.float64)
            da = np.where(np.isfinite(log_a), log_a - log_u, -1e300)
            dn = np.where(np.isfinite(log_n), log_n - log_u, -1e300)
            out[rows] = log_u.sum(axis=1)[None, :] + pres @ da.T + neg @ dn.T
    return out


def _mention_table(world: World, group: Group) -> np.ndarray:
    """P(mention | z, c) per member: (K, k, 2, 3) indexed [c, j, z, mention]."""
    K, k = world.n_conditions, group.size
    t = np.zeros((K, k, 2, 3))
    members = list(group.members)
    mp = world.m_plus[members][None, :]
    mm = world.m_minus[:, members]
    t[:, :, 1, UNMENTIONED] = 1 - mp
    t[:, :, 1, PRESENT] = mp
    t[:, :, 0, UNMENTIONED] = 1 - mm
    t[:, :, 0, NEGATED] = mm
    return t


def _entries(world: World, group: Group, keys: np.ndarray) -> np.ndarray:
    """log P(findings pattern, latent link state | c) for each key row (stratum, w digits…, regions…).

    Returns (U, K, n_states). Cached on the group.
    """
    k, nv = group.size, len(group.variables)
    U, K = len(keys), world.n_conditions
    out = np.empty((U, K, group.n_states))
    todo = []
    for u, row in enumerate(keys):
        key = tuple(int(x) for x in row)
        got = group.cache.get(key)  # type: ignore[arg-type]
        if got is None:
            todo.append(u)
        else:
            out[u] = got
    if not todo:
        return out
    table = _mention_table(world, group)
    support = np.flatnonzero(group.pi.reshape(-1, 2**k).max(axis=0) > 0)
    z = group.z_bits[support].astype(np.int64)  # (Z, k)
    onehot = np.zeros((len(support), group.n_states))
    onehot[np.arange(len(support)), group.state_of_z[support]] = 1.0
    # candidate mentions for every pending key: each written finding was mentioned or derived
    cand_rows: list[np.ndarray] = []
    cand_regions: list[np.ndarray] = []
    owner: list[int] = []
    for u in todo:
        w = keys[u, 1 : 1 + k].astype(np.int8)
        regions = keys[u, 1 + k :]
        written_at = np.flatnonzero(w != UNMENTIONED)
        for choice in product((0, 1), repeat=len(written_at)):
            o = w.copy()
            o[written_at[np.array(choice, dtype=bool)]] = UNMENTIONED
            cand_rows.append(o)
            cand_regions.append(regions)
            owner.append(u)
    cand = np.array(cand_rows, dtype=np.int8).reshape(-1, k)
    regs = np.array(cand_regions, dtype=np.int64).reshape(len(cand_rows), nv)
    resolved = resolve_group(world, group, cand, regs)
    owner_arr = np.array(owner)
    valid = np.all(resolved == keys[owner_arr, 1 : 1 + k], axis=1)
    mass = np.zeros((len(todo), K, len(support)))
    pos = {u: i for i, u in enumerate(todo)}
    for ci in np.flatnonzero(valid):
        o = cand[ci].astype(np.int64)
        prob = np.ones((K, len(support)))
        for j in range(k):
            prob *= table[:, j, z[:, j], o[j]]
        mass[pos[int(owner_arr[ci])]] += prob
    for i, u in enumerate(todo):
        s = int(keys[u, 0])
        joint = group.pi[s][:, support] * mass[i]  # (K, Z)
        with np.errstate(divide="ignore"):
            entry = np.log(joint @ onehot)  # (K, n_states)
        group.cache[tuple(int(x) for x in keys[u])] = entry  # type: ignore[index]
        out[u] = entry
    return out


def _group_loglik(world: World, group: Group, obs: Observations, stratum: np.ndarray, band: np.ndarray) -> np.ndarray:
    members = list(group.members)
    regions = group_regions(world, group, obs.values)
    keys = np.concatenate([stratum[:, None], obs.written[:, members].astype(np.int64), regions], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    entries = _entries(world, group, uniq)  # (U, K, n_states)
    dens = [_log_density(world, vi, obs.values[:, vi], band) for vi in group.variables]
    out: np.ndarray | None = None
    for s in range(group.n_states):
        term = entries[:, :, s][inverse]
        rest = s
        for vi, d in zip(reversed(group.variables), reversed(dens), strict=True):
            n_v = world.variables[vi].n_states
            term = term + d[:, rest % n_v, :]
            rest //= n_v
        out = term if out is None else np.logaddexp(out, term)
    assert out is not None
    return out


def log_likelihood(world: World, obs: Observations) -> np.ndarray:
    """log P(everything written except demographics | c) up to a constant per case, shape (n, K)."""
    stratum = world.stratum(obs.age)
    band = world.stratum_band[stratum]
    out = _singles_loglik(world, obs, stratum)
    grouped_vars: set[int] = set()
    for g in world.groups:
        out += _group_loglik(world, g, obs, stratum, band)
        grouped_vars.update(g.variables)
    for vi in range(len(world.variables)):
        if vi not in grouped_vars:
            out += _log_density(world, vi, obs.values[:, vi], band)[:, 0, :]
    if world.presents is not None:
        ok = presented(world, obs.written, obs.values)
        out = np.where(ok, out - log_presentation_mass(world, obs.age), -np.inf)
    if world.log_bp_accept is not None:
        names = [v.name for v in world.variables]
        both = ~np.isnan(obs.values[:, names.index("systolic_bp")]) & ~np.isnan(obs.values[:, names.index("diastolic_bp")])
        out[both] -= world.log_bp_accept[band[both]]
    return out


def posterior(world: World, obs: Observations | Sample, *, chunk: int = 20_000) -> np.ndarray:
    """P(condition | what was written) for each case, shape (n, K), rows summing to 1.

    A row is NaN when no condition of the world could have produced the observations (possible
    only for observations the world does not generate, e.g. a misread complaint).
    """
    if isinstance(obs, Sample):
        obs = Observations.from_sample(obs)
    n = len(obs)
    out = np.empty((n, world.n_conditions))
    for start in range(0, n, chunk):
        part = obs.take(slice(start, start + chunk))
        logp = log_prior(world, part) + log_likelihood(world, part)
        top = logp.max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            p = np.exp(logp - top)
            out[start : start + chunk] = p / p.sum(axis=1, keepdims=True)
    return out
