"""The synthetic world compiled into arrays: conditions × findings × variables.

A :class:`World` holds every number the sampler and the exact posterior need, built from the
knowledge base (conditions with prevalence, multipliers, findings and vitals; findings with their
derivation rules) and the observation parameters (:mod:`.params`).

Latent structure (per condition ``c``):

- Each finding ``f`` is *present* with probability ``p[c, f]`` (the condition's own list, else the
  background rate). Findings linked by ``implies`` (``dry_cough`` → ``cough``) are coherent: a
  specific finding occurs only together with its general one, with the marginal probabilities of the
  list (a general finding is raised to its most likely specific one when the list says less).
- A condition with ``presents_with`` findings (or ``presents_with_measured`` variables) is only
  seen with at least one of them written present (or measured): the patient came *because of*
  them. The sampler redraws the other consultations (rejection), and the posterior divides by
  ``P(at least one | c)``, which :attr:`World.log_silent` and the recording rates give exactly.
- Continuous *variables*: the vital signs and the illness duration. A variable *linked* to findings
  (temperature ↔ fever, duration ↔ chronic/acute course) takes its distribution from the first linked
  finding the patient has; others follow the condition's distribution.

Findings tied together by ``implies``, by a derivation rule (``from_vital``, ``from_duration``) or by
a link form a *group*: within a group, what the encoder finally reports depends jointly on the
doctor's mentions and the variables, so the posterior sums over the group's latent states
explicitly. Every other finding is independent given the condition (the naive-Bayes part).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.special import log_ndtr

from assistant.features.encode import FindingRules
from assistant.knowledge.conditions import AGE_BANDS, Condition, ConditionsMeta, conditions_meta

from .params import ObservationParams, load_params, step_values

if TYPE_CHECKING:
    from assistant.knowledge.base import Table
    from assistant.knowledge.findings import Finding

__all__ = [
    "BANDS",
    "DURATION",
    "Group",
    "KnowledgeLike",
    "MAX_GROUP",
    "Variable",
    "World",
    "build_world",
    "group_regions",
    "log_presentation_mass",
    "presented",
    "resolve_group",
    "world_from_knowledge",
]

#: Age bands of the conditions file (multipliers and vital-sign norms), in order.
BANDS: tuple[str, ...] = tuple(AGE_BANDS)
#: Name of the illness-duration variable (days); the others are vital-sign names.
DURATION = "duration_days"
#: Largest group of linked findings the exact posterior enumerates (2**k latent states).
MAX_GROUP = 12
SEASON_NAMES: tuple[str, ...] = ("winter", "spring", "summer", "autumn")
#: Written observation codes in the int8 matrices.
UNMENTIONED, PRESENT, NEGATED = 0, 1, 2


class KnowledgeLike(Protocol):
    @property
    def findings(self) -> Table[Finding]: ...

    @property
    def conditions(self) -> Table[Condition]: ...


@dataclass(frozen=True)
class Variable:
    """A continuous variable (vital sign or illness duration) as written by the doctor.

    ``grid``: the values a doctor writes, ascending; ``edges``: raw values in ``[edges[g],
    edges[g+1])`` are written as ``grid[g]``. The raw value is normal on ``log`` (duration) or natural
    scale with ``mean``/``sd`` of shape (bands, states, K); the state is the index of the first of
    ``links`` (finding indices) the patient has, ``len(links)`` when none. ``recorded`` gives the
    probability by age (steps) that the variable is written at all. ``log_mass[b, g, s, c]``: log
    P(written value is grid[g] | band b, state s, condition c).
    """

    name: str
    grid: np.ndarray
    edges: np.ndarray
    log: bool
    links: tuple[int, ...]
    mean: np.ndarray
    sd: np.ndarray
    recorded: tuple[tuple[float, float], ...]
    log_mass: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lo, hi = self.edges[:-1], self.edges[1:]
        if self.log:
            with np.errstate(divide="ignore"):
                lo, hi = np.log(lo), np.log(hi)
        mean = self.mean[:, None, :, :]
        sd = self.sd[:, None, :, :]
        a = (lo[None, :, None, None] - mean) / sd
        b = (hi[None, :, None, None] - mean) / sd
        object.__setattr__(self, "log_mass", log_normal_mass(a, b))

    @property
    def n_states(self) -> int:
        return len(self.links) + 1

    def grid_index(self, values: np.ndarray) -> np.ndarray:
        """Index in :attr:`grid` of each written value (nearest; NaN → -1)."""
        values = np.asarray(values, dtype=float)
        out = np.full(values.shape, -1, dtype=np.int64)
        ok = np.isfinite(values)
        if ok.any():
            v = values[ok]
            j = np.clip(np.searchsorted(self.grid, v), 1, len(self.grid) - 1)
            left, right = self.grid[j - 1], self.grid[j]
            out[ok] = np.where(np.abs(v - left) <= np.abs(right - v), j - 1, j)
        return out

    def write(self, raw: np.ndarray) -> np.ndarray:
        """Raw values → the values the doctor writes."""
        g = np.searchsorted(self.edges, raw, side="right") - 1
        return self.grid[np.clip(g, 0, len(self.grid) - 1)]


@dataclass
class Group:
    """Findings (and variables) whose reported values depend on each other; see the module doc.

    ``members`` are finding indices, parents before children; ``parents[j]``: local indices of the
    findings member ``j`` implies directly. ``variables``: indices into :attr:`World.variables`;
    ``region[v]`` maps each grid index of variable ``variables[v]`` to a region (the rules of the
    group cannot tell two values of one region apart) and ``region_value[v][r]`` is a grid value
    of region ``r``. ``state_of_z`` gives, per latent configuration, the combined link state of the
    group's variables (mixed radix over ``variables``).
    """

    members: tuple[int, ...]
    parents: tuple[tuple[int, ...], ...]
    variables: tuple[int, ...]
    region: tuple[np.ndarray, ...]
    region_value: tuple[np.ndarray, ...]
    z_bits: np.ndarray  # (2**k, k) bool
    state_of_z: np.ndarray  # (2**k,) int
    n_states: int
    pi: np.ndarray  # (S, K, 2**k) latent joint per stratum and condition
    cache: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def n_regions(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.region_value)


@dataclass(frozen=True)
class World:
    """Every number of the synthetic world; see the module docstring. Build with :func:`build_world`."""

    params: ObservationParams
    condition_ids: tuple[str, ...]
    conditions: tuple[Condition, ...]
    codes: tuple[str, ...]
    categories: tuple[str, ...]
    findings: tuple[Finding, ...]
    rules: FindingRules
    # prior
    prevalence: np.ndarray  # (K,)
    season_mult: np.ndarray  # (4, K)
    band_mult: np.ndarray  # (3, K)
    female_share: np.ndarray  # (K,) share for the sex factor (NaN: no sex factor)
    age_min: np.ndarray
    age_max: np.ndarray
    sex_only: np.ndarray  # (K,) 0 any, 1 male, 2 female
    pregnancy_only: np.ndarray  # (K,) bool
    # findings
    strata_edges: np.ndarray  # ages where a finding probability may change
    stratum_band: np.ndarray  # (S,) band index of each stratum
    p: np.ndarray  # (S, K, F) P(present)
    m_plus: np.ndarray  # (F,)
    m_minus: np.ndarray  # (K, F)
    singles: np.ndarray  # finding indices outside every group
    groups: tuple[Group, ...]
    variables: tuple[Variable, ...]
    log_bp_accept: np.ndarray | None = None  # (bands, K): log P(written pulse pressure ok | c)
    presents: np.ndarray | None = None  # (K, F) bool: ``presents_with`` findings (none: no constraint)
    presents_measured: np.ndarray | None = None  # (K, V) bool: ``presents_with_measured`` variables
    log_silent: np.ndarray | None = None  # (S, K): log P(no presents_with finding written | c)
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def n_conditions(self) -> int:
        return len(self.condition_ids)

    @property
    def n_findings(self) -> int:
        return len(self.codes)

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def stratum(self, age: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.strata_edges, np.asarray(age, dtype=float), side="right")

    def band(self, age: np.ndarray) -> np.ndarray:
        return self.stratum_band[self.stratum(age)]

    def prior_weights(
        self, age: np.ndarray, male: np.ndarray, pregnant: np.ndarray, season: np.ndarray
    ) -> np.ndarray:
        """Unnormalised P(condition | age, sex, pregnancy, season), shape (n, K).

        ``male`` is bool; ``pregnant`` 1 (pregnant), 0 (not) or -1 (not recorded: not pregnant in
        this world). Same arithmetic as :meth:`Condition.prior_weight` with the pregnancy known.
        """
        age = np.asarray(age, dtype=float)
        band = self.band(age)
        w = self.prevalence[None, :] * self.band_mult[band] * self.season_mult[np.asarray(season)]
        male = np.asarray(male, dtype=bool)[:, None]
        share = self.female_share[None, :]
        factor = np.where(np.isnan(share), 1.0, np.where(male, 2 * (1 - share), 2 * share))
        w = w * factor
        ok = (age[:, None] >= self.age_min[None, :]) & (age[:, None] <= self.age_max[None, :])
        ok &= (self.sex_only[None, :] == 0) | ((self.sex_only[None, :] == 1) == male)
        ok &= ~self.pregnancy_only[None, :] | (np.asarray(pregnant)[:, None] == 1)
        return np.where(ok, w, 0.0)


# ---------------------------------------------------------------------------------------- helpers


def log_normal_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Φ(b) - Φ(a)) for standard-normal bounds a <= b, accurate in both tails."""
    flip = a > 0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    lh, ll = log_ndtr(hi), log_ndtr(lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lh + np.log(-np.expm1(ll - lh))


def _vital_grid(step: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    n = int(round((hi - lo) / step)) + 1
    grid = np.round(lo + step * np.arange(n), 6)
    edges = np.concatenate([[-np.inf], (grid[:-1] + grid[1:]) / 2, [np.inf]])
    return grid, edges


def duration_grid() -> tuple[np.ndarray, np.ndarray]:
    """Durations a doctor writes (days): 1-23 hours, 1-13 days, 2-8 weeks, 2-11 months, 1-20 years.

    Edges sit halfway between neighbouring written values (on the log scale).
    """
    values = sorted(
        {h / 24 for h in range(1, 24)}
        | {float(d) for d in range(1, 14)}
        | {7.0 * w for w in range(2, 9)}
        | {30.0 * m for m in range(2, 12)}
        | {365.0 * y for y in range(1, 21)}
    )
    grid = np.array(values)
    mids = np.sqrt(grid[:-1] * grid[1:])
    return grid, np.concatenate([[0.0], mids, [np.inf]])


def _topological(members: Iterable[int], parents_of: Mapping[int, tuple[int, ...]]) -> list[int]:
    members = list(members)
    inside = set(members)
    order: list[int] = []
    done: set[int] = set()

    def visit(i: int, path: tuple[int, ...]) -> None:
        if i in done:
            return
        if i in path:
            raise ValueError("implies has a cycle")
        for p in parents_of.get(i, ()):
            if p in inside:
                visit(p, (*path, i))
        done.add(i)
        order.append(i)

    for i in sorted(members):
        visit(i, ())
    return order


def _latent_joint(p: np.ndarray, parents: Sequence[tuple[int, ...]]) -> np.ndarray:
    """Joint over 2**k configurations of a group, per row of ``p`` (..., k) (marginals wanted).

    Member ``j`` (parents first) can be present only if all its parents are; given that, it is
    present with probability min(1, p_j / P(parents all present)), so its marginal is p_j when the
    marginals are coherent.
    """
    k = p.shape[-1]
    lead = p.shape[:-1]
    joint = np.ones((*lead, 1))
    for j in range(k):
        n_conf = joint.shape[-1]
        conf = np.arange(n_conf)
        ok = np.ones(n_conf, dtype=bool)
        for q in parents[j]:
            ok &= ((conf >> q) & 1).astype(bool)
        p_parents = (joint * ok).sum(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            q_j = np.where(p_parents > 0, np.minimum(1.0, p[..., j] / p_parents), 0.0)
        on = joint * ok * q_j[..., None]
        off = joint - on
        joint = np.concatenate([off, on], axis=-1)  # bit j is the highest so far
    return joint


# ----------------------------------------------------------------------------------------- build


def build_world(
    findings: Sequence[Finding],
    conditions: Sequence[Condition],
    meta: ConditionsMeta,
    params: ObservationParams | None = None,
) -> World:
    """Compile a world from finding rows, condition rows, the conditions header and the parameters."""
    params = params or load_params()
    findings = tuple(findings)
    conditions = tuple(conditions)
    codes = tuple(f.code for f in findings)
    index = {c: i for i, c in enumerate(codes)}
    cats = tuple(f.category for f in findings)
    K, F = len(conditions), len(codes)
    problems: list[str] = []
    rules = FindingRules.from_findings(findings)

    # ---- prior
    prevalence = np.array([c.prevalence for c in conditions], dtype=float)
    season_mult = np.array([[c.season.get(s, 1.0) for c in conditions] for s in SEASON_NAMES])  # type: ignore[call-overload]
    band_mult = np.array([[c.age_profile.get(b, 1.0) for c in conditions] for b in BANDS])  # type: ignore[call-overload]
    female_share = np.array(
        [
            {"female": 1.0, "male": 0.0}.get(
                c.sex, c.female_fraction if c.female_fraction is not None else np.nan
            )
            for c in conditions
        ],
        dtype=float,
    )
    age_min = np.array([c.age_min for c in conditions], dtype=float)
    age_max = np.array([c.age_max for c in conditions], dtype=float)
    sex_only = np.array([{"any": 0, "male": 1, "female": 2}[c.sex] for c in conditions])
    pregnancy_only = np.array([c.pregnancy_only for c in conditions], dtype=bool)

    # ---- strata: ages where a background rate or the band changes
    bg = params.background
    by_age = dict(bg.by_age)
    for code in by_age:
        if code not in index:
            problems.append(f"observation.yaml: background.by_age: unknown finding {code!r}")
    cut = {b[0] for b in AGE_BANDS.values() if b[0] > 0}
    for steps in by_age.values():
        cut |= {a for a, _ in steps if a > 0}
    strata_edges = np.array(sorted(cut))
    lows = np.concatenate([[0.0], strata_edges])
    band_edges = np.array([b[0] for b in AGE_BANDS.values()][1:])
    stratum_band = np.searchsorted(band_edges, lows, side="right")
    S = len(lows)

    # ---- P(present): listed, else background
    p = np.empty((S, K, F))
    for j, (code, cat) in enumerate(zip(codes, cats, strict=True)):
        if code in by_age and code in index:
            p[:, :, j] = step_values(by_age[code], lows)[:, None]
        else:
            p[:, :, j] = getattr(bg, cat)
    for k, c in enumerate(conditions):
        for where in (c.findings, c.history):
            for code, prob in where.items():
                if code in index:
                    p[:, k, index[code]] = prob
                else:
                    problems.append(f"condition {c.id}: unknown finding {code!r}")

    # ---- mention rates
    present_rate = params.mentions.present  # by finding code first, then by category
    m_plus = np.array([present_rate.get(code, present_rate.get(cat, 0.7)) for code, cat in zip(codes, cats, strict=True)])
    neg = params.mentions.negated
    m_minus = np.full((K, F), neg.other)
    by_group: dict[str, set[int]] = {}
    own: list[set[int]] = []
    for c in conditions:
        mine = {index[x] for x in (*c.findings, *c.history, *c.red_flags) if x in index}
        own.append(mine)
        by_group.setdefault(c.group, set()).update(mine)
    for k, c in enumerate(conditions):
        m_minus[k, sorted(by_group[c.group])] = neg.differential
        m_minus[k, sorted(own[k])] = neg.own
    for code, rate in neg.routine.items():
        if code in index:  # a world built on part of the knowledge base skips the others
            m_minus[:, index[code]] = np.maximum(m_minus[:, index[code]], rate)

    # ---- variables
    variables: list[Variable] = []
    normal = meta.normal_vitals
    for name, w in params.vitals.written.items():
        grid, edges = _vital_grid(w.step, w.min, w.max)
        link = params.vitals.links.get(name)
        links: tuple[int, ...] = ()
        if link is not None:
            if link.finding not in index:
                problems.append(f"observation.yaml: vitals.links.{name}: unknown finding {link.finding!r}")
            else:
                links = (index[link.finding],)
        n_states = len(links) + 1
        mean = np.empty((len(BANDS), n_states, K))
        sd = np.empty((len(BANDS), n_states, K))
        for b, band in enumerate(BANDS):
            base_mean, base_sd = normal[band][name]  # type: ignore[index]
            for k, c in enumerate(conditions):
                own_mean, own_sd = meta.vital_distribution(c, name, band)  # type: ignore[arg-type]
                if links:
                    assert link is not None
                    wp_mean, wp_sd = link.when_present
                    direction = np.sign(wp_mean - base_mean)
                    listed = name in c.vitals
                    use_own = listed and (own_mean - wp_mean) * direction >= 0
                    mean[b, 0, k], sd[b, 0, k] = (own_mean, own_sd) if use_own else (wp_mean, wp_sd)
                    mean[b, 1, k], sd[b, 1, k] = base_mean, base_sd
                else:
                    mean[b, 0, k], sd[b, 0, k] = own_mean, own_sd
        variables.append(Variable(name, grid, edges, False, links, mean, sd, params.vitals.recorded[name]))
    grid, edges = duration_grid()
    dlinks = [d for d in params.duration.links if d.finding in index]
    for d in params.duration.links:
        if d.finding not in index:
            problems.append(f"observation.yaml: duration.links: unknown finding {d.finding!r}")
    dists = [*dlinks, params.duration.otherwise]
    mean = np.broadcast_to(
        np.array([math.log(d.median_days) for d in dists])[None, :, None], (len(BANDS), len(dists), K)
    ).copy()
    sd = np.broadcast_to(
        np.array([d.spread for d in dists])[None, :, None], (len(BANDS), len(dists), K)
    ).copy()
    variables.append(
        Variable(
            DURATION, grid, edges, True, tuple(index[d.finding] for d in dlinks), mean, sd,
            ((0.0, params.writing.duration),),
        )
    )  # fmt: skip
    var_index = {v.name: i for i, v in enumerate(variables)}

    # ---- groups: union of implies, rules and links
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: object, b: object) -> None:
        parent[find(a)] = find(b)

    direct_parents: dict[int, tuple[int, ...]] = {}
    for f in findings:
        i = index[f.code]
        ps = tuple(index[c] for c in f.implies if c in index)
        direct_parents[i] = ps
        for q in ps:
            union(("f", i), ("f", q))
    rule_vars: dict[int, list[int]] = {}
    for code, vital, _ in rules.vital_rules:
        if code in index and vital in var_index:
            union(("f", index[code]), ("v", var_index[vital]))
            rule_vars.setdefault(var_index[vital], []).append(index[code])
    # Duration rules that only ever set a finding present (``sets_absent: false``, e.g. chest pain
    # lasting 20 minutes or more) are left out of the world: such a finding is drawn and written like
    # any other, which keeps the linked groups small enough to enumerate exactly.
    for code, of, _, _ in rules.duration_rules:
        if code in index and code not in rules.never_absent:
            union(("f", index[code]), ("v", var_index[DURATION]))
            rule_vars.setdefault(var_index[DURATION], []).append(index[code])
            if of is not None and of in index:
                union(("f", index[code]), ("f", index[of]))
    for vi, v in enumerate(variables):
        for i in v.links:
            union(("f", i), ("v", vi))
    # variables that are neither linked nor tested by a rule stay outside the groups
    components: dict[object, list[tuple[str, int]]] = {}
    for node in list(parent):
        components.setdefault(find(node), []).append(node)  # type: ignore[arg-type]

    # coherent marginals: a general finding at least as likely as its specific ones
    notes: list[str] = []
    for k, c in enumerate(conditions):
        listed = {**c.findings, **c.history}
        for i, qs in direct_parents.items():
            for q in qs:
                if codes[i] in listed and (p[:, k, i] > p[:, k, q]).any():
                    notes.append(
                        f"condition {c.id}: {codes[i]} ({listed[codes[i]]:g}) implies {codes[q]} "
                        f"({listed.get(codes[q], 'background')}); {codes[q]} raised to match"
                    )
    order_all = _topological(range(F), direct_parents)
    for i in reversed(order_all):
        for q in direct_parents[i]:
            p[:, :, q] = np.maximum(p[:, :, q], p[:, :, i])

    groups: list[Group] = []
    in_group = np.zeros(F, dtype=bool)
    for nodes in components.values():
        fs = [i for kind, i in nodes if kind == "f"]
        vs = sorted(i for kind, i in nodes if kind == "v")
        if len(fs) <= 1 and not vs:
            continue
        if not fs:
            continue
        if len(fs) > MAX_GROUP:
            problems.append(
                f"findings {sorted(codes[i] for i in fs)} are linked into a group of {len(fs)} "
                f"(more than {MAX_GROUP}); the exact posterior cannot enumerate it"
            )
            continue
        members = _topological(fs, direct_parents)
        local = {g: j for j, g in enumerate(members)}
        parents = tuple(tuple(local[q] for q in direct_parents[g] if q in local) for g in members)
        k = len(members)
        z_bits = ((np.arange(2**k)[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
        regions: list[np.ndarray] = []
        region_values: list[np.ndarray] = []
        state = np.zeros(2**k, dtype=np.int64)
        n_states = 1
        for vi in vs:
            v = variables[vi]
            tests = []
            for code, vital, at_least in rules.vital_rules:
                if vital == v.name and code in index and index[code] in local:
                    tests.append(v.grid >= at_least)
            if v.name == DURATION:
                for code, _, lo, hi in rules.duration_rules:
                    if code in index and index[code] in local and code not in rules.never_absent:
                        tests.append(
                            (v.grid >= (lo if lo is not None else -np.inf))
                            & (v.grid <= (hi if hi is not None else np.inf))
                        )
            if tests:
                keys = np.stack(tests, axis=1)
                _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
                regions.append(inverse.reshape(-1).astype(np.int64))
                region_values.append(v.grid[first])
            else:
                regions.append(np.zeros(len(v.grid), dtype=np.int64))
                region_values.append(v.grid[:1])
            # link state of this variable for each latent configuration
            s = np.full(2**k, len(v.links), dtype=np.int64)
            for pos in reversed(range(len(v.links))):
                g = v.links[pos]
                if g in local:
                    s = np.where(z_bits[:, local[g]], pos, s)
            state = state * v.n_states + s
            n_states *= v.n_states
        pi = _latent_joint(p[:, :, members], parents)
        groups.append(
            Group(tuple(members), parents, tuple(vs), tuple(regions), tuple(region_values), z_bits, state,
                  n_states, pi)
        )  # fmt: skip
        in_group[members] = True
    singles = np.flatnonzero(~in_group)
    log_bp_accept = _bp_acceptance(variables, var_index, params.vitals.min_pulse_pressure, groups)
    presents, presents_measured, log_silent = _presentations(
        conditions, index, var_index, direct_parents, rules, p, m_plus, singles, groups, problems
    )
    # a linked variable whose finding is outside every group cannot happen: links form groups
    return World(
        params=params,
        condition_ids=tuple(c.id for c in conditions),
        conditions=conditions,
        codes=codes,
        categories=cats,
        findings=findings,
        rules=rules,
        prevalence=prevalence,
        season_mult=season_mult,
        band_mult=band_mult,
        female_share=female_share,
        age_min=age_min,
        age_max=age_max,
        sex_only=sex_only,
        pregnancy_only=pregnancy_only,
        strata_edges=strata_edges,
        stratum_band=stratum_band,
        p=p,
        m_plus=m_plus,
        m_minus=m_minus,
        singles=singles,
        groups=tuple(groups),
        variables=tuple(variables),
        log_bp_accept=log_bp_accept,
        presents=presents,
        presents_measured=presents_measured,
        log_silent=log_silent,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _presentations(
    conditions: Sequence[Condition],
    index: Mapping[str, int],
    var_index: Mapping[str, int],
    direct_parents: Mapping[int, tuple[int, ...]],
    rules: FindingRules,
    p: np.ndarray,
    m_plus: np.ndarray,
    singles: np.ndarray,
    groups: Sequence[Group],
    problems: list[str],
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The ``presents_with`` constraint compiled (see the module doc); ``None`` when no row has one.

    A finding is written present when it or a more specific finding (one that implies it) is
    mentioned present, so ``log_silent[s, c]`` is log P(none of the findings nor their specific
    forms mentioned present | c, stratum s). Findings that a vital sign or the illness duration can
    set are refused: whether they are written would depend on the measurements too.
    """
    if not any(c.presents_with or c.presents_with_measured for c in conditions):
        return None, None, None
    S, K, F = p.shape
    derived = {code for code, _, _ in rules.vital_rules} | {
        code for code, _, _, _ in rules.duration_rules if code not in rules.never_absent
    }
    children: dict[int, list[int]] = {}
    for i, ps in direct_parents.items():
        for q in ps:
            children.setdefault(q, []).append(i)
    presents = np.zeros((K, F), dtype=bool)
    measured = np.zeros((K, len(var_index)), dtype=bool)
    log_silent = np.zeros((S, K))
    single_set = set(int(i) for i in singles)
    for k, c in enumerate(conditions):
        for name in c.presents_with_measured:
            if name not in var_index:
                problems.append(f"condition {c.id}: presents_with_measured: {name!r} is not a written measurement")
            else:
                measured[k, var_index[name]] = True
        closure: set[int] = set()
        todo = []
        for code in c.presents_with:
            if code not in index:
                problems.append(f"condition {c.id}: presents_with: unknown finding {code!r}")
                continue
            presents[k, index[code]] = True
            todo.append(index[code])
        while todo:
            i = todo.pop()
            if i in closure:
                continue
            closure.add(i)
            todo.extend(children.get(i, ()))
        bad = sorted(code for code in (list(index)[i] for i in closure) if code in derived)
        if bad:
            problems.append(
                f"condition {c.id}: presents_with: {bad} can be set by a measurement or the duration"
            )
        silent = np.ones(S)
        for i in closure & single_set:
            silent *= 1.0 - p[:, k, i] * m_plus[i]
        for g in groups:
            local = [j for j, i in enumerate(g.members) if i in closure]
            if local:
                keep = np.ones(len(g.z_bits))
                for j in local:
                    keep *= np.where(g.z_bits[:, j], 1.0 - m_plus[g.members[j]], 1.0)
                silent *= g.pi[:, k, :] @ keep
        with np.errstate(divide="ignore"):
            log_silent[:, k] = np.log(silent) if closure else 0.0
    return presents, measured, log_silent


def _bp_acceptance(
    variables: Sequence[Variable], var_index: Mapping[str, int], gap: float, groups: Sequence[Group]
) -> np.ndarray | None:
    """log P(written systolic - written diastolic >= gap | band, c) for independent pressures."""
    if gap <= 0 or "systolic_bp" not in var_index or "diastolic_bp" not in var_index:
        return None
    si, di = var_index["systolic_bp"], var_index["diastolic_bp"]
    if any(si in g.variables or di in g.variables for g in groups):
        raise ValueError("min_pulse_pressure needs blood pressures outside finding groups")
    s, d = variables[si], variables[di]
    ms = np.exp(s.log_mass[:, :, 0, :])  # (bands, Gs, K)
    md = np.exp(d.log_mass[:, :, 0, :])
    cum_d = np.cumsum(md, axis=1)  # P(diastolic <= grid[j])
    # for each systolic value, P(diastolic <= systolic - gap)
    j = np.searchsorted(d.grid, s.grid - gap + 1e-9, side="right") - 1
    below = np.where(j[None, :, None] >= 0, cum_d[:, np.maximum(j, 0), :], 0.0)
    with np.errstate(divide="ignore"):
        return np.log((ms * below).sum(axis=1))


def world_from_knowledge(kb: KnowledgeLike, params: ObservationParams | None = None) -> World:
    """The world of a loaded knowledge base (:func:`assistant.knowledge.load_knowledge`)."""
    return build_world(tuple(kb.findings), tuple(kb.conditions), conditions_meta(kb.conditions), params)


# ------------------------------------------------------------------------- what the encoder reports


def resolve_group(world: World, group: Group, mentions: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """What the encoder reports for a group's findings, given the doctor's mentions and the regions of
    the group's variables (``regions[:, v] == len(group.region_value[v])``: not written).

    ``mentions`` (m, k) int8 in UNMENTIONED/PRESENT/NEGATED; returns the same shape. Calls the
    encoder's own :func:`~assistant.features.encode.resolve_findings`, once per distinct row.
    """
    from assistant.features.encode import resolve_findings

    mentions = np.asarray(mentions, dtype=np.int8)
    regions = np.asarray(regions, dtype=np.int64).reshape(len(mentions), len(group.variables))
    keyed = np.concatenate([mentions.astype(np.int64), regions], axis=1)
    uniq, inverse = np.unique(keyed, axis=0, return_inverse=True)
    codes = [world.codes[i] for i in group.members]
    out = np.empty((len(uniq), group.size), dtype=np.int8)
    for u, row in enumerate(uniq):
        explicit = {codes[j]: bool(row[j] == PRESENT) for j in range(group.size) if row[j] != UNMENTIONED}
        vitals: dict[str, float] = {}
        duration = None
        for v, vi in enumerate(group.variables):
            r = int(row[group.size + v])
            if r >= len(group.region_value[v]):
                continue
            value = float(group.region_value[v][r])
            name = world.variables[vi].name
            if name == DURATION:
                duration = value
            else:
                vitals[name] = value
        got = resolve_findings(explicit, vitals, duration, world.rules)
        out[u] = [UNMENTIONED if c not in got else (PRESENT if got[c] else NEGATED) for c in codes]
    return out[inverse.reshape(-1)]


def presented(world: World, written: np.ndarray, values: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """Whether each case meets each condition's ``presents_with`` constraint, (n, K) bool; with ``y``,
    only its own condition's, (n,) bool."""
    n = len(written)
    if world.presents is None or world.presents_measured is None:
        return np.ones((n, world.n_conditions) if y is None else n, dtype=bool)
    free = ~world.presents.any(axis=1) & ~world.presents_measured.any(axis=1)
    shown, measured = written == PRESENT, ~np.isnan(values)
    if y is not None:
        return (shown & world.presents[y]).any(axis=1) | (measured & world.presents_measured[y]).any(axis=1) | free[y]
    found = shown.astype(np.int32) @ world.presents.T.astype(np.int32)
    taken = measured.astype(np.int32) @ world.presents_measured.T.astype(np.int32)
    return (found > 0) | (taken > 0) | free[None, :]


def log_presentation_mass(world: World, age: np.ndarray) -> np.ndarray:
    """(n, K): log P(a consultation of c meets c's ``presents_with`` constraint | age); 0 without one."""
    n = len(age)
    if world.log_silent is None or world.presents_measured is None:
        return np.zeros((n, world.n_conditions))
    stratum = world.stratum(age)
    silent = np.exp(world.log_silent[stratum])  # (n, K)
    together = world.params.vitals.together
    names = [v.name for v in world.variables]
    for k in np.flatnonzero(world.presents_measured.any(axis=1)):
        leaders = {together.get(names[vi], names[vi]) for vi in np.flatnonzero(world.presents_measured[k])}
        for name in leaders:
            silent[:, k] *= 1.0 - step_values(world.variables[names.index(name)].recorded, age)
    with np.errstate(divide="ignore"):
        out = np.log1p(-np.minimum(silent, 1.0))
    free = ~world.presents.any(axis=1) & ~world.presents_measured.any(axis=1)  # type: ignore[union-attr]
    out[:, free] = 0.0
    return out


def group_regions(world: World, group: Group, values: np.ndarray) -> np.ndarray:
    """Region of each group variable for each case (``values`` (n, V) written values, NaN = not written)."""
    n = len(values)
    out = np.empty((n, len(group.variables)), dtype=np.int64)
    for v, vi in enumerate(group.variables):
        var = world.variables[vi]
        g = var.grid_index(values[:, vi])
        out[:, v] = np.where(g >= 0, group.region[v][np.maximum(g, 0)], len(group.region_value[v]))
    return out
